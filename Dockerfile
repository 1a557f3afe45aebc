# The application image: web (gunicorn), Celery worker and beat share it.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# WeasyPrint needs Pango; gettext compiles the English catalogue.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
       fonts-dejavu-core gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY . .
RUN DJANGO_SETTINGS_MODULE=recouvrement.settings.local python manage.py compilemessages --ignore=.venv -v 0 \
    && DJANGO_SETTINGS_MODULE=recouvrement.settings.local python manage.py collectstatic --noinput -v 0 \
    && useradd --create-home --uid 1000 recouvrement && mkdir -p /app/var && chown -R recouvrement /app/var
USER recouvrement
EXPOSE 8000
CMD ["gunicorn", "recouvrement.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
