"""CSV statements: French dates and amounts, column detection or mapping, refusals."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from banque.models import LigneReleve, Releve, StatutLigne
from banque.parseurs import csv_lire, date_lire, montant_lire
from banque.services import releve_importer
from factures.models import Statut
from recouvrement.core.errors import ApplicationError
from tests.banque.conftest import client_, facture_


@pytest.mark.parametrize(
    ("texte", "attendu"),
    [
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56 €", "1234.56"),
        ("-85,20", "-85.20"),
        ("1.234,56", "1234.56"),
        ("1234.5", "1234.5"),
        ("+12", "12"),
    ],
)
def test_french_amounts(texte, attendu):
    assert montant_lire(texte) == Decimal(attendu)


@pytest.mark.parametrize("texte", ["", "12,345", "abc", "1,2,3"])
def test_unreadable_amounts(texte):
    with pytest.raises(ValueError):  # noqa: PT011  (the message is the text refused)
        montant_lire(texte)


def test_french_dates():
    assert date_lire("31/12/2026") == date_lire("2026-12-31") == date_lire("31.12.2026") == datetime.date(2026, 12, 31)
    assert date_lire("05/01/27") == datetime.date(2027, 1, 5)


CSV = (
    "Date;Libellé;Montant;Payeur\n"
    "20/11/2026;VIR SEPA REGLEMENT F-1001;1 200,00;ACME\n"
    "21/11/2026;PRLV EDF;-85,20;EDF\n"
    "21/11/2026;VIR INCONNU;50,00;M DUPONT\n"
)


def test_a_csv_statement_is_imported_and_matched(scope_a):
    facture = facture_(client_("Acme"), "F-1001", "1200.00")
    resultat = releve_importer(contenu=CSV.encode("cp1252"), nom_fichier="banque.csv")
    assert (resultat.nouvelles, resultat.rapprochees, resultat.a_rapprocher, resultat.debits) == (3, 1, 1, 1)
    facture.refresh_from_db()
    assert facture.statut == Statut.PAYEE
    statuts = list(LigneReleve.objects.order_by("position").values_list("statut", "montant"))
    assert statuts == [
        (StatutLigne.RAPPROCHEE, Decimal("1200.00")),
        (StatutLigne.DEBIT, Decimal("85.20")),
        (StatutLigne.A_RAPPROCHER, Decimal("50.00")),
    ]
    # the same file again, renamed and re-encoded: nothing twice
    again = releve_importer(contenu=CSV.encode("utf-8-sig"), nom_fichier="banque (1).csv")
    assert (again.releve, again.doublons) == (None, 3)
    assert Releve.objects.count() == 1


def test_credit_and_debit_columns_and_an_explicit_mapping():
    contenu = (
        'Jour,Opération,Débit,Crédit,Tiers\n02/11/2026,Loyer,"1 000,00",,SCI\n03/11/2026,Virement,,"250,00",ACME\n'
    )
    lu = csv_lire(contenu.encode(), correspondance={"date": "Jour", "libelle": "Opération", "payeur": "Tiers"})
    assert [(ligne.sens, ligne.montant, ligne.payeur_nom) for ligne in lu.lignes] == [
        ("debit", Decimal("1000.00"), "SCI"),
        ("credit", Decimal("250.00"), "ACME"),
    ]


def test_a_bad_csv_names_each_line_and_column_and_writes_nothing(scope_a):
    contenu = "Date;Libellé;Montant\n20/11/2026;OK;10,00\n2026/31/12;X;10,00\n21/11/2026;Y;dix euros\n"
    with pytest.raises(ApplicationError) as erreur:
        releve_importer(contenu=contenu.encode(), nom_fichier="x.csv")
    assert erreur.value.extra["erreurs"] == [
        "ligne 3, colonne date : « 2026/31/12 » n'est pas une date (JJ/MM/AAAA)",
        "ligne 4, colonne montant : montant illisible (format 1 234,56 attendu)",
    ]
    assert not Releve.objects.exists()
    with pytest.raises(ApplicationError, match="colonne"):
        releve_importer(contenu=b"Quand;Combien\n20/11/2026;10\n", nom_fichier="y.csv")
