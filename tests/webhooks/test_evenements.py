"""Each of the five events, fired by the real service, reaches a real HTTP server on loopback,
signed; the receivers cost one query without endpoint and never break the caller."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from factures.models import Facture
from factures.services import lettrage_create, paiement_create
from factures.signals import facture_payee
from litiges.services import litige_ouvrir, litige_statut_changer
from relances.services.envoi import envoi_executer, envois_reserver
from relances.services.planification import organisation_planifier
from relances.services.taches import promesse_create
from tests.factories import ClientFactory, FactureFactory
from webhooks import payloads, receivers, services
from webhooks.models import Endpoint, Livraison, StatutLivraison, Tentative

JEUDI = datetime.date(2026, 11, 26)
J = datetime.timedelta(days=1)
TOUS = ["relance.envoyee", "litige.ouvert", "litige.resolu", "promesse.enregistree", "facture.payee"]


@pytest.fixture
def webhook(recepteur, scope_a):
    endpoint, secret = services.endpoint_create(url=recepteur.url, evenements=TOUS, description="ERP")
    return endpoint, secret


def _verifier(requete, secret, type):
    assert requete.chemin == "/erp/webhooks"
    assert requete.entetes["Content-Type"] == "application/json"
    assert requete.entetes["X-Recouvrement-Evenement"] == type
    assert requete.signature_valide(secret)
    assert not requete.signature_valide(secret + "x")
    corps = requete.json
    assert corps["type"] == type
    uuid.UUID(corps["id"])
    livraison = Livraison.objects.get(pk=int(requete.entetes["X-Recouvrement-Livraison"]))
    assert (livraison.statut, livraison.tentatives, livraison.dernier_code) == (StatutLivraison.LIVREE, 1, 200)
    assert str(livraison.evenement_id) == corps["id"]
    return corps


@pytest.mark.usefixtures("immediat")
def test_a_reminder_sent_is_delivered_signed(
    relances, recepteur, smtp, taux_2026_s2, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    r = relances
    with r.tenant.scope():
        endpoint, secret = services.endpoint_create(url=recepteur.url, evenements=["relance.envoyee"])
        client = r.client(external_id="CLI-42")
        f1 = r.facture(client, echeance=JEUDI - 2 * J, ttc="1500.00", external_id="ERP-F1")
        f2 = r.facture(client, echeance=JEUDI - 16 * J, ttc="240.00")
        organisation_planifier(jour=JEUDI)
        with django_capture_on_commit_callbacks(execute=True):
            (envoi_id,) = envois_reserver(jour=JEUDI)
            envoi_executer(envoi_id=envoi_id, jour=JEUDI)
        (requete,) = recepteur.requetes
        corps = _verifier(requete, secret, "relance.envoyee")
    assert corps["organisation_id"] == r.tenant.organisation.pk
    donnees = corps["data"]
    assert donnees["relance"]["id"] == envoi_id
    assert donnees["relance"]["etape"] == "Relance ferme"
    assert donnees["relance"]["canal"] == "email"
    assert donnees["client"] == {
        "id": client.pk,
        "external_id": "CLI-42",
        "raison_sociale": client.raison_sociale,
        "siren": client.siren,
    }
    assert [(f["numero"], f["external_id"], f["reste_du"], f["date_echeance"]) for f in donnees["factures"]] == [
        (f1.numero, "ERP-F1", "1500.00", "2026-11-24"),
        (f2.numero, "", "240.00", "2026-11-10"),
    ]
    assert endpoint.pk


@pytest.mark.usefixtures("immediat")
def test_a_dispute_opened_then_resolved(webhook, recepteur, django_capture_on_commit_callbacks):
    _endpoint, secret = webhook
    client = ClientFactory(external_id="C-7")
    facture = FactureFactory(client=client, numero="F-100")
    with django_capture_on_commit_callbacks(execute=True):
        litige = litige_ouvrir(
            client=client,
            factures=[(facture, Decimal("300.00"))],
            type="prix",
            description="Prix contesté",
            auteur=None,
            external_id="LIT-1",
        )
    with django_capture_on_commit_callbacks(execute=True):
        litige_statut_changer(litige=litige, statut="resolu_rejete", auteur=None, resolution="Prix conforme au devis")
    ouvert, resolu = recepteur.requetes
    donnees = _verifier(ouvert, secret, "litige.ouvert")["data"]
    assert donnees["litige"]["id"] == litige.pk
    assert donnees["litige"]["external_id"] == "LIT-1"
    assert donnees["litige"]["statut"] == "ouvert"
    assert donnees["litige"]["montant_conteste"] == "300.00"
    assert [(f["numero"], f["montant_conteste"], f["montant_ttc"]) for f in donnees["factures"]] == [
        ("F-100", "300.00", "1200.00")
    ]
    assert donnees["client"]["external_id"] == "C-7"
    donnees = _verifier(resolu, secret, "litige.resolu")["data"]
    assert donnees["litige"]["statut"] == "resolu_rejete"
    assert donnees["litige"]["resolution"] == "Prix conforme au devis"
    assert donnees["litige"]["resolu_le"].endswith("Z")


@pytest.mark.usefixtures("immediat")
def test_a_promise_recorded(webhook, recepteur, django_capture_on_commit_callbacks):
    _endpoint, secret = webhook
    client = ClientFactory(external_id="C-8")
    facture = FactureFactory(client=client, numero="F-200")
    with django_capture_on_commit_callbacks(execute=True):
        promesse = promesse_create(
            client=client,
            facture=facture,
            montant=Decimal("450.50"),
            date_promise=datetime.date(2026, 12, 15),
            prise_par=None,
            external_id="PR-1",
        )
    (requete,) = recepteur.requetes
    donnees = _verifier(requete, secret, "promesse.enregistree")["data"]
    assert donnees["promesse"]["id"] == promesse.pk
    assert donnees["promesse"]["montant"] == "450.50"
    assert donnees["promesse"]["date_promise"] == "2026-12-15"
    assert donnees["promesse"]["external_id"] == "PR-1"
    assert donnees["facture"]["numero"] == "F-200"
    assert donnees["client"]["external_id"] == "C-8"


@pytest.mark.usefixtures("immediat")
def test_a_payment_that_settles_an_invoice(webhook, recepteur, django_capture_on_commit_callbacks):
    _endpoint, secret = webhook
    client = ClientFactory(external_id="C-9")
    soldee = FactureFactory(
        client=client,
        numero="F-300",
        montant_ht=Decimal("600.00"),
        montant_tva=Decimal("120.00"),
        montant_ttc=Decimal("720.00"),
        external_id="X-300",
    )
    partielle = FactureFactory(client=client, numero="F-301")
    paiement = paiement_create(montant=Decimal("1020.00"), date_paiement=JEUDI, client=client)
    with django_capture_on_commit_callbacks(execute=True):
        lettrage_create(facture=soldee, paiement=paiement, montant=Decimal("720.00"))
        lettrage_create(facture=partielle, paiement=paiement, montant=Decimal("300.00"))
    (requete,) = recepteur.requetes  # the invoice paid in part is no event
    donnees = _verifier(requete, secret, "facture.payee")["data"]
    assert donnees["facture"] == {
        "id": soldee.pk,
        "external_id": "X-300",
        "numero": "F-300",
        "nature": "facture",
        "statut": "payee",
        "devise": "EUR",
        "montant_ht": "600.00",
        "montant_tva": "120.00",
        "montant_ttc": "720.00",
        "reste_du": "0.00",
        "date_emission": "2026-09-01",
        "date_echeance": "2026-10-01",
        "numero_commande": "",
    }
    assert donnees["client"]["external_id"] == "C-9"


def test_an_event_nobody_subscribed_costs_one_query(scope_a, recepteur):
    services.endpoint_create(url=recepteur.url, evenements=["litige.ouvert"])
    facture = FactureFactory()
    with CaptureQueriesContext(connection) as requetes:
        receivers.sur_facture_payee(Facture, facture_ids=[facture.pk], organisation_id=scope_a.organisation.pk)
    assert len(requetes) == 1
    assert not Livraison.objects.exists()


def test_an_organisation_without_endpoint_costs_one_query(scope_a):
    with CaptureQueriesContext(connection) as requetes:
        receivers.sur_relance_envoyee(Facture, envoi_id=1, organisation_id=scope_a.organisation.pk)
    assert len(requetes) == 1


def test_an_inactive_endpoint_gets_nothing(scope_a, recepteur):
    services.endpoint_create(url=recepteur.url, evenements=TOUS, actif=False)
    facture_payee.send(sender=Facture, facture_ids=[FactureFactory().pk], organisation_id=scope_a.organisation.pk)
    assert not Livraison.objects.exists()


def test_five_thousand_invoices_paid_make_five_thousand_events_in_a_few_queries(
    scope_a, recepteur, monkeypatch, django_capture_on_commit_callbacks
):
    files: list[list[int]] = []
    monkeypatch.setattr(services, "LIVRAISONS_PAR_TACHE", 500)
    monkeypatch.setattr(
        "webhooks.tasks.livraisons_envoyer_tache.delay", lambda **kwargs: files.append(kwargs["livraison_ids"])
    )
    services.endpoint_create(url=recepteur.url, evenements=["facture.payee", "litige.ouvert"])
    services.endpoint_create(url=recepteur.url + "/2", evenements=["litige.ouvert"])
    client = ClientFactory(external_id="GROS")
    modele = FactureFactory.build(client=client)
    champs = {f.attname: getattr(modele, f.attname) for f in Facture._meta.concrete_fields if f.attname != "id"}
    factures = Facture.objects.bulk_create(Facture(**{**champs, "numero": f"B{i:05d}"}) for i in range(5000))
    ids = [f.pk for f in factures]
    with CaptureQueriesContext(connection) as requetes, django_capture_on_commit_callbacks(execute=True):
        receivers.sur_facture_payee(Facture, facture_ids=ids, organisation_id=scope_a.organisation.pk)
    # endpoints, invoices, clients, then the rows by 1,000 inside a savepoint
    sql = [q["sql"][:60] for q in requetes.captured_queries]
    assert len(sql) == 3 + 5 + 2, sql
    assert Livraison.objects.count() == 5000
    assert Livraison.objects.values("evenement_id").distinct().count() == 5000
    assert sum(len(f) for f in files) == 5000
    assert len(files) == 10
    premiere = Livraison.objects.filter(payload__data__facture__numero="B00000").get()
    assert premiere.payload["data"]["client"]["external_id"] == "GROS"
    assert premiere.payload["data"]["facture"]["reste_du"] == "1200.00"


def test_a_failing_receiver_never_breaks_the_caller(webhook, monkeypatch, django_capture_on_commit_callbacks):
    def casse(*args, **kwargs):
        raise RuntimeError("panne")

    journal: list[tuple] = []
    monkeypatch.setattr(payloads, "factures_payees", casse)
    monkeypatch.setattr(receivers.logger, "exception", lambda *args: journal.append(args))
    client = ClientFactory()
    facture = FactureFactory(client=client)
    paiement = paiement_create(montant=Decimal("1200.00"), date_paiement=JEUDI, client=client)
    with django_capture_on_commit_callbacks(execute=True):
        lettrage_create(facture=facture, paiement=paiement, montant=Decimal("1200.00"))
    facture.refresh_from_db()
    assert facture.statut == "payee"
    assert not Livraison.objects.exists()
    assert [(message, type) for message, type, _organisation in journal] == [
        ("webhooks: event %s of organisation %s not published", "facture.payee")
    ]


def test_the_event_of_another_organisation_goes_to_its_own_endpoints(
    tenant_a, tenant_b, recepteur, django_capture_on_commit_callbacks
):
    with tenant_a.scope():
        services.endpoint_create(url=recepteur.url, evenements=TOUS)
    with tenant_b.scope():
        facture_b = FactureFactory()
        # Sent while A's scope is active (a platform job, say): B's rows only, B's endpoints only.
    with tenant_a.scope():
        facture_payee.send(sender=Facture, facture_ids=[facture_b.pk], organisation_id=tenant_b.organisation.pk)
        assert not Livraison.objects.exists()
    with tenant_b.scope():
        assert not Livraison.objects.exists()
    # A's event naming B's invoice id finds nothing in A's scope: no payload, no delivery.
    with tenant_a.scope():
        facture_payee.send(sender=Facture, facture_ids=[facture_b.pk], organisation_id=tenant_a.organisation.pk)
        assert not Livraison.objects.exists()
        assert not Endpoint.objects.filter(actif=False).exists()
    assert recepteur.requetes == []
    assert Tentative  # imported for the log tests
