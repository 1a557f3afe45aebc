"""The credit manager's dashboard: figures of the whole organisation, each linking to the list behind it."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from recouvrement.tenancy.decorators import role_requis
from recouvrement.tenancy.http import MembreRequest
from recouvrement.tenancy.roles import voit_tous_les_clients
from risque.selectors import depassements_plafond
from tableau import graphiques, selectors
from tableau.paralleles import chiffres_organisation


def _url(nom: str, **params: str | int) -> str:
    return f"{reverse(nom)}?{urlencode(params)}" if params else reverse(nom)


# Organisation-wide figures: for the members who see every client (not a
# commercial, who is sent to his clients instead: see core.views.accueil).
@role_requis(voit_tous_les_clients)
def tableau_de_bord(request: MembreRequest) -> HttpResponse:
    aujourd_hui = timezone.localdate()
    organisation = request.organisation
    synthese, dso = chiffres_organisation(organisation=organisation, aujourd_hui=aujourd_hui)
    balance = graphiques.barres(
        [
            (
                ligne.tranche.label,
                ligne.montant,
                _url("factures:liste", statut="impayees", tranche=ligne.tranche.key),
            )
            for ligne in synthese.balance
        ]
    )
    courbe_dso = graphiques.courbe(
        [
            (formats.date_format(point.jour, "M y") if point.fin_de_mois else _("auj."), point.dso)
            for point in dso.points
        ]
    )
    context = {
        "aujourd_hui": aujourd_hui,
        "synthese": synthese,
        "dso": dso,
        "graphique_balance": balance,
        "graphique_dso": courbe_dso,
        "actions": selectors.actions_du_jour(aujourd_hui=aujourd_hui),
        "litiges": selectors.litiges_ouverts(),
        "plafonds": depassements_plafond(limite=selectors.APERCU),
        "fenetre_jours": selectors.FENETRE_JOURS,
    }
    return render(request, "tableau/index.html", context)
