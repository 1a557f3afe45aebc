"""Automatic matching of CAMT.053 statements built in the test: every case of issue 6."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from banque.models import ComptePayeur, LigneReleve, ModeRapprochement, Releve, StatutLigne
from banque.selectors import credit_client, suggestions
from banque.services import jetons, nom_normaliser, releve_importer
from factures.models import Lettrage, Paiement, Statut
from recouvrement.core.errors import ApplicationError
from tests.banque.conftest import COMPTE, Ntry, Tx, camt, client_, facture_

D = datetime.date
IBAN_ACME = "FR7611111111111111111111111"


def importer(contenu: bytes, nom: str = "releve.xml"):
    return releve_importer(contenu=contenu, nom_fichier=nom)


def recharger(*objets):
    for objet in objets:
        objet.refresh_from_db()


def test_the_tokens_of_a_remittance_text():
    assert jetons("Reglement fact. F-1001/F-1002, ref:INV2026.7 merci") == {
        "F-1001/F-1002",
        "F-1001",
        "F-1002",
        "INV2026.7",
    }
    assert nom_normaliser("Bêta Services S.A.R.L.") == nom_normaliser("BETA SERVICES SARL") == "BETA SERVICES"


def test_an_invoice_number_in_ustrd_pays_it(scope_a):
    acme = client_("Acme")
    facture = facture_(acme, "F-1001", "1200.00")
    contenu = camt([Ntry("1200.00", ref="B1", tx=[Tx(ustrd=["Reglement facture f-1001 merci"], payeur="ACME")])])
    resultat = importer(contenu)
    assert (resultat.nouvelles, resultat.rapprochees, resultat.a_rapprocher) == (1, 1, 0)
    (ligne,) = LigneReleve.objects.all()
    recharger(facture)
    assert (ligne.statut, ligne.mode, ligne.client_id) == (StatutLigne.RAPPROCHEE, ModeRapprochement.REFERENCE, acme.pk)
    assert (facture.statut, facture.reste_du) == (Statut.PAYEE, Decimal("0.00"))
    paiement = ligne.paiement
    assert (paiement.montant, paiement.montant_non_affecte, paiement.moyen) == (Decimal("1200.00"), 0, "virement")
    assert (paiement.reference, paiement.external_id) == ("B1", f"banque:{COMPTE}:B1")
    assert paiement.date_paiement == D(2026, 11, 20)
    assert "f-1001" in paiement.libelle


def test_a_structured_creditor_reference_pays_it_in_a_later_camt_version(scope_a):
    facture = facture_(client_("Acme"), "F-1002", "480.00")
    contenu = camt([Ntry("480.00", ref="B2", tx=[Tx(ustrd=["VIR SEPA"], strd=["F-1002"])])], version="08")
    importer(contenu)
    recharger(facture)
    assert facture.statut == Statut.PAYEE
    assert LigneReleve.objects.get().references == "F-1002"


def test_one_line_for_two_invoices(scope_a):
    acme = client_("Acme")
    ancienne = facture_(acme, "F-2001", "1000.00", echeance=D(2026, 10, 15))
    recente = facture_(acme, "F-2002", "500.00", echeance=D(2026, 10, 31))
    importer(camt([Ntry("1500.00", ref="B3", tx=[Tx(ustrd=["F-2002 F-2001"])])]))
    recharger(ancienne, recente)
    assert (ancienne.statut, recente.statut) == (Statut.PAYEE, Statut.PAYEE)
    montants = sorted(Lettrage.objects.values_list("facture__numero", "montant"))
    assert montants == [("F-2001", Decimal("1000.00")), ("F-2002", Decimal("500.00"))]
    assert Paiement.objects.count() == 1


def test_a_partial_payment_leaves_the_rest_due(scope_a):
    facture = facture_(client_("Acme"), "F-3001", "1200.00")
    importer(camt([Ntry("500.00", ref="B4", tx=[Tx(ustrd=["acompte F-3001"])])]))
    recharger(facture)
    assert (facture.statut, facture.reste_du) == (Statut.PARTIELLEMENT_PAYEE, Decimal("700.00"))


def test_not_enough_for_two_referenced_invoices_pays_the_oldest_first(scope_a):
    acme = client_("Acme")
    ancienne = facture_(acme, "F-5001", "800.00", echeance=D(2026, 9, 30))
    recente = facture_(acme, "F-5002", "600.00", echeance=D(2026, 10, 31))
    importer(camt([Ntry("1000.00", ref="B5", tx=[Tx(ustrd=["F-5002 et F-5001"])])]))
    recharger(ancienne, recente)
    assert (ancienne.reste_du, recente.reste_du) == (Decimal("0.00"), Decimal("400.00"))


def test_an_overpayment_is_kept_as_the_clients_credit(scope_a):
    acme = client_("Acme")
    facture = facture_(acme, "F-4001", "1000.00")
    importer(camt([Ntry("1250.00", ref="B6", tx=[Tx(ustrd=["F-4001"])])]))
    recharger(facture)
    paiement = Paiement.objects.get()
    assert facture.statut == Statut.PAYEE
    assert (paiement.client_id, paiement.montant_non_affecte) == (acme.pk, Decimal("250.00"))
    assert credit_client(client=acme) == Decimal("250.00")


def test_a_known_iban_and_an_equal_amount_match_without_reference(scope_a):
    acme = client_("Acme")
    facture_(acme, "F-6001", "300.00", echeance=D(2026, 9, 30))
    deuxieme = facture_(acme, "F-6002", "700.00", echeance=D(2026, 10, 31))
    importer(camt([Ntry("300.00", ref="B7", tx=[Tx(ustrd=["F-6001"], iban=IBAN_ACME)])], releve="R1"))
    assert ComptePayeur.objects.get().client_id == acme.pk  # learnt from the match
    resultat = importer(camt([Ntry("700.00", ref="B8", tx=[Tx(ustrd=["VIREMENT"], iban=IBAN_ACME)])], releve="R2"))
    assert resultat.rapprochees == 1
    ligne = LigneReleve.objects.get(reference_banque__endswith=":B8")
    recharger(deuxieme)
    assert (ligne.mode, deuxieme.statut) == (ModeRapprochement.MONTANT, Statut.PAYEE)


def test_the_payers_name_and_an_equal_amount_match_the_oldest_such_invoice(scope_a):
    beta = client_("Bêta Services SARL")
    client_("Autre client")
    ancienne = facture_(beta, "B-1", "900.00", echeance=D(2026, 9, 30))
    recente = facture_(beta, "B-2", "900.00", echeance=D(2026, 10, 31))
    importer(camt([Ntry("900.00", ref="B9", tx=[Tx(ustrd=["PAIEMENT"], payeur="BETA SERVICES")])]))
    recharger(ancienne, recente)
    assert (ancienne.statut, recente.statut) == (Statut.PAYEE, Statut.OUVERTE)
    assert LigneReleve.objects.get().mode == ModeRapprochement.MONTANT


def test_the_sum_of_a_set_of_open_invoices_matches(scope_a):
    gamma = client_("Gamma Industrie")
    f100 = facture_(gamma, "G-1", "100.00", echeance=D(2026, 9, 1))
    f250 = facture_(gamma, "G-2", "250.00", echeance=D(2026, 9, 15))
    f400 = facture_(gamma, "G-3", "400.00", echeance=D(2026, 10, 1))
    f1000 = facture_(gamma, "G-4", "1000.00", echeance=D(2026, 10, 15))
    importer(camt([Ntry("650.00", ref="B10", tx=[Tx(ustrd=["REGLEMENT"], payeur="GAMMA INDUSTRIE")])]))
    recharger(f100, f250, f400, f1000)
    assert [f.statut for f in (f100, f250, f400, f1000)] == [
        Statut.OUVERTE,
        Statut.PAYEE,
        Statut.PAYEE,
        Statut.OUVERTE,
    ]


def test_no_match_waits_with_ranked_suggestions(scope_a):
    delta = client_("Delta Conseil")
    facture_(delta, "D-1", "1200.00", echeance=D(2026, 11, 15))
    facture_(client_("Epsilon"), "E-1", "1180.00", echeance=D(2026, 6, 30))
    facture_(client_("Zeta"), "Z-1", "1190.00", echeance=D(2026, 11, 20))
    facture_(client_("Loin"), "L-1", "5000.00", echeance=D(2026, 11, 20))
    resultat = importer(camt([Ntry("1180.00", ref="B11", tx=[Tx(ustrd=["VIR"], payeur="DELTA CONSEIL")])]))
    assert (resultat.rapprochees, resultat.a_rapprocher) == (0, 1)
    ligne = LigneReleve.objects.get()
    assert ligne.statut == StatutLigne.A_RAPPROCHER
    assert ligne.paiement_id is None
    proposees = suggestions([ligne])[ligne.pk]
    # D-1: amount within 1.7 % (17) + same name (20) + due 5 days before (9) = 46
    # E-1: equal amount (30), other name, due 143 days before (0) = 30
    # Z-1: amount within 0.8 % (18), other name, due the same day (10) = 28
    assert [(s.facture.numero, s.score) for s in proposees] == [("D-1", 46), ("E-1", 30), ("Z-1", 28)]
    assert proposees[0].montant == Decimal("1180.00")


def test_the_reference_wins_over_another_invoice_of_the_exact_amount(scope_a):
    acme = client_("Acme")
    facture_(acme, "H-1", "100.00")
    autre = facture_(client_("Autre"), "H-2", "2000.00", echeance=D(2026, 11, 20))
    importer(camt([Ntry("2000.00", ref="B12", tx=[Tx(ustrd=["H-1"])])]))
    ligne = LigneReleve.objects.get()
    recharger(autre)
    # H-1 is named: 100 allocated to it, 1,900 kept as Acme's credit; H-2 stays open
    assert (ligne.statut, ligne.client_id, autre.statut) == (StatutLigne.RAPPROCHEE, acme.pk, Statut.OUVERTE)
    assert Paiement.objects.get().montant_non_affecte == Decimal("1900.00")


def test_debit_lines_are_listed_as_ignored(scope_a):
    resultat = importer(camt([Ntry("85.20", sens="DBIT", ref="B13", tx=[Tx(ustrd=["PRLV EDF"])])]))
    assert (resultat.nouvelles, resultat.debits, resultat.rapprochees) == (1, 1, 0)
    assert LigneReleve.objects.get().statut == StatutLigne.DEBIT
    assert not Paiement.objects.exists()


def test_several_transactions_in_one_entry_are_several_lines(scope_a):
    acme = client_("Acme")
    f1 = facture_(acme, "M-1", "1000.00")
    f2 = facture_(client_("Beta"), "M-2", "500.00")
    entree = Ntry("1500.00", ref="LOT1", tx=[Tx(ustrd=["M-1"], montant="1000.00"), Tx(ustrd=["M-2"], montant="500.00")])
    importer(camt([entree]))
    recharger(f1, f2)
    assert (f1.statut, f2.statut) == (Statut.PAYEE, Statut.PAYEE)
    refs = sorted(LigneReleve.objects.values_list("reference_banque", flat=True))
    assert refs == [f"{COMPTE}:LOT1/1", f"{COMPTE}:LOT1/2"]


def test_importing_the_same_statement_twice_creates_nothing_twice(scope_a):
    facture_(client_("Acme"), "F-1001", "1200.00")
    contenu = camt([Ntry("1200.00", ref="B1", tx=[Tx(ustrd=["F-1001"])]), Ntry("50.00", ref="B2", tx=[Tx()])])
    importer(contenu)
    again = importer(contenu)
    assert again.deja_importe
    # another file repeating one line (same bank reference) and bringing a new one
    autre = camt([Ntry("1200.00", ref="B1", tx=[Tx(ustrd=["F-1001"])]), Ntry("70.00", ref="B3", tx=[Tx()])], releve="X")
    resultat = importer(autre)
    assert (resultat.nouvelles, resultat.doublons) == (1, 1)
    assert (Releve.objects.count(), LigneReleve.objects.count(), Paiement.objects.count()) == (2, 3, 1)
    assert Lettrage.objects.count() == 1
    seulement_doublons = importer(camt([Ntry("70.00", ref="B3", tx=[Tx()])], releve="Y"))
    assert (seulement_doublons.releve, seulement_doublons.doublons) == (None, 1)
    assert Releve.objects.count() == 2


def test_a_malformed_xml_is_refused_with_its_line_and_nothing_written(scope_a):
    casse = (
        b'<?xml version="1.0"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">\n'
        b"<BkToCstmrStmt>\n</Document>"
    )
    with pytest.raises(ApplicationError) as erreur:
        importer(casse)
    assert erreur.value.code == "releve_fichier_invalide"
    assert "ligne 4" in erreur.value.message
    assert "XML mal formé" in erreur.value.message
    assert not Releve.objects.exists()


def test_missing_elements_are_refused_naming_each_one(scope_a):
    contenu = camt([Ntry("10.00", ref="OK1", tx=[Tx()]), Ntry("20.00", ref="KO", tx=[Tx()])])
    sans_date = contenu.replace(
        b"<BookgDt><Dt>2026-11-20</Dt></BookgDt><ValDt><Dt>2026-11-20</Dt></ValDt><AcctSvcrRef>KO", b"<AcctSvcrRef>KO"
    )
    sans_sens = sans_date.replace(
        b'<Amt Ccy="EUR">20.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>', b'<Amt Ccy="EUR">20.00</Amt>'
    )
    with pytest.raises(ApplicationError) as erreur:
        importer(sans_sens)
    erreurs = erreur.value.extra["erreurs"]
    assert erreurs == ["ligne 5 : élément Ntry/CdtDbtInd manquant", "ligne 5 : élément Ntry/BookgDt manquant"]
    assert not Releve.objects.exists()
    assert not LigneReleve.objects.exists()


def test_not_a_camt053_and_entities_are_refused(scope_a):
    with pytest.raises(ApplicationError, match=r"CAMT\.053"):
        importer(b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>')
    bombe = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt/></Document>'
    )
    with pytest.raises(ApplicationError, match="DOCTYPE"):
        importer(bombe)
    with pytest.raises(ApplicationError, match="Amt@Ccy"):
        importer(camt([Ntry("10.00", ref="C", tx=[Tx()], ccy="")]))
    assert not Releve.objects.exists()


def test_another_tenants_invoice_numbers_are_never_matched(tenant_a, tenant_b):
    with tenant_b.scope():
        chez_b = facture_(client_("Client de B"), "F-9001", "1200.00")
    with tenant_a.scope():
        facture_(client_("Client de A"), "F-0001", "300.00")
        resultat = importer(camt([Ntry("1200.00", ref="B1", tx=[Tx(ustrd=["F-9001"], payeur="CLIENT DE B")])]))
        assert resultat.a_rapprocher == 1
        ligne = LigneReleve.objects.get()
        assert suggestions([ligne])[ligne.pk] == []
    with tenant_b.scope():
        chez_b.refresh_from_db()
        assert chez_b.statut == Statut.OUVERTE
        assert not LigneReleve.objects.exists()
        # the same bank line may be imported by B too: references are unique per organisation
        assert importer(camt([Ntry("1200.00", ref="B1", tx=[Tx(ustrd=["F-9001"])])])).rapprochees == 1
        chez_b.refresh_from_db()
        assert chez_b.statut == Statut.PAYEE
