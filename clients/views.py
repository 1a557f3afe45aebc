"""Client pages: the list, the client sheet, client and contact forms, notes."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients import selectors, services
from clients.forms import ClientForm, ContactForm, NoteForm
from clients.models import Client, Contact
from factures.selectors import client_situation, clients_avec_encours_liste, facture_list
from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.decorators import membre_requis, role_requis
from recouvrement.tenancy.forms import add_error_from
from recouvrement.tenancy.http import MembreRequest
from recouvrement.tenancy.roles import peut_gerer_creances
from relances.forms import AppelForm, PauseForm
from relances.selectors import envoi_list, factures_avec_derniere_relance, pause_list, tache_list

PAR_PAGE = 50


def access_client(request: MembreRequest, client_id: int) -> Client:
    """The client if the member may see it; 404 alike for missing, another
    organisation's, and another commercial's."""
    return get_object_or_404(selectors.client_queryset(membre=request.membre), pk=client_id)


def access_contact(request: MembreRequest, client: Client, contact_id: int) -> Contact:
    return get_object_or_404(Contact.objects.filter(client=client), pk=contact_id)


@membre_requis
def client_liste(request: MembreRequest) -> HttpResponse:
    recherche = request.GET.get("q", "")
    page = Paginator(selectors.client_list(membre=request.membre, recherche=recherche), PAR_PAGE).get_page(
        request.GET.get("page")
    )
    # The balances are computed for the page's clients only, not for every row before it.
    page.object_list = clients_avec_encours_liste(list(page.object_list), aujourd_hui=timezone.localdate())
    return render(request, "clients/liste.html", {"page": page, "recherche": recherche})


@membre_requis
def client_detail(request: MembreRequest, client_id: int) -> HttpResponse:
    client = access_client(request, client_id)
    aujourd_hui = timezone.localdate()
    factures = factures_avec_derniere_relance(facture_list(membre=request.membre, client=client, ouvertes=True))
    context = {
        "client": client,
        "situation": client_situation(client=client, aujourd_hui=aujourd_hui),
        "contact_list": selectors.contact_list(client=client),
        "facture_list": factures[:200],
        "evenement_list": selectors.evenement_list(client=client, limite=50),
        "envoi_list": envoi_list(membre=request.membre, client=client)[:20],
        "tache_list": tache_list(membre=request.membre, toutes=True, client=client)[:20],
        "pause_list": pause_list(client=client, aujourd_hui=aujourd_hui),
        "note_form": NoteForm(),
        "appel_form": AppelForm(),
        "pause_form": PauseForm(),
        "aujourd_hui": aujourd_hui,
    }
    return render(request, "clients/detail.html", context)


@role_requis(peut_gerer_creances)
def client_creer(request: MembreRequest) -> HttpResponse:
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client = services.client_create(auteur=request.user, **form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Client créé."))
            return redirect("clients:detail", client_id=client.pk)
    return render(request, "clients/formulaire.html", {"form": form})


@role_requis(peut_gerer_creances)
def client_modifier(request: MembreRequest, client_id: int) -> HttpResponse:
    form = ClientForm(request.POST or None, instance=access_client(request, client_id))
    if request.method == "POST" and form.is_valid():
        try:
            client = services.client_update(
                client=access_client(request, client_id), auteur=request.user, **form.cleaned_data
            )
        except (ApplicationError, ValidationError) as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Client enregistré."))
            return redirect("clients:detail", client_id=client.pk)
    return render(request, "clients/formulaire.html", {"form": form, "client": form.instance})


@role_requis(peut_gerer_creances)
def contact_creer(request: MembreRequest, client_id: int) -> HttpResponse:
    client = access_client(request, client_id)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_create(client=client, auteur=request.user, **form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Contact ajouté."))
            return redirect("clients:detail", client_id=client.pk)
    return render(request, "clients/contact_formulaire.html", {"form": form, "client": client})


@role_requis(peut_gerer_creances)
def contact_modifier(request: MembreRequest, client_id: int, contact_id: int) -> HttpResponse:
    client = access_client(request, client_id)
    form = ContactForm(request.POST or None, instance=access_contact(request, client, contact_id))
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(
                contact=access_contact(request, client, contact_id), auteur=request.user, **form.cleaned_data
            )
        except (ApplicationError, ValidationError) as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Contact enregistré."))
            return redirect("clients:detail", client_id=client.pk)
    return render(request, "clients/contact_formulaire.html", {"form": form, "client": client})


@require_POST
@membre_requis
def note_ajouter(request: MembreRequest, client_id: int) -> HttpResponse:
    client = access_client(request, client_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.note_add(client=client, auteur=request.user, texte=form.cleaned_data["texte"])
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Note ajoutée."))
    else:
        messages.error(request, _("La note est vide ou trop longue."))
    return redirect("clients:detail", client_id=client.pk)
