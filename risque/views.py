"""Risk pages: the client sheet's "Recalculer", the sales reps' clients at risk and unpaid
invoices, the unpaid amounts per commercial, and how the score is made."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients.views import access_client
from recouvrement.tenancy.decorators import membre_requis, role_requis
from recouvrement.tenancy.http import MembreRequest
from recouvrement.tenancy.roles import peut_gerer_creances, voit_tous_les_clients
from risque import bareme, selectors, services


@require_POST
@role_requis(peut_gerer_creances)
def client_recalculer(request: MembreRequest, client_id: int) -> HttpResponse:
    """Recompute one client's score and credit-limit alert now (the nightly SQL, for that client)."""
    client = access_client(request, client_id)
    services.client_risque_recalculer(client=client, aujourd_hui=timezone.localdate())
    messages.success(request, _("Score de risque recalculé."))
    return redirect("clients:detail", client_id=client.pk)


@membre_requis
def clients_a_risque(request: MembreRequest) -> HttpResponse:
    aujourd_hui = timezone.localdate()
    page = selectors.clients_a_risque_page(
        membre=request.membre, aujourd_hui=aujourd_hui, numero=request.GET.get("page")
    )
    context = {
        "page": page,
        "client_list": page.object_list,
        "aujourd_hui": aujourd_hui,
        "classes_a_risque": bareme.CLASSES_A_RISQUE,
        "tous_les_clients": voit_tous_les_clients(request.membre),
    }
    return render(request, "risque/clients_a_risque.html", context)


@membre_requis
def factures_impayees(request: MembreRequest) -> HttpResponse:
    aujourd_hui = timezone.localdate()
    page = selectors.factures_impayees_page(
        membre=request.membre, aujourd_hui=aujourd_hui, numero=request.GET.get("page")
    )
    context = {
        "page": page,
        "facture_list": page.object_list,
        "total": selectors.factures_impayees_total(membre=request.membre, aujourd_hui=aujourd_hui),
        "aujourd_hui": aujourd_hui,
        "tous_les_clients": voit_tous_les_clients(request.membre),
    }
    return render(request, "risque/factures_impayees.html", context)


@role_requis(voit_tous_les_clients)
def impayes_par_commercial(request: MembreRequest) -> HttpResponse:
    aujourd_hui = timezone.localdate()
    context = {
        "impayes": selectors.impayes_par_commercial(aujourd_hui=aujourd_hui),
        "aujourd_hui": aujourd_hui,
        "jours_retard_grave": selectors.JOURS_RETARD_GRAVE,
    }
    return render(request, "risque/impayes_par_commercial.html", context)


@membre_requis
def bareme_page(request: MembreRequest) -> HttpResponse:
    context = {
        "criteres": [c for c in bareme.CRITERES if c.code != bareme.SANS_HISTORIQUE.code],
        "sans_historique": bareme.SANS_HISTORIQUE,
        "points_neutres": bareme.POINTS_NEUTRES,
        "classe_neutre": bareme.CLASSE_NEUTRE,
        "seuils": bareme.seuils_lisibles(),
        "tous_les_clients": voit_tous_les_clients(request.membre),
    }
    return render(request, "risque/bareme.html", context)
