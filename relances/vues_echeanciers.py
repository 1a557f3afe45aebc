"""Payment plan pages, from the client sheet's « Échéancier » tab: preview of the
schedule, creation, the agreement PDF, sending it to the client, cancelling.

Credit managers, admins and finance directors create, send and cancel
(``peut_gerer_creances``); whoever sees the client sees its plans and their PDF.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients.views import _fiche, access_client
from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.decorators import membre_requis, role_requis
from recouvrement.tenancy.forms import add_error_from
from recouvrement.tenancy.http import MembreRequest
from recouvrement.tenancy.roles import peut_gerer_creances
from relances.forms import EcheancierForm
from relances.models import Echeancier
from relances.selectors import echeancier_queryset
from relances.services import echeanciers as service


def access_echeancier(request: MembreRequest, echeancier_id: int) -> Echeancier:
    """The plan if the member sees its client; 404 alike for missing and not allowed."""
    return get_object_or_404(echeancier_queryset(membre=request.membre), pk=echeancier_id)


def _onglet(client_id: int) -> str:
    return f"{reverse('clients:detail', args=[client_id])}?onglet=echeancier"


def _parametres(form: EcheancierForm) -> dict[str, Any]:
    donnees = form.cleaned_data
    return {
        "nombre": donnees["nombre"],
        "premiere_date": donnees["premiere_date"],
        "frequence": donnees["frequence"],
        "taux_annuel": donnees["taux_annuel"] or None,
    }


@require_POST
@role_requis(peut_gerer_creances)
def echeancier_apercu(request: MembreRequest, client_id: int) -> HttpResponse:
    """The schedule the form would create, to check before confirming (nothing is written).

    HTMX gets the fragment under the form; a plain POST gets it on a page of its own.
    """
    client = access_client(request, client_id)
    form = EcheancierForm(request.POST, client=client)
    contexte: dict[str, Any] = {"client": client, "form": form}
    if form.is_valid():
        factures = sorted(form.cleaned_data["factures"], key=lambda f: (f.date_echeance, f.pk))
        total = sum((f.reste_du for f in factures), Decimal("0.00"))
        try:
            lignes = service.calendrier_calculer(total=total, debut=timezone.localdate(), **_parametres(form))
        except ApplicationError as error:
            add_error_from(form, error)
        else:
            contexte.update(
                factures=factures,
                lignes=lignes,
                total=total,
                interets=sum((ligne.interets for ligne in lignes), Decimal("0.00")),
            )
    gabarit = "relances/_echeancier_apercu.html" if request.htmx else "relances/echeancier_apercu.html"
    return render(request, gabarit, contexte, status=200 if request.htmx or form.is_valid() else 400)


@require_POST
@role_requis(peut_gerer_creances)
def echeancier_creer(request: MembreRequest, client_id: int) -> HttpResponse:
    client = access_client(request, client_id)
    form = EcheancierForm(request.POST, client=client)
    if form.is_valid():
        try:
            echeancier = service.echeancier_create(
                client=client,
                factures=list(form.cleaned_data["factures"]),
                cree_par=request.membre,
                auteur=request.user,
                note=form.cleaned_data["note"],
                **_parametres(form),
            )
        except ApplicationError as error:
            add_error_from(form, error)
        else:
            messages.success(
                request,
                _("%(echeancier)s créé : les relances de ses factures sont suspendues.") % {"echeancier": echeancier},
            )
            return redirect(_onglet(client.pk))
    return _fiche(request, client, "echeancier", status=400, echeancier_form=form)


@membre_requis
def echeancier_pdf(request: MembreRequest, echeancier_id: int) -> HttpResponse:
    """The agreement to have signed, as PDF."""
    echeancier = access_echeancier(request, echeancier_id)
    response = HttpResponse(service.echeancier_pdf(echeancier=echeancier), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="echeancier-{echeancier.pk}.pdf"'
    return response


@require_POST
@role_requis(peut_gerer_creances)
def echeancier_envoyer(request: MembreRequest, echeancier_id: int) -> HttpResponse:
    """E-mail the agreement to the client: once per click (the form's ``jeton``)."""
    from django.db import transaction

    from relances.tasks import message_echeancier_envoyer

    echeancier = access_echeancier(request, echeancier_id)
    try:
        with transaction.atomic():
            message = service.echeancier_envoyer(
                echeancier=echeancier, jeton=request.POST.get("jeton", ""), auteur=request.user
            )
            organisation_id = echeancier.tenant_id
            transaction.on_commit(
                lambda: message_echeancier_envoyer.delay(organisation_id=organisation_id, message_id=message.pk)
            )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("L'échéancier part par e-mail aux contacts comptables du client."))
    return redirect(_onglet(echeancier.client_id))


@require_POST
@role_requis(peut_gerer_creances)
def echeancier_annuler(request: MembreRequest, echeancier_id: int) -> HttpResponse:
    echeancier = access_echeancier(request, echeancier_id)
    try:
        service.echeancier_annuler(echeancier=echeancier, auteur=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Échéancier annulé : les relances reprennent sur ses factures."))
    return redirect(_onglet(echeancier.client_id))
