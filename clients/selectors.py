"""Reads on clients, shared by pages, API and reports. Every one takes the member
whose view it is: a commercial sees only the clients assigned to him."""

from __future__ import annotations

from django.db.models import QuerySet

from clients.models import Client, Contact, Evenement
from recouvrement.tenancy import roles
from recouvrement.tenancy.models import Membre


def client_queryset(*, membre: Membre) -> QuerySet[Client]:
    """The clients ``membre`` may see, in the active organisation."""
    queryset = Client.objects.all()
    if not roles.voit_tous_les_clients(membre):
        queryset = queryset.filter(commercial=membre)
    return queryset


def contact_list(*, client: Client) -> QuerySet[Contact]:
    return client.contacts.order_by("nom", "prenom", "pk")


def evenement_list(*, client: Client, facture_id: int | None = None, limite: int = 100) -> list[Evenement]:
    queryset = Evenement.objects.filter(client=client).select_related("auteur")
    if facture_id is not None:
        queryset = queryset.filter(facture_id=facture_id)
    return list(queryset.order_by("-created_at", "-id")[:limite])
