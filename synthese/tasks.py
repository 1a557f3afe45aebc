"""Celery tasks of the weekly digest. Beat runs ``synthese.ordonnancer`` every few minutes."""

from __future__ import annotations

import datetime
from functools import partial
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from recouvrement.tenancy.context import organisation_scope, unscoped
from recouvrement.tenancy.models import Organisation
from recouvrement.tenancy.tasks import TenantTask
from relances.services.envoi import ErreurTransitoire
from synthese import services
from synthese.models import ParametresSynthese, SyntheseHebdo

ESSAIS_MAX = 8


@shared_task(base=TenantTask, name="synthese.envoyer", bind=True, acks_late=True, max_retries=ESSAIS_MAX)
def synthese_envoyer(self: Any, *, organisation_id: int, synthese_id: int) -> str:
    try:
        synthese = services.synthese_envoyer(synthese_id=synthese_id)
    except ErreurTransitoire as error:
        if self.request.retries >= ESSAIS_MAX:
            services.synthese_echec_definitif(synthese_id=synthese_id, erreur=str(error))
            return "echec"
        raise self.retry(countdown=min(60 * 2**self.request.retries, 3600), exc=error) from error
    return str(synthese.statut)


@shared_task(base=TenantTask, name="synthese.envoyer_a_la_demande", bind=True, acks_late=True, max_retries=3)
def synthese_envoyer_a_la_demande(self: Any, *, organisation_id: int, semaine: str, cle: str) -> int:
    try:
        organisation = Organisation.objects.get(pk=organisation_id)
        jour = datetime.date.fromisoformat(semaine)
        return len(services.synthese_envoyer_a_la_demande(organisation=organisation, semaine=jour, cle=cle))
    except ErreurTransitoire as error:
        raise self.retry(countdown=60, exc=error) from error


def _mettre_en_file(*, organisation_id: int, synthese_id: int) -> None:
    synthese_envoyer.delay(organisation_id=organisation_id, synthese_id=synthese_id)


@shared_task(name="synthese.ordonnancer")
def synthese_ordonnancer() -> int:
    """Platform job (beat): create each organisation's weekly digest once its day and hour have
    come, queue its send, and queue again the digests left behind (see ``services``).

    Three platform reads whatever the number of organisations (settings, organisations, this
    period's rows and the rows left behind); then one insert per organisation whose digest is
    due and not created yet. Two schedulers at once create it once (unique per week).
    """
    maintenant = timezone.now()
    delai = datetime.timedelta(seconds=settings.RELANCES_DELAI_RECONCILIATION)
    with unscoped(reason="synthese: l'ordonnanceur parcourt les organisations"):
        parametres = {p.tenant_id: p for p in ParametresSynthese.objects.all()}
        organisations = list(Organisation.objects.order_by("pk"))
        depuis = maintenant.date() - datetime.timedelta(days=15)  # covers every time zone's past week
        existantes = set(SyntheseHebdo.objects.filter(semaine__gte=depuis).values_list("tenant_id", "semaine"))
        a_reprendre = list(services.syntheses_a_reprendre(delai=delai, avec_organisation=True))
    creees = 0
    for organisation in organisations:
        reglages = parametres.get(organisation.pk) or ParametresSynthese()
        semaine = services.semaine_due(organisation=organisation, parametres=reglages, maintenant=maintenant)
        if semaine is None or (organisation.pk, semaine) in existantes:
            continue
        with organisation_scope(organisation):
            nouvelle = services.synthese_planifier(semaine=semaine)
        if nouvelle is not None:
            creees += 1
            a_reprendre.append((organisation.pk, nouvelle.pk))
    for organisation_id, synthese_id in a_reprendre:
        transaction.on_commit(partial(_mettre_en_file, organisation_id=organisation_id, synthese_id=synthese_id))
    return creees
