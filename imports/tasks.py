"""Celery task of the imports: a thin wrapper, inside the organisation's scope (``TenantTask``)."""

from __future__ import annotations

from celery import shared_task

from imports.services import import_executer
from recouvrement.tenancy.tasks import TenantTask


@shared_task(base=TenantTask, name="imports.executer", acks_late=True)
def import_executer_tache(*, organisation_id: int, import_id: int) -> str:
    return str(import_executer(import_id=import_id).statut)
