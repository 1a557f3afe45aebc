"""The demo's webhook: an endpoint and a log to look at, written without network."""

from __future__ import annotations

import datetime

from factures.models import Statut
from relances.models import Envoi, Relance, StatutEnvoi, StatutRelance
from tests.factories import ClientFactory, FactureFactory, scenario_avec_etape
from webhooks.demo import URL_DEMO, webhooks_demo_creer
from webhooks.models import Endpoint, Livraison, StatutLivraison, Tentative

JOUR = datetime.date(2026, 11, 27)


def test_the_demo_endpoint_and_its_log(scope_a):
    client = ClientFactory(external_id="DEMO-1")
    FactureFactory(client=client, numero="P-1", reste_du=0, statut=Statut.PAYEE)
    FactureFactory(client=client, numero="P-2", reste_du=0, statut=Statut.PAYEE)
    etape = scenario_avec_etape()
    envoi = Envoi.objects.create(
        client=client,
        date_prevue=JOUR,
        etape=etape,
        canal=etape.canal,
        statut=StatutEnvoi.ENVOYE,
        envoye_le=datetime.datetime(2026, 11, 27, 9, tzinfo=datetime.UTC),
    )
    Relance.objects.create(
        facture=FactureFactory(client=client, numero="R-1"),
        etape=etape,
        client=client,
        envoi=envoi,
        date_prevue=JOUR,
        decalage_jours=etape.decalage_jours,
        canal=etape.canal,
        statut=StatutRelance.ENVOYEE,
    )
    endpoint = webhooks_demo_creer(organisation=scope_a.organisation, jour=JOUR)
    assert endpoint.url == URL_DEMO
    statuts = sorted(Livraison.objects.values_list("type", "statut", "tentatives"))
    assert statuts == [
        ("facture.payee", StatutLivraison.ABANDONNEE, 6),
        ("facture.payee", StatutLivraison.LIVREE, 1),
        ("relance.envoyee", StatutLivraison.EN_ATTENTE, 2),
    ]
    retentee = Livraison.objects.get(type="relance.envoyee")
    assert retentee.prochaine_tentative > retentee.derniere_tentative_le
    assert retentee.payload["data"]["factures"][0]["numero"] == "R-1"
    assert Tentative.objects.count() == 9
    assert webhooks_demo_creer(organisation=scope_a.organisation, jour=JOUR) == endpoint
    assert (Endpoint.objects.count(), Livraison.objects.count()) == (1, 3)
