"""The demo and local development: SQLite, a filesystem broker, mail written to files.

Nothing here needs PostgreSQL, Redis or an ESP; every value can still be
overridden from the environment (DATABASE_URL, REDIS_URL, MAILER_BACKEND...).
"""

from .base import *  # noqa: F403
from .base import CELERY_BEAT_SCHEDULE, VAR_DIR, env

# The demo's SQLite file, broker folder and mail folder live here.
VAR_DIR.mkdir(exist_ok=True)

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="demo-only-insecure-key-do-not-use-in-production")

BROKER_DIR = VAR_DIR / "broker"
if env("REDIS_URL", default=""):
    CELERY_BROKER_URL = env("REDIS_URL")
else:
    CELERY_BROKER_URL = "filesystem://"
    (BROKER_DIR / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        "processed_folder": str(BROKER_DIR / "processed"),
        # Otherwise kombu writes its exchange tables to ./control, wherever the command runs.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }

# The demo's scheduler looks every 30 s (5 min in production).
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "relances-ordonnancer": {
        "task": "relances.ordonnancer",
        "schedule": env.int("RELANCES_ORDONNANCEUR_SECONDES", default=30),
    },
}

ANYMAIL = {"WEBHOOK_SECRET": env("ANYMAIL_WEBHOOK_SECRET", default="demo:webhook-demo")}

# Outgoing webhooks to a local receiver (http://localhost...) are fine for the demo.
WEBHOOKS_HTTP_AUTORISE = env.bool("WEBHOOKS_HTTP_AUTORISE", default=True)
WEBHOOKS_CIBLES_PRIVEES = env.bool("WEBHOOKS_CIBLES_PRIVEES", default=True)

if env("SMTP_HOST", default=""):
    # A local SMTP catcher (Mailpit in docker-compose, aiosmtpd in the tests).
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": env("SMTP_HOST"), "port": env.int("SMTP_PORT", default=1025)},
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": env("MAIL_FILE_PATH", default=str(VAR_DIR / "mails"))},
        }
    }
