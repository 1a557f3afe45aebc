"""Form fields shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

ESPACES = ("\u00a0", "\u202f", " ", "\t")


class MontantField(forms.DecimalField):
    """An amount in euros as people type or paste it: « 1 250,50 », « 1250.50 », « 1 250,50 € ».

    Spaces (also the no-break ones of French formatting) and the euro sign are
    ignored. With both a comma and a dot, the last one is the decimal separator
    and the other one groups thousands (« 1.250,50 », « 1,250.50 »); alone,
    either is the decimal separator, so « 12,345 » (three decimals) is refused
    rather than guessed.
    """

    default_error_messages = {"invalid": _("Saisissez un montant, par exemple 1 250,50.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            for espace in ESPACES:
                value = value.replace(espace, "")
            value = value.replace("€", "")
            if "," in value and "." in value:
                groupe = "," if value.rindex(".") > value.rindex(",") else "."
                value = value.replace(groupe, "")
            value = value.replace(",", ".")
        return super().to_python(value)
