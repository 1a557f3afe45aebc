"""Signal receivers of the dunning engine: each calls one service."""

from __future__ import annotations

import logging
from typing import Any

from recouvrement.tenancy.models import Organisation

logger = logging.getLogger(__name__)


def organisation_creee(*, organisation: Organisation, **kwargs: Any) -> None:
    """A new organisation gets its dunning settings and ready scenarios (runs in its scope)."""
    from relances.services.parametres import organisation_relances_initialiser

    organisation_relances_initialiser(organisation=organisation)


def suivi_esp(*, event: Any, esp_name: str, **kwargs: Any) -> None:
    """django-anymail's normalized tracking event (delivered, bounced, opened…)."""
    from relances.services.livraison import evenement_esp_enregistrer

    evenement_esp_enregistrer(evenement=event, esp=esp_name)


def connecter_suivi_esp() -> None:
    from anymail.signals import tracking

    tracking.connect(suivi_esp, dispatch_uid="relances.suivi_esp")


def reglement_enregistre(*, facture_ids: list[int], organisation_id: int, **kwargs: Any) -> None:
    """An allocation was made or cancelled (after its commit): follow the plans and promises
    of those invoices in the background. A broker down loses nothing: the nightly run catches up."""
    from relances.tasks import reglements_suivre

    try:
        reglements_suivre.delay(organisation_id=organisation_id, facture_ids=list(facture_ids))
    except Exception:  # noqa: BLE001  (the payment is recorded; the nightly follow-up will see it)
        logger.warning("Follow-up of payment plans and promises not queued (organisation %s).", organisation_id)


def facture_payee(*, facture_ids: list[int], organisation_id: int, **kwargs: Any) -> None:
    """Invoices became fully paid (after the commit): their reminders not yet gone are withdrawn
    at once, not at send time (the send path checks again, for a payment that lands meanwhile)."""
    from django.db import transaction
    from django.db.models import Q

    from factures.models import Statut
    from recouvrement.tenancy.context import organisation_scope
    from relances.services.pauses import relances_en_attente_retirer

    try:
        with organisation_scope(organisation_id), transaction.atomic():
            relances_en_attente_retirer(cible=Q(facture_id__in=list(facture_ids), facture__statut=Statut.PAYEE))
    except Exception:
        logger.exception("Reminders of paid invoices not withdrawn (organisation %s).", organisation_id)


def connecter_reglements() -> None:
    from factures.signals import facture_payee as payee
    from factures.signals import reglement_enregistre as signal

    signal.connect(reglement_enregistre, dispatch_uid="relances.reglement_enregistre")
    payee.connect(facture_payee, dispatch_uid="relances.facture_payee")
