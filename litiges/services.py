"""Opening and settling disputes. Opening pauses dunning on the disputed invoices only;
settling lifts those pauses (the next planning takes the invoices again)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.events import evenement_record
from clients.models import Client
from factures.models import STATUTS_OUVERTS, Facture
from litiges.events import TypeEvenementLitige
from litiges.models import STATUTS_LITIGE_ACTIFS, LigneLitige, Litige, StatutLitige
from recouvrement.core.errors import ApplicationError
from recouvrement.core.formats import montant_texte
from recouvrement.tenancy.models import Membre
from relances.models import MotifPause
from relances.services.pauses import pause_create, pauses_lever_par_origine


@transaction.atomic
def litige_ouvrir(
    *,
    client: Client,
    factures: list[tuple[Facture, Decimal | None]],
    type: str,
    description: str,
    auteur: Any,
    souleve_par: str = "",
    responsable: Membre | None = None,
    echeance: datetime.date | None = None,
) -> Litige:
    """Open a dispute on invoices of ``client`` (a ``None`` amount disputes the whole balance due)."""
    if not factures:
        raise ApplicationError(_("Choisissez au moins une facture contestée."), code="sans_facture", field="factures")
    litige = Litige(
        client=client,
        type=type,
        description=description.strip(),
        souleve_par=souleve_par,
        responsable=responsable,
        echeance=echeance,
        ouvert_par=auteur if getattr(auteur, "is_authenticated", False) else None,
    )
    litige.full_clean()
    litige.save()
    lignes = []
    for facture, montant_saisi in factures:
        if facture.client_id != client.pk or facture.statut not in STATUTS_OUVERTS:
            raise ApplicationError(
                _("La facture %(numero)s n'est pas une facture ouverte de ce client.") % {"numero": facture.numero},
                code="facture_invalide",
                field="factures",
            )
        montant = facture.reste_du if montant_saisi is None else montant_saisi
        if montant <= 0 or montant > facture.reste_du:
            raise ApplicationError(
                _("Le montant contesté de %(numero)s doit être entre 0 et son reste dû (%(reste)s).")
                % {"numero": facture.numero, "reste": montant_texte(facture.reste_du, facture.devise)},
                code="montant_invalide",
                field="factures",
            )
        lignes.append(LigneLitige(litige=litige, facture=facture, montant=montant))
        pause_create(
            motif=MotifPause.LITIGE,
            facture=facture,
            origine=f"litige:{litige.pk}",
            commentaire=description[:500],
            auteur=auteur,
        )
    LigneLitige.objects.bulk_create(lignes)
    evenement_record(
        client=client,
        type=TypeEvenementLitige.LITIGE_OUVERT,
        message=_("Litige ouvert (%(type)s) sur %(numeros)s")
        % {"type": litige.get_type_display(), "numeros": ", ".join(f.numero for f, _m in factures)},
        auteur=auteur,
        donnees={"litige_id": litige.pk},
    )
    return litige


@transaction.atomic
def litige_statut_changer(*, litige: Litige, statut: str, auteur: Any, resolution: str = "") -> Litige:
    """Move a dispute on; once it is no longer active, dunning resumes on its invoices."""
    litige = Litige.objects.select_for_update().get(pk=litige.pk)
    if statut not in StatutLitige.values:
        raise ApplicationError(_("Statut inconnu."), code="statut_inconnu", field="statut")
    litige.statut = statut
    if resolution:
        litige.resolution = resolution
    if statut not in STATUTS_LITIGE_ACTIFS and litige.resolu_le is None:
        litige.resolu_le = timezone.now()
        pauses_lever_par_origine(origine=f"litige:{litige.pk}", auteur=auteur)
    litige.save(update_fields=["statut", "resolution", "resolu_le"])
    evenement_record(
        client=litige.client,
        type=TypeEvenementLitige.LITIGE_STATUT,
        message=_("Litige « %(type)s » : %(statut)s")
        % {"type": litige.get_type_display(), "statut": litige.get_statut_display()},
        auteur=auteur,
        donnees={"litige_id": litige.pk, "statut": statut},
    )
    return litige
