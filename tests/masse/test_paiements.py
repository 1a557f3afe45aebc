"""Bulk upsert of payments and their allocations (``factures.masse.paiements_upsert``)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from clients.models import Evenement
from factures.masse import paiements_upsert
from factures.models import Facture, Lettrage, Paiement
from factures.services import facture_annuler
from factures.signals import facture_payee, reglement_enregistre
from recouvrement.core.masse import StatutLigne
from tests.factories import ClientFactory, FactureFactory

D = Decimal
J = datetime.date


def codes(resultat):
    return [(e.index, e.champ, e.code) for e in resultat.erreurs]


@pytest.fixture
def donnees(scope_a):
    c1 = ClientFactory(external_id="C1")
    c2 = ClientFactory(external_id="C2")
    f1 = FactureFactory(client=c1, numero="F1", montant_ttc=D("1200.00"))
    f2 = FactureFactory(
        client=c1,
        numero="F2",
        external_id="X2",
        montant_ht=D("250.00"),
        montant_tva=D("50.00"),
        montant_ttc=D("300.00"),
    )
    f3 = FactureFactory(client=c2, numero="F3")
    return c1, c2, f1, f2, f3


def test_paiement_avec_lettrages_puis_renvoi(donnees, django_capture_on_commit_callbacks):
    c1, _c2, f1, f2, _f3 = donnees
    lignes = [
        {
            "external_id": "P1",
            "date_paiement": J(2026, 10, 15),
            "montant": D("1000.00"),
            "reference": "VIR 123",
            "lettrages": [
                {"facture_numero": "F1", "montant": D("600.00")},
                {"facture_external_id": "X2", "montant": D("300.00")},
            ],
        },
        {
            "external_id": "P2",
            "client_external_id": "C1",
            "date_paiement": J(2026, 10, 16),
            "montant": D("700.00"),
            "lettrages": [{"facture_numero": "F1", "montant": D("600.00")}],
        },
    ]
    reglees, payees = [], []
    reglement_enregistre.connect(lambda **kw: reglees.append(kw["facture_ids"]), weak=False, dispatch_uid="t-r")
    facture_payee.connect(lambda **kw: payees.append(kw["facture_ids"]), weak=False, dispatch_uid="t-p")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            r = paiements_upsert(lignes=lignes)
            assert reglees == payees == []
    finally:
        reglement_enregistre.disconnect(dispatch_uid="t-r")
        facture_payee.disconnect(dispatch_uid="t-p")
    assert [x.statut for x in r.lignes] == [StatutLigne.CREE, StatutLigne.CREE]
    assert reglees == [sorted([f1.pk, f2.pk])]
    assert payees == [sorted([f1.pk, f2.pk])]
    f1.refresh_from_db()
    f2.refresh_from_db()
    assert (f1.reste_du, f1.statut) == (D("0.00"), "payee")
    assert (f2.reste_du, f2.statut) == (D("0.00"), "payee")
    p1 = Paiement.objects.get(pk=r.lignes[0].id)
    p2 = Paiement.objects.get(pk=r.lignes[1].id)
    # P1 had no client: it takes its invoices' one; 1000 - 900 = 100 unallocated, 700 - 600 = 100.
    assert (p1.client_id, p1.montant_non_affecte) == (c1.pk, D("100.00"))
    assert (p2.client_id, p2.montant_non_affecte) == (c1.pk, D("100.00"))
    assert Lettrage.objects.filter(paiement=p1).count() == 2
    assert sorted(Lettrage.objects.filter(facture=f1).values_list("montant", flat=True)) == [D("600.00"), D("600.00")]
    messages = list(
        Evenement.objects.filter(facture_id=f1.pk, type="lettrage.cree")
        .order_by("id")
        .values_list("message", flat=True)
    )
    assert len(messages) == 2
    assert "reste dû 600,00" in messages[0].replace("\u202f", " ").replace("\xa0", " ")
    assert "reste dû 0,00" in messages[1].replace("\u202f", " ").replace("\xa0", " ")
    assert Evenement.objects.filter(type="paiement.recu").count() == 2

    # The same batch again: unchanged, nothing replayed.
    r = paiements_upsert(lignes=lignes)
    assert [x.statut for x in r.lignes] == [StatutLigne.INCHANGE, StatutLigne.INCHANGE]
    assert Lettrage.objects.count() == 3
    assert Paiement.objects.count() == 2

    # Only libellé / référence / moyen change; the amount may not.
    r = paiements_upsert(
        lignes=[
            {"external_id": "P1", "reference": "VIR 124", "moyen": "cheque"},
            {"external_id": "P2", "montant": D("701.00")},
        ]
    )
    assert codes(r) == [(1, "montant", "paiement_modifie")]
    assert r.lignes[0].statut == StatutLigne.MIS_A_JOUR
    p1.refresh_from_db()
    assert (p1.reference, p1.moyen, p1.montant) == ("VIR 124", "cheque", D("1000.00"))


def test_lettrages_refuses(donnees):
    _c1, _c2, f1, _f2, _f3 = donnees
    facture_annuler(facture=FactureFactory(client=f1.client, numero="F-ANN"))
    base = {"date_paiement": J(2026, 10, 15), "montant": D("500.00")}
    lignes = [
        {**base, "lettrages": [{"facture_numero": "INCONNUE", "montant": D("1.00")}]},
        {
            **base,
            "lettrages": [
                {"facture_numero": "F1", "montant": D("100.00")},
                {"facture_numero": "F3", "montant": D("1.00")},
            ],
        },
        {**base, "lettrages": [{"facture_numero": "F2", "montant": D("300.01")}]},
        {
            **base,
            "lettrages": [
                {"facture_numero": "F1", "montant": D("400.00")},
                {"facture_numero": "F2", "montant": D("100.01")},
            ],
        },
        {**base, "lettrages": [{"facture_numero": "F-ANN", "montant": D("1.00")}]},
        {**base, "lettrages": [{"montant": D("1.00")}]},
        {**base, "lettrages": [{"facture_numero": "F1", "montant": D("0.00")}]},
        {**base, "lettrages": ["F1"]},
        {**base, "client_external_id": "C2", "lettrages": [{"facture_numero": "F1", "montant": D("1.00")}]},
        {**base, "lettrages": [{"facture_numero": "F1", "montant": D("1.00"), "note": "x"}]},
        {**base, "montant": D("0.00")},
        {"montant": D("5.00")},
        # Good: 1200 due on F1, 500 taken here, then 700 left; the next row takes 701: over.
        {**base, "lettrages": [{"facture_numero": "F1", "montant": D("500.00")}]},
        {**base, "montant": D("800.00"), "lettrages": [{"facture_numero": "F1", "montant": D("701.00")}]},
    ]
    r = paiements_upsert(lignes=lignes)
    assert codes(r) == [
        (0, "lettrages.0.facture_numero", "facture_inconnue"),
        (1, "lettrages.1.facture_numero", "autre_client"),
        (2, "lettrages.0.montant", "depasse_reste_du"),
        (3, "lettrages.1.montant", "depasse_paiement"),
        (4, "lettrages.0.facture_numero", "facture_fermee"),
        (5, "lettrages.0.facture_numero", "requis"),
        (6, "lettrages.0.montant", "montant_invalide"),
        (7, "lettrages.0", "type_invalide"),
        (8, "lettrages.0.facture_numero", "autre_client"),
        (9, "lettrages.0.note", "champ_inconnu"),
        (10, "montant", "montant_invalide"),
        (11, "date_paiement", "requis"),
        (13, "lettrages.0.montant", "depasse_reste_du"),
    ]
    assert r.lignes[12].statut == StatutLigne.CREE
    f1.refresh_from_db()
    assert (f1.reste_du, f1.statut) == (D("700.00"), "partiellement_payee")
    assert Paiement.objects.count() == 1
    assert Lettrage.objects.count() == 1


def test_tout_ou_rien_n_ecrit_rien(donnees):
    _c1, _c2, f1, _f2, _f3 = donnees
    lignes = [
        {
            "external_id": "OK",
            "date_paiement": J(2026, 10, 1),
            "montant": D("10.00"),
            "lettrages": [{"facture_numero": "F1", "montant": D("10.00")}],
        },
        {"external_id": "KO", "date_paiement": J(2026, 10, 1), "montant": D("-1.00")},
    ]
    r = paiements_upsert(lignes=lignes, tout_ou_rien=True)
    assert [x.statut for x in r.lignes] == [StatutLigne.NON_ECRIT, StatutLigne.ERREUR]
    assert not r.ecrit
    assert Paiement.objects.count() == 0
    assert Lettrage.objects.count() == 0
    f1.refresh_from_db()
    assert f1.reste_du == D("1200.00")


def test_paiement_sans_external_id_cree_a_chaque_fois(donnees):
    ligne = {"client_id": donnees[0].pk, "date_paiement": J(2026, 10, 1), "montant": D("10.00")}
    assert paiements_upsert(lignes=[ligne]).crees == 1
    assert paiements_upsert(lignes=[ligne]).crees == 1
    assert Paiement.objects.count() == 2
    assert Facture.objects.get(numero="F1").reste_du == D("1200.00")
