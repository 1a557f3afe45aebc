"""The clients list page ("Mes clients" for a commercial): filters, sorts, balances, exports."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from clients.filtres import TRIS, ClientFiltreForm, client_page
from recouvrement.tenancy.decorators import membre_requis
from recouvrement.tenancy.http import MembreRequest

# Sortable columns: the first click sorts this way, the second the other way.
COLONNES_TRIABLES = {
    "raison_sociale": ("raison_sociale", "-raison_sociale"),
    "encours": ("-encours", "encours"),
    "echu": ("-echu", "-echu"),
    "retard": ("-retard", "-retard"),
}


def liens_de_tri(
    parametres: dict[str, str], tri: str, colonnes: dict[str, tuple[str, str]]
) -> dict[str, dict[str, str]]:
    """For each sortable column (its first and second sort on click): the link that sorts
    by it with the other filters kept, and its ``aria-sort`` state."""
    liens = {}
    for colonne, (premier, second) in colonnes.items():
        actif = tri in (premier, second)
        suivant = second if tri == premier else premier
        etat = ("descending" if tri.startswith("-") else "ascending") if actif else "none"
        liens[colonne] = {"url": "?" + urlencode({**parametres, "tri": suivant}), "etat": etat}
    return liens


@membre_requis
def client_liste(request: MembreRequest) -> HttpResponse:
    """A fixed number of queries whatever the data (see ``clients.filtres.client_page``)."""
    form = ClientFiltreForm(request.GET, membre=request.membre)
    filtres = form.filtres()
    page = client_page(
        membre=request.membre, filtres=filtres, aujourd_hui=timezone.localdate(), numero=request.GET.get("page")
    )
    parametres = filtres.parametres()
    context = {
        "page": page,
        "form": form,
        "filtres": filtres,
        "tris": TRIS,
        "requete": urlencode(parametres),
        "tri": liens_de_tri(parametres, filtres.tri, COLONNES_TRIABLES),
    }
    return render(request, "clients/liste.html", context)
