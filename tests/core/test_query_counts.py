"""Each page runs the same number of SQL queries whatever the amount of data behind it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from clients.services import note_add
from factures.services import lettrage_create, paiement_create
from recouvrement.tenancy.models import Role
from tests.conftest import compter_requetes
from tests.factories import ClientFactory, ContactFactory, FactureFactory, MembreFactory


def _grow(tenant, client, n):
    """Give ``client`` n invoices, contacts, payments, allocations and notes; add n other clients."""
    with tenant.scope():
        rep = MembreFactory(role=Role.COMMERCIAL)
        for i in range(n):
            ClientFactory(commercial=rep)
            ContactFactory(client=client)
            facture = FactureFactory(client=client)
            paiement = paiement_create(client=client, montant=Decimal("10.00"), date_paiement=facture.date_echeance)
            lettrage_create(facture=facture, paiement=paiement, montant=Decimal("10.00"))
            note_add(client=client, auteur=tenant.admin, texte=f"Note {i}")


@pytest.mark.parametrize(
    "nom",
    ["clients:liste", "clients:detail", "factures:liste", "factures:detail", "membres", "parametres"],
)
def test_page_query_count_does_not_grow_with_data(client, tenant_a, nom):
    with tenant_a.scope():
        cible = ClientFactory()
        facture = FactureFactory(client=cible)
    kwargs = {"clients:detail": {"client_id": cible.pk}, "factures:detail": {"facture_id": facture.pk}}.get(nom, {})
    url = reverse(nom, kwargs=kwargs)
    tenant_a.login(client)
    client.get(url)  # the first request of a session stores the active organisation in it
    _grow(tenant_a, cible, 2)
    small = compter_requetes(client, url)
    _grow(tenant_a, cible, 25)
    large = compter_requetes(client, url)
    assert small == large, f"{nom}: {small} queries with little data, {large} with more"
    # The client sheet also computes the next step of each invoice of its page (settings, steps,
    # rules, default scenario, then one statement) and suggests invoice numbers to the call form.
    assert large <= (20 if nom == "clients:detail" else 15)
