"""Celery tasks of the exports: thin wrappers, inside the organisation's scope (``TenantTask``)."""

from __future__ import annotations

from celery import shared_task

from exports.services import export_executer
from recouvrement.tenancy.tasks import TenantTask


@shared_task(base=TenantTask, name="exports.executer", acks_late=True)
def export_executer_tache(*, organisation_id: int, export_id: int) -> str:
    return str(export_executer(export_id=export_id).statut)
