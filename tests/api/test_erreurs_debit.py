"""One error shape for every error, in French or English per Accept-Language; the rate limit."""

from __future__ import annotations

import pytest

from tests.factories import FactureFactory


def test_drf_errors_are_in_the_shape_in_french_by_default_and_in_english(api_a):
    # 404 from the catch-all and from a lookup, 405, in French
    assert api_a.get("/api/v1/inconnu/").json() == {
        "erreurs": [{"code": "not_found", "champ": None, "message": "Non trouvé."}]
    }
    assert api_a.get("/api/v1/factures/999999/").json()["erreurs"][0]["message"] == "Non trouvé."
    reponse = api_a.envoyer("delete", "/api/v1/factures/")
    assert reponse.status_code == 405
    assert reponse.json() == {
        "erreurs": [
            {"code": "method_not_allowed", "champ": None, "message": "Méthode «\u00a0DELETE\u00a0» non autorisée."}
        ]
    }
    # the same in English
    api_a.langue = "en-GB,en;q=0.8"
    reponse = api_a.get("/api/v1/factures/999999/")
    assert reponse["Content-Language"] == "en"
    assert reponse.json() == {"erreurs": [{"code": "not_found", "champ": None, "message": "Not found."}]}
    assert (
        api_a.envoyer("delete", "/api/v1/factures/").json()["erreurs"][0]["message"] == 'Method "DELETE" not allowed.'
    )
    # a language not offered: French
    api_a.langue = "de"
    assert api_a.get("/api/v1/factures/999999/").json()["erreurs"][0]["message"] == "Non trouvé."


def test_validation_errors_carry_dotted_field_paths(api_a, tenant_a):
    with tenant_a.scope():
        facture = FactureFactory()
    reponse = api_a.post(
        "/api/v1/litiges/",
        {"client": facture.client_id, "factures": [{"facture": facture.pk, "montant": "abc"}], "type": "prix"},
    )
    assert reponse.status_code == 400
    erreurs = {(e["champ"], e["code"]) for e in reponse.json()["erreurs"]}
    assert erreurs == {("factures.0.montant", "invalid"), ("description", "required")}
    api_a.langue = "en"
    messages = {e["champ"]: e["message"] for e in api_a.post("/api/v1/litiges/", {}).json()["erreurs"]}
    assert messages["client"] == "This field is required."


def test_unsupported_media_type_and_parse_errors(api_a):
    reponse = api_a.client.post(
        "/api/v1/lettrages/", "x=1", content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {api_a.jeton}"
    )
    assert reponse.status_code == 415
    assert reponse.json()["erreurs"][0]["code"] == "unsupported_media_type"
    nan = api_a.client.post(
        "/api/v1/lettrages/",
        '{"montant": NaN}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_a.jeton}",
    )
    assert (nan.status_code, nan.json()["erreurs"][0]["code"]) == (400, "parse_error")


@pytest.mark.parametrize("debit", ["3/min"])
def test_the_rate_limit_per_key_answers_429_with_retry_after(api_a, api_b, settings, debit):
    settings.API_DEBIT = debit
    codes = [api_a.get("/api/v1/clients/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    reponse = api_a.get("/api/v1/clients/")
    assert reponse.status_code == 429
    attente = int(reponse["Retry-After"])
    assert 1 <= attente <= 60
    erreur = reponse.json()["erreurs"][0]
    assert erreur["code"] == "throttled"
    assert erreur["message"] == f"Trop de requêtes : réessayez dans {attente} s."
    # another key has its own counter
    assert api_b.get("/api/v1/clients/").status_code == 200
