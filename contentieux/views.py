"""Litigation pages: escalate from a client sheet or an invoice, the list of dossiers,
a dossier (its claim, history, PDF, transmission and closing). Credit managers,
admins and finance directors only (``peut_gerer_creances``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients.views import access_client
from contentieux import selectors, services
from contentieux.forms import ClotureForm, DossierForm, FiltreDossiersForm, TransmettreForm
from contentieux.models import DossierContentieux
from contentieux.pdf import dossier_pdf
from factures.models import Facture
from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.decorators import role_requis
from recouvrement.tenancy.forms import add_error_from
from recouvrement.tenancy.http import MembreRequest
from recouvrement.tenancy.roles import peut_gerer_creances
from relances.penalites import TauxManquant

DOSSIERS_PAR_PAGE = 50


def access_dossier(dossier_id: int) -> DossierContentieux:
    """The dossier of the active organisation; 404 alike for missing and another's."""
    return get_object_or_404(DossierContentieux.objects.select_related("client", "cree_par"), pk=dossier_id)


@role_requis(peut_gerer_creances)
def dossier_ouvrir(request: MembreRequest, client_id: int) -> HttpResponse:
    """Escalate invoices of a client (``?facture=<id>`` preselects one, else every overdue one)."""
    client = access_client(request, client_id)
    jour = timezone.localdate()
    preselection = request.GET.getlist("facture")
    form = DossierForm(request.POST or None, client=client, jour=jour)
    if not form.is_bound:
        form.initial["factures"] = preselection or [f.pk for f in form.factures_possibles]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dossier = services.dossier_ouvrir(
                client=client,
                factures=list(data["factures"]),
                destination=data["destination"],
                intervenant=data["intervenant"],
                note=data["note"],
                sans_mise_en_demeure_confirme=data["sans_mise_en_demeure"],
                auteur=request.user,
                jour=jour,
            )
        except ApplicationError as error:
            add_error_from(form, error)
        else:
            messages.success(
                request, _("Dossier contentieux ouvert : les relances amiables de ces factures sont arrêtées.")
            )
            return redirect("contentieux:detail", dossier_id=dossier.pk)
    mise_en_demeure = selectors.mise_en_demeure_derniere(
        client=client, facture_ids=[f.pk for f in form.factures_possibles]
    )
    context = {"form": form, "client": client, "mise_en_demeure": mise_en_demeure}
    return render(request, "contentieux/formulaire.html", context)


@role_requis(peut_gerer_creances)
def dossier_ouvrir_facture(request: MembreRequest, facture_id: int) -> HttpResponse:
    """From an invoice page: the escalation form of its client with this invoice checked."""
    facture = get_object_or_404(Facture.objects.only("pk", "client_id"), pk=facture_id)
    client = access_client(request, facture.client_id)
    return redirect(f"{reverse('contentieux:ouvrir', args=[client.pk])}?facture={facture.pk}")


@role_requis(peut_gerer_creances)
def dossier_liste(request: MembreRequest) -> HttpResponse:
    form = FiltreDossiersForm(request.GET or None)
    filtres = form.cleaned_data if form.is_valid() else {}
    dossiers = selectors.dossier_list(
        statut=filtres.get("statut", ""),
        destination=filtres.get("destination", ""),
        recherche=filtres.get("q", ""),
    )
    page = Paginator(dossiers, DOSSIERS_PAR_PAGE).get_page(request.GET.get("page"))
    return render(request, "contentieux/liste.html", {"form": form, "page": page, "dossier_list": page.object_list})


@role_requis(peut_gerer_creances)
def dossier_detail(request: MembreRequest, dossier_id: int) -> HttpResponse:
    dossier = access_dossier(dossier_id)
    erreur_taux = ""
    try:
        contenu = selectors.dossier_contenu(dossier=dossier)
    except TauxManquant as error:
        contenu = None
        erreur_taux = error.message
    context = {
        "dossier": dossier,
        "contenu": contenu,
        "lignes": list(zip(contenu.lignes, contenu.creance.factures, strict=True)) if contenu else [],
        "erreur_taux": erreur_taux,
        "transmettre_form": TransmettreForm(initial={"intervenant": dossier.intervenant}),
        "cloture_form": ClotureForm(),
    }
    return render(request, "contentieux/detail.html", context)


@role_requis(peut_gerer_creances)
def dossier_telecharger(request: MembreRequest, dossier_id: int) -> HttpResponse:
    dossier = access_dossier(dossier_id)
    try:
        contenu = selectors.dossier_contenu(dossier=dossier)
    except TauxManquant as error:
        messages.error(request, error.message)
        return redirect("contentieux:detail", dossier_id=dossier.pk)
    pdf = dossier_pdf(contenu=contenu, organisation=request.organisation)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="contentieux-{dossier.pk}.pdf"'
    return response


@require_POST
@role_requis(peut_gerer_creances)
def dossier_transmettre(request: MembreRequest, dossier_id: int) -> HttpResponse:
    dossier = access_dossier(dossier_id)
    form = TransmettreForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez à qui le dossier est transmis."))
    else:
        try:
            services.dossier_transmettre(dossier=dossier, auteur=request.user, **form.cleaned_data)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Dossier marqué comme transmis."))
    return redirect("contentieux:detail", dossier_id=dossier.pk)


@require_POST
@role_requis(peut_gerer_creances)
def dossier_clore(request: MembreRequest, dossier_id: int) -> HttpResponse:
    dossier = access_dossier(dossier_id)
    form = ClotureForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choisissez l'issue du dossier."))
    else:
        try:
            services.dossier_clore(dossier=dossier, auteur=request.user, **form.cleaned_data)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Dossier clos."))
    return redirect("contentieux:detail", dossier_id=dossier.pk)


@require_POST
@role_requis(peut_gerer_creances)
def dossier_reprendre(request: MembreRequest, dossier_id: int) -> HttpResponse:
    dossier = access_dossier(dossier_id)
    try:
        services.dossier_relances_reprendre(dossier=dossier, auteur=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Les relances amiables reprendront à la prochaine planification."))
    return redirect("contentieux:detail", dossier_id=dossier.pk)
