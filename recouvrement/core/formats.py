"""Money as people read it, in the active language: « 12 345,60 € »."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import formats

SYMBOLES = {"EUR": "€", "USD": "$", "GBP": "£"}


def montant_texte(value: Any, devise: str = "EUR") -> str:
    if value is None or value == "":
        return "—"
    nombre = formats.number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)
    return f"{nombre}\u00a0{SYMBOLES.get(devise or 'EUR', devise)}"


def iban_lisible(iban: str) -> str:
    """FR7630006000011234567890189 → FR76 3000 6000 0112 3456 7890 189."""
    compact = "".join(iban.split()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def url_absolue(chemin: str) -> str:
    """A link to a page of the application in e-mails sent by workers (no request there to
    build it from): the ``APP_URL`` setting followed by ``chemin``."""
    return settings.APP_URL.rstrip("/") + chemin
