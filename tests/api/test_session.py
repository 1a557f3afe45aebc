"""The browser's session works on the API with the pages' role rules."""

from __future__ import annotations

from django.test import Client as HttpClient

from recouvrement.tenancy.models import Role
from tests.api.conftest import Api
from tests.factories import ClientFactory, FactureFactory


def test_a_commercial_sees_only_his_clients_and_their_invoices(tenant_a):
    http = HttpClient()
    user = tenant_a.login(http, role=Role.COMMERCIAL)
    with tenant_a.scope():
        from recouvrement.tenancy.models import Membre

        membre = Membre.objects.get(user=user)
        sien = ClientFactory(commercial=membre)
        autre = ClientFactory()
        FactureFactory(client=sien, numero="F-SIEN")
        facture_autre = FactureFactory(client=autre, numero="F-AUTRE")
    api = Api(http)
    assert [c["id"] for c in api.get("/api/v1/clients/").json()["results"]] == [sien.pk]
    assert [f["numero"] for f in api.get("/api/v1/factures/").json()["results"]] == ["F-SIEN"]
    assert api.get(f"/api/v1/factures/{facture_autre.pk}/").status_code == 404
    # he may not write receivables, but may record a promise on his client
    refus = api.post("/api/v1/clients/", {"raison_sociale": "Nouveau"})
    assert refus.status_code == 403
    assert refus.json()["erreurs"][0]["message"] == "Votre rôle ne permet pas de modifier les créances."


def test_a_read_only_member_reads_and_gets_a_json_403_on_writes(tenant_a):
    http = HttpClient()
    tenant_a.login(http, role=Role.LECTURE)
    with tenant_a.scope():
        client = ClientFactory()
    api = Api(http)
    assert api.get(f"/api/v1/clients/{client.pk}/").status_code == 200
    reponse = api.post(f"/api/v1/clients/{client.pk}/suspendre/", {})
    assert reponse.status_code == 403
    assert reponse.json()["erreurs"][0] == {
        "code": "permission_denied",
        "champ": None,
        "message": "Votre rôle ne permet que la lecture.",
    }


def test_a_credit_manager_writes_with_the_session_and_csrf_is_enforced(tenant_a):
    http = HttpClient(enforce_csrf_checks=True)
    tenant_a.login(http, role=Role.CHARGE)
    api = Api(http)
    assert api.post("/api/v1/clients/", {"raison_sociale": "Sans jeton CSRF"}).status_code == 403
    http.get("/api/cles/")  # any page sets the CSRF cookie
    jeton = http.cookies["csrftoken"].value
    reponse = api.post("/api/v1/clients/", {"raison_sociale": "Avec jeton"}, HTTP_X_CSRFTOKEN=jeton)
    assert reponse.status_code == 201, reponse.json()


def test_anonymous_calls_get_401_and_users_without_organisation_403(db):
    assert Api(HttpClient()).get("/api/v1/clients/").status_code == 401
    from tests.factories import UserFactory

    http = HttpClient()
    http.force_login(UserFactory())
    reponse = Api(http).get("/api/v1/clients/")
    assert reponse.status_code == 403
    assert reponse.json()["erreurs"][0]["message"] == "Vous n'êtes membre d'aucune organisation."
