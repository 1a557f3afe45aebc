"""Receivers of the business signals (sent after the commit): each event becomes deliveries.

They must never break the caller (a reminder sent, a payment allocated): any error is
logged and swallowed. When the organisation has no active endpoint they cost one indexed
query (``services.evenement_publier``), and nothing more.
"""

from __future__ import annotations

import logging
from typing import Any

from recouvrement.tenancy.context import current_scope, organisation_scope
from webhooks.models import TypeEvenement

logger = logging.getLogger(__name__)


def _publier(type: str, organisation_id: int | None, **ids: Any) -> None:
    from webhooks.services import evenement_publier

    if organisation_id is None:
        return
    try:
        if current_scope().organisation_id == organisation_id:
            evenement_publier(type=type, **ids)
        else:
            with organisation_scope(int(organisation_id)):
                evenement_publier(type=type, **ids)
    except Exception:
        logger.exception("webhooks: event %s of organisation %s not published", type, organisation_id)


def sur_relance_envoyee(sender: Any, *, envoi_id: int, organisation_id: int, **kwargs: Any) -> None:
    _publier(TypeEvenement.RELANCE_ENVOYEE, organisation_id, envoi_id=envoi_id)


def sur_promesse_enregistree(sender: Any, *, promesse_id: int, organisation_id: int, **kwargs: Any) -> None:
    _publier(TypeEvenement.PROMESSE_ENREGISTREE, organisation_id, promesse_id=promesse_id)


def sur_litige_ouvert(sender: Any, *, litige_id: int, organisation_id: int, **kwargs: Any) -> None:
    _publier(TypeEvenement.LITIGE_OUVERT, organisation_id, litige_id=litige_id)


def sur_litige_resolu(sender: Any, *, litige_id: int, organisation_id: int, **kwargs: Any) -> None:
    _publier(TypeEvenement.LITIGE_RESOLU, organisation_id, litige_id=litige_id)


def sur_facture_payee(sender: Any, *, facture_ids: list[int], organisation_id: int, **kwargs: Any) -> None:
    if facture_ids:
        _publier(TypeEvenement.FACTURE_PAYEE, organisation_id, facture_ids=list(facture_ids))


def connecter() -> None:
    from factures.signals import facture_payee
    from litiges.signals import litige_ouvert, litige_resolu
    from relances.signals import promesse_enregistree, relance_envoyee

    relance_envoyee.connect(sur_relance_envoyee, dispatch_uid="webhooks.relance_envoyee")
    promesse_enregistree.connect(sur_promesse_enregistree, dispatch_uid="webhooks.promesse_enregistree")
    litige_ouvert.connect(sur_litige_ouvert, dispatch_uid="webhooks.litige_ouvert")
    litige_resolu.connect(sur_litige_resolu, dispatch_uid="webhooks.litige_resolu")
    facture_payee.connect(sur_facture_payee, dispatch_uid="webhooks.facture_payee")
