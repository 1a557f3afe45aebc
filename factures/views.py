"""Invoice and payment pages: list, detail with allocations, entry forms."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients.selectors import client_queryset, evenement_list
from factures import selectors, services
from factures.forms import FactureForm, LettrageForm, PaiementForm
from factures.models import STATUTS_OUVERTS, Facture, Lettrage, Nature, Statut
from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.decorators import membre_requis, role_requis
from recouvrement.tenancy.forms import add_error_from
from recouvrement.tenancy.http import MembreRequest
from recouvrement.tenancy.roles import peut_gerer_creances
from relances.forms import PauseForm
from relances.selectors import pause_list, relance_list

PAR_PAGE = 50


def access_facture(request: MembreRequest, facture_id: int) -> Facture:
    """The invoice if the member may see it; 404 alike for missing and not visible."""
    queryset = selectors.facture_queryset(membre=request.membre).select_related("client")
    return get_object_or_404(queryset, pk=facture_id)


def access_lettrage(request: MembreRequest, lettrage_id: int) -> Lettrage:
    factures = selectors.facture_queryset(membre=request.membre)
    return get_object_or_404(Lettrage.objects.filter(facture__in=factures), pk=lettrage_id)


@membre_requis
def facture_liste(request: MembreRequest) -> HttpResponse:
    statut = request.GET.get("statut", "")
    if statut not in Statut.values:
        statut = ""
    recherche = request.GET.get("q", "")
    queryset = selectors.facture_list(membre=request.membre, statut=statut, recherche=recherche)
    page = Paginator(queryset, PAR_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "statut": statut,
        "recherche": recherche,
        "statuts": Statut.choices,
        "aujourd_hui": timezone.localdate(),
    }
    return render(request, "factures/liste.html", context)


def _lettrage_form(request: MembreRequest, facture: Facture) -> LettrageForm:
    paiements = facture.client.paiements.filter(montant_non_affecte__gt=0, devise=facture.devise).order_by(
        "date_paiement", "pk"
    )
    avoirs = facture.client.factures.filter(nature=Nature.AVOIR, statut__in=STATUTS_OUVERTS).order_by("pk")
    return LettrageForm(
        request.POST if request.method == "POST" else None,
        facture=facture,
        paiements=list(paiements),
        avoirs=list(avoirs),
    )


@membre_requis
def facture_detail(request: MembreRequest, facture_id: int) -> HttpResponse:
    facture = access_facture(request, facture_id)
    aujourd_hui = timezone.localdate()
    context = {
        "facture": facture,
        "lettrage_list": selectors.lettrage_list(facture=facture),
        "evenement_list": evenement_list(client=facture.client, facture_id=facture.pk),
        "lettrage_form": _lettrage_form(request, facture) if facture.est_ouverte else None,
        "relance_list": relance_list(facture=facture),
        "pause_list": pause_list(client=facture.client, aujourd_hui=aujourd_hui).filter(facture=facture),
        "pause_form": PauseForm(),
        "aujourd_hui": aujourd_hui,
    }
    return render(request, "factures/detail.html", context)


@membre_requis
def facture_pdf(request: MembreRequest, facture_id: int) -> FileResponse:
    """The invoice's PDF, only through this access-checked view (media is never served directly)."""
    facture = access_facture(request, facture_id)
    if not facture.pdf:
        raise Http404
    return FileResponse(facture.pdf.open("rb"), content_type="application/pdf", filename=f"{facture.numero}.pdf")


@role_requis(peut_gerer_creances)
def facture_creer(request: MembreRequest) -> HttpResponse:
    clients = client_queryset(membre=request.membre).order_by("raison_sociale")
    initial: dict[str, Any] = {"date_emission": timezone.localdate()}
    if request.GET.get("client", "").isdigit():
        initial["client"] = int(request.GET["client"])
    form = FactureForm(request.POST or None, request.FILES or None, clients=clients, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            facture = services.facture_create(auteur=request.user, **data)
        except (ApplicationError, ValidationError) as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Facture %(numero)s enregistrée.") % {"numero": facture.numero})
            return redirect("factures:detail", facture_id=facture.pk)
    return render(request, "factures/formulaire.html", {"form": form})


@require_POST
@role_requis(peut_gerer_creances)
def facture_annuler(request: MembreRequest, facture_id: int) -> HttpResponse:
    facture = access_facture(request, facture_id)
    try:
        services.facture_annuler(facture=facture, auteur=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Facture annulée."))
    return redirect("factures:detail", facture_id=facture.pk)


@require_POST
@role_requis(peut_gerer_creances)
def lettrage_creer(request: MembreRequest, facture_id: int) -> HttpResponse:
    facture = access_facture(request, facture_id)
    form = _lettrage_form(request, facture)
    if form.is_valid():
        try:
            services.lettrage_create(
                facture=facture,
                montant=form.cleaned_data["montant"],
                auteur=request.user,
                **form.cleaned_data["source"],
            )
        except ApplicationError as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Lettrage enregistré."))
            return redirect("factures:detail", facture_id=facture.pk)
    context = {
        "facture": facture,
        "lettrage_list": selectors.lettrage_list(facture=facture),
        "evenement_list": evenement_list(client=facture.client, facture_id=facture.pk),
        "lettrage_form": form,
        "aujourd_hui": timezone.localdate(),
    }
    return render(request, "factures/detail.html", context, status=400)


@require_POST
@role_requis(peut_gerer_creances)
def lettrage_annuler(request: MembreRequest, lettrage_id: int) -> HttpResponse:
    lettrage = access_lettrage(request, lettrage_id)
    try:
        services.lettrage_annuler(lettrage=lettrage, auteur=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Lettrage annulé."))
    return redirect("factures:detail", facture_id=lettrage.facture_id)


@role_requis(peut_gerer_creances)
def paiement_creer(request: MembreRequest) -> HttpResponse:
    clients = client_queryset(membre=request.membre).order_by("raison_sociale")
    initial: dict[str, Any] = {"date_paiement": timezone.localdate()}
    if request.GET.get("client", "").isdigit():
        initial["client"] = int(request.GET["client"])
    form = PaiementForm(request.POST or None, clients=clients, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            paiement = services.paiement_create(auteur=request.user, **form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Paiement enregistré ; lettrez-le depuis les factures du client."))
            return redirect("clients:detail", client_id=paiement.client_id)
    return render(request, "factures/paiement_formulaire.html", {"form": form})
