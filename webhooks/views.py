"""Webhook pages, in the organisation's settings: the endpoints (admins only: create, change,
new secret, test, delete) and the delivery log (admins, credit managers and finance
directors: they follow the ERP link; « renvoyer » is theirs too, it changes no data)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.decorators import role_requis
from recouvrement.tenancy.forms import add_error_from
from recouvrement.tenancy.http import MembreRequest
from recouvrement.tenancy.roles import peut_administrer, peut_gerer_creances
from webhooks import selectors, services
from webhooks.forms import EndpointForm
from webhooks.models import Endpoint, Livraison, StatutLivraison, TypeEvenement

LIVRAISONS_PAR_PAGE = 50


def access_endpoint(endpoint_id: int) -> Endpoint:
    """404 alike for a missing endpoint and another organisation's (the scope hides it)."""
    return get_object_or_404(Endpoint.objects.all(), pk=endpoint_id)


def access_livraison(livraison_id: int) -> Livraison:
    return get_object_or_404(Livraison.objects.select_related("endpoint"), pk=livraison_id)


def _secret(request: MembreRequest, endpoint: Endpoint, secret: str, *, nouveau: bool) -> HttpResponse:
    """The secret, shown in this response only (never stored in clear, never in a redirect)."""
    reponse = render(request, "webhooks/secret.html", {"endpoint": endpoint, "secret": secret, "nouveau": nouveau})
    reponse["Cache-Control"] = "no-store"
    return reponse


@role_requis(peut_administrer)
def webhook_liste(request: MembreRequest) -> HttpResponse:
    return render(
        request,
        "webhooks/liste.html",
        {
            "endpoint_list": selectors.endpoint_list(),
            "delais": services.delais(),
            "tentatives_max": services.tentatives_max(),
            "timeout": settings.WEBHOOKS_TIMEOUT_SECONDES,
        },
    )


@role_requis(peut_administrer)
def webhook_creer(request: MembreRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.endpoint_create(**form.cleaned_data)
        except ApplicationError as error:
            add_error_from(form, error)
        else:
            return _secret(request, endpoint, secret, nouveau=True)
    return render(request, "webhooks/formulaire.html", {"form": form, "endpoint": None})


@role_requis(peut_administrer)
def webhook_modifier(request: MembreRequest, endpoint_id: int) -> HttpResponse:
    endpoint = access_endpoint(endpoint_id)
    initial = {"url": endpoint.url, "description": endpoint.description, "evenements": endpoint.evenements}
    form = EndpointForm(request.POST or None, initial={**initial, "actif": endpoint.actif})
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(endpoint=endpoint, **form.cleaned_data)
        except ApplicationError as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Webhook enregistré."))
            return redirect("webhooks:liste")
    return render(request, "webhooks/formulaire.html", {"form": form, "endpoint": endpoint})


@require_POST
@role_requis(peut_administrer)
def webhook_secret(request: MembreRequest, endpoint_id: int) -> HttpResponse:
    endpoint = access_endpoint(endpoint_id)
    return _secret(request, endpoint, services.endpoint_secret_regenerer(endpoint=endpoint), nouveau=False)


@require_POST
@role_requis(peut_administrer)
def webhook_tester(request: MembreRequest, endpoint_id: int) -> HttpResponse:
    livraison = services.endpoint_tester(endpoint=access_endpoint(endpoint_id))
    messages.info(request, _("Événement de test envoyé : son résultat s'affiche ici dans quelques secondes."))
    return redirect("webhooks:livraison", livraison_id=livraison.pk)


@require_POST
@role_requis(peut_administrer)
def webhook_supprimer(request: MembreRequest, endpoint_id: int) -> HttpResponse:
    """Deletes only with the form's confirmation field (a bare POST changes nothing)."""
    endpoint = access_endpoint(endpoint_id)
    if request.POST.get("confirmer") != "oui":
        return redirect("webhooks:modifier", endpoint_id=endpoint.pk)
    services.endpoint_delete(endpoint=endpoint)
    messages.success(request, _("Webhook supprimé, avec son journal de livraisons."))
    return redirect("webhooks:liste")


@role_requis(peut_gerer_creances)
def livraison_liste(request: MembreRequest) -> HttpResponse:
    """The delivery log, latest first, filtered by endpoint, status and event (50 a page)."""
    endpoints = list(Endpoint.objects.order_by("created_at", "pk").only("pk", "url", "description"))
    try:
        endpoint_id: int | None = int(request.GET.get("webhook", ""))
    except ValueError:
        endpoint_id = None
    statut = request.GET.get("statut", "")
    type = request.GET.get("evenement", "")
    livraisons = selectors.livraison_list(endpoint_id=endpoint_id, statut=statut, type=type)
    page = Paginator(livraisons, LIVRAISONS_PAR_PAGE).get_page(request.GET.get("page"))
    contexte = {
        "page": page,
        "livraison_list": page.object_list,
        "endpoint_list": endpoints,
        "filtre_webhook": endpoint_id,
        "filtre_statut": statut,
        "filtre_evenement": type,
        "statuts": StatutLivraison.choices,
        "evenements": TypeEvenement.choices,
    }
    gabarit = "webhooks/_livraisons.html" if request.htmx else "webhooks/journal.html"
    return render(request, gabarit, contexte)


@role_requis(peut_gerer_creances)
def livraison_detail(request: MembreRequest, livraison_id: int) -> HttpResponse:
    """A delivery's body and each attempt; polled (HTMX) while an attempt is due or running."""
    livraison = access_livraison(livraison_id)
    contexte = {
        "livraison": livraison,
        "corps": services.corps_lisible(livraison),
        "tentative_list": selectors.tentative_list(livraison=livraison),
        "a_suivre": livraison.statut == StatutLivraison.EN_COURS
        or (livraison.statut == StatutLivraison.EN_ATTENTE and livraison.tentatives == 0),
    }
    gabarit = "webhooks/_livraison.html" if request.htmx else "webhooks/livraison.html"
    return render(request, gabarit, contexte)


@require_POST
@role_requis(peut_gerer_creances)
def livraison_renvoyer(request: MembreRequest, livraison_id: int) -> HttpResponse:
    livraison = access_livraison(livraison_id)
    try:
        services.livraison_renvoyer(livraison=livraison)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.info(request, _("Livraison renvoyée."))
    return redirect("webhooks:livraison", livraison_id=livraison.pk)
