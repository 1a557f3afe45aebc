"""Platform-level periodic tasks (not tied to one organisation)."""

from __future__ import annotations

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone


@shared_task(name="core.sessions_nettoyer")
def sessions_nettoyer() -> int:
    """Delete expired sessions (what ``manage.py clearsessions`` does), daily from beat."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
