from __future__ import annotations

import itertools
import re
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


TRANCHES_MAX = 6


class TranchesField(forms.CharField):
    """The bounds of the aging buckets as typed: « 30, 45, 60 » (commas, semicolons or spaces)."""

    default_error_messages = {
        "invalid": _("Des nombres entiers de jours, séparés par des virgules, par exemple 30, 45, 60."),
        "positif": _("Chaque borne doit être un nombre de jours supérieur à zéro."),
        "croissant": _("Les bornes doivent être strictement croissantes, par exemple 30, 45, 60."),
        "nombre": _("Entre 1 et %(max)s bornes."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 60)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[int]:  # type: ignore[override]
        texte = super().to_python(value)
        if not texte:
            return []
        try:
            bornes = [int(morceau) for morceau in re.split(r"[\s,;]+", texte.strip()) if morceau]
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        return bornes

    def validate(self, value: Any) -> None:
        super().validate(value)
        if not 1 <= len(value) <= TRANCHES_MAX:
            raise forms.ValidationError(self.error_messages["nombre"], code="nombre", params={"max": TRANCHES_MAX})
        if any(borne <= 0 for borne in value):
            raise forms.ValidationError(self.error_messages["positif"], code="positif")
        if any(b <= a for a, b in itertools.pairwise(value)):
            raise forms.ValidationError(self.error_messages["croissant"], code="croissant")


class OrganisationForm(forms.ModelForm):
    """The organisation's profile: identity, letterhead and logo, sender identity and
    signature, time zone, bank details, terms of sale, aging buckets."""

    tranches_balance_agee = TranchesField(
        label=_("Tranches de la balance âgée (jours de retard)"),
        help_text=_("1 à 6 bornes croissantes : 30, 45, 60 donnent non échu, 0–30, 30–45, 45–60, plus de 60 jours."),
    )

    class Meta:
        model = Organisation
        fields = ORGANISATION_FIELDS
        widgets = {
            "signature": forms.Textarea(attrs={"rows": 3}),
            "entete": forms.Textarea(attrs={"rows": 3}),
            "clause_penalites": forms.Textarea(attrs={"rows": 4}),
            "clause_reserve_propriete": forms.Textarea(attrs={"rows": 3}),
            "expediteur_email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "iban": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        }
        help_texts = {
            "entete": _("Imprimé en haut des courriers, sous le logo."),
            "expediteur_email": _(
                "Les relances partent de cette adresse ; les réponses vont au chargé de recouvrement."
            ),
            "fuseau_horaire": _("Par exemple Europe/Paris, America/Martinique, Indian/Reunion."),
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
