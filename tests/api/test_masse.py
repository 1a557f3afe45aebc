"""Bulk endpoints: one transaction, a result per row, partial failures, all-or-nothing, type errors."""

from __future__ import annotations

from decimal import Decimal

from clients.models import Client, Contact
from factures.models import Facture, Paiement
from tests.factories import ClientFactory


def _facture(i: int, **extra):
    return {
        "numero": f"FB-{i:05d}",
        "client_external_id": "C-1",
        "date_emission": "2026-10-01",
        "date_echeance": "2026-10-31",
        "montant_ht": "100.00",
        "montant_tva": "20.00",
        **extra,
    }


def test_bulk_invoices_report_each_row_and_write_the_good_ones(api_a, tenant_a):
    with tenant_a.scope():
        ClientFactory(external_id="C-1")
    lignes = [
        _facture(0),
        _facture(1, montant_ht="cent"),  # type error, caught before the upsert
        _facture(2, client_external_id="INCONNU"),  # business error, from the upsert
        _facture(3, date_echeance="2026-09-01"),  # due before issue
        _facture(4, montant_ht=100.5, montant_tva=20.1),  # JSON numbers: exact decimals
    ]
    reponse = api_a.post("/api/v1/factures/bulk/", lignes)
    assert reponse.status_code == 200
    corps = reponse.json()
    assert {k: corps[k] for k in ("ecrit", "total", "crees", "en_erreur", "non_ecrits")} == {
        "ecrit": True,
        "total": 5,
        "crees": 2,
        "en_erreur": 3,
        "non_ecrits": 0,
    }
    resultats = corps["resultats"]
    assert [r["statut"] for r in resultats] == ["cree", "erreur", "erreur", "erreur", "cree"]
    assert [r["index"] for r in resultats] == [0, 1, 2, 3, 4]
    assert resultats[1]["erreurs"] == [
        {
            "code": "type_invalide",
            "champ": "montant_ht",
            "message": "Un montant est attendu (nombre ou chaîne « 1234.56 »).",
        }
    ]
    assert [(e["code"], e["champ"]) for e in resultats[2]["erreurs"]] == [("client_inconnu", "client_external_id")]
    assert resultats[3]["erreurs"][0]["champ"] == "date_echeance"
    with tenant_a.scope():
        assert sorted(Facture.objects.values_list("numero", flat=True)) == ["FB-00000", "FB-00004"]
        assert Facture.objects.get(numero="FB-00004").montant_ttc == Decimal("120.60")
        assert resultats[0]["id"] == Facture.objects.get(numero="FB-00000").pk
    # sent again: unchanged, nothing written twice
    encore = api_a.post("/api/v1/factures/bulk/", [lignes[0], lignes[4]]).json()
    assert [r["statut"] for r in encore["resultats"]] == ["inchange", "inchange"]


def test_all_or_nothing_writes_nothing_when_one_row_is_bad(api_a, tenant_a):
    with tenant_a.scope():
        ClientFactory(external_id="C-1")
    # a business error
    reponse = api_a.post("/api/v1/factures/bulk/?tout_ou_rien=true", [_facture(0), _facture(1, nature="devis")]).json()
    assert (reponse["ecrit"], [r["statut"] for r in reponse["resultats"]]) == (False, ["non_ecrit", "erreur"])
    assert reponse["resultats"][0]["id"] is None
    # a type error (refused before the upsert): the good row is rolled back too
    reponse = api_a.post(
        "/api/v1/factures/bulk/?tout_ou_rien=1", [_facture(0), _facture(1, date_emission="01/10/2026")]
    ).json()
    assert (reponse["ecrit"], [r["statut"] for r in reponse["resultats"]]) == (False, ["non_ecrit", "erreur"])
    with tenant_a.scope():
        assert Facture.objects.count() == 0
    # and all good: everything written
    reponse = api_a.post("/api/v1/factures/bulk/?tout_ou_rien=true", [_facture(0), _facture(1)]).json()
    assert (reponse["ecrit"], reponse["crees"]) == (True, 2)


def test_bulk_clients_contacts_and_payments(api_a, tenant_a):
    clients = [
        {"external_id": "C-1", "raison_sociale": "Alpha"},
        {"external_id": "C-2", "raison_sociale": "Bêta", "siren": "552100554"},
        {"external_id": "C-3", "raison_sociale": "Gamma", "champ_bizarre": 1},
    ]
    reponse = api_a.post("/api/v1/clients/bulk/", clients).json()
    assert [r["statut"] for r in reponse["resultats"]] == ["cree", "cree", "erreur"]
    assert reponse["resultats"][2]["erreurs"][0]["code"] == "champ_inconnu"
    contacts = [{"client_external_id": "C-1", "nom": "Durand", "email": "compta@alpha.fr", "role_comptabilite": True}]
    assert api_a.post("/api/v1/contacts/bulk/", contacts).json()["crees"] == 1
    api_a.post("/api/v1/factures/bulk/", [_facture(0)])
    paiements = [
        {
            "external_id": "BQ-1",
            "client_external_id": "C-1",
            "date_paiement": "2026-11-02",
            "montant": "120.00",
            "lettrages": [{"facture_numero": "FB-00000", "montant": "120.00"}],
        },
        {
            "external_id": "BQ-2",
            "date_paiement": "2026-11-02",
            "montant": "10.00",
            "lettrages": [{"facture_numero": "FB-00000", "montant": "nul"}],
        },
    ]
    reponse = api_a.post("/api/v1/paiements/bulk/", paiements).json()
    assert [r["statut"] for r in reponse["resultats"]] == ["cree", "erreur"]
    assert reponse["resultats"][1]["erreurs"][0]["champ"] == "lettrages.0.montant"
    with tenant_a.scope():
        assert Client.objects.count() == 2
        assert Contact.objects.get().email == "compta@alpha.fr"
        assert Paiement.objects.get().montant_non_affecte == Decimal("0.00")
        assert Facture.objects.get().statut == "payee"


def test_the_body_must_be_an_array_of_at_most_the_maximum(api_a, settings):
    settings.API_MASSE_MAX = 3
    assert api_a.post("/api/v1/factures/bulk/", {"numero": "x"}).json()["erreurs"][0]["code"] == "type_invalide"
    trop = api_a.post("/api/v1/factures/bulk/", [{}] * 4)
    assert trop.status_code == 413
    assert trop.json()["erreurs"][0]["code"] == "trop_de_lignes"
    pas_objet = api_a.post("/api/v1/factures/bulk/", [1]).json()
    assert pas_objet["resultats"][0]["erreurs"][0]["code"] == "type_invalide"
    mauvais_json = api_a.client.post(
        "/api/v1/factures/bulk/", "[{", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api_a.jeton}"
    )
    assert mauvais_json.status_code == 400
    assert mauvais_json.json()["erreurs"][0]["code"] == "parse_error"


def test_two_thousand_invoices_in_one_call(api_a, tenant_a):
    with tenant_a.scope():
        ClientFactory(external_id="C-1")
    reponse = api_a.post("/api/v1/factures/bulk/", [_facture(i) for i in range(2000)]).json()
    assert (reponse["crees"], reponse["en_erreur"]) == (2000, 0)
    with tenant_a.scope():
        assert Facture.objects.count() == 2000
