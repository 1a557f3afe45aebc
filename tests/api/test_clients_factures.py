"""Clients, contacts, invoices and payments: create, upsert by external id (idempotent),
update, lists with cursor pagination, filters and ordering, the PDF upload."""

from __future__ import annotations

import datetime
from decimal import Decimal

from clients.models import Client, Evenement
from factures.models import Facture, Lettrage, Paiement
from tests.factories import ClientFactory, FactureFactory

SIREN = "552100554"  # a valid SIREN (Luhn)


def test_a_client_is_created_then_upserted_by_external_id_idempotently(api_a, tenant_a):
    # when a client is sent twice with the same external id
    corps = {"raison_sociale": "Garage Martin", "siren": SIREN, "delai_paiement_jours": 45, "plafond_credit": 15000.5}
    premier = api_a.put("/api/v1/clients/externe/ERP-C1/", corps)
    second = api_a.put("/api/v1/clients/externe/ERP-C1/", corps)
    # then it is created once (201), then unchanged (200), with exact decimals
    assert premier.status_code == 201, premier.json()
    assert second.status_code == 200
    assert premier.json()["id"] == second.json()["id"]
    assert premier.json()["plafond_credit"] == "15000.50"
    assert premier.json()["external_id"] == "ERP-C1"
    with tenant_a.scope():
        assert Client.objects.count() == 1
        assert Evenement.objects.filter(type="client.cree").count() == 1
        assert Evenement.objects.filter(type="client.modifie").count() == 0
    # when a field changes, it is updated (200) and only that field
    troisieme = api_a.put("/api/v1/clients/externe/ERP-C1/", {**corps, "delai_paiement_jours": 30})
    assert troisieme.status_code == 200
    assert troisieme.json()["delai_paiement_jours"] == 30
    assert api_a.get("/api/v1/clients/externe/ERP-C1/").json()["delai_paiement_jours"] == 30


def test_creating_a_client_checks_like_the_forms(api_a):
    reponse = api_a.post("/api/v1/clients/", {"raison_sociale": "Sans délai légal", "delai_paiement_jours": 90})
    assert reponse.status_code == 400
    assert [e["champ"] for e in reponse.json()["erreurs"]] == ["delai_paiement_jours"]
    reponse = api_a.post("/api/v1/clients/", {"raison_sociale": "X", "siren": "123456789"})
    assert reponse.status_code == 400
    assert reponse.json()["erreurs"][0]["champ"] == "siren"
    reponse = api_a.post("/api/v1/clients/", {"raison_sociale": "X", "delai_paiement_jours": "trente"})
    assert reponse.json()["erreurs"] == [
        {"code": "type_invalide", "champ": "delai_paiement_jours", "message": "Un nombre entier est attendu."}
    ]
    cree = api_a.post("/api/v1/clients/", {"raison_sociale": "Menuiserie Roux", "external_id": "R1"})
    assert cree.status_code == 201
    doublon = api_a.post("/api/v1/clients/", {"raison_sociale": "Autre", "external_id": "R1"})
    assert doublon.status_code == 409
    assert doublon.json()["erreurs"][0]["code"] == "external_id_existant"
    # a POST matching an existing client by its SIRET does not update it
    siret = SIREN + "00013"
    assert api_a.post("/api/v1/clients/", {"raison_sociale": "Original", "siret": siret}).status_code == 201
    autre = api_a.post("/api/v1/clients/", {"raison_sociale": "Écrasé ?", "siret": siret})
    assert (autre.status_code, autre.json()["erreurs"][0]["code"]) == (409, "existe_deja")
    assert api_a.get("/api/v1/clients/", {"siret": siret}).json()["results"][0]["raison_sociale"] == "Original"


def test_patch_updates_a_client_through_its_service(api_a, tenant_a):
    with tenant_a.scope():
        client = ClientFactory(raison_sociale="Ancien nom")
    reponse = api_a.patch(f"/api/v1/clients/{client.pk}/", {"raison_sociale": "Nouveau nom", "fin_de_mois": True})
    assert reponse.status_code == 200, reponse.json()
    assert (reponse.json()["raison_sociale"], reponse.json()["fin_de_mois"]) == ("Nouveau nom", True)
    reponse = api_a.patch(f"/api/v1/clients/{client.pk}/", {"commercial_email": "personne@nulle-part.fr"})
    assert reponse.status_code == 400
    assert reponse.json()["erreurs"][0]["code"] == "membre_inconnu"
    reponse = api_a.patch(f"/api/v1/clients/{client.pk}/", {"commercial_email": tenant_a.admin.email})
    assert reponse.json()["commercial_email"] == tenant_a.admin.email


def test_lists_use_cursor_pagination_filters_and_ordering(api_a, tenant_a):
    with tenant_a.scope():
        client = ClientFactory()
        autre = ClientFactory()
        for i in range(5):
            FactureFactory(client=client, numero=f"F-{i}", date_echeance=datetime.date(2026, 10, 1 + i))
        FactureFactory(client=autre, numero="F-AUTRE")
    # page of 2, sorted by due date, then the next pages by cursor
    vus = []
    url, params = "/api/v1/factures/", {"client": client.pk, "ordering": "date_echeance", "page_size": 2}
    while url:
        page = api_a.get(url, params).json()
        vus += [f["numero"] for f in page["results"]]
        url, params = page["next"], None
    assert vus == ["F-0", "F-1", "F-2", "F-3", "F-4"]
    desc = api_a.get("/api/v1/factures/", {"ordering": "-date_echeance", "client": client.pk}).json()["results"]
    assert [f["numero"] for f in desc] == ["F-4", "F-3", "F-2", "F-1", "F-0"]
    filtre = api_a.get("/api/v1/factures/", {"date_echeance_min": "2026-10-04", "client": client.pk}).json()
    assert [f["numero"] for f in filtre["results"]] == ["F-4", "F-3"]
    assert api_a.get("/api/v1/factures/", {"statut": "payee"}).json()["results"] == []
    assert api_a.get("/api/v1/factures/", {"statut": "nimporte"}).status_code == 400
    assert api_a.get("/api/v1/factures/", {"updated_since": "2000-01-01T00:00:00Z"}).json()["results"]


def test_an_invoice_is_upserted_by_external_id_and_patched_under_the_bulk_rules(api_a, tenant_a):
    with tenant_a.scope():
        client = ClientFactory(external_id="C-9", delai_paiement_jours=30)
    corps = {
        "numero": "FA-100",
        "client_external_id": "C-9",
        "date_emission": "2026-10-01",
        "montant_ht": "1000.00",
        "montant_tva": "200.00",
    }
    cree = api_a.put("/api/v1/factures/externe/ERP-F100/", corps)
    assert cree.status_code == 201, cree.json()
    facture = cree.json()
    assert (facture["montant_ttc"], facture["reste_du"], facture["date_echeance"]) == (
        "1200.00",
        "1200.00",
        "2026-10-31",
    )
    assert facture["client"] == client.pk
    assert api_a.put("/api/v1/factures/externe/ERP-F100/", corps).status_code == 200
    # a PATCH changes the amounts (nothing allocated yet)
    patch = api_a.patch(f"/api/v1/factures/{facture['id']}/", {"montant_ht": "500.00", "montant_tva": "100.00"})
    assert patch.status_code == 200, patch.json()
    assert (patch.json()["montant_ttc"], patch.json()["reste_du"]) == ("600.00", "600.00")
    # the key of the upsert does not change by PATCH
    refus = api_a.patch(f"/api/v1/factures/{facture['id']}/", {"external_id": "AUTRE"})
    assert refus.status_code == 400
    assert refus.json()["erreurs"][0]["champ"] == "external_id"
    # the same number again: 409
    doublon = api_a.post("/api/v1/factures/", {**corps, "external_id": ""})
    assert doublon.status_code == 409
    with tenant_a.scope():
        assert Facture.objects.count() == 1


def test_a_payment_with_allocations_settles_invoices(api_a, tenant_a):
    with tenant_a.scope():
        client = ClientFactory()
        f1 = FactureFactory(
            client=client,
            numero="F-1",
            montant_ht=Decimal("100.00"),
            montant_tva=Decimal("20.00"),
            montant_ttc=Decimal("120.00"),
        )
        f2 = FactureFactory(
            client=client,
            numero="F-2",
            montant_ht=Decimal("100.00"),
            montant_tva=Decimal("20.00"),
            montant_ttc=Decimal("120.00"),
        )
    corps = {
        "client_id": client.pk,
        "date_paiement": "2026-11-20",
        "montant": "200.00",
        "reference": "VIR 42",
        "lettrages": [{"facture_numero": "F-1", "montant": "120.00"}, {"facture_numero": "F-2", "montant": "50.00"}],
    }
    reponse = api_a.put("/api/v1/paiements/externe/BQ-42/", corps)
    assert reponse.status_code == 201, reponse.json()
    assert reponse.json()["montant_non_affecte"] == "30.00"
    with tenant_a.scope():
        f1.refresh_from_db()
        f2.refresh_from_db()
        assert (f1.statut, f1.reste_du) == ("payee", Decimal("0.00"))
        assert (f2.statut, f2.reste_du) == ("partiellement_payee", Decimal("70.00"))
        assert Lettrage.objects.count() == 2
    # sent again: nothing replayed
    assert api_a.put("/api/v1/paiements/externe/BQ-42/", corps).status_code == 200
    with tenant_a.scope():
        assert Lettrage.objects.count() == 2
        assert Paiement.objects.count() == 1
    lettrages = api_a.get("/api/v1/lettrages/", {"facture": f2.pk}).json()["results"]
    assert [(x["montant"], x["annule_le"]) for x in lettrages] == [("50.00", None)]


def test_an_invoice_pdf_is_uploaded_in_multipart(api_a, tenant_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with tenant_a.scope():
        facture = FactureFactory(numero="F/2026/7")
    url = f"/api/v1/factures/{facture.pk}/pdf/"
    en_tete = {"HTTP_AUTHORIZATION": f"Bearer {api_a.jeton}"}
    pdf = tmp_path / "f.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%fin\n")
    with pdf.open("rb") as fichier:
        reponse = api_a.client.post(url, {"fichier": fichier}, **en_tete)
    assert reponse.status_code == 200, reponse.json()
    assert reponse.json()["pdf"] is True
    with tenant_a.scope():
        facture.refresh_from_db()
        assert facture.pdf.read() == b"%PDF-1.4\n%fin\n"
    texte = tmp_path / "f.txt"
    texte.write_bytes(b"pas un pdf")
    with texte.open("rb") as fichier:
        refus = api_a.client.post(url, {"fichier": fichier}, **en_tete)
    assert refus.status_code == 400
    assert refus.json()["erreurs"][0] == {
        "code": "pdf_invalide",
        "champ": "fichier",
        "message": "Le fichier n'est pas un PDF.",
    }
    assert api_a.client.post(url, {}, **en_tete).json()["erreurs"][0]["code"] == "requis"
