"""API keys: stored hashed, shown once, scopes, revocation, the keys page (admins only)."""

from __future__ import annotations

import hashlib

from django.db import connection
from django.test import Client as HttpClient

from api.models import CleApi
from recouvrement.tenancy.context import unscoped
from recouvrement.tenancy.models import Role
from tests.api.conftest import Api
from tests.factories import ClientFactory


def test_the_secret_is_stored_only_as_its_sha256(api_a, jeton_a):
    # given a key just created
    prefixe, secret = jeton_a.split("_", 2)[1:]
    # then no column of its row holds the secret, only the prefix and the hash
    with unscoped(reason="test"), connection.cursor() as curseur:
        curseur.execute("SELECT * FROM api_cleapi")
        lignes = curseur.fetchall()
    assert len(lignes) == 1
    assert not any(secret in str(valeur) for valeur in lignes[0])
    with unscoped(reason="test"):
        cle = CleApi.objects.get()
    assert cle.prefixe == prefixe
    assert cle.empreinte == hashlib.sha256(jeton_a.encode()).hexdigest()
    # and the key works
    assert api_a.get("/api/v1/clients/").status_code == 200


def test_the_key_decides_the_organisation_and_records_its_last_use(api_a, tenant_a, tenant_b):
    with tenant_a.scope():
        ClientFactory(raison_sociale="Client de A")
    with tenant_b.scope():
        ClientFactory(raison_sociale="Client de B")
    reponse = api_a.get("/api/v1/clients/")
    assert [c["raison_sociale"] for c in reponse.json()["results"]] == ["Client de A"]
    with tenant_a.scope():
        assert CleApi.objects.get().derniere_utilisation is not None


def test_unknown_malformed_and_revoked_keys_get_401_json(api_a, jeton_a, tenant_a):
    faux = Api(HttpClient(), jeton_a[:-3] + "xyz")
    for api in (faux, Api(HttpClient(), "n'importe quoi"), Api(HttpClient(), None)):
        reponse = api.get("/api/v1/factures/")
        assert reponse.status_code == 401
        assert reponse["WWW-Authenticate"] == 'Bearer realm="api"'
        assert list(reponse.json()) == ["erreurs"]
    # revoked by the admin in the keys page
    client = HttpClient()
    tenant_a.login(client)
    with tenant_a.scope():
        cle = CleApi.objects.get()
    assert client.post(f"/api/cles/{cle.pk}/revoquer/").status_code == 302
    reponse = api_a.get("/api/v1/factures/")
    assert reponse.status_code == 401
    assert reponse.json()["erreurs"][0]["code"] == "cle_invalide"


def test_other_headers_carry_the_key_too(jeton_a):
    client = HttpClient()
    assert client.get("/api/v1/clients/", HTTP_AUTHORIZATION=f"Api-Key {jeton_a}").status_code == 200
    assert client.get("/api/v1/clients/", HTTP_X_API_KEY=jeton_a).status_code == 200


def test_a_read_key_reads_but_gets_403_on_writes(api_lecture_a, tenant_a):
    with tenant_a.scope():
        client = ClientFactory()
    assert api_lecture_a.get(f"/api/v1/clients/{client.pk}/").status_code == 200
    reponse = api_lecture_a.post(f"/api/v1/clients/{client.pk}/suspendre/", {})
    assert reponse.status_code == 403
    assert reponse.json() == {
        "erreurs": [
            {"code": "permission_denied", "champ": None, "message": "Cette clé d'API ne permet que la lecture."}
        ]
    }
    assert api_lecture_a.post("/api/v1/clients/bulk/", []).status_code == 403


def test_an_admin_creates_a_key_shown_once_and_lists_only_its_prefix(tenant_a, tenant_b):
    client = HttpClient()
    tenant_a.login(client)
    reponse = client.post("/api/cles/", {"nom": "ERP Cegid 2026", "portee": "ecriture"})
    assert reponse.status_code == 200
    assert reponse["Cache-Control"] == "no-store"
    jeton = reponse.context["jeton"]
    assert jeton.startswith("rcv_")
    assert jeton in reponse.content.decode()
    # the new key works for A
    assert Api(HttpClient(), jeton).get("/api/v1/clients/").status_code == 200
    # shown once: the list shows the prefix, never the token
    page = client.get("/api/cles/").content.decode()
    assert jeton not in page
    assert jeton.split("_")[1] in page
    assert "ERP Cegid 2026" in page
    assert "/api/docs/" in page
    # B's admin sees none of A's keys and cannot revoke them
    client_b = HttpClient()
    tenant_b.login(client_b)
    assert "ERP Cegid 2026" not in client_b.get("/api/cles/").content.decode()
    with tenant_a.scope():
        cle = CleApi.objects.get()
    assert client_b.post(f"/api/cles/{cle.pk}/revoquer/").status_code == 404
    with tenant_a.scope():
        assert CleApi.objects.get().revoquee_le is None


def test_only_admins_manage_keys(tenant_a):
    for role in (Role.CHARGE, Role.DAF, Role.COMMERCIAL, Role.LECTURE):
        client = HttpClient()
        tenant_a.login(client, role=role)
        assert client.get("/api/cles/").status_code == 403
        assert client.post("/api/cles/", {"nom": "x", "portee": "lecture"}).status_code == 403


def test_the_settings_page_links_the_keys_page(client, tenant_a):
    tenant_a.login(client)
    assert 'href="/api/cles/"' in client.get("/organisation/parametres/").content.decode()


def test_the_documentation_page_uses_vendored_swagger_and_the_schema_is_openapi_3(client, tenant_a):
    tenant_a.login(client)
    page = client.get("/api/docs/").content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    schema = HttpClient().get("/api/schema/?format=json")
    assert schema.status_code == 200
    contenu = schema.json()
    assert contenu["openapi"].startswith("3.")
    assert "/api/v1/factures/bulk/" in contenu["paths"]
    assert "Erreurs" in contenu["components"]["schemas"]
