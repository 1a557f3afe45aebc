"""Celery tasks of the disputes: thin wrappers that enter the organisation's scope and
call ``litiges.notifications``. Beat runs ``litiges.rappels_ordonnancer`` (see settings)."""

from __future__ import annotations

from celery import shared_task
from django.db.models import Q

from litiges import notifications
from litiges.models import STATUTS_LITIGE_ACTIFS, Litige
from recouvrement.tenancy.context import unscoped
from recouvrement.tenancy.models import Organisation
from recouvrement.tenancy.tasks import TenantTask


@shared_task(base=TenantTask, name="litiges.affectation_notifier", acks_late=True)
def litige_affectation_notifier(*, organisation_id: int, litige_id: int) -> bool:
    return notifications.affectation_notifier(litige_id=litige_id)


@shared_task(base=TenantTask, name="litiges.rappels_envoyer", acks_late=True)
def litiges_rappels_envoyer(*, organisation_id: int) -> dict[str, int]:
    organisation = Organisation.objects.get(pk=organisation_id)
    aujourd_hui = organisation.heure_locale().date()
    return notifications.rappels_envoyer(aujourd_hui=aujourd_hui)


@shared_task(name="litiges.rappels_ordonnancer")
def litiges_rappels_ordonnancer() -> int:
    """Platform job (beat): queue the SLA reminders of each organisation that has an active
    dispute with a reminder not yet sent. Running it often is harmless: each reminder is
    claimed once (``notifications.rappels_reserver``)."""
    with unscoped(reason="litiges: les rappels d'échéance parcourent les organisations"):
        organisation_ids = list(
            Litige.objects.filter(statut__in=STATUTS_LITIGE_ACTIFS, echeance__isnull=False)
            .filter(Q(rappel_proche_envoye_le__isnull=True) | Q(rappel_depasse_envoye_le__isnull=True))
            .order_by("tenant_id")
            .values_list("tenant_id", flat=True)
            .distinct()
        )
    for organisation_id in organisation_ids:
        litiges_rappels_envoyer.delay(organisation_id=organisation_id)
    return len(organisation_ids)
