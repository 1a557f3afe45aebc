from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from recouvrement.core.demarrage import (
    demarrage_etat,
    demarrage_masquer,
    planification_simuler,
    scenarios_marquer_revus,
)
from recouvrement.tenancy.decorators import role_requis
from recouvrement.tenancy.http import MembreRequest
from recouvrement.tenancy.roles import peut_gerer_creances, voit_tous_les_clients


def accueil(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "core/accueil_public.html")
    membre = getattr(request, "membre", None)
    if membre is None:
        return redirect("sans_organisation")
    # Who sees every client lands on the dashboard; a commercial, on his clients.
    return redirect("tableau:index" if voit_tous_les_clients(membre) else "clients:liste")


@role_requis(peut_gerer_creances)
def demarrage(request: MembreRequest) -> HttpResponse:
    """The onboarding checklist, and the planning of today run as a dry run (nothing kept, nothing sent).

    POST ``action``: ``simuler`` (the dry run), ``masquer`` (hide the banner),
    ``scenarios_revus`` (the scenarios step is done).
    """
    simulation = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "simuler":
            simulation = planification_simuler(jour=timezone.localdate())
        elif action == "masquer":
            demarrage_masquer(organisation=request.organisation)
            messages.info(
                request, _("Bandeau de démarrage masqué : la liste reste accessible à l'adresse /demarrage/.")
            )
            suivant = request.POST.get("suivant", "")
            if url_has_allowed_host_and_scheme(suivant, allowed_hosts={request.get_host()}):
                return redirect(suivant)
            return redirect("demarrage")
        elif action == "scenarios_revus":
            scenarios_marquer_revus(organisation=request.organisation)
            return redirect("demarrage")
        else:
            return HttpResponseBadRequest()
    context = {"demarrage": demarrage_etat(organisation=request.organisation), "simulation": simulation}
    return render(request, "core/demarrage.html", context)


@role_requis(peut_gerer_creances)
def demarrage_banniere(request: MembreRequest) -> HttpResponse:
    """The onboarding banner, loaded by HTMX after the page (empty once complete or dismissed)."""
    etat = demarrage_etat(organisation=request.organisation)
    htmx = getattr(request, "htmx", None)  # django-htmx: where the banner is shown, to come back after hiding it
    suivant = (htmx.current_url_abs_path if htmx else None) or ""
    context = {"demarrage": etat if etat.a_afficher else None, "suivant": suivant}
    return render(request, "core/_banniere_demarrage_contenu.html", context)
