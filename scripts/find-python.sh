#!/bin/sh
# Print the path of a Python >= 3.12, or explain what to install and fail.
# Tries $PYTHON, then python3.13, python3.12, python3 on the PATH, then pyenv's versions.
check() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}
for candidate in ${PYTHON:-} python3.14 python3.13 python3.12 python3; do
    path=$(command -v "$candidate" 2>/dev/null) || continue
    if check "$path"; then echo "$path"; exit 0; fi
done
if command -v pyenv >/dev/null 2>&1; then
    for path in "$(pyenv root)"/versions/3.1[2-9]*/bin/python3; do
        if [ -x "$path" ] && check "$path"; then echo "$path"; exit 0; fi
    done
fi
echo "Python 3.12 or newer is required (Django 6). On Debian/Ubuntu: sudo apt-get install -y python3.12 python3.12-venv" >&2
exit 1
