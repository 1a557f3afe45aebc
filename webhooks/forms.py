from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from webhooks.models import TypeEvenement


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=_("URL de réception"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Adresse https:// de votre ERP qui reçoit les événements en POST (JSON signé)."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    evenements = forms.MultipleChoiceField(
        label=_("Événements"), choices=TypeEvenement.choices, widget=forms.CheckboxSelectMultiple
    )
    actif = forms.BooleanField(label=_("Actif"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if settings.WEBHOOKS_HTTP_AUTORISE:
            self.fields["url"].help_text = _(
                "Adresse https:// (ou http:// sur ce serveur de démonstration) qui reçoit les événements en POST."
            )
