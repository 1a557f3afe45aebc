"""Celery tasks of the risk area: thin wrappers that enter the organisation's scope and call
``risque.services``. Beat runs ``risque.ordonnancer`` (see settings)."""

from __future__ import annotations

import datetime
import smtplib
from dataclasses import asdict
from typing import Any

from celery import shared_task
from django.utils import timezone

from recouvrement.tenancy.context import organisation_scope, unscoped
from recouvrement.tenancy.models import Organisation
from recouvrement.tenancy.tasks import TenantTask
from risque import services

# The nightly computation of an organisation starts from this local hour (payments of
# the day before are in by then), on every day of the week.
HEURE_CALCUL = datetime.time(2)
# A day claimed but not finished after this long (task lost with the broker, worker
# killed) is queued again.
DELAI_REPRISE = datetime.timedelta(hours=1)
ESSAIS_MAX = 8


@shared_task(base=TenantTask, name="risque.calculer", acks_late=True)
def risque_calculer(*, organisation_id: int, jour: str) -> dict[str, int]:
    return asdict(services.calcul_nocturne(jour=datetime.date.fromisoformat(jour)))


@shared_task(base=TenantTask, name="risque.alerte_notifier", bind=True, acks_late=True, max_retries=ESSAIS_MAX)
def alerte_notifier_tache(self: Any, *, organisation_id: int, alerte_id: int) -> bool:
    try:
        return services.alerte_notifier(alerte_id=alerte_id)
    except (smtplib.SMTPException, OSError) as error:
        # The claim was rolled back with the transaction: the retry claims it again.
        raise self.retry(countdown=min(60 * 2**self.request.retries, 3600), exc=error) from error


@shared_task(name="risque.ordonnancer")
def risque_ordonnancer() -> int:
    """Platform job (beat): compute each organisation once a day, from ``HEURE_CALCUL`` in its
    time zone. The day's journal row, unique per organisation, is the claim: two schedulers,
    or a scheduler run every few minutes, queue it once. Returns the number queued."""
    maintenant = timezone.now()
    with unscoped(reason="risque: l'ordonnanceur parcourt les organisations"):
        organisations = list(Organisation.objects.order_by("pk"))
    lancees = 0
    for organisation in organisations:
        local = organisation.heure_locale(maintenant)
        if local.time() < HEURE_CALCUL:
            continue
        jour = local.date()
        with organisation_scope(organisation):
            if not services.calcul_du_jour_reserver(jour=jour, maintenant=maintenant, delai_reprise=DELAI_REPRISE):
                continue
        risque_calculer.delay(organisation_id=organisation.pk, jour=jour.isoformat())
        lancees += 1
    return lancees
