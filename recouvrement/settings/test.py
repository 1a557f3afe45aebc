"""The test suite: real PostgreSQL (as a role without SUPERUSER or BYPASSRLS) and real Redis.

``make test`` provides DATABASE_URL and REDIS_URL (see scripts/services.py).

Under pytest-xdist each worker process (``PYTEST_XDIST_WORKER`` = gw0, gw1...)
gets its own PostgreSQL database (pytest-django adds the suffix), its own Redis
database and its own media folder, so that two workers never consume each
other's Celery tasks, flush each other's keys or overwrite each other's files.
Both are written back to the environment, which the Celery workers and
commands started by the tests inherit (they load these settings again and
find the same values).
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CACHES, MEDIA_ROOT, database_from_url, env

XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def redis_url_du_worker(url: str, worker: str) -> str:
    """Worker gwN uses the database N places after the given one (before it when that passes 15).

    REDIS_URL=redis://host:6379/15 (make test on the machine's Redis): gw0 uses 15, gw1 14;
    redis://host:6379/10: gw0 10, gw1 11; a throwaway server's /0: gw0 0, gw1 1.
    """
    numero = int(worker.removeprefix("gw"))
    parties = urlsplit(url)
    base = int(parties.path.strip("/") or 0)
    db = base + numero if base + numero <= 15 else base - numero
    if not 0 <= db <= 15:
        raise ImproperlyConfigured(f"No Redis database for xdist worker {worker} from {url}: run fewer processes.")
    return urlunsplit(parties._replace(path=f"/{db}"))


if XDIST_WORKER:
    # The URL given to the run is kept aside: a subprocess (which inherits PYTEST_XDIST_WORKER)
    # derives the same database from it, instead of shifting the already shifted one.
    lancement = os.environ.setdefault("REDIS_URL_DU_LANCEMENT", env("REDIS_URL", default="redis://127.0.0.1:6379/0"))
    os.environ["REDIS_URL"] = redis_url_du_worker(lancement, XDIST_WORKER)
    CACHES["api"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    for _cache in CACHES.values():  # base.py read REDIS_URL before it was shifted
        if _cache["BACKEND"].endswith("RedisCache"):
            _cache["LOCATION"] = os.environ["REDIS_URL"]
    if not env("MEDIA_ROOT", default=""):
        MEDIA_ROOT = Path(MEDIA_ROOT) / f"tests-{XDIST_WORKER}"
        os.environ["MEDIA_ROOT"] = str(MEDIA_ROOT)

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
