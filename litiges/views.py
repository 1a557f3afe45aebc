"""Dispute pages: open one from a client sheet, follow one, the list of open disputes."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients.selectors import client_queryset
from clients.views import access_client
from litiges import selectors, services
from litiges.forms import LitigeForm, LitigeStatutForm
from litiges.models import Litige
from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.decorators import membre_requis, role_requis
from recouvrement.tenancy.forms import add_error_from
from recouvrement.tenancy.http import MembreRequest
from recouvrement.tenancy.roles import peut_ecrire, peut_gerer_creances


def _litiges_visibles(request: MembreRequest) -> QuerySet[Litige]:
    return Litige.objects.filter(client__in=client_queryset(membre=request.membre))


@membre_requis
def litige_liste(request: MembreRequest) -> HttpResponse:
    actifs = request.GET.get("tous") != "1"
    litiges = selectors.litige_list(actifs=actifs).filter(client__in=client_queryset(membre=request.membre))
    context = {"litige_list": litiges[:500], "actifs": actifs, "aujourd_hui": timezone.localdate()}
    return render(request, "litiges/liste.html", context)


@role_requis(peut_ecrire)
def litige_ouvrir(request: MembreRequest, client_id: int) -> HttpResponse:
    """Open a dispute: commercials may too (on their clients); dunning stops on the chosen invoices only."""
    client = access_client(request, client_id)
    initial = {"factures": request.GET.getlist("facture"), "responsable": request.membre}
    form = LitigeForm(request.POST or None, client=client, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            litige = services.litige_ouvrir(
                client=client,
                factures=data["contestees"],
                type=data["type"],
                description=data["description"],
                souleve_par=data["souleve_par"],
                responsable=data["responsable"],
                echeance=data["echeance"],
                auteur=request.user,
            )
        except (ApplicationError, ValidationError) as error:
            add_error_from(form, error)
        else:
            messages.success(request, _("Litige ouvert : les relances des factures contestées sont suspendues."))
            return redirect("litiges:detail", litige_id=litige.pk)
    return render(request, "litiges/formulaire.html", {"form": form, "client": client})


@membre_requis
def litige_detail(request: MembreRequest, litige_id: int) -> HttpResponse:
    litige = get_object_or_404(
        _litiges_visibles(request).select_related("client", "responsable__user", "ouvert_par"), pk=litige_id
    )
    context = {
        "litige": litige,
        "ligne_list": litige.lignes.select_related("facture").order_by("facture__date_echeance", "pk"),
        "statut_form": LitigeStatutForm(litige=litige),
    }
    return render(request, "litiges/detail.html", context)


@require_POST
@role_requis(peut_gerer_creances)
def litige_statut(request: MembreRequest, litige_id: int) -> HttpResponse:
    litige = get_object_or_404(_litiges_visibles(request), pk=litige_id)
    form = LitigeStatutForm(request.POST, litige=litige)
    if form.is_valid():
        try:
            services.litige_statut_changer(litige=litige, auteur=request.user, **form.cleaned_data)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Litige mis à jour."))
    else:
        messages.error(request, _("Choisissez un statut."))
    return redirect(reverse("litiges:detail", args=[litige.pk]))
