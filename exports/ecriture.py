"""Writing tables as French Excel reads them.

CSV: UTF-8 with a BOM, ``;`` between fields, a decimal comma, dates as
dd/mm/yyyy (what French Excel opens correctly with a double click). XLSX:
real numbers and dates with their number formats, written with openpyxl's
``write_only`` mode (rows go to disk as they come, memory stays flat).

Text that a spreadsheet would take for a formula (=, +, -, @ first) is written
as text: a client named ``=HYPERLINK(...)`` stays a name (CSV injection).
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

TEXTE = "texte"
MONTANT = "montant"
DATE = "date"
ENTIER = "entier"

FORMATS_XLSX = {MONTANT: "#,##0.00", DATE: "DD/MM/YYYY", ENTIER: "0"}
LARGEURS = {TEXTE: 24, MONTANT: 15, DATE: 12, ENTIER: 10}
DEBUTS_DE_FORMULE = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


@dataclass(frozen=True)
class Colonne:
    titre: str
    genre: str
    valeur: Callable[[Any], Any]


def _date(valeur: Any) -> datetime.date | None:
    if valeur is None:
        return None
    if isinstance(valeur, datetime.datetime):
        return timezone.localtime(valeur).date() if timezone.is_aware(valeur) else valeur.date()
    return valeur


def _texte(valeur: Any) -> str:
    texte = "" if valeur is None else str(valeur)
    return "'" + texte if texte.startswith(DEBUTS_DE_FORMULE) else texte


def valeur_csv(genre: str, valeur: Any) -> str:
    if valeur is None or valeur == "":
        return ""
    if genre == MONTANT:
        return f"{Decimal(valeur):.2f}".replace(".", ",")
    if genre == DATE:
        jour = _date(valeur)
        return jour.strftime("%d/%m/%Y") if jour else ""
    if genre == ENTIER:
        return str(int(valeur))
    return _texte(valeur)


class _Tampon:
    """What ``csv.writer`` writes into: hands the line back instead of storing it."""

    def write(self, valeur: str) -> str:
        return valeur


def lignes_csv(colonnes: Sequence[Colonne], objets: Iterable[Any]) -> Iterator[str]:
    """The CSV, line by line (the first one starts with the BOM): for a streaming response or a file."""
    ecrivain = csv.writer(_Tampon(), delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    yield BOM + ecrivain.writerow([c.titre for c in colonnes])
    for objet in objets:
        yield ecrivain.writerow([valeur_csv(c.genre, c.valeur(objet)) for c in colonnes])


def ecrire_csv(sortie: IO[bytes], colonnes: Sequence[Colonne], objets: Iterable[Any]) -> None:
    for ligne in lignes_csv(colonnes, objets):
        sortie.write(ligne.encode("utf-8"))


def ecrire_xlsx(sortie: IO[bytes], colonnes: Sequence[Colonne], objets: Iterable[Any], *, titre: str) -> None:
    """A one-sheet workbook: bold header frozen at the top, typed cells with French formats."""
    classeur = Workbook(write_only=True)
    feuille = classeur.create_sheet(title=titre[:31])
    feuille.freeze_panes = "A2"
    for index, colonne in enumerate(colonnes, start=1):
        feuille.column_dimensions[get_column_letter(index)].width = LARGEURS[colonne.genre]
    gras = Font(bold=True)
    entete = []
    for colonne in colonnes:
        cellule = WriteOnlyCell(feuille, value=colonne.titre)
        cellule.font = gras
        entete.append(cellule)
    feuille.append(entete)
    for objet in objets:
        ligne = []
        for colonne in colonnes:
            valeur = colonne.valeur(objet)
            if colonne.genre == DATE:
                valeur = _date(valeur)
            elif colonne.genre == MONTANT and valeur is not None:
                valeur = Decimal(valeur)
            elif colonne.genre == TEXTE:
                valeur = "" if valeur is None else str(valeur)
            cellule = WriteOnlyCell(feuille, value=valeur)
            if colonne.genre == TEXTE:
                cellule.data_type = "s"  # never a formula, whatever the text starts with
            elif valeur is not None:
                cellule.number_format = FORMATS_XLSX[colonne.genre]
            ligne.append(cellule)
        feuille.append(ligne)
    classeur.save(sortie)
