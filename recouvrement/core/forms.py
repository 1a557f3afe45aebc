"""Form fields shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

ESPACES = ("\u00a0", "\u202f", " ", "\t")


class MontantField(forms.DecimalField):
    """An amount in euros as people type or paste it: « 1 250,50 », « 1250.50 », « 1 250,50 € ».

    Spaces (also the no-break ones of French formatting) and the euro sign are
    ignored, and a comma or a dot is the decimal separator.
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
            value = value.replace("€", "").replace(",", ".")
        return super().to_python(value)
