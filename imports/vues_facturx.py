"""Factur-X import page: drop one or many PDF invoices, see each file's outcome."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from imports.facturx import FICHIERS_MAX, TAILLE_MAX, StatutImport, facturx_importer_lot
from recouvrement.tenancy.decorators import role_requis
from recouvrement.tenancy.http import MembreRequest
from recouvrement.tenancy.roles import peut_gerer_creances


@role_requis(peut_gerer_creances)
def facturx_import(request: MembreRequest) -> HttpResponse:
    """GET: the form. POST: import every file (each on its own), then list the results
    (the results fragment only, for an HTMX post)."""
    contexte: dict = {"taille_max_mo": TAILLE_MAX // 1024 // 1024, "fichiers_max": FICHIERS_MAX}
    if request.method != "POST":
        return render(request, "imports/facturx.html", contexte)
    fichiers = request.FILES.getlist("fichiers")
    erreur = ""
    resultats = []
    if not fichiers:
        erreur = _("Choisissez au moins un fichier PDF.")
    elif len(fichiers) > FICHIERS_MAX:
        erreur = _("Au plus %(n)s fichiers à la fois.") % {"n": FICHIERS_MAX}
    else:
        lus = []
        for fichier in fichiers:
            # Never read more than the limit (plus one byte, to know it is over).
            lus.append((fichier.name or "", fichier.read(TAILLE_MAX + 1)))
        resultats = facturx_importer_lot(organisation=request.organisation, fichiers=lus, auteur=request.user)
    contexte.update(
        {
            "resultats": resultats,
            "erreur": erreur,
            "crees": sum(r.statut == StatutImport.CREEE for r in resultats),
            "mises_a_jour": sum(r.statut == StatutImport.MISE_A_JOUR for r in resultats),
            "refuses": sum(r.refuse for r in resultats),
        }
    )
    if request.headers.get("HX-Request"):
        # HTMX swaps only 2xx answers: the error is shown in the fragment.
        return render(request, "imports/facturx_resultats.html", contexte)
    return render(request, "imports/facturx.html", contexte, status=400 if erreur else 200)
