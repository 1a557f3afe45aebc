"""Set-based: the number of queries does not grow with the rows. Isolation between organisations."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.masse import clients_upsert, contacts_upsert
from factures.masse import factures_upsert, paiements_upsert
from factures.models import Facture
from tests.factories import ClientFactory, FactureFactory

D = Decimal
J = datetime.date


def requetes(fonction, lignes) -> int:
    with CaptureQueriesContext(connection) as capture:
        resultat = fonction(lignes=lignes)
    assert resultat.en_erreur == 0, resultat.erreurs[:3]
    return len(capture)


def test_requetes_constantes_factures_et_paiements(scope_a):
    ClientFactory(external_id="C1")

    def factures(n, prefixe, ht="100.00"):
        return [
            {
                "numero": f"{prefixe}{k}",
                "client_external_id": "C1",
                "date_emission": J(2026, 9, 1),
                "montant_ht": D(ht),
                "montant_tva": D("20.00"),
            }
            for k in range(n)
        ]

    # create, update, unchanged: same count for 150 and 1,000 rows (both above PEU_DE_CLES; with a few
    # keys the lookups are the ORM's IN (…), without the two planner settings: fewer queries still)
    assert requetes(factures_upsert, factures(10, "p")) <= requetes(factures_upsert, factures(1000, "q"))
    assert requetes(factures_upsert, factures(150, "a")) == requetes(factures_upsert, factures(1000, "b"))
    assert requetes(factures_upsert, factures(150, "a", "90.00")) == requetes(
        factures_upsert, factures(1000, "b", "90.00")
    )
    assert requetes(factures_upsert, factures(150, "a", "90.00")) == requetes(
        factures_upsert, factures(1000, "b", "90.00")
    )

    def paiements(n, prefixe):
        return [
            {
                "external_id": f"{prefixe}{k}",
                "date_paiement": J(2026, 10, 1),
                "montant": D("50.00"),
                "lettrages": [{"facture_numero": f"{prefixe}{k}", "montant": D("50.00")}],
            }
            for k in range(n)
        ]

    petit, grand = requetes(paiements_upsert, paiements(150, "a")), requetes(paiements_upsert, paiements(1000, "b"))
    assert petit == grand
    assert Facture.objects.get(numero="b999").reste_du == D("60.00")


def test_requetes_constantes_clients_et_contacts(scope_a):
    def clients(n, prefixe, ville="Lyon"):
        return [{"external_id": f"{prefixe}{k}", "raison_sociale": f"Client {k}", "ville": ville} for k in range(n)]

    assert requetes(clients_upsert, clients(150, "a")) == requetes(clients_upsert, clients(1000, "b"))
    assert requetes(clients_upsert, clients(150, "a", "Nice")) == requetes(clients_upsert, clients(1000, "b", "Nice"))

    def contacts(n, prefixe):
        return [{"client_external_id": f"{prefixe}{k}", "nom": "Durand", "email": f"c{k}@x.fr"} for k in range(n)]

    assert requetes(contacts_upsert, contacts(150, "a")) == requetes(contacts_upsert, contacts(1000, "b"))


def test_isolation(tenant_a, tenant_b):
    with tenant_b.scope():
        client_b = ClientFactory(external_id="CB")
        FactureFactory(client=client_b, numero="F-1", external_id="XB")
    with tenant_a.scope():
        ClientFactory(external_id="CA")
        lignes = [
            {
                "numero": "F-2",
                "client_external_id": "CB",
                "date_emission": J(2026, 9, 1),
                "montant_ht": D("1.00"),
                "montant_tva": D("0.00"),
            },
            {
                "numero": "F-3",
                "client_id": client_b.pk,
                "date_emission": J(2026, 9, 1),
                "montant_ht": D("1.00"),
                "montant_tva": D("0.00"),
            },
            # Same number and external id as B's invoice: a new invoice of A.
            {
                "numero": "F-1",
                "external_id": "XB",
                "client_external_id": "CA",
                "date_emission": J(2026, 9, 1),
                "montant_ht": D("1.00"),
                "montant_tva": D("0.00"),
            },
        ]
        r = factures_upsert(lignes=lignes)
        assert [(e.index, e.champ, e.code) for e in r.erreurs] == [
            (0, "client_external_id", "client_inconnu"),
            (1, "client_id", "client_inconnu"),
        ]
        assert r.lignes[2].statut == "cree"
        r = paiements_upsert(
            lignes=[
                {
                    "date_paiement": J(2026, 10, 1),
                    "montant": D("1.00"),
                    "lettrages": [{"facture_external_id": "XB", "montant": D("1.00")}],
                },
                {"date_paiement": J(2026, 10, 1), "montant": D("1.00"), "client_external_id": "CB"},
            ]
        )
        assert [(e.index, e.champ, e.code) for e in r.erreurs] == [(1, "client_external_id", "client_inconnu")]
        # The allocation went to A's own invoice F-1.
        assert Facture.objects.get(numero="F-1").reste_du == D("0.00")
        r = contacts_upsert(lignes=[{"client_id": client_b.pk, "nom": "X"}])
        assert [(e.champ, e.code) for e in r.erreurs] == [("client_id", "client_inconnu")]
        r = clients_upsert(lignes=[{"external_id": "CB", "raison_sociale": "Homonyme"}])
        assert r.lignes[0].statut == "cree"
    with tenant_b.scope():
        f = Facture.objects.get(numero="F-1")
        assert (f.reste_du, f.montant_ttc) == (D("1200.00"), D("1200.00"))
