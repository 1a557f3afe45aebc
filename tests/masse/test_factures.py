"""Bulk upsert of invoices (``factures.masse.factures_upsert``): figures worked out by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from clients.models import Evenement
from factures.masse import factures_upsert
from factures.models import Facture, Nature
from factures.services import facture_annuler, lettrage_create, paiement_create
from factures.signals import facture_payee
from recouvrement.core.masse import StatutLigne
from tests.factories import ClientFactory, FactureFactory

pytestmark = pytest.mark.django_db(transaction=False)

D = Decimal
J = datetime.date


def ligne(**champs):
    base = {
        "numero": "F-001",
        "client_external_id": "C1",
        "date_emission": J(2026, 9, 1),
        "montant_ht": D("1000.00"),
        "montant_tva": D("200.00"),
    }
    base.update(champs)
    return {k: v for k, v in base.items() if v is not ...}


@pytest.fixture
def client_c1(scope_a):
    return ClientFactory(external_id="C1", delai_paiement_jours=45, fin_de_mois=True, affactureur="Factor SA")


def codes(resultat):
    return [(e.index, e.champ, e.code) for e in resultat.erreurs]


def test_creation_puis_renvoi_inchange_puis_mise_a_jour(client_c1):
    lignes = [ligne(), ligne(numero="F-002", external_id="X2", montant_ttc=D("1200.00"), date_echeance=J(2026, 9, 30))]
    r = factures_upsert(lignes=lignes)
    assert [x.statut for x in r.lignes] == [StatutLigne.CREE, StatutLigne.CREE]
    assert r.ecrit
    assert r.crees == 2
    f1 = Facture.objects.get(pk=r.lignes[0].id)
    # 45 days end of month from 1 September: 16 October, then the month's end.
    assert f1.date_echeance == J(2026, 10, 31)
    assert (f1.montant_ttc, f1.reste_du, f1.statut, f1.client_id) == (
        D("1200.00"),
        D("1200.00"),
        "ouverte",
        client_c1.pk,
    )
    assert Evenement.objects.filter(type="facture.creee", facture_id=f1.pk).count() == 1
    assert Evenement.objects.get(type="facture.creee", facture_id=f1.pk).message.startswith("Facture F-001 enregistrée")

    r2 = factures_upsert(lignes=lignes)
    assert [x.statut for x in r2.lignes] == [StatutLigne.INCHANGE, StatutLigne.INCHANGE]
    assert [x.id for x in r2.lignes] == [x.id for x in r.lignes]
    assert Evenement.objects.count() == 2
    assert Facture.objects.count() == 2

    # By external id, the number changes; by number, the amounts change.
    r3 = factures_upsert(
        lignes=[
            {"external_id": "X2", "numero": "F-002-bis"},
            {"numero": "F-001", "montant_ht": D("500.00"), "montant_tva": D("100.00")},
        ]
    )
    assert [x.statut for x in r3.lignes] == [StatutLigne.MIS_A_JOUR, StatutLigne.MIS_A_JOUR]
    f1.refresh_from_db()
    assert (f1.montant_ttc, f1.reste_du, f1.statut) == (D("600.00"), D("600.00"), "ouverte")
    assert Facture.objects.get(external_id="X2").numero == "F-002-bis"
    modif = Evenement.objects.get(type="facture.modifiee", facture_id=f1.pk)
    assert modif.donnees == {"champs": ["montant_ht", "montant_ttc", "montant_tva"]}


def test_external_id_prend_une_facture_connue_par_son_numero(client_c1):
    existante = FactureFactory(client=client_c1, numero="F-9")
    r = factures_upsert(lignes=[ligne(numero="F-9", external_id="ERP-9", montant_ht=D("1000.00"))])
    assert r.lignes[0].statut == StatutLigne.MIS_A_JOUR
    assert r.lignes[0].id == existante.pk
    assert Facture.objects.get(pk=existante.pk).external_id == "ERP-9"
    # Another id on the same number: taken.
    r = factures_upsert(lignes=[ligne(numero="F-9", external_id="ERP-autre")])
    assert codes(r) == [(0, "numero", "numero_en_double")]


def test_mise_a_jour_d_une_facture_lettree(client_c1):
    facture = FactureFactory(
        client=client_c1, numero="F-L", montant_ht=D("1000.00"), montant_tva=D("200.00"), montant_ttc=D("1200.00")
    )
    paiement = paiement_create(montant=D("500.00"), date_paiement=J(2026, 10, 1), client=client_c1)
    lettrage_create(facture=facture, paiement=paiement, montant=D("450.00"))
    autre = ClientFactory(external_id="C2")

    # TTC 1000 with 450 allocated: 550 left, partially paid.
    r = factures_upsert(lignes=[{"numero": "F-L", "montant_ht": D("800.00"), "montant_tva": D("200.00")}])
    assert r.lignes[0].statut == StatutLigne.MIS_A_JOUR
    facture.refresh_from_db()
    assert (facture.montant_ttc, facture.reste_du, facture.statut) == (D("1000.00"), D("550.00"), "partiellement_payee")

    # Below what is allocated: refused; another client: refused.
    r = factures_upsert(
        lignes=[
            {"numero": "F-L", "montant_ht": D("400.00"), "montant_tva": D("40.00")},
            {"numero": "F-L", "client_external_id": "C2"},
        ]
    )
    assert codes(r) == [(0, "montant_ttc", "montant_inferieur_lettrages"), (1, "numero", "numero_en_double")]
    r = factures_upsert(lignes=[{"numero": "F-L", "client_external_id": "C2"}])
    assert codes(r) == [(0, "client_external_id", "facture_lettree")]
    assert autre.factures.count() == 0

    # Exactly what is allocated: paid.
    r = factures_upsert(lignes=[{"numero": "F-L", "montant_ht": D("375.00"), "montant_tva": D("75.00")}])
    assert r.lignes[0].statut == StatutLigne.MIS_A_JOUR
    facture.refresh_from_db()
    assert (facture.montant_ttc, facture.reste_du, facture.statut) == (D("450.00"), D("0.00"), "payee")


def test_signal_facture_payee_apres_commit(client_c1, django_capture_on_commit_callbacks):
    facture = FactureFactory(client=client_c1, numero="F-P")
    paiement = paiement_create(montant=D("300.00"), date_paiement=J(2026, 10, 1), client=client_c1)
    lettrage_create(facture=facture, paiement=paiement, montant=D("300.00"))
    recus = []

    def recevoir(**kw):
        recus.append((kw["facture_ids"], kw["organisation_id"]))

    facture_payee.connect(recevoir, weak=False, dispatch_uid="t-payee2")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            factures_upsert(lignes=[{"numero": "F-P", "montant_ht": D("250.00"), "montant_tva": D("50.00")}])
            assert recus == []
    finally:
        facture_payee.disconnect(dispatch_uid="t-payee2")
    assert recus == [([facture.pk], client_c1.tenant_id)]


def test_facture_annulee_non_modifiable(client_c1):
    facture = FactureFactory(client=client_c1, numero="F-A")
    facture_annuler(facture=facture)
    r = factures_upsert(lignes=[{"numero": "F-A", "montant_ht": D("1.00"), "montant_tva": D("0.00")}])
    assert codes(r) == [(0, "numero", "facture_annulee")]


def test_erreurs_par_champ(client_c1):
    lignes = [
        ligne(numero="E0", client_external_id="INCONNU"),
        ligne(numero="E1", montant_ttc=D("1300.00")),
        ligne(numero="E2", date_echeance=J(2026, 8, 1)),
        ligne(numero="E3", montant_ht=D("10.001")),
        ligne(numero="E4", nature="note"),
        ligne(numero="X" * 51),
        ligne(numero="E6", montant_tva="200"),
        ligne(numero="E7", couleur="bleu"),
        ligne(numero="E8", date_emission=...),
        ligne(numero="E9", montant_ht=D("-5.00")),
        ligne(numero="E10", client_external_id=..., client_id=None),
        ligne(numero="E11", facture_origine_numero="F-001"),
        ligne(numero="E12", date_emission=datetime.datetime(2026, 9, 1, 10, 0)),
        ligne(numero="E13", support_paiement="affacturage", client_external_id=..., client_id=None),
        ligne(numero="E14", montant_ht=D("NaN")),
        ligne(numero="   "),
    ]
    r = factures_upsert(lignes=lignes)
    assert codes(r) == [
        (0, "client_external_id", "client_inconnu"),
        (1, "montant_ttc", "montants_incoherents"),
        (2, "date_echeance", "echeance_avant_emission"),
        (3, "montant_ht", "montant_invalide"),
        (4, "nature", "choix_invalide"),
        (5, "numero", "trop_long"),
        (6, "montant_tva", "type_invalide"),
        (7, "couleur", "champ_inconnu"),
        (8, "date_emission", "requis"),
        (9, "montant_ht", "montant_invalide"),
        (10, "client_id", "requis"),
        (11, "facture_origine_numero", "nature_invalide"),
        (12, "date_emission", "type_invalide"),
        (13, "client_id", "requis"),
        (14, "montant_ht", "montant_invalide"),
        (15, "numero", "requis"),
    ]
    assert r.ecrit is False
    assert Facture.objects.count() == 0
    assert all(e.message for e in r.erreurs)


def test_messages_en_anglais(client_c1):
    with translation.override("en"):
        r = factures_upsert(lignes=[ligne(couleur="bleu")])
    assert r.erreurs[0].code == "champ_inconnu"


def test_affactureur_du_client_et_avoir(client_c1):
    r = factures_upsert(
        lignes=[
            ligne(numero="F-AF", support_paiement="affacturage"),
            ligne(
                numero="AV-1",
                nature="avoir",
                facture_origine_numero="F-ORIG",
                montant_ht=D("100.00"),
                montant_tva=D("20.00"),
            ),
        ]
    )
    assert codes(r) == [(1, "facture_origine_numero", "facture_inconnue")]
    assert Facture.objects.get(numero="F-AF").affactureur == "Factor SA"
    origine = FactureFactory(client=client_c1, numero="F-ORIG")
    r = factures_upsert(
        lignes=[
            ligne(
                numero="AV-1",
                nature="avoir",
                facture_origine_numero="F-ORIG",
                montant_ht=D("100.00"),
                montant_tva=D("20.00"),
            )
        ]
    )
    avoir = Facture.objects.get(pk=r.lignes[0].id)
    assert (avoir.nature, avoir.facture_origine_id, avoir.reste_du) == (Nature.AVOIR, origine.pk, D("120.00"))
    assert Evenement.objects.get(facture_id=avoir.pk).message.startswith("Avoir AV-1 enregistrée")


def test_doublons_dans_l_envoi_et_tout_ou_rien(client_c1):
    lignes = [
        ligne(numero="D1"),
        ligne(numero="D2", external_id="E"),
        ligne(numero="D1"),
        ligne(numero="D3", external_id="E"),
    ]
    r = factures_upsert(lignes=lignes, tout_ou_rien=True)
    assert codes(r) == [(2, "numero", "numero_en_double"), (3, "external_id", "external_id_en_double")]
    assert [x.statut for x in r.lignes] == ["non_ecrit", "non_ecrit", "erreur", "erreur"]
    assert [x.id for x in r.lignes] == [None] * 4
    assert r.ecrit is False
    assert Facture.objects.count() == 0

    r = factures_upsert(lignes=lignes)
    assert [x.statut for x in r.lignes] == ["cree", "cree", "erreur", "erreur"]
    assert r.ecrit is True
    assert sorted(Facture.objects.values_list("numero", flat=True)) == ["D1", "D2"]


def test_client_par_siret_ou_id(client_c1):
    from tests.masse.outils import siret_valide

    siret = siret_valide(client_c1.siren)
    client_c1.siret = siret
    client_c1.save()
    r = factures_upsert(
        lignes=[
            ligne(
                numero="S1", client_external_id=..., client_siret=f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
            ),
            ligne(numero="S2", client_external_id=..., client_id=client_c1.pk),
            ligne(numero="S3", client_external_id="C1", client_id=client_c1.pk + 1000),
        ]
    )
    assert codes(r) == [(2, "client_id", "client_inconnu")]
    assert Facture.objects.filter(client=client_c1).count() == 2


def test_progression(client_c1, monkeypatch):
    import recouvrement.core.masse as masse

    monkeypatch.setattr(masse, "TAILLE_LOT", 3)
    import clients.masse
    import factures.masse

    appels = []
    lignes = [ligne(numero=f"P{n}") for n in range(7)]
    # par_lots reads its default at definition: pass through the module's function with a small lot.
    monkeypatch.setattr(factures.masse, "par_lots", lambda n, taille=3: masse.par_lots(n, 3))
    monkeypatch.setattr(clients.masse, "par_lots", lambda n, taille=3: masse.par_lots(n, 3))
    r = factures_upsert(lignes=lignes, progression=appels.append)
    assert r.crees == 7
    assert appels == [3, 6, 7]
