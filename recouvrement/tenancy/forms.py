from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from recouvrement.core.validators import normaliser_bic, normaliser_iban, normaliser_siren, valider_siren
from recouvrement.tenancy.models import Membre, Organisation, Role
from recouvrement.tenancy.services import ORGANISATION_FIELDS


class ConnexionForm(AuthenticationForm):
    username = forms.EmailField(label=_("Adresse e-mail"), widget=forms.EmailInput(attrs={"autofocus": True}))


class InscriptionForm(forms.Form):
    raison_sociale = forms.CharField(label=_("Raison sociale de votre société"), max_length=200)
    siren = forms.CharField(label=_("SIREN"), max_length=11)
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    email = forms.EmailField(label=_("Adresse e-mail professionnelle"))
    password = forms.CharField(label=_("Mot de passe"), widget=forms.PasswordInput, strip=False)

    def clean_siren(self) -> str:
        siren = normaliser_siren(self.cleaned_data["siren"])
        valider_siren(siren)
        return siren

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        validate_password(password)
        return password


class AcceptationForm(forms.Form):
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    password = forms.CharField(label=_("Mot de passe"), widget=forms.PasswordInput, strip=False)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        validate_password(password)
        return password


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ORGANISATION_FIELDS
        widgets = {
            "signature": forms.Textarea(attrs={"rows": 3}),
            "entete": forms.Textarea(attrs={"rows": 3}),
            "clause_penalites": forms.Textarea(attrs={"rows": 4}),
            "clause_reserve_propriete": forms.Textarea(attrs={"rows": 3}),
        }

    # Validate the stored (compact) forms, as the service will store them.
    def clean_siren(self) -> str:
        return normaliser_siren(self.cleaned_data["siren"])

    def clean_iban(self) -> str:
        return normaliser_iban(self.cleaned_data["iban"])

    def clean_bic(self) -> str:
        return normaliser_bic(self.cleaned_data["bic"])


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Adresse e-mail"))
    role = forms.ChoiceField(label=_("Rôle"), choices=Role.choices, initial=Role.CHARGE)


class MembreForm(forms.ModelForm):
    class Meta:
        model = Membre
        fields = ["role", "actif"]


def add_error_from(form: forms.BaseForm, error: Any) -> None:
    """Put an ``ApplicationError`` or ``ValidationError`` next to its field (or on top)."""
    from django.core.exceptions import ValidationError

    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
        return
    champ = getattr(error, "field", None)
    form.add_error(champ if champ in form.fields else None, str(getattr(error, "message", error)))
