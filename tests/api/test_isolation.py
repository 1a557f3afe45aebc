"""Every endpoint for both organisations: a key of A never reaches B's objects (404 alike for
missing and foreign), lists never show them, bodies naming them are refused."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from factures.services import lettrage_create
from litiges.services import litige_ouvrir
from relances.models import Echeancier, Pause, Promesse, Relance
from tests.factories import ClientFactory, ContactFactory, FactureFactory, PaiementFactory, scenario_avec_etape

RESSOURCES = (
    "clients",
    "contacts",
    "factures",
    "paiements",
    "lettrages",
    "relances",
    "pauses",
    "litiges",
    "echeanciers",
    "promesses",
)


def _objets(tenant) -> dict[str, int]:
    with tenant.scope():
        client = ClientFactory(external_id="X")
        contact = ContactFactory(client=client, external_id="X")
        facture = FactureFactory(client=client, external_id="X")
        paiement = PaiementFactory(client=client, montant=Decimal("100.00"), external_id="X")
        lettrage = lettrage_create(facture=facture, paiement=paiement, montant=Decimal("50.00"))
        etape = scenario_avec_etape()
        relance = Relance.objects.create(
            facture=facture,
            client=client,
            etape=etape,
            date_prevue=datetime.date(2026, 11, 2),
            decalage_jours=1,
            canal="email",
        )
        pause = Pause.objects.create(client=client, motif="manuelle")
        litige = litige_ouvrir(
            client=client,
            factures=[(facture, Decimal("10.00"))],
            type="prix",
            description="Prix",
            auteur=None,
            external_id="X",
        )
        echeancier = Echeancier.objects.create(client=client, montant_principal=Decimal("10.00"), external_id="X")
        promesse = Promesse.objects.create(
            client=client, montant=Decimal("10.00"), date_promise=datetime.date(2026, 12, 1), external_id="X"
        )
    return {
        "clients": client.pk,
        "contacts": contact.pk,
        "factures": facture.pk,
        "paiements": paiement.pk,
        "lettrages": lettrage.pk,
        "relances": relance.pk,
        "pauses": pause.pk,
        "litiges": litige.pk,
        "echeanciers": echeancier.pk,
        "promesses": promesse.pk,
    }


@pytest.fixture
def ids_b(tenant_b) -> dict[str, int]:
    return _objets(tenant_b)


@pytest.fixture
def ids_a(tenant_a) -> dict[str, int]:
    return _objets(tenant_a)


def test_lists_show_only_the_key_organisation(api_a, ids_a, ids_b):
    for ressource in RESSOURCES:
        reponse = api_a.get(f"/api/v1/{ressource}/")
        assert reponse.status_code == 200, ressource
        vus = [o["id"] for o in reponse.json()["results"]]
        if ressource == "pauses":  # the dispute paused its invoice too
            assert len(vus) == 2
            assert ids_a[ressource] in vus
            assert ids_b[ressource] not in vus
        else:
            assert vus == [ids_a[ressource]], ressource


def test_b_objects_are_404_for_a_key_of_a_on_every_route(api_a, ids_a, ids_b):
    for ressource in RESSOURCES:
        reponse = api_a.get(f"/api/v1/{ressource}/{ids_b[ressource]}/")
        assert reponse.status_code == 404, ressource
        assert reponse.json()["erreurs"][0]["code"] == "not_found"
        # the control: A's own object is there
        assert api_a.get(f"/api/v1/{ressource}/{ids_a[ressource]}/").status_code == 200, ressource
    actions = [
        ("post", "clients", "suspendre"),
        ("post", "clients", "reprendre"),
        ("patch", "clients", ""),
        ("patch", "contacts", ""),
        ("patch", "factures", ""),
        ("post", "factures", "pdf"),
        ("post", "factures", "suspendre"),
        ("post", "factures", "reprendre"),
        ("post", "lettrages", "annuler"),
        ("post", "litiges", "statut"),
        ("post", "echeanciers", "annuler"),
    ]
    for methode, ressource, action in actions:
        url = f"/api/v1/{ressource}/{ids_b[ressource]}/" + (f"{action}/" if action else "")
        reponse = getattr(api_a, methode)(url, {"statut": "en_cours"})
        assert reponse.status_code == 404, url
    # B's external ids are unknown to A
    for ressource in ("clients", "contacts", "factures", "paiements", "litiges", "echeanciers", "promesses"):
        assert api_a.get(f"/api/v1/{ressource}/externe/X/").json()["id"] == ids_a[ressource]
    for ressource in ("clients", "factures"):
        assert api_a.get(f"/api/v1/{ressource}/", {"external_id": "X"}).json()["results"][0]["id"] == ids_a[ressource]


def test_bodies_naming_b_objects_are_refused(api_a, tenant_a, ids_b):
    with tenant_a.scope():
        facture_a = FactureFactory()
    lettrage = api_a.post(
        "/api/v1/lettrages/", {"facture": facture_a.pk, "paiement": ids_b["paiements"], "montant": "1.00"}
    )
    assert (lettrage.status_code, lettrage.json()["erreurs"][0]["champ"]) == (400, "paiement")
    litige = api_a.post(
        "/api/v1/litiges/",
        {"client": ids_b["clients"], "factures": [{"facture": ids_b["factures"]}], "type": "prix", "description": "x"},
    )
    assert (litige.status_code, litige.json()["erreurs"][0]["code"]) == (400, "client_inconnu")
    promesse = api_a.post(
        "/api/v1/promesses/", {"client": ids_b["clients"], "montant": "1.00", "date_promise": "2099-01-01"}
    )
    assert promesse.status_code == 400
    plan = api_a.post(
        "/api/v1/echeanciers/", {"client": facture_a.client_id, "factures": [ids_b["factures"]], "nombre": 2}
    )
    assert (plan.status_code, plan.json()["erreurs"][0]["champ"]) == (400, "factures")
    facture = api_a.post(
        "/api/v1/factures/",
        {
            "numero": "N-1",
            "client_id": ids_b["clients"],
            "date_emission": "2026-10-01",
            "montant_ht": "1",
            "montant_tva": "0",
        },
    )
    assert (facture.status_code, facture.json()["erreurs"][0]["code"]) == (400, "client_inconnu")


def test_the_same_external_id_in_b_is_another_object(api_a, api_b, tenant_b, ids_b):
    # A upserting external id « X » creates its own client; B's is untouched
    reponse = api_a.put("/api/v1/clients/externe/X/", {"raison_sociale": "Client de A"})
    assert reponse.status_code == 201
    assert reponse.json()["id"] != ids_b["clients"]
    assert api_b.get("/api/v1/clients/externe/X/").json()["raison_sociale"] != "Client de A"
