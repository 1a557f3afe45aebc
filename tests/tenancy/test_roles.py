"""Role rules, enforced in views and querysets."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clients.models import Client, Evenement
from clients.selectors import client_queryset
from factures.selectors import facture_queryset
from recouvrement.tenancy.models import Role
from tests.factories import ClientFactory, FactureFactory, MembreFactory


@pytest.fixture
def portefeuilles(tenant_a):
    """Two sales reps with a client each, and a client with no sales rep."""
    with tenant_a.scope():
        rep_1 = MembreFactory(role=Role.COMMERCIAL)
        rep_2 = MembreFactory(role=Role.COMMERCIAL)
        client_1 = ClientFactory(commercial=rep_1, raison_sociale="Client du premier")
        client_2 = ClientFactory(commercial=rep_2, raison_sociale="Client du second")
        orphelin = ClientFactory(commercial=None, raison_sociale="Client sans commercial")
        facture_1 = FactureFactory(client=client_1)
        facture_2 = FactureFactory(client=client_2)
    return {
        "rep_1": rep_1,
        "rep_2": rep_2,
        "client_1": client_1,
        "client_2": client_2,
        "orphelin": orphelin,
        "facture_1": facture_1,
        "facture_2": facture_2,
    }


def test_a_commercial_sees_only_his_clients_and_their_invoices(tenant_a, portefeuilles):
    with tenant_a.scope():
        assert list(client_queryset(membre=portefeuilles["rep_1"])) == [portefeuilles["client_1"]]
        assert list(facture_queryset(membre=portefeuilles["rep_1"])) == [portefeuilles["facture_1"]]
        assert client_queryset(membre=tenant_a.membre).count() == 3


def test_a_commercial_lands_on_his_clients_only(client, tenant_a, portefeuilles):
    client.force_login(portefeuilles["rep_1"].user)
    response = client.get(reverse("clients:liste"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Mes clients" in content
    assert "Client du premier" in content
    assert "Client du second" not in content
    assert "Client sans commercial" not in content


def test_a_commercial_gets_404_on_another_reps_client_and_invoice(client, portefeuilles):
    client.force_login(portefeuilles["rep_1"].user)
    assert client.get(reverse("clients:detail", args=[portefeuilles["client_1"].pk])).status_code == 200
    assert client.get(reverse("clients:detail", args=[portefeuilles["client_2"].pk])).status_code == 404
    assert client.get(reverse("factures:detail", args=[portefeuilles["facture_2"].pk])).status_code == 404
    listing = client.get(reverse("factures:liste")).content.decode()
    assert portefeuilles["facture_1"].numero in listing
    assert portefeuilles["facture_2"].numero not in listing


def test_a_commercial_may_add_a_note_but_not_edit_amounts_or_clients(client, tenant_a, portefeuilles):
    client.force_login(portefeuilles["rep_1"].user)
    mine = portefeuilles["client_1"]
    response = client.post(reverse("clients:note_ajouter", args=[mine.pk]), {"texte": "Appelé, paiement lundi"})
    assert response.status_code == 302
    assert client.get(reverse("clients:modifier", args=[mine.pk])).status_code == 403
    assert client.get(reverse("factures:creer")).status_code == 403
    assert client.post(reverse("factures:annuler", args=[portefeuilles["facture_1"].pk])).status_code == 403
    with tenant_a.scope():
        assert Evenement.objects.filter(client=mine, type="note.ajoutee").count() == 1


def test_read_only_members_write_nothing(client, tenant_a, portefeuilles):
    tenant_a.login(client, role=Role.LECTURE)
    target = portefeuilles["client_1"]
    assert client.get(reverse("clients:detail", args=[target.pk])).status_code == 200
    for url, data in [
        (reverse("clients:note_ajouter", args=[target.pk]), {"texte": "non"}),
        (reverse("clients:creer"), {"raison_sociale": "Nouveau"}),
        (reverse("clients:modifier", args=[target.pk]), {"raison_sociale": "Renommé"}),
        (reverse("factures:annuler", args=[portefeuilles["facture_1"].pk]), {}),
        (reverse("factures:paiement_creer"), {}),
    ]:
        assert client.post(url, data).status_code == 403, url
    with tenant_a.scope():
        assert not Evenement.objects.filter(type="note.ajoutee").exists()
        assert Client.objects.count() == 3
    # Their own things remain theirs: language, logout.
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    assert client.post(reverse("deconnexion")).status_code == 302


@pytest.mark.parametrize("role", [Role.CHARGE, Role.COMMERCIAL, Role.DAF, Role.LECTURE])
def test_only_admins_administer_the_organisation(client, tenant_a, role):
    tenant_a.login(client, role=role)
    assert client.get(reverse("parametres")).status_code == 403
    assert client.get(reverse("membres")).status_code == 403


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CHARGE, Role.DAF])
def test_credit_roles_manage_receivables(client, tenant_a, role):
    tenant_a.login(client, role=role)
    assert client.get(reverse("clients:creer")).status_code == 200
    assert client.get(reverse("factures:creer")).status_code == 200
