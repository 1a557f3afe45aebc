"""Production settings pass Django's deployment checklist, with secrets from the environment only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "recouvrement.settings.production",
    "DJANGO_SECRET_KEY": "x" * 20 + "-production-like-secret-with-enough-entropy-0123456789",
    "DJANGO_ALLOWED_HOSTS": "recouvrement.example",
    "DATABASE_URL": "postgres://app:secret@db.example:5432/recouvrement",
    "REDIS_URL": "redis://redis.example:6379/0",
    "MAILER_BACKEND": "anymail.backends.mailgun.EmailBackend",
    "ANYMAIL_MAILGUN_API_KEY": "key-test",
}


def run_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "ANYMAIL_"))}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = run_check(PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    result = run_check(env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
