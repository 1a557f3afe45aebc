"""Money as people read it, in the active language: « 12 345,60 € »."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import formats

SYMBOLES = {"EUR": "€", "USD": "$", "GBP": "£"}


def montant_texte(value: Any, devise: str = "EUR") -> str:
    if value is None or value == "":
        return "—"
    nombre = formats.number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)
    return f"{nombre}\u00a0{SYMBOLES.get(devise or 'EUR', devise)}"
