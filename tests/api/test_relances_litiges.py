"""Allocations, reminders (read) and pauses, disputes, payment plans and promises through the API."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from factures.models import Facture
from litiges.models import Litige
from relances.models import Echeancier, Pause, Promesse, Relance
from tests.factories import ClientFactory, FactureFactory, PaiementFactory, scenario_avec_etape


def _jour(n: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=n)).isoformat()


def test_an_allocation_is_created_and_cancelled(api_a, tenant_a):
    with tenant_a.scope():
        facture = FactureFactory()
        paiement = PaiementFactory(client=facture.client, montant=Decimal("1500.00"))
    cree = api_a.post("/api/v1/lettrages/", {"facture": facture.pk, "paiement": paiement.pk, "montant": "1200.00"})
    assert cree.status_code == 201, cree.json()
    assert api_a.get(f"/api/v1/factures/{facture.pk}/").json()["statut"] == "payee"
    assert api_a.get(f"/api/v1/paiements/{paiement.pk}/").json()["montant_non_affecte"] == "300.00"
    # over the remaining due: 400 on the amount
    trop = api_a.post("/api/v1/lettrages/", {"facture": facture.pk, "paiement": paiement.pk, "montant": "1.00"})
    assert trop.status_code == 409  # the invoice is no longer open
    annule = api_a.post(f"/api/v1/lettrages/{cree.json()['id']}/annuler/")
    assert annule.status_code == 200
    assert annule.json()["annule_le"] is not None
    facture_json = api_a.get(f"/api/v1/factures/{facture.pk}/").json()
    assert (facture_json["statut"], facture_json["reste_du"]) == ("ouverte", "1200.00")
    depasse = api_a.post("/api/v1/lettrages/", {"facture": facture.pk, "paiement": paiement.pk, "montant": "1300.00"})
    assert depasse.status_code == 400
    assert depasse.json()["erreurs"][0] == {
        "code": "depasse_reste_du",
        "champ": "montant",
        "message": "Le montant dépasse le reste dû de la facture (1\u00a0200,00\u00a0€).",
    }


def test_reminders_are_listed_with_their_status_and_dunning_is_paused_and_resumed(api_a, tenant_a):
    with tenant_a.scope():
        facture = FactureFactory()
        etape = scenario_avec_etape()
        Relance.objects.create(
            facture=facture,
            client=facture.client,
            etape=etape,
            date_prevue=datetime.date(2026, 10, 2),
            decalage_jours=1,
            canal="email",
        )
    relances = api_a.get("/api/v1/relances/", {"facture": facture.pk}).json()["results"]
    assert [(r["statut"], r["date_prevue"], r["etape_nom"], r["envoi"]) for r in relances] == [
        ("planifiee", "2026-10-02", "Rappel", None)
    ]
    # pause: the planned reminder is withdrawn
    pause = api_a.post(f"/api/v1/factures/{facture.pk}/suspendre/", {"jusqu_au": "2026-12-31", "commentaire": "ERP"})
    assert pause.status_code == 200, pause.json()
    assert pause.json()["suspendues"] is True
    assert [(p["motif"], p["jusqu_au"]) for p in pause.json()["pauses"]] == [("manuelle", "2026-12-31")]
    assert api_a.get("/api/v1/relances/", {"facture": facture.pk}).json()["results"][0]["statut"] == "annulee"
    # resume
    reprise = api_a.post(f"/api/v1/factures/{facture.pk}/reprendre/")
    assert reprise.json() == {"suspendues": False, "pauses": []}
    with tenant_a.scope():
        assert Pause.objects.get().levee_le is not None
    # a whole client
    client_pause = api_a.post(f"/api/v1/clients/{facture.client_id}/suspendre/", {})
    assert client_pause.json()["suspendues"] is True
    assert len(api_a.get("/api/v1/pauses/", {"client": facture.client_id}).json()["results"]) == 1
    assert api_a.post(f"/api/v1/clients/{facture.client_id}/reprendre/").json()["suspendues"] is False


def test_a_dispute_pause_is_not_lifted_by_hand_but_by_the_dispute_workflow(api_a, tenant_a):
    with tenant_a.scope():
        facture = FactureFactory()
    corps = {
        "client": facture.client_id,
        "factures": [{"facture": facture.pk, "montant": "200.00"}],
        "type": "prix",
        "description": "Remise oubliée",
    }
    ouvert = api_a.put("/api/v1/litiges/externe/TK-1/", corps)
    assert ouvert.status_code == 201, ouvert.json()
    litige = ouvert.json()
    assert (litige["statut"], litige["factures"], litige["external_id"]) == (
        "ouvert",
        [{"facture": facture.pk, "montant": "200.00"}],
        "TK-1",
    )
    # idempotent: the same external id gives the same dispute
    assert api_a.put("/api/v1/litiges/externe/TK-1/", corps).json()["id"] == litige["id"]
    with tenant_a.scope():
        assert Litige.objects.count() == 1
    refus = api_a.post(f"/api/v1/factures/{facture.pk}/reprendre/")
    assert refus.status_code == 409
    assert refus.json()["erreurs"][0]["code"] == "pause_non_levable"
    # the workflow: a status that may not follow is refused (409), then resolved
    saute = api_a.post(f"/api/v1/litiges/{litige['id']}/statut/", {"statut": "clos"})
    assert saute.status_code == 409
    assert saute.json()["erreurs"][0]["champ"] == "statut"
    en_cours = api_a.post(f"/api/v1/litiges/{litige['id']}/statut/", {"statut": "en_cours"})
    assert en_cours.json()["statut"] == "en_cours"
    resolu = api_a.post(
        f"/api/v1/litiges/{litige['id']}/statut/", {"statut": "resolu_rejete", "resolution": "Prix conforme"}
    )
    assert (resolu.json()["statut"], resolu.json()["resolution"]) == ("resolu_rejete", "Prix conforme")
    assert api_a.get(f"/api/v1/factures/{facture.pk}/relances/").status_code == 404
    with tenant_a.scope():
        assert not Pause.objects.filter(levee_le__isnull=True).exists()
    # bad inputs name their field
    mauvais = api_a.post("/api/v1/litiges/", {**corps, "factures": [{"facture": 999999}], "type": "inconnu"})
    assert mauvais.status_code == 400
    assert {e["champ"] for e in mauvais.json()["erreurs"]} == {"type"}
    inconnue = api_a.post("/api/v1/litiges/", {**corps, "factures": [{"facture": 999999}]})
    assert inconnue.json()["erreurs"][0]["champ"] == "factures.0.facture"


def test_a_payment_plan_is_created_once_and_cancelled(api_a, tenant_a):
    with tenant_a.scope():
        client = ClientFactory()
        f1 = FactureFactory(client=client)
        f2 = FactureFactory(
            client=client, montant_ht=Decimal("500.00"), montant_tva=Decimal("100.00"), montant_ttc=Decimal("600.00")
        )
    corps = {"client": client.pk, "factures": [f1.pk, f2.pk], "nombre": 3, "premiere_date": _jour(10)}
    cree = api_a.put("/api/v1/echeanciers/externe/PLAN-1/", corps)
    assert cree.status_code == 201, cree.json()
    plan = cree.json()
    assert (plan["montant_principal"], plan["factures"], plan["statut"]) == ("1800.00", sorted([f1.pk, f2.pk]), "actif")
    assert [v["montant"] for v in plan["versements"]] == ["600.00", "600.00", "600.00"]
    assert api_a.put("/api/v1/echeanciers/externe/PLAN-1/", corps).status_code == 200
    with tenant_a.scope():
        assert Echeancier.objects.count() == 1
    # the same invoices again: refused while the plan runs
    encore = api_a.post("/api/v1/echeanciers/", {**corps, "external_id": "PLAN-2"})
    assert encore.status_code == 409
    assert encore.json()["erreurs"][0]["code"] == "deja_en_echeancier"
    annule = api_a.post(f"/api/v1/echeanciers/{plan['id']}/annuler/")
    assert annule.json()["statut"] == "annule"
    assert api_a.post(f"/api/v1/echeanciers/{plan['id']}/annuler/").status_code == 409


def test_a_promise_is_recorded_once_and_pauses_dunning(api_a, tenant_a):
    with tenant_a.scope():
        facture = FactureFactory()
    corps = {"client": facture.client_id, "facture": facture.pk, "montant": "1200.00", "date_promise": _jour(5)}
    cree = api_a.put("/api/v1/promesses/externe/P-1/", corps)
    assert cree.status_code == 201, cree.json()
    assert (cree.json()["statut"], cree.json()["montant"]) == ("en_cours", "1200.00")
    assert api_a.put("/api/v1/promesses/externe/P-1/", corps).status_code == 200
    with tenant_a.scope():
        assert Promesse.objects.count() == 1
        assert Pause.objects.get().motif == "promesse"
    passee = api_a.post("/api/v1/promesses/", {**corps, "date_promise": _jour(-1)})
    assert passee.status_code == 400
    assert passee.json()["erreurs"][0] == {
        "code": "date_passee",
        "champ": "date_promise",
        "message": "La date promise est passée.",
    }
    with tenant_a.scope():
        assert Facture.objects.count() == 1
