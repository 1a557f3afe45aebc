"""The aging balance as a PDF (WeasyPrint, rendered offline like the letters): the
organisation's header, the day, the filters, one line per client and the totals per bucket."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import IO

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from clients.filtres import ClientFiltreForm, FiltresClients
from exports.tables import LigneBalance
from factures.rapports import Tranche
from recouvrement.tenancy.models import Membre, Organisation
from recouvrement.tenancy.roles import voit_tous_les_clients
from relances.courriers import date_longue, document_pdf, logo_data_uri

GABARIT = "exports/balance_agee_pdf.html"


def filtres_lisibles(*, membre: Membre, filtres: FiltresClients) -> list[str]:
    """« Catégorie : Grand compte », … : the list's filters as the page shows them."""
    form = ClientFiltreForm(filtres.parametres(), membre=membre)
    form.is_valid()
    lisibles = []
    for nom, valeur in filtres.parametres().items():
        if nom == "tri" or nom not in form.fields:
            continue
        champ = form.fields[nom]
        choix = {str(k): v for k, v in getattr(champ, "choices", [])}
        lisibles.append(f"{champ.label} : {choix.get(valeur, valeur)}")
    if not voit_tous_les_clients(membre):
        lisibles.insert(0, _("Clients de %(nom)s") % {"nom": membre.user})
    return lisibles


def ecrire_balance_pdf(
    sortie: IO[bytes],
    lignes: Iterable[LigneBalance],
    *,
    organisation: Organisation,
    membre: Membre,
    tranches: Sequence[Tranche],
    jour: datetime.date,
    filtres: FiltresClients,
) -> None:
    """Precondition: inside the organisation's scope. The rows end with the total line."""
    clients: list[LigneBalance] = []
    total: LigneBalance | None = None
    for ligne in lignes:
        if ligne.est_total:
            total = ligne
        else:
            clients.append(ligne)
    html = render_to_string(
        GABARIT,
        {
            "organisation": organisation,
            "logo": logo_data_uri(organisation),
            "jour": jour,
            "jour_long": date_longue(jour),
            "tranches": tranches,
            "lignes": clients,
            "total": total,
            "filtres": filtres_lisibles(membre=membre, filtres=filtres),
        },
    )
    sortie.write(document_pdf(html))
