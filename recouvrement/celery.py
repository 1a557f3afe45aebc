"""The Celery application. Tasks live in each app's tasks.py; settings come from
Django settings with the CELERY_ prefix."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recouvrement.settings.local")

app = Celery("recouvrement")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
