"""The credit manager edits one send waiting for approval before approving it.

The subject and body are a template like a step's (same variables, same
validation, with the line and the name of what is wrong), edited for this send
only: saving renders it at once against the send's own invoices, contact and
penalties and keeps the result on the ``Envoi`` (subject, text, HTML, and the
letter for a letter). The outbox never renders a send that already has its
content, so approving it sends exactly what was saved.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from clients.events import evenement_record
from recouvrement.core.errors import ApplicationError
from relances import error_codes
from relances.events import TypeEvenementRelance
from relances.gabarits import MessageRendu, gabarit_rendre, gabarit_valider
from relances.models import CANAUX_REDIGES, Envoi, Etape, ModeleMessage, Relance, StatutEnvoi, StatutRelance
from relances.services.envoi import envoi_contexte, envoi_rendre, etape_modele, factures_triees, relances_valides


def envoi_modifiable(envoi: Envoi) -> bool:
    return envoi.statut == StatutEnvoi.A_VALIDER and envoi.canal in CANAUX_REDIGES


def envoi_modele_initial(*, envoi: Envoi) -> tuple[str, str]:
    """The subject and body the editor starts from: the step's template in the send's language."""
    etape = Etape.objects.prefetch_related("modeles").get(pk=envoi.etape_id)
    modele = etape_modele(etape, envoi.langue)
    return (modele.sujet, modele.corps) if modele is not None else ("", "")


def envoi_apercu(*, envoi: Envoi, sujet: str, corps: str, jour: datetime.date) -> MessageRendu:
    """Render an edited subject and body against the send's invoices, without saving anything.

    Raises ``ValidationError`` (``sujet`` / ``corps``, with the line and the name) for a
    template that would be refused. Reads only: the invoices no longer due stay listed
    until the send is saved or sent.
    """
    gabarit_valider(sujet=sujet, corps=corps)
    relances = list(Relance.objects.filter(envoi=envoi, statut=StatutRelance.PLANIFIEE).select_related("facture"))
    with translation.override(envoi.langue):
        contexte = envoi_contexte(envoi=envoi, factures=factures_triees(relances), jour=jour)
        return gabarit_rendre(sujet=sujet, corps=corps, contexte=contexte)


@transaction.atomic
def envoi_modifier(*, envoi: Envoi, sujet: str, corps: str, jour: datetime.date, auteur: Any = None) -> Envoi:
    """Keep an edited subject and body as the content of a send waiting for approval.

    Precondition: inside the organisation's scope (the caller checked the role).
    Refused unless the send waits for approval and is an e-mail or a letter;
    ``ValidationError`` on ``sujet`` / ``corps`` for a template that does not
    validate. The invoices no longer due (paid, paused) are withdrawn as at send
    time. Side effect: the content (and, for a letter, its PDF) is stored on the
    send; the approval then sends it as it is.
    """
    envoi = Envoi.objects.select_for_update().get(pk=envoi.pk)
    if not envoi_modifiable(envoi):
        raise ApplicationError(
            _("Seul un e-mail ou un courrier qui attend une validation peut être modifié."),
            code=error_codes.ENVOI_NON_VALIDABLE,
        )
    gabarit_valider(sujet=sujet, corps=corps)
    relances = relances_valides(envoi, jour)
    if not relances:
        raise ApplicationError(
            _("Plus rien à relancer : factures réglées, en pause ou échues pour un préventif."),
            code=error_codes.RIEN_A_RELANCER,
        )
    envoi_rendre(envoi, relances, jour, modele=ModeleMessage(langue=envoi.langue, sujet=sujet, corps=corps))
    evenement_record(
        client=envoi.client,
        type=TypeEvenementRelance.RELANCE_MODIFIEE,
        message=_("Relance « %(sujet)s » modifiée avant validation") % {"sujet": envoi.sujet},
        auteur=auteur,
        donnees={"envoi_id": envoi.pk},
    )
    return envoi
