"""The test suite: real PostgreSQL (as a role without SUPERUSER or BYPASSRLS) and real Redis.

``make test`` provides DATABASE_URL and REDIS_URL (see scripts/services.py).
"""

from .base import *  # noqa: F403
from .base import database_from_url, env

DEBUG = False
SECRET_KEY = "test-only-key"  # noqa: S105
DATABASES = {
    "default": database_from_url(
        env("DATABASE_URL", default="postgres://recouvrement:recouvrement@127.0.0.1:5432/recouvrement")
    )
}
DATABASES["default"]["CONN_MAX_AGE"] = 0
CELERY_BROKER_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
if env("SMTP_HOST", default=""):
    # Worker processes started by the end-to-end tests send to the test's SMTP server.
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": env("SMTP_HOST"), "port": env.int("SMTP_PORT"), "timeout": 10},
        }
    }
ANYMAIL = {"WEBHOOK_SECRET": "webhook:secret-de-test"}
