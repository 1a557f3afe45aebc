"""The account statement (relevé de compte) of a client, as a PDF.

Every open piece of the client on the day — invoices with what is paid and
what remains, days late, unused credit notes and unallocated payments — and
the balance: what is due, of which overdue, less the credits. Laid out like
the dunning letters (``templates/pdf/releve.html``, the same styles), rendered
offline by WeasyPrint, in the client's language. Three queries.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.text import Truncator

from clients.models import Client
from factures.models import STATUTS_OUVERTS, Facture, Nature, Paiement, SupportPaiement
from recouvrement.core.formats import iban_lisible
from recouvrement.tenancy.models import Organisation
from relances.courriers import (
    LONGUEUR_EXTRAIT_CLAUSE,
    date_longue,
    document_pdf,
    facture_pour_courrier,
    logo_data_uri,
)

TEMPLATE = "pdf/releve.html"
ZERO = Decimal("0.00")


def releve_html(*, organisation: Organisation, client: Client, au: datetime.date) -> str:
    """The statement as HTML for WeasyPrint (see the module docstring)."""
    pieces = list(
        Facture.objects.filter(client=client, statut__in=STATUTS_OUVERTS)
        .exclude(reste_du=0)
        .order_by("date_echeance", "numero", "pk")
    )
    paiements = list(Paiement.objects.filter(client=client, montant_non_affecte__gt=0).order_by("date_paiement", "pk"))
    factures: list[dict[str, Any]] = []
    avoirs: list[dict[str, Any]] = []
    du = echu = credits = ZERO
    affactureurs: set[str] = set()
    for piece in pieces:
        ligne = {
            **facture_pour_courrier(piece, au=au),
            "regle": piece.montant_ttc - piece.reste_du,
            "affactureur": piece.affactureur if piece.support_paiement == SupportPaiement.AFFACTURAGE else "",
        }
        if piece.nature == Nature.AVOIR:
            avoirs.append(ligne)
            credits += piece.reste_du
        else:
            factures.append(ligne)
            du += piece.reste_du
            if piece.date_echeance < au:
                echu += piece.reste_du
            if ligne["affactureur"]:
                affactureurs.add(ligne["affactureur"])
    non_affectes = sum((p.montant_non_affecte for p in paiements), ZERO)
    contexte = {
        "organisation": organisation,
        "logo": logo_data_uri(organisation),
        "client": client,
        "au": au,
        "date_longue": date_longue(au),
        "factures": factures,
        "avoirs": avoirs,
        "paiements": paiements,
        "total_du": du,
        "total_echu": echu,
        "total_credits": credits + non_affectes,
        "solde": du - credits - non_affectes,
        "affactureurs": sorted(affactureurs),
        "iban": iban_lisible(organisation.iban),
        "clause_penalites": Truncator(organisation.clause_penalites).chars(LONGUEUR_EXTRAIT_CLAUSE),
    }
    return render_to_string(TEMPLATE, contexte)


def releve_pdf(*, organisation: Organisation, client: Client, au: datetime.date) -> bytes:
    """The statement as PDF, in the client's language."""
    with translation.override(client.langue or organisation.langue or "fr"):
        html = releve_html(organisation=organisation, client=client, au=au)
    return document_pdf(html)
