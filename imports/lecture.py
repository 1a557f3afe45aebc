"""Reading an uploaded file: a CSV (``;``, ``,`` or tab; UTF-8 with or without BOM,
or Windows-1252 as French Excel saves it) or an XLSX (first sheet, read-only).

``lire`` gives the header (line 1) and then the data rows with their line number
in the file; a row entirely empty is skipped (its number is not reused).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.utils.translation import gettext as _

from recouvrement.core.errors import ApplicationError

SEPARATEURS = (";", "\t", ",")
COLONNES_MAX = 200


@dataclass
class Fichier:
    entetes: list[str]
    # (line number in the file, cells); cells None: a line the CSV reader could not read.
    lignes: Iterator[tuple[int, list[Any] | None]]


def format_du_nom(nom: str) -> str:
    nom = nom.lower()
    if nom.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if nom.endswith((".csv", ".txt", ".tsv")):
        return "csv"
    raise ApplicationError(
        _("Format non pris en charge : déposez un fichier CSV ou XLSX."), code="format_inconnu", field="fichier"
    )


def decoder(contenu: bytes) -> str:
    """UTF-8 (the BOM dropped) when it decodes, else Windows-1252 (French Excel's "CSV")."""
    if contenu.startswith(b"\xef\xbb\xbf"):
        contenu = contenu[3:]
    try:
        return contenu.decode("utf-8")
    except UnicodeDecodeError:
        return contenu.decode("cp1252", errors="replace")


def separateur(premiere_ligne: str) -> str:
    """The separator the header uses most (``;`` first on a tie, as French Excel writes)."""
    comptes = {sep: premiere_ligne.count(sep) for sep in SEPARATEURS}
    meilleur = max(SEPARATEURS, key=lambda sep: comptes[sep])
    return meilleur if comptes[meilleur] else ";"


def _entetes(cellules: list[Any]) -> list[str]:
    entetes = [("" if c is None else str(c)).strip() for c in cellules]
    while entetes and not entetes[-1]:
        entetes.pop()
    if not any(entetes):
        raise ApplicationError(
            _("La première ligne du fichier doit donner le nom des colonnes."), code="entete_absente", field="fichier"
        )
    if len(entetes) > COLONNES_MAX:
        raise ApplicationError(
            _("Trop de colonnes (%(n)s au plus).") % {"n": COLONNES_MAX}, code="trop_de_colonnes", field="fichier"
        )
    return [e or _("Colonne %(n)s") % {"n": i + 1} for i, e in enumerate(entetes)]


def _non_vide(cellules: list[Any]) -> bool:
    return any(c is not None and str(c).strip() for c in cellules)


def lire_csv(contenu: bytes) -> Fichier:
    texte = decoder(contenu)
    premiere = texte.split("\n", 1)[0]
    lecteur = csv.reader(io.StringIO(texte, newline=""), delimiter=separateur(premiere))
    try:
        entetes = _entetes(next(lecteur))
    except StopIteration:
        raise ApplicationError(_("Le fichier est vide."), code="fichier_vide", field="fichier") from None
    except csv.Error as exc:
        raise ApplicationError(
            _("Fichier CSV illisible : %(raison)s.") % {"raison": exc}, code="csv_illisible", field="fichier"
        ) from None

    def lignes() -> Iterator[tuple[int, list[Any] | None]]:
        while True:
            # A record may span lines (a quoted line break): it is numbered by its first line.
            debut = lecteur.line_num + 1
            try:
                cellules = next(lecteur)
            except StopIteration:
                return
            except csv.Error:
                # The rest of the file cannot be trusted: the line is reported, reading stops.
                yield debut, None
                return
            if _non_vide(cellules):
                yield debut, cellules

    return Fichier(entetes=entetes, lignes=lignes())


def lire_xlsx(flux: IO[bytes]) -> Fichier:
    import openpyxl

    try:
        classeur = openpyxl.load_workbook(flux, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise ApplicationError(
            _("Classeur XLSX illisible : %(raison)s.") % {"raison": exc.__class__.__name__},
            code="xlsx_illisible",
            field="fichier",
        ) from None
    feuille = classeur.worksheets[0]
    rangees = feuille.iter_rows(values_only=True)
    try:
        entetes = _entetes(list(next(rangees)))
    except StopIteration:
        classeur.close()
        raise ApplicationError(_("Le fichier est vide."), code="fichier_vide", field="fichier") from None

    def lignes() -> Iterator[tuple[int, list[Any] | None]]:
        try:
            for numero, cellules in enumerate(rangees, start=2):
                valeurs = list(cellules)
                if _non_vide(valeurs):
                    yield numero, valeurs
        finally:
            classeur.close()

    return Fichier(entetes=entetes, lignes=lignes())


def lire(*, flux: IO[bytes], format: str) -> Fichier:
    """The file's header and rows. Raises ``ApplicationError`` when it cannot be read at all."""
    if format == "xlsx":
        return lire_xlsx(flux)
    return lire_csv(flux.read())
