"""Invoice and payment pages: list, detail with allocations, entry forms."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from clients.liste import liens_de_tri
from clients.selectors import client_queryset, evenement_list
from factures import selectors, services
from factures.filtres import ActionMasse, ActionMasseForm, FactureFiltreForm, facture_filtrer, facture_page
from factures.forms import FactureForm, LettrageForm, PaiementForm
from factures.models import STATUTS_OUVERTS, Facture, Lettrage, Nature
from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.decorators import membre_requis, role_requis
from recouvrement.tenancy.forms import add_error_from
from recouvrement.tenancy.http import MembreRequest
from recouvrement.tenancy.roles import peut_gerer_creances
from relances.forms import PauseForm
from relances.selectors import pause_list, relance_list
from relances.services import masse


def access_facture(request: MembreRequest, facture_id: int) -> Facture:
    """The invoice if the member may see it; 404 alike for missing and not visible."""
    queryset = selectors.facture_queryset(membre=request.membre).select_related("client")
    return get_object_or_404(queryset, pk=facture_id)


def access_lettrage(request: MembreRequest, lettrage_id: int) -> Lettrage:
    factures = selectors.facture_queryset(membre=request.membre)
    return get_object_or_404(Lettrage.objects.filter(facture__in=factures), pk=lettrage_id)


@membre_requis
def facture_liste(request: MembreRequest) -> HttpResponse:
    """Filters, sorts, bulk actions. A fixed number of queries (see ``factures.filtres``)."""
    form = FactureFiltreForm(request.GET, membre=request.membre, organisation=request.organisation)
    filtres = form.filtres()
    aujourd_hui = timezone.localdate()
    page = facture_page(
        membre=request.membre,
        filtres=filtres,
        aujourd_hui=aujourd_hui,
        tranches_=form.tranches,
        numero=request.GET.get("page"),
    )
    parametres = filtres.parametres()
    requete = urlencode(parametres)
    client_filtre = None
    if filtres.client is not None:
        client_filtre = client_queryset(membre=request.membre).filter(pk=filtres.client).first()
    context = {
        "page": page,
        "form": form,
        "filtres": filtres,
        "client_filtre": client_filtre,
        "requete": requete,
        "tri": liens_de_tri(parametres, filtres.tri, COLONNES_TRIABLES),
        "action_form": ActionMasseForm(initial={"filtres": requete}) if peut_gerer_creances(request.membre) else None,
        "aujourd_hui": aujourd_hui,
    }
    return render(request, "factures/liste.html", context)


COLONNES_TRIABLES = {
    "numero": ("numero", "numero"),
    "client": ("client", "client"),
    "echeance": ("echeance", "-echeance"),
    "reste_du": ("-reste_du", "reste_du"),
    "montant_ttc": ("-montant_ttc", "-montant_ttc"),
}


@require_POST
@role_requis(peut_gerer_creances)
def facture_actions(request: MembreRequest) -> HttpResponse:
    """Bulk actions on the checked invoices, or on every invoice of the list's filter."""
    form = ActionMasseForm(request.POST)
    retour = reverse("factures:liste")
    if not form.is_valid():
        erreurs = [str(e) for liste in form.errors.values() for e in liste]
        messages.error(request, " ".join(erreurs))
        filtres_qs = request.POST.get("filtres", "")
        return redirect(f"{retour}?{filtres_qs}" if filtres_qs else retour)
    data = form.cleaned_data
    aujourd_hui = timezone.localdate()
    donnees = QueryDict(data["filtres"])
    filtres_form = FactureFiltreForm(donnees, membre=request.membre, organisation=request.organisation)
    if data["tous"]:
        factures = facture_filtrer(
            membre=request.membre,
            filtres=filtres_form.filtres(),
            aujourd_hui=aujourd_hui,
            tranches_=filtres_form.tranches,
        )
    else:
        # Scoped to the member: ids of another organisation or another rep's clients are dropped here.
        factures = selectors.facture_queryset(membre=request.membre).filter(pk__in=data["ids"])
    if data["action"] == ActionMasse.SUSPENDRE:
        resultat = masse.factures_suspendre(
            factures=factures, auteur=request.user, jusqu_au=data["jusqu_au"], commentaire=data["commentaire"]
        )
        texte = ngettext(
            "Relances suspendues pour %(n)s facture.", "Relances suspendues pour %(n)s factures.", resultat.traitees
        )
    elif data["action"] == ActionMasse.REPRENDRE:
        resultat = masse.factures_reprendre(factures=factures, auteur=request.user)
        texte = ngettext(
            "Relances reprises pour %(n)s facture.", "Relances reprises pour %(n)s factures.", resultat.traitees
        )
    else:
        resultat = masse.factures_imposer_scenario(factures=factures, scenario=data["scenario"], auteur=request.user)
        texte = ngettext(
            "Scénario « %(scenario)s » imposé à %(n)s facture.",
            "Scénario « %(scenario)s » imposé à %(n)s factures.",
            resultat.traitees,
        )
    message = texte % {"n": resultat.traitees, "scenario": getattr(data["scenario"], "nom", "")}
    if resultat.ignorees:
        message += " " + ngettext(
            "%(n)s facture laissée telle quelle (réglée, annulée, ou déjà suspendue).",
            "%(n)s factures laissées telles quelles (réglées, annulées, ou déjà suspendues).",
            resultat.ignorees,
        ) % {"n": resultat.ignorees}
    messages.success(request, message)
    return redirect(f"{retour}?{data['filtres']}" if data["filtres"] else retour)


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
