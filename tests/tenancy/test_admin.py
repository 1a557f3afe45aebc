"""The Django admin is for platform staff, across organisations; tenant admins are not staff."""

from django.urls import reverse

from clients.models import Client
from recouvrement.tenancy.context import organisation_scope
from tests.factories import ClientFactory, UserFactory


def test_platform_staff_see_every_organisations_clients(client, tenant_a, tenant_b):
    with organisation_scope(tenant_a.organisation):
        ClientFactory(raison_sociale="Client chez Alpha")
    with organisation_scope(tenant_b.organisation):
        ClientFactory(raison_sociale="Client chez Bêta")
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.get(reverse("admin:clients_client_changelist"))
    assert response.status_code == 200
    assert "Client chez Alpha" in response.content.decode()
    assert "Client chez Bêta" in response.content.decode()


def test_platform_staff_create_a_tenant_row_by_naming_its_organisation(client, tenant_a):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.post(
        reverse("admin:clients_client_add"),
        {
            "tenant": tenant_a.organisation.pk,
            "raison_sociale": "Ajouté par le support",
            "pays": "FR",
            "delai_paiement_jours": 30,
            "categorie": "tpe_pme",
            "langue": "fr",
            "devise": "EUR",
            "contacts-TOTAL_FORMS": 0,
            "contacts-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with organisation_scope(tenant_a.organisation):
        assert Client.objects.filter(raison_sociale="Ajouté par le support").exists()


def test_a_tenant_admin_is_not_platform_staff(client, tenant_a):
    tenant_a.login(client)
    response = client.get(reverse("admin:clients_client_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
