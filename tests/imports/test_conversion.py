"""Cells in French formats turned into typed values; files read in every encoding and separator."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest

from imports.champs import CLIENTS, FACTURES, PAIEMENTS, deviner, manquants
from imports.conversion import ErreurCellule, booleen, convertir, date, entier, montant
from imports.lecture import decoder, lire


@pytest.mark.parametrize(
    ("cellule", "attendu"),
    [
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("1\u202f234,56 €", "1234.56"),
        ("1234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1.234.567", "1234567.00"),
        ("-12,5", "-12.50"),
        ("12,50-", "-12.50"),
        ("(12,50)", "-12.50"),
        ("-", "0.00"),
        (" € - ", "0.00"),
        ("1200", "1200.00"),
        ("EUR 99,9", "99.90"),
        (1200, "1200.00"),
        (1234.56, "1234.56"),
        (0.1 + 0.2, "0.30"),
    ],
)
def test_amounts_in_french_formats(cellule, attendu):
    assert montant(cellule) == Decimal(attendu)


@pytest.mark.parametrize(
    ("cellule", "code"),
    [
        ("abc", "montant_invalide"),
        ("12,345,6", "montant_invalide"),
        ("1,2.3,4", "montant_invalide"),
        ("12,345", "montant_invalide"),  # three decimals: a comma is always the decimal separator
        ("1e5", "montant_invalide"),
        ("NaN", "montant_invalide"),
        ("1 000 000 000 000,00", "montant_trop_grand"),
        (float("inf"), "montant_invalide"),
        (True, "montant_invalide"),
    ],
)
def test_unreadable_amounts_are_errors_with_a_code(cellule, code):
    with pytest.raises(ErreurCellule) as exc:
        montant(cellule)
    assert exc.value.code == code


@pytest.mark.parametrize(
    ("cellule", "attendu"),
    [
        ("31/12/2026", datetime.date(2026, 12, 31)),
        ("31/12/26", datetime.date(2026, 12, 31)),
        ("31.12.2026", datetime.date(2026, 12, 31)),
        ("1/2/2026", datetime.date(2026, 2, 1)),
        ("31-12-2026", datetime.date(2026, 12, 31)),
        ("2026-12-31", datetime.date(2026, 12, 31)),
        ("2026-12-31 00:00:00", datetime.date(2026, 12, 31)),
        (datetime.datetime(2026, 12, 31, 0, 0), datetime.date(2026, 12, 31)),
    ],
)
def test_dates_in_french_formats(cellule, attendu):
    assert date(cellule) == attendu


@pytest.mark.parametrize("cellule", ["31/02/2026", "12/31/2026", "2026/12/31", "hier", "31/12/1800", "0/0/0"])
def test_unreadable_dates(cellule):
    with pytest.raises(ErreurCellule) as exc:
        date(cellule)
    assert exc.value.code == "date_invalide"


def test_booleans_integers_and_choices():
    assert [booleen(v) for v in ("oui", "NON", "1", "0", "Vrai", "faux", "x", True, 0)] == [
        True, False, True, False, True, False, True, True, False,
    ]  # fmt: skip
    with pytest.raises(ErreurCellule):
        booleen("peut-être")
    assert entier("45 jours") == 45
    assert entier(30.0) == 30
    with pytest.raises(ErreurCellule):
        entier("30,5")
    assert convertir(FACTURES.champ("nature"), "Avoir") == "avoir"
    assert convertir(PAIEMENTS.champ("moyen"), "Chèque") == "cheque"
    assert convertir(FACTURES.champ("nature"), "bon") == "bon"  # the upsert reports it
    assert convertir(CLIENTS.champ("siren"), "552 100 554") == "552100554"
    assert convertir(CLIENTS.champ("siret"), "552.100.554.00013") == "55210055400013"


def test_headers_are_guessed_without_accents_nor_case():
    entetes = ["N° facture", "Code client", "Date", "Date échéance", "Montant TTC", "MONTANT HT", "Commentaire"]
    assert deviner(type="factures", entetes=entetes) == [
        "numero", "client_external_id", "date_emission", "date_echeance", "montant_ttc", "montant_ht", "",
    ]  # fmt: skip
    assert deviner(type="clients", entetes=["Raison sociale", "SIREN", "Délai de paiement", "Plafond"]) == [
        "raison_sociale", "siren", "delai_paiement_jours", "plafond_credit",
    ]  # fmt: skip
    assert manquants(type="factures", correspondance=["numero", "", "date_emission", "montant_ht", "montant_ttc"]) == [
        ("client_external_id", "client_siret"),
        ("montant_tva",),
    ]


def test_csv_encodings_and_separators():
    texte = "N° facture;Montant TTC\r\nF-1;1 234,56\r\n\r\nF-2;10\r\n"
    for contenu in (texte.encode("utf-8"), b"\xef\xbb\xbf" + texte.encode("utf-8"), texte.encode("cp1252")):
        fichier = lire(flux=io.BytesIO(contenu), format="csv")
        assert fichier.entetes == ["N° facture", "Montant TTC"]
        assert list(fichier.lignes) == [(2, ["F-1", "1 234,56"]), (4, ["F-2", "10"])]
    for sep in (",", "\t"):
        fichier = lire(flux=io.BytesIO(f"numero{sep}montant\nF-1{sep}12\n".encode()), format="csv")
        assert fichier.entetes == ["numero", "montant"]
        assert list(fichier.lignes) == [(2, ["F-1", "12"])]
    assert decoder("Échéance".encode("cp1252")) == "Échéance"


def test_a_quoted_line_break_keeps_the_line_numbers_of_the_file():
    contenu = b'numero;libelle\nF-1;"deux\nlignes"\nF-2;x\n'
    assert list(lire(flux=io.BytesIO(contenu), format="csv").lignes) == [
        (2, ["F-1", "deux\nlignes"]),
        (4, ["F-2", "x"]),
    ]


def test_xlsx_typed_cells():
    classeur = openpyxl.Workbook()
    feuille = classeur.active
    feuille.append(["N° facture", "Date", "Montant TTC"])
    feuille.append(["F-1", datetime.datetime(2026, 9, 1), 1200.5])
    feuille.append([None, None, None])
    feuille.append(["F-2", "02/09/2026", "10,00"])
    flux = io.BytesIO()
    classeur.save(flux)
    flux.seek(0)
    fichier = lire(flux=flux, format="xlsx")
    assert fichier.entetes == ["N° facture", "Date", "Montant TTC"]
    lignes = list(fichier.lignes)
    assert [numero for numero, _ in lignes] == [2, 4]
    assert montant(lignes[0][1][2]) == Decimal("1200.50")
    assert date(lignes[0][1][1]) == datetime.date(2026, 9, 1)
