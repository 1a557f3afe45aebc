"""Cells of a French CSV or XLSX file turned into typed values.

Only the form of a cell is checked here (a date that is a date, an amount that
is a number); the business rules (unknown client, duplicate numbers, SIREN
checksums, coherent amounts) are the bulk upserts'. An empty cell is "not given".
"""

from __future__ import annotations

import datetime
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from imports.champs import Champ, Genre, normaliser

# Amounts fit the database's DecimalField(max_digits=14, decimal_places=2).
CHIFFRES_ENTIERS_MAX = 12
ESPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
MONNAIE = re.compile(r"(€|eur|euros?)", re.IGNORECASE)
DATE_FR = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
VRAI = {"oui", "o", "1", "vrai", "v", "x", "true", "yes", "y"}
FAUX = {"non", "n", "0", "faux", "f", "false", "no"}
LONGUEUR_CELLULE_MAX = 2000


class ErreurCellule(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def vide(valeur: Any) -> bool:
    return valeur is None or (isinstance(valeur, str) and not valeur.strip())


def convertir(champ: Champ, valeur: Any) -> Any:
    """The typed value of a non-empty cell for ``champ``, or ``ErreurCellule``.
    ``valeur`` is a str (CSV, XLSX text) or what openpyxl gives (int, float, bool, datetime)."""
    if isinstance(valeur, str) and len(valeur) > LONGUEUR_CELLULE_MAX:
        raise ErreurCellule(
            "trop_long", _("Cellule trop longue (%(n)s caractères au plus).") % {"n": LONGUEUR_CELLULE_MAX}
        )
    if champ.genre == Genre.MONTANT:
        return montant(valeur)
    if champ.genre == Genre.DATE:
        return date(valeur)
    if champ.genre == Genre.BOOLEEN:
        return booleen(valeur)
    if champ.genre == Genre.ENTIER:
        return entier(valeur)
    texte = _texte(valeur)
    if champ.genre == Genre.IDENTIFIANT:
        return re.sub(r"[\s\u00a0\u202f.\-]", "", texte)
    if champ.genre == Genre.EMAIL:
        return texte.lower()
    if champ.genre == Genre.CHOIX and champ.choix is not None:
        return choix(champ, texte)
    return texte


def _texte(valeur: Any) -> str:
    if isinstance(valeur, float) and valeur.is_integer():
        # A code typed in Excel as a number ("00123" is lost anyway, "123" stays "123").
        return str(int(valeur))
    if isinstance(valeur, datetime.datetime):
        return valeur.date().isoformat() if valeur.time() == datetime.time() else valeur.isoformat()
    if isinstance(valeur, datetime.date):
        return valeur.isoformat()
    return str(valeur).strip()


# The usual cells (``1234,56``, ``-12.5``, ``100``), read without the general parser.
SANS_ESPACES = str.maketrans("", "", " \u00a0\u202f\u2009'")
MONTANT_SIMPLE = re.compile(r"^(-?)(\d{1,12})(?:[.,](\d{1,2}))?$")


def _montant_invalide(valeur: Any) -> ErreurCellule:
    return ErreurCellule("montant_invalide", _("Montant illisible : %(valeur)s.") % {"valeur": _apercu_valeur(valeur)})


def montant(valeur: Any) -> Decimal:
    """``1 234,56``, ``1.234,56``, ``1234.56``, ``-12,50``, ``12,50-``, ``(12,50)``, ``1 234,56 €``;
    a lone ``-`` is zero (Excel's accounting format). Two decimals at most, 12 integer digits."""
    if isinstance(valeur, str):
        simple = MONTANT_SIMPLE.match(valeur.translate(SANS_ESPACES))
        if simple:
            signe, entiers, decimales = simple.groups()
            return Decimal(f"{signe}{entiers}.{(decimales or '').ljust(2, '0')}")
    if isinstance(valeur, bool):
        raise _montant_invalide(valeur)
    if isinstance(valeur, int):
        nombre = Decimal(valeur)
    elif isinstance(valeur, float):
        if math.isnan(valeur) or math.isinf(valeur):
            raise _montant_invalide(valeur)
        nombre = Decimal(repr(valeur))
        if nombre.as_tuple().exponent < -2:  # type: ignore[operator]
            nombre = nombre.quantize(Decimal("0.01"))
    elif isinstance(valeur, Decimal):
        nombre = valeur
    else:
        nombre = _montant_texte(str(valeur))
    if not nombre.is_finite():
        raise _montant_invalide(valeur)
    exposant = nombre.as_tuple().exponent
    if isinstance(exposant, int) and exposant < -2:
        raise ErreurCellule(
            "montant_invalide", _("Deux décimales au plus : %(valeur)s.") % {"valeur": _apercu_valeur(valeur)}
        )
    if abs(nombre) >= Decimal(10) ** CHIFFRES_ENTIERS_MAX:
        raise ErreurCellule(
            "montant_trop_grand", _("Montant trop grand : %(valeur)s.") % {"valeur": _apercu_valeur(valeur)}
        )
    return nombre.quantize(Decimal("0.01"))


def _montant_texte(valeur: str) -> Decimal:
    texte = ESPACES.sub("", MONNAIE.sub("", valeur))
    negatif = False
    if texte.startswith("(") and texte.endswith(")"):
        texte, negatif = texte[1:-1], True
    if texte in ("-", "--"):
        return Decimal("0.00")
    if texte.endswith("-"):
        texte, negatif = texte[:-1], not negatif
    if texte.startswith(("-", "+")):
        negatif ^= texte[0] == "-"
        texte = texte[1:]
    if not re.fullmatch(r"[0-9.,]+", texte) or not re.search(r"\d", texte):
        raise _montant_invalide(valeur)
    if "," in texte and "." in texte:
        decimal_sep = "," if texte.rfind(",") > texte.rfind(".") else "."
        milliers = "." if decimal_sep == "," else ","
        texte = texte.replace(milliers, "")
        if texte.count(decimal_sep) > 1:
            raise _montant_invalide(valeur)
        texte = texte.replace(decimal_sep, ".")
    elif "," in texte:
        if texte.count(",") > 1:
            raise _montant_invalide(valeur)
        texte = texte.replace(",", ".")
    elif texte.count(".") > 1:
        # 1.234.567: dots as thousands separators.
        if not re.fullmatch(r"\d{1,3}(\.\d{3})+", texte):
            raise _montant_invalide(valeur)
        texte = texte.replace(".", "")
    try:
        nombre = Decimal(texte)
    except InvalidOperation:
        raise _montant_invalide(valeur) from None
    return -nombre if negatif else nombre


def date(valeur: Any) -> datetime.date:
    """``31/12/2026``, ``31/12/26``, ``31.12.2026``, ``31-12-2026``, ``2026-12-31``, or an XLSX date."""
    if isinstance(valeur, datetime.datetime):
        return valeur.date()
    if isinstance(valeur, datetime.date):
        return valeur
    texte = str(valeur).strip()
    trouve = DATE_FR.match(texte)
    if trouve:
        jour, mois, annee = int(trouve[1]), int(trouve[2]), trouve[3]
        an = 2000 + int(annee) if len(annee) == 2 else int(annee)
    else:
        trouve = DATE_ISO.match(texte)
        if not trouve:
            raise _date_invalide(valeur)
        an, mois, jour = int(trouve[1]), int(trouve[2]), int(trouve[3])
    if not 1900 <= an <= 2199:
        raise _date_invalide(valeur)
    try:
        return datetime.date(an, mois, jour)
    except ValueError:
        raise _date_invalide(valeur) from None


def _date_invalide(valeur: Any) -> ErreurCellule:
    return ErreurCellule(
        "date_invalide",
        _("Date illisible : %(valeur)s (attendu : JJ/MM/AAAA).") % {"valeur": _apercu_valeur(valeur)},
    )


def booleen(valeur: Any) -> bool:
    if isinstance(valeur, bool):
        return valeur
    if isinstance(valeur, int | float) and valeur in (0, 1):
        return bool(valeur)
    texte = normaliser(str(valeur))
    if texte in VRAI:
        return True
    if texte in FAUX:
        return False
    raise ErreurCellule("booleen_invalide", _("Oui ou non attendu : %(valeur)s.") % {"valeur": _apercu_valeur(valeur)})


def entier(valeur: Any) -> int:
    if isinstance(valeur, int) and not isinstance(valeur, bool) and 0 <= valeur <= 32767:
        return valeur
    invalide = ErreurCellule(
        "entier_invalide", _("Nombre entier attendu : %(valeur)s.") % {"valeur": _apercu_valeur(valeur)}
    )
    if isinstance(valeur, bool):
        raise invalide
    if isinstance(valeur, int):
        nombre = valeur
    elif isinstance(valeur, float):
        if not valeur.is_integer():
            raise invalide
        nombre = int(valeur)
    else:
        texte = ESPACES.sub("", str(valeur))
        texte = re.sub(r"(jours?|j)$", "", texte, flags=re.IGNORECASE)
        if not re.fullmatch(r"-?\d{1,9}", texte):
            raise invalide
        nombre = int(texte)
    if not 0 <= nombre <= 32767:
        raise invalide
    return nombre


def choix(champ: Champ, texte: str) -> str:
    """The choice's value from its value or its label, accents and case ignored; an unknown
    text is passed on as is and the upsert names the error (``choix_invalide``)."""
    assert champ.choix is not None
    cle = normaliser(texte)
    for valeur, libelle in champ.choix.choices:
        if cle in (normaliser(str(valeur)), normaliser(str(libelle))):
            return str(valeur)
    return texte


def _apercu_valeur(valeur: Any) -> str:
    texte = str(valeur)
    return texte if len(texte) <= 40 else texte[:40] + "…"
