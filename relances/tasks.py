"""Celery tasks of the dunning engine: thin wrappers that enter the organisation's
scope and call a service. Beat runs ``relances.ordonnancer`` every few minutes."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from recouvrement.tenancy.context import organisation_scope, unscoped
from recouvrement.tenancy.models import Organisation
from recouvrement.tenancy.tasks import TenantTask
from relances.calendrier import est_jour_ouvre
from relances.models import ParametresRelance, PlanificationJour
from relances.services import envoi as envoi_service
from relances.services.planification import organisation_planifier

logger = logging.getLogger(__name__)

# Backoff of transient ESP errors: 1, 2, 4… minutes, capped at an hour, 8 tries.
ESSAIS_MAX = 8
# Sends per ``relances.envois_envoyer`` task: its queries do not grow with it; a
# smaller batch spreads a day over more workers sooner.
ENVOIS_PAR_TACHE = 100


def jour_local(organisation: Organisation, maintenant: datetime.datetime | None = None) -> datetime.datetime:
    return organisation.heure_locale(maintenant)


@shared_task(base=TenantTask, name="relances.planifier", acks_late=True)
def relances_planifier(*, organisation_id: int, jour: str) -> dict[str, Any]:
    resultat = organisation_planifier(jour=datetime.date.fromisoformat(jour))
    transaction.on_commit(lambda: relances_envoyer.delay(organisation_id=organisation_id))
    return {"relances": resultat.relances, "envois": resultat.envois, "taches": resultat.taches}


@shared_task(base=TenantTask, name="relances.envoyer", acks_late=True)
def relances_envoyer(*, organisation_id: int) -> int:
    """Claim the ready sends of the day and queue them by batches of ``ENVOIS_PAR_TACHE``."""
    organisation = Organisation.objects.get(pk=organisation_id)
    ids = envoi_service.envois_reserver(jour=jour_local(organisation).date(), limite=settings.RELANCES_ENVOIS_PAR_LOT)
    for debut in range(0, len(ids), ENVOIS_PAR_TACHE):
        envois_envoyer.delay(organisation_id=organisation_id, envoi_ids=ids[debut : debut + ENVOIS_PAR_TACHE])
    return len(ids)


@shared_task(base=TenantTask, name="relances.envois_envoyer", acks_late=True)
def envois_envoyer(*, organisation_id: int, envoi_ids: list[int]) -> dict[str, int]:
    """Send a batch of e-mails over one connection; what the batch leaves goes one by one."""
    organisation = Organisation.objects.get(pk=organisation_id)
    lot = envoi_service.envois_executer(envoi_ids=envoi_ids, jour=jour_local(organisation).date())
    for envoi_id in lot.a_part:
        envoi_envoyer.delay(organisation_id=organisation_id, envoi_id=envoi_id)
    for envoi_id in lot.a_reessayer:  # a transient error: the first step of the backoff, then envoi_envoyer's
        envoi_envoyer.apply_async(kwargs={"organisation_id": organisation_id, "envoi_id": envoi_id}, countdown=60)
    return {"envois": len(lot.envois), "a_part": len(lot.a_part), "a_reessayer": len(lot.a_reessayer)}


@shared_task(base=TenantTask, name="relances.envoi_envoyer", bind=True, acks_late=True, max_retries=ESSAIS_MAX)
def envoi_envoyer(self: Any, *, organisation_id: int, envoi_id: int) -> str:
    organisation = Organisation.objects.get(pk=organisation_id)
    try:
        envoi = envoi_service.envoi_executer(envoi_id=envoi_id, jour=jour_local(organisation).date())
    except envoi_service.ErreurTransitoire as error:
        if self.request.retries >= ESSAIS_MAX:
            envoi_service.envoi_echec_definitif(envoi_id=envoi_id, erreur=str(error))
            return "echec"
        raise self.retry(countdown=min(60 * 2**self.request.retries, 3600), exc=error) from error
    return str(envoi.statut)


def _organisations_et_parametres() -> list[tuple[Organisation, ParametresRelance | None]]:
    with unscoped(reason="relances: l'ordonnanceur parcourt les organisations"):
        parametres = {p.tenant_id: p for p in ParametresRelance.objects.all()}
        return [(o, parametres.get(o.pk)) for o in Organisation.objects.order_by("pk")]


@shared_task(name="relances.reconcilier")
def relances_reconcilier() -> int:
    """Platform job: queue again every send left "en cours" too long (worker killed, broker lost).

    Run when a worker starts and at each scheduler round; sending is idempotent.
    """
    delai = datetime.timedelta(seconds=settings.RELANCES_DELAI_RECONCILIATION)
    repris = 0
    for organisation, _parametres in _organisations_et_parametres():
        with organisation_scope(organisation):
            for envoi_id in envoi_service.envois_bloques(delai=delai):
                envoi_envoyer.delay(organisation_id=organisation.pk, envoi_id=envoi_id)
                repris += 1
    return repris


@worker_ready.connect
def _reconcilier_au_demarrage(**kwargs: Any) -> None:
    relances_reconcilier.delay()


@shared_task(name="relances.ordonnancer")
def relances_ordonnancer() -> int:
    """Platform job (beat): plan each organisation once a business day at its hour, and
    keep its outbox moving. Two schedulers at once plan once: the day's journal row
    is unique per organisation."""
    lancees = 0
    maintenant = timezone.now()
    for organisation, parametres in _organisations_et_parametres():
        local = jour_local(organisation, maintenant)
        heure = parametres.heure_envoi if parametres else datetime.time(9)
        calendrier = parametres.calendrier if parametres else "FR"
        if not est_jour_ouvre(local.date(), calendrier) or local.time() < heure:
            continue
        with organisation_scope(organisation):
            try:
                with transaction.atomic():
                    PlanificationJour.objects.create(jour=local.date())
            except IntegrityError:
                pass  # planned already today (or by the other scheduler)
            else:
                relances_planifier.delay(organisation_id=organisation.pk, jour=local.date().isoformat())
                lancees += 1
                continue
            relances_envoyer.delay(organisation_id=organisation.pk)
    relances_reconcilier.delay()
    return lancees


# --- Payment plans and promises ------------------------------------------------------------

MESSAGE_ESSAIS_MAX = 5


def _messages_echeancier_mettre_en_file(organisation_id: int, message_ids: list[int]) -> None:
    def envoyer() -> None:
        for message_id in message_ids:
            message_echeancier_envoyer.delay(organisation_id=organisation_id, message_id=message_id)

    transaction.on_commit(envoyer)


@shared_task(base=TenantTask, name="relances.reglements_suivre", acks_late=True)
def reglements_suivre(*, organisation_id: int, facture_ids: list[int]) -> dict[str, int]:
    """A payment was allocated to (or taken off) these invoices: their plans and promises."""
    from relances.services.echeanciers import echeanciers_imputer
    from relances.services.promesses import promesses_suivre

    organisation = Organisation.objects.get(pk=organisation_id)
    termines = echeanciers_imputer(jour=jour_local(organisation).date(), facture_ids=facture_ids)
    promesses = promesses_suivre(jour=None, facture_ids=facture_ids)
    return {"echeanciers_termines": len(termines), "promesses_tenues": len(promesses.tenues)}


@shared_task(base=TenantTask, name="relances.suivi_quotidien", acks_late=True)
def suivi_quotidien(*, organisation_id: int, jour: str) -> dict[str, int]:
    """The day's follow-up of payment plans (allocation, missed installments, broken plans)
    and of promises (kept, broken). Idempotent; the reminders go in their own tasks."""
    from relances.services.echeanciers import echeanciers_suivre
    from relances.services.promesses import promesses_suivre

    date = datetime.date.fromisoformat(jour)
    suivi = echeanciers_suivre(jour=date)
    promesses = promesses_suivre(jour=date)
    _messages_echeancier_mettre_en_file(organisation_id, suivi.messages)
    return {
        "echeanciers_termines": len(suivi.termines),
        "echeanciers_rompus": len(suivi.rompus),
        "rappels": len(suivi.messages),
        "promesses_tenues": len(promesses.tenues),
        "promesses_rompues": len(promesses.rompues),
    }


@shared_task(name="relances.suivis_quotidiens")
def suivis_quotidiens() -> int:
    """Platform job (beat, hourly): queue the follow-up of each organisation whose sending hour has
    passed, for its local day (a second run the same day changes nothing, sends nothing twice)."""
    maintenant = timezone.now()
    lances = 0
    for organisation, parametres in _organisations_et_parametres():
        local = jour_local(organisation, maintenant)
        if local.time() < (parametres.heure_envoi if parametres else datetime.time(9)):
            continue  # its reminders go in the day, at its sending hour
        suivi_quotidien.delay(organisation_id=organisation.pk, jour=local.date().isoformat())
        lances += 1
    return lances


@shared_task(
    base=TenantTask,
    name="relances.message_echeancier_envoyer",
    bind=True,
    acks_late=True,
    max_retries=MESSAGE_ESSAIS_MAX,
)
def message_echeancier_envoyer(self: Any, *, organisation_id: int, message_id: int) -> str:
    """Send one e-mail of a payment plan (the agreement, or a missed-installment reminder) once."""
    from relances.services import echeanciers

    try:
        message = echeanciers.message_echeancier_envoyer(message_id=message_id)
    except Exception as error:
        if self.request.retries >= MESSAGE_ESSAIS_MAX:
            echeanciers.message_echeancier_echec(message_id=message_id, erreur=str(error))
            return "echec"
        raise self.retry(countdown=min(60 * 2**self.request.retries, 3600), exc=error) from error
    return str(message.statut)
