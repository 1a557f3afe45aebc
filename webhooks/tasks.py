"""Celery tasks of the webhooks: thin wrappers. Beat runs ``webhooks.reprendre`` every minute."""

from __future__ import annotations

import logging
from collections import defaultdict

from celery import shared_task

from recouvrement.tenancy.context import unscoped
from recouvrement.tenancy.tasks import TenantTask
from webhooks import services

logger = logging.getLogger(__name__)


@shared_task(base=TenantTask, name="webhooks.livraisons_envoyer", acks_late=True)
def livraisons_envoyer_tache(*, organisation_id: int, livraison_ids: list[int]) -> int:
    return services.livraisons_envoyer(livraison_ids=livraison_ids)


@shared_task(name="webhooks.reprendre")
def livraisons_reprendre_tache() -> int:
    """Platform job (beat): queue the deliveries due again (retries, lost messages, dead workers)."""
    with unscoped(reason="webhooks: l'ordonnanceur reprend les livraisons dues de toutes les organisations"):
        dues = services.livraisons_a_reprendre()
    par_organisation: dict[int, list[int]] = defaultdict(list)
    for organisation_id, livraison_id in dues:
        par_organisation[organisation_id].append(livraison_id)
    for organisation_id, ids in par_organisation.items():
        for debut in range(0, len(ids), services.LIVRAISONS_PAR_TACHE):
            livraisons_envoyer_tache.delay(
                organisation_id=organisation_id, livraison_ids=ids[debut : debut + services.LIVRAISONS_PAR_TACHE]
            )
    return len(dues)
