from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import Client, Contact
from clients.services import CLIENT_FIELDS, CONTACT_FIELDS
from recouvrement.core.forms import MontantField
from recouvrement.core.validators import normaliser_siren, normaliser_siret, normaliser_tva
from recouvrement.tenancy.selectors import membre_commercial_list


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = CLIENT_FIELDS
        widgets = {
            "date_debut_relation": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        field_classes = {"plafond_credit": MontantField, "agrement_affacturage": MontantField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        membres = membre_commercial_list().select_related("user")
        self.fields["commercial"].queryset = membres  # type: ignore[attr-defined]
        self.fields["chef_projet"].queryset = membres  # type: ignore[attr-defined]

    # Validate the stored (compact) forms, as the service will store them.
    def clean_siren(self) -> str:
        return normaliser_siren(self.cleaned_data["siren"])

    def clean_siret(self) -> str:
        return normaliser_siret(self.cleaned_data["siret"])

    def clean_tva_intracom(self) -> str:
        return normaliser_tva(self.cleaned_data["tva_intracom"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("siret") and not cleaned.get("siren"):
            cleaned["siren"] = cleaned["siret"][:9]
        return cleaned


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = CONTACT_FIELDS


class NoteForm(forms.Form):
    texte = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
