"""Pauses: what stops dunning for an invoice or a client, and resuming it.

The planning reads only the ``Pause`` table: disputes, payment plans,
promises and manual holds all go through these two functions.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.events import evenement_record
from clients.models import Client
from factures.models import Facture
from recouvrement.core.errors import ApplicationError
from relances import error_codes
from relances.events import TypeEvenementRelance
from relances.models import Envoi, MotifPause, Pause, Relance, StatutEnvoi, StatutRelance


@transaction.atomic
def pause_create(
    *,
    motif: str,
    facture: Facture | None = None,
    client: Client | None = None,
    jusqu_au: datetime.date | None = None,
    commentaire: str = "",
    origine: str = "",
    auteur: Any = None,
) -> Pause:
    """Stop dunning ``facture`` or the whole ``client``; reminders not yet sent are withdrawn."""
    if (facture is None) == (client is None):
        raise ApplicationError(_("Une pause vise une facture ou un client."), code="cible_pause", field="facture")
    pause = Pause(
        facture=facture,
        client=client,
        motif=motif,
        jusqu_au=jusqu_au,
        commentaire=commentaire,
        origine=origine,
        cree_par=auteur if getattr(auteur, "is_authenticated", False) else None,
    )
    pause.full_clean()
    pause.save()
    relances_en_attente_retirer(cible=Q(facture=facture) if facture is not None else Q(client=client))
    cible = facture.client if facture is not None else client
    assert cible is not None
    quoi = _("la facture %(numero)s") % {"numero": facture.numero} if facture else _("tout le client")
    jusque = _(" jusqu'au %(date)s") % {"date": jusqu_au.strftime("%d/%m/%Y")} if jusqu_au else ""
    evenement_record(
        client=cible,
        facture_id=facture.pk if facture else None,
        type=TypeEvenementRelance.PAUSE,
        message=_("Relances suspendues pour %(quoi)s%(jusque)s : %(motif)s")
        % {"quoi": quoi, "jusque": jusque, "motif": MotifPause(motif).label},
        auteur=auteur,
        donnees={"pause_id": pause.pk, "motif": motif, "origine": origine},
    )
    return pause


@transaction.atomic
def pause_lever(*, pause: Pause, auteur: Any = None, a_la_main: bool = False) -> Pause:
    """Resume dunning: the next planning takes the invoice again, at its latest due step.

    ``a_la_main``: a member asked for it, which only ``Pause.levable_a_la_main`` pauses allow
    (a dispute's pause ends when the dispute is settled, not before).
    """
    pause = Pause.objects.select_for_update().get(pk=pause.pk)
    if pause.levee_le is not None:
        raise ApplicationError(_("Cette pause est déjà levée."), code=error_codes.PAUSE_DEJA_LEVEE)
    if a_la_main and not pause.levable_a_la_main:
        raise ApplicationError(
            _("Cette pause prendra fin avec ce qui l'a créée (%(motif)s).") % {"motif": pause.get_motif_display()},
            code=error_codes.PAUSE_NON_LEVABLE,
        )
    pause.levee_le = timezone.now()
    pause.levee_par = auteur if getattr(auteur, "is_authenticated", False) else None
    pause.save(update_fields=["levee_le", "levee_par"])
    cible = pause.facture.client if pause.facture is not None else pause.client
    assert cible is not None
    evenement_record(
        client=cible,
        facture_id=pause.facture_id,
        type=TypeEvenementRelance.REPRISE,
        message=_("Relances reprises (%(motif)s)") % {"motif": pause.get_motif_display()},
        auteur=auteur,
        donnees={"pause_id": pause.pk},
    )
    return pause


def pauses_factures_create(
    *, motif: str, factures: list[Facture], origine: str, commentaire: str = "", auteur: Any = None
) -> list[Pause]:
    """Pause many invoices at once (a payment plan's): the pauses in one INSERT, their pending
    reminders withdrawn in one pass. The caller records one event for the whole set."""
    pauses = Pause.objects.bulk_create(
        [
            Pause(
                facture=facture,
                motif=motif,
                origine=origine,
                commentaire=commentaire[:500],
                cree_par=auteur if getattr(auteur, "is_authenticated", False) else None,
            )
            for facture in factures
        ]
    )
    relances_en_attente_retirer(cible=Q(facture_id__in=[f.pk for f in factures]))
    return pauses


def pauses_lever_en_masse(*, origine: str, auteur: Any = None) -> int:
    """Lift every active pause of ``origine`` in one UPDATE (the caller records one event);
    the next planning takes the invoices again at their latest due step."""
    return Pause.objects.filter(origine=origine, levee_le__isnull=True).update(
        levee_le=timezone.now(), levee_par=auteur if getattr(auteur, "is_authenticated", False) else None
    )


def pauses_lever_par_origine(*, origine: str, auteur: Any = None) -> int:
    """Lift every active pause created by ``origine`` (e.g. « litige:12 » when the dispute is resolved)."""
    pauses = list(Pause.objects.filter(origine=origine, levee_le__isnull=True))
    for pause in pauses:
        pause_lever(pause=pause, auteur=auteur)
    return len(pauses)


def relances_en_attente_retirer(*, cible: Q) -> None:
    """Withdraw the reminders of ``cible`` (a filter on ``Relance``: the paused invoices or
    client) from grouped sends that have not gone yet.

    Set-based, whatever the number of invoices (three statements): the reminders are
    cancelled in one UPDATE; a grouped send left with nothing to say is cancelled too
    (the others go on for their other invoices).
    """
    pas_parti = Q(envoi__isnull=True) | Q(envoi__statut__in=(StatutEnvoi.A_VALIDER, StatutEnvoi.PRET))
    relances = Relance.objects.filter(pas_parti, cible, statut=StatutRelance.PLANIFIEE)
    envoi_ids = set(relances.exclude(envoi=None).values_list("envoi_id", flat=True))
    relances.update(statut=StatutRelance.ANNULEE)
    if envoi_ids:
        Envoi.objects.filter(pk__in=envoi_ids, statut__in=(StatutEnvoi.A_VALIDER, StatutEnvoi.PRET)).exclude(
            Exists(Relance.objects.filter(envoi=OuterRef("pk"), statut=StatutRelance.PLANIFIEE))
        ).update(statut=StatutEnvoi.ANNULE)
