"""Settings shared by every environment. Everything that differs comes from the
environment (12-factor); ``local``, ``test`` and ``production`` only set defaults
and the few things that must differ."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

POSTGRESQL_ENGINE = "recouvrement.tenancy.backends.postgresql"


def database_from_url(url: str) -> dict[str, Any]:
    """A DATABASES entry from a URL; PostgreSQL goes through the RLS-aware backend."""
    config: dict[str, Any] = env.db_url_config(url)
    if config["ENGINE"] in ("django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"):
        config["ENGINE"] = POSTGRESQL_ENGINE
        config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        config["CONN_HEALTH_CHECKS"] = True
        # No JIT for the application's connections: its statements are short, and a
        # misestimated one past jit_above_cost spends seconds compiling (bench/README.md:
        # 1.2 s of JIT on the client list's last page, 1.8 s on the DSO with nested loops off).
        config.setdefault("OPTIONS", {})["options"] = "-c jit=off"
    elif config["ENGINE"] == "django.db.backends.sqlite3":
        # The demo runs the web app and a Celery worker on one file: WAL lets
        # them read while the other writes, IMMEDIATE avoids upgrade deadlocks.
        config["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "recouvrement.core.admin_apps.PlatformAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "anymail",
    "recouvrement.core",
    "recouvrement.tenancy",
    "clients",
    "factures",
    "relances",
    "litiges",
    "contentieux",
    "risque",
    "synthese",
    "tableau",
    "exports",
    "imports",
    "banque",
    "webhooks",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "recouvrement.tenancy.middleware.TenantMiddleware",
    "recouvrement.tenancy.middleware.LangueMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "recouvrement.urls"
WSGI_APPLICATION = "recouvrement.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "recouvrement.tenancy.context_processors.organisation",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        env("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'demo.sqlite3'}"),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo database: the covering indexes (INCLUDE) are PostgreSQL's; SQLite builds them
    # on their key columns only, which is fine for a demo.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_USER_MODEL = "tenancy.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "connexion"
LOGIN_REDIRECT_URL = "accueil"
LOGOUT_REDIRECT_URL = "connexion"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["recouvrement.formats"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Email: Django 6.1 MAILERS (never EMAIL_BACKEND next to it). The ESP is chosen
# by MAILER_BACKEND: any django-anymail backend in production, SMTP or a file
# locally and in the end-to-end tests.
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Recouvrement <ne-pas-repondre@recouvrement.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
MAILERS: dict[str, Any] = {
    "default": {
        "BACKEND": env("MAILER_BACKEND", default="django.core.mail.backends.smtp.EmailBackend"),
        "OPTIONS": {},
    }
}
# Tracking webhooks are authenticated with HTTP basic auth "user:password".
ANYMAIL: dict[str, Any] = {"WEBHOOK_SECRET": env("ANYMAIL_WEBHOOK_SECRET", default="")}

CELERY_BROKER_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task taken by a worker that dies unacknowledged comes back after this delay (Redis transport).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
CELERY_BEAT_SCHEDULE: dict[str, Any] = {
    "sessions-nettoyer": {"task": "core.sessions_nettoyer", "schedule": 24 * 60 * 60},
    # Plans each organisation once a business day at its hour, and moves its outbox.
    "relances-ordonnancer": {
        "task": "relances.ordonnancer",
        "schedule": env.int("RELANCES_ORDONNANCEUR_SECONDES", default=5 * 60),
    },
    # Risk scores and credit-limit alerts: each organisation once a day from 02:00 in its
    # time zone (one journal row per organisation and day); a lost run is queued again.
    "risque-ordonnancer": {"task": "risque.ordonnancer", "schedule": 15 * 60},
    # The disputes' SLA reminders (near / past), by day in each organisation's time zone;
    # run hourly so that a restarted beat misses no day: each reminder is claimed once.
    "litiges-rappels": {"task": "litiges.rappels_ordonnancer", "schedule": 60 * 60},
    # Payment plans (allocation, missed installments, broken plans) and promises (kept,
    # broken): hourly, each organisation once its sending hour has passed; idempotent.
    "relances-suivis-quotidiens": {"task": "relances.suivis_quotidiens", "schedule": 60 * 60},
    # The finance directors' weekly digest: each organisation once its day and hour have
    # come (one row per organisation and ISO week), and digests left behind sent again.
    "synthese-ordonnancer": {"task": "synthese.ordonnancer", "schedule": 5 * 60},
    # Outgoing webhooks: retries whose time has come, and deliveries whose task was lost.
    "webhooks-reprendre": {"task": "webhooks.reprendre", "schedule": 60},
}

# The application's public address, for the links in internal e-mails (disputes, credit limits).
APP_URL = env("APP_URL", default="http://localhost:8000")

# Dunning engine (relances).
RELANCES_EXPEDITEUR = env("RELANCES_EXPEDITEUR", default="relances@recouvrement.localhost")
RELANCES_DOMAINE_MESSAGE_ID = env("RELANCES_DOMAINE_MESSAGE_ID", default="recouvrement.localhost")
# True when the ESP (or the local catcher) accepts a given idempotency key once:
# a send interrupted by a crash is then sent again at once with the same key.
RELANCES_ESP_IDEMPOTENT = env.bool("RELANCES_ESP_IDEMPOTENT", default=True)
# How long a send may stay "en cours" before the reconciliation takes it again.
RELANCES_DELAI_RECONCILIATION = env.int("RELANCES_DELAI_RECONCILIATION", default=10 * 60)
RELANCES_ENVOIS_PAR_LOT = env.int("RELANCES_ENVOIS_PAR_LOT", default=500)
# The dashboard's two organisation-wide aggregates on two connections at once (tableau/paralleles.py).
TABLEAU_REQUETES_PARALLELES = env.bool("TABLEAU_REQUETES_PARALLELES", default=True)
# Exports of more rows than this run in the background (Celery) with a progress page.
EXPORTS_SYNCHRONE_MAX = env.int("EXPORTS_SYNCHRONE_MAX", default=5000)

# Outgoing webhooks (webhooks/). Seconds before each retry; abandoned after len + 1 attempts.
WEBHOOKS_DELAIS_SECONDES = env.list("WEBHOOKS_DELAIS_SECONDES", cast=int, default=[60, 300, 1800, 7200, 21600])
WEBHOOKS_TIMEOUT_SECONDES = env.int("WEBHOOKS_TIMEOUT_SECONDES", default=10)
# An attempt still "en cours" after this long (its worker died) is taken again.
WEBHOOKS_BAIL_SECONDES = env.int("WEBHOOKS_BAIL_SECONDES", default=120)
# A due delivery queued this long ago and still not attempted (message lost) is queued again.
WEBHOOKS_REMISE_EN_FILE_SECONDES = env.int("WEBHOOKS_REMISE_EN_FILE_SECONDES", default=300)
# http:// URLs, and private or loopback targets (SSRF guard): off in production; on for the demo and tests.
WEBHOOKS_HTTP_AUTORISE = env.bool("WEBHOOKS_HTTP_AUTORISE", default=False)
WEBHOOKS_CIBLES_PRIVEES = env.bool("WEBHOOKS_CIBLES_PRIVEES", default=False)
# CSV/XLSX imports: the largest file accepted (bytes), and up to how many lines one runs within the request.
IMPORTS_TAILLE_MAX = env.int("IMPORTS_TAILLE_MAX", default=30 * 1024 * 1024)
IMPORTS_SYNCHRONE_MAX = env.int("IMPORTS_SYNCHRONE_MAX", default=2000)

REST_FRAMEWORK = {
    # A key first (it decides the organisation, see TenantMiddleware), then the browser's session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.CleApiAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.PermissionApi"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.DebitParCle"],
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONDecimalParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.erreurs.gestionnaire",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "Recouvrement — API REST",
    "DESCRIPTION": (
        "Clients, contacts, factures, paiements, lettrages, relances, litiges, échéanciers et promesses "
        "de votre organisation. Authentification : `Authorization: Bearer <clé>` (clé créée par un "
        "administrateur dans Paramètres › Clés d'API). Erreurs : "
        '`{"erreurs": [{"code", "champ", "message"}]}`, messages en français ou en anglais selon '
        "Accept-Language. Listes paginées par curseur (`cursor`, `page_size`), triables (`ordering`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Bodies are JSON (the PDF upload says multipart itself); the form parsers stay for the browser.
    "PARSER_WHITELIST": ["api.parsers.JSONDecimalParser"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "StatutFactureEnum": "factures.models.Statut",
        "StatutLitigeEnum": "litiges.models.StatutLitige",
        "StatutRelanceEnum": "relances.models.StatutRelance",
        "StatutEcheancierEnum": "relances.models.StatutEcheancier",
        "StatutVersementEnum": "relances.models.StatutVersement",
        "StatutPromesseEnum": "relances.models.StatutPromesse",
        "StatutLigneEnum": ["cree", "mis_a_jour", "inchange", "erreur", "non_ecrit"],
    },
    "DISABLE_ERRORS_AND_WARNINGS": False,
}
# API: requests per key and period (« 600/min », « 20/s »); the counters live in the "api"
# cache (Redis when REDIS_URL is set, else this process's memory, e.g. the SQLite demo).
API_DEBIT = env("API_DEBIT", default="600/min")
API_CACHE = "api"
API_MASSE_MAX = env.int("API_MASSE_MAX", default=10_000)
CACHES: dict[str, Any] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    API_CACHE: (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env("REDIS_URL")}
        if env("REDIS_URL", default="")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api"}
    ),
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
INVITATION_VALIDITE_JOURS = 14

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"simple": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "simple"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # WeasyPrint and fontTools narrate every PDF at INFO.
    "loggers": {name: {"level": "WARNING"} for name in ("weasyprint", "fontTools")},
}
