"""Filters of the dashboard: amounts short enough for a chart's axis."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def montant_court(value: Any) -> str:
    """1 250 000 → « 1,3 M€ », 45 000 → « 45 k€ », 800 → « 800 € » (axis labels)."""
    if value is None or value == "":
        return "—"
    nombre = Decimal(value)
    for seuil, modele in ((Decimal(10**6), _("%(n)s M€")), (Decimal(10**3), _("%(n)s k€"))):
        if abs(nombre) >= seuil:
            quotient = nombre / seuil
            decimales = 1 if abs(quotient) < 10 and quotient != quotient.to_integral_value() else 0
            return modele % {"n": formats.number_format(quotient, decimales, use_l10n=True)}
    return _("%(n)s €") % {"n": formats.number_format(nombre, 0, use_l10n=True)}
