"""Client pages: the list, the client sheet, client and contact forms, notes."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from clients import selectors, services
from clients.forms import AppelClientForm, ClientForm, ContactForm, NoteForm, PromesseForm
from clients.models import Client, Contact
from factures.filtres import factures_detaillees
from factures.releve import releve_pdf
from factures.selectors import client_situation, encaissements_attendus, facture_list
from litiges.selectors import litige_list
from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.decorators import membre_requis, role_requis
from recouvrement.tenancy.forms import add_error_from
from recouvrement.tenancy.http import MembreRequest
from recouvrement.tenancy.roles import peut_ecrire, peut_gerer_creances
from relances.forms import EcheancierForm, PauseForm
from relances.selectors import (
    echeancier_list,
    envoi_list,
    pause_list,
    promesse_list,
    scenario_impose,
    tache_list,
)
from relances.services.planification import prochaines_etapes
from relances.services.taches import appel_enregistrer, promesse_create
from risque.selectors import risque_client

FACTURES_PAR_PAGE = 50
MAX_ENVOIS_FICHE = 100


def access_client(request: MembreRequest, client_id: int) -> Client:
    """The client if the member may see it; 404 alike for missing, another
    organisation's, and another commercial's."""
    return get_object_or_404(selectors.client_queryset(membre=request.membre), pk=client_id)


def access_contact(request: MembreRequest, client: Client, contact_id: int) -> Contact:
    return get_object_or_404(Contact.objects.filter(client=client), pk=contact_id)


ONGLETS = {
    "factures": _lazy("Factures"),
    "relances": _lazy("Relances"),
    "contacts": _lazy("Contacts"),
    "litiges": _lazy("Litiges"),
    "echeancier": _lazy("Échéancier"),
    "historique": _lazy("Historique"),
}


def _onglet_contexte(request: MembreRequest, client: Client, onglet: str, aujourd_hui: datetime.date) -> dict[str, Any]:
    """What one tab of the client sheet shows: only that tab's queries run."""
    membre = request.membre
    if onglet == "factures":
        # The page of open invoices first (by due date), then their reminders, pauses and
        # disputes: the cost follows the page, not the client's thousands of invoices.
        ouvertes = facture_list(membre=membre, client=client, ouvertes=True).values_list("pk", flat=True)
        page_ids = Paginator(ouvertes, FACTURES_PAR_PAGE).get_page(request.GET.get("page"))
        ids = list(page_ids.object_list)
        factures = factures_detaillees(membre=membre, ids=ids, aujourd_hui=aujourd_hui)
        return {
            "page": Page(factures, page_ids.number, page_ids.paginator),
            "facture_list": factures,
            "prochaines": prochaines_etapes(client_id=client.pk, jour=aujourd_hui, factures=ids),
        }
    if onglet == "relances":
        return {
            "envoi_list": envoi_list(membre=membre, client=client)[:MAX_ENVOIS_FICHE],
            "tache_list": tache_list(membre=membre, toutes=True, client=client)[:20],
        }
    if onglet == "contacts":
        return {"contact_list": selectors.contact_list(client=client)}
    if onglet == "litiges":
        return {"litige_list": litige_list(client=client)}
    if onglet == "echeancier":
        return {
            "echeancier_list": echeancier_list(client=client),
            "echeancier_form": EcheancierForm(client=client),
            "jeton": uuid.uuid4().hex,  # one e-mail per click of « envoyer au client »
            "promesse_list": promesse_list(client=client),
            "attendus": encaissements_attendus(client=client, aujourd_hui=aujourd_hui),
            "promesse_form": PromesseForm(client=client),
        }
    return {"evenement_list": selectors.evenement_list(client=client, limite=100), "note_form": NoteForm()}


def _fiche(
    request: MembreRequest, client: Client, onglet: str, *, status: int = 200, **formulaires: Any
) -> HttpResponse:
    """Render the client sheet with ``onglet`` open (or only that tab, for HTMX); ``formulaires``
    replace the blank forms (a form sent back with its errors)."""
    aujourd_hui = timezone.localdate()
    context = {
        "client": client,
        "onglet": onglet,
        "onglets": ONGLETS,
        "aujourd_hui": aujourd_hui,
        **_onglet_contexte(request, client, onglet, aujourd_hui),
    }
    if request.htmx and request.htmx.target == "onglets" and not formulaires:
        return render(request, "clients/_onglets.html", context)
    context["situation"] = client_situation(client=client, aujourd_hui=aujourd_hui)
    context["risque"] = risque_client(client=client, situation=context["situation"])
    context["pause_list"] = pause_list(client=client, aujourd_hui=aujourd_hui)
    context["scenario_impose"] = scenario_impose(client=client)
    context["appel_form"] = AppelClientForm(client=client)
    context["pause_form"] = PauseForm()
    context.update(formulaires)
    return render(request, "clients/detail.html", context, status=status)


@membre_requis
def client_detail(request: MembreRequest, client_id: int) -> HttpResponse:
    """The client sheet: its figures and actions, and one tab at a time (``?onglet=``).

    An HTMX request for a tab gets only that tab's content; a plain request
    gets the whole page with that tab open, so every tab has its own address.
    """
    client = access_client(request, client_id)
    onglet = request.GET.get("onglet", "factures")
    return _fiche(request, client, onglet if onglet in ONGLETS else "factures")


@membre_requis
def client_releve(request: MembreRequest, client_id: int) -> HttpResponse:
    """The account statement (relevé de compte) as a PDF: every open piece and the balance."""
    client = access_client(request, client_id)
    aujourd_hui = timezone.localdate()
    pdf = releve_pdf(organisation=request.organisation, client=client, au=aujourd_hui)
    nom = f"releve-{slugify(client.raison_sociale) or client.pk}-{aujourd_hui.isoformat()}.pdf"
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{nom}"'
    return response


@require_POST
@role_requis(peut_ecrire)
def promesse_enregistrer(request: MembreRequest, client_id: int) -> HttpResponse:
    client = access_client(request, client_id)
    form = PromesseForm(request.POST, client=client)
    if form.is_valid():
        try:
            promesse_create(client=client, prise_par=request.membre, auteur=request.user, **form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Promesse de paiement enregistrée : les relances attendent sa date."))
            return redirect(f"{reverse('clients:detail', args=[client.pk])}?onglet=echeancier")
    return _fiche(request, client, "echeancier", status=400, promesse_form=form)


@require_POST
@role_requis(peut_ecrire)
def appel_noter(request: MembreRequest, client_id: int) -> HttpResponse:
    """Log a call from the client sheet; a dispute raised on the phone opens a dispute on that invoice."""
    client = access_client(request, client_id)
    form = AppelClientForm(request.POST, client=client)
    if form.is_valid():
        try:
            appel_enregistrer(client=client, auteur=request.user, membre=request.membre, **form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Appel enregistré."))
            return redirect("clients:detail", client_id=client.pk)
    return _fiche(request, client, "factures", status=400, appel_form=form, appel_ouvert=True)


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
@role_requis(peut_ecrire)
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
    return redirect(f"{reverse('clients:detail', args=[client.pk])}?onglet=historique")
