"""Import pages: upload a file, map its columns, preview, commit, follow the job, download
the report. Only members who manage receivables; a job of another organisation is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from imports import selectors, services
from imports.forms import CorrespondanceForm, DepotForm
from imports.models import Import, ModeleCorrespondance, StatutImport
from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.decorators import role_requis
from recouvrement.tenancy.forms import add_error_from
from recouvrement.tenancy.http import MembreRequest
from recouvrement.tenancy.roles import peut_gerer_creances

# The report shown on the page; the CSV download has every line.
ERREURS_AFFICHEES = 200


def access_import(request: MembreRequest, import_id: int) -> Import:
    """The organisation's import (the scoped manager: another organisation's is a 404 alike)."""
    return get_object_or_404(Import.objects.select_related("demande_par__user", "modele"), pk=import_id)


@role_requis(peut_gerer_creances)
def import_liste(request: MembreRequest) -> HttpResponse:
    """The upload form, the saved presets and the last imports."""
    form = DepotForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            import_ = services.import_deposer(
                membre=request.membre,
                type=form.cleaned_data["type"],
                fichier=form.cleaned_data["fichier"],
                modele=form.cleaned_data["modele"],
            )
        except ApplicationError as error:
            add_error_from(form, error)
        else:
            return redirect("imports:correspondance", import_id=import_.pk)
    contexte = {
        "form": form,
        "import_list": selectors.import_list(),
        "modele_list": selectors.modele_list(),
        "taille_max_mo": services.taille_max() // (1024 * 1024),
    }
    return render(request, "imports/liste.html", contexte, status=400 if form.errors else 200)


@role_requis(peut_gerer_creances)
def import_correspondance(request: MembreRequest, import_id: int) -> HttpResponse:
    """Map each column to a field (proposed from the preset or the headers), optionally save it."""
    import_ = access_import(request, import_id)
    if import_.statut != StatutImport.BROUILLON:
        return redirect("imports:suivi", import_id=import_.pk)
    form = CorrespondanceForm(request.POST or None, import_=import_)
    if request.method == "POST" and form.is_valid():
        try:
            services.import_correspondance_enregistrer(
                import_=import_,
                correspondance=form.correspondance(),
                modele_nom=form.cleaned_data["modele_nom"],
                par_defaut=form.cleaned_data["par_defaut"],
            )
        except ApplicationError as error:
            add_error_from(form, error)
        else:
            return redirect("imports:apercu", import_id=import_.pk)
    return render(
        request,
        "imports/correspondance.html",
        {"import": import_, "form": form},
        status=400 if form.errors else 200,
    )


@role_requis(peut_gerer_creances)
def import_apercu(request: MembreRequest, import_id: int) -> HttpResponse:
    """The first lines as they will be imported, and the button that commits the file."""
    import_ = access_import(request, import_id)
    if import_.statut != StatutImport.BROUILLON:
        return redirect("imports:suivi", import_id=import_.pk)
    contexte = {
        "import": import_,
        "lignes": selectors.import_apercu(import_=import_),
        "synchrone": import_.total <= services.seuil_synchrone(),
    }
    return render(request, "imports/apercu.html", contexte)


@require_POST
@role_requis(peut_gerer_creances)
def import_lancer(request: MembreRequest, import_id: int) -> HttpResponse:
    import_ = access_import(request, import_id)
    try:
        import_ = services.import_lancer(import_=import_)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("imports:correspondance", import_id=import_.pk)
    if not import_.est_fini:
        messages.info(
            request,
            _("%(n)s lignes : l'import se fait en arrière-plan, vous pouvez continuer à travailler.")
            % {"n": import_.total},
        )
    return redirect("imports:suivi", import_id=import_.pk)


@role_requis(peut_gerer_creances)
def import_suivi(request: MembreRequest, import_id: int) -> HttpResponse:
    import_ = access_import(request, import_id)
    if import_.statut == StatutImport.BROUILLON:
        return redirect("imports:correspondance", import_id=import_.pk)
    return render(
        request,
        "imports/suivi.html",
        {"import": import_, "erreurs": import_.erreurs[:ERREURS_AFFICHEES], "erreurs_max": ERREURS_AFFICHEES},
    )


@role_requis(peut_gerer_creances)
def import_progression(request: MembreRequest, import_id: int) -> HttpResponse:
    """The progress fragment polled by the page (HTMX, every second until the job ends)."""
    import_ = get_object_or_404(Import.objects.defer("erreurs", "entetes", "correspondance"), pk=import_id)
    reponse = render(request, "imports/_progression.html", {"import": import_})
    if import_.est_fini and request.headers.get("HX-Request"):
        reponse["HX-Refresh"] = "true"  # the whole page again, with the report
    return reponse


@role_requis(peut_gerer_creances)
def import_rapport(request: MembreRequest, import_id: int) -> HttpResponse:
    """The report as a CSV for Excel: one line per problem, formulas neutralised."""
    import_ = access_import(request, import_id)
    reponse = HttpResponse(
        "\ufeff" + selectors.import_rapport_csv(import_=import_), content_type="text/csv; charset=utf-8"
    )
    reponse["Content-Disposition"] = f'attachment; filename="rapport-import-{import_.pk}.csv"'
    return reponse


@role_requis(peut_gerer_creances)
def import_exemple(request: MembreRequest, type: str) -> HttpResponse:
    """A sample file built on the organisation's clients, to try an import with."""
    if type not in ("factures", "clients"):
        raise Http404
    contenu = selectors.exemple_csv(type=type, jour=timezone.localdate())
    reponse = HttpResponse("\ufeff" + contenu, content_type="text/csv; charset=utf-8")
    reponse["Content-Disposition"] = f'attachment; filename="exemple-{type}.csv"'
    return reponse


@require_POST
@role_requis(peut_gerer_creances)
def modele_supprimer(request: MembreRequest, modele_id: int) -> HttpResponse:
    modele = get_object_or_404(ModeleCorrespondance, pk=modele_id)
    services.modele_supprimer(modele=modele)
    messages.success(request, _("Modèle supprimé."))
    return redirect("imports:liste")
