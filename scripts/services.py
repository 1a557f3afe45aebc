"""Run a command with a real PostgreSQL and a real Redis, whatever the machine offers.

    python scripts/services.py -- <command...>

PostgreSQL, in order of preference:
1. ``DATABASE_URL`` from the environment, used as given (it must name a role
   without SUPERUSER or BYPASSRLS: the tests check it);
2. a server on 127.0.0.1:5432 that lets ``postgres`` in without a password:
   the application role ``recouvrement`` (NOSUPERUSER NOBYPASSRLS CREATEDB) is
   created or corrected there;
3. a throwaway cluster made with the installed ``initdb`` in a temporary
   directory, on a free port, stopped and removed afterwards.

Redis: ``REDIS_URL``, else 127.0.0.1:6379 (database 15), else a throwaway
``redis-server`` on a free port. When a binary is missing, it says which
Debian package to install and exits with status 2.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

APP_ROLE = "recouvrement"
APP_PASSWORD = "recouvrement"  # noqa: S105  (local test role, never a production secret)


def say(message: str) -> None:
    print(f"[services] {message}", file=sys.stderr, flush=True)


def fail(message: str) -> None:
    say(message)
    sys.exit(2)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_app_role(superuser_dsn: str) -> None:
    """Create (or fix) the application role: it must not bypass row-level security."""
    import psycopg

    with psycopg.connect(superuser_dsn, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(f"{verb} ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB PASSWORD '{APP_PASSWORD}'")


def find_pg_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def as_postgres_user(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: drop to the postgres system user."""
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser is None:
        fail("Running as root without runuser: run make test as a normal user.")
    return [runuser, "-u", "postgres", "--", *command]


def throwaway_postgres() -> str:
    initdb, pg_ctl = find_pg_binary("initdb"), find_pg_binary("pg_ctl")
    if not initdb or not pg_ctl:
        fail(
            "PostgreSQL is needed for the tests and none was found (no DATABASE_URL, nothing on "
            "127.0.0.1:5432, no initdb). Install it: sudo apt-get install -y postgresql"
        )
    base = Path(tempfile.mkdtemp(prefix="recouvrement-pg-"))
    data = base / "data"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    port = free_port()
    say(f"starting a throwaway PostgreSQL on port {port} ({base})")
    subprocess.run(
        as_postgres_user([initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    subprocess.run(
        as_postgres_user([pg_ctl, "-D", str(data), "-l", str(base / "log"), "-o", options, "-w", "start"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )

    def stop() -> None:
        subprocess.run(
            as_postgres_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(base, ignore_errors=True)

    atexit.register(stop)
    ensure_app_role(f"postgresql://postgres@127.0.0.1:{port}/postgres")
    return f"postgres://{APP_ROLE}:{APP_PASSWORD}@127.0.0.1:{port}/{APP_ROLE}"


def database_url() -> str:
    if os.environ.get("DATABASE_URL"):
        say("PostgreSQL: DATABASE_URL from the environment")
        return os.environ["DATABASE_URL"]
    if port_open(5432):
        try:
            ensure_app_role("postgresql://postgres@127.0.0.1:5432/postgres")
        except Exception as error:  # noqa: BLE001  (any failure means: this server is not usable as is)
            fail(
                f"A PostgreSQL server listens on 127.0.0.1:5432 but the role {APP_ROLE} could not be set up "
                f"as postgres ({error}). Set DATABASE_URL to a role with CREATEDB and without SUPERUSER "
                "or BYPASSRLS."
            )
        say("PostgreSQL: 127.0.0.1:5432, role recouvrement")
        return f"postgres://{APP_ROLE}:{APP_PASSWORD}@127.0.0.1:5432/{APP_ROLE}"
    return throwaway_postgres()


def redis_url() -> str:
    if os.environ.get("REDIS_URL"):
        say("Redis: REDIS_URL from the environment")
        return os.environ["REDIS_URL"]
    if port_open(6379):
        say("Redis: 127.0.0.1:6379, database 15")
        return "redis://127.0.0.1:6379/15"
    server = shutil.which("redis-server")
    if server is None:
        fail(
            "Redis is needed for the tests and none was found (no REDIS_URL, nothing on 127.0.0.1:6379, "
            "no redis-server). Install it: sudo apt-get install -y redis-server"
        )
    port = free_port()
    say(f"starting a throwaway Redis on port {port}")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    atexit.register(process.terminate)
    for _ in range(50):
        if port_open(port):
            break
        time.sleep(0.1)
    return f"redis://127.0.0.1:{port}/0"


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1 :]
    env = dict(os.environ, DATABASE_URL=database_url(), REDIS_URL=redis_url())
    return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
