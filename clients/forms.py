from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client, Contact
from clients.services import CLIENT_FIELDS, CONTACT_FIELDS
from factures.models import STATUTS_OUVERTS, Facture, Nature
from recouvrement.core.forms import MontantField
from recouvrement.core.validators import normaliser_siren, normaliser_siret, normaliser_tva
from recouvrement.tenancy.selectors import membre_commercial_list
from relances.forms import AppelForm
from relances.models import ResultatAppel


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        # The risk class is computed every night from the score (risque.services): not typed in.
        fields = tuple(f for f in CLIENT_FIELDS if f != "classe_risque")
        widgets = {
            "date_debut_relation": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "note_externe_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
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
        # A rating typed without its date is dated today (the score shows how recent it is).
        if cleaned.get("note_externe") is not None and not cleaned.get("note_externe_date"):
            cleaned["note_externe_date"] = timezone.localdate()
        return cleaned


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = CONTACT_FIELDS


class NoteForm(forms.Form):
    texte = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class FactureParNumeroField(forms.ModelChoiceField):
    """One of the client's open invoices, typed by its number (a client may have thousands:
    no select list to render), with the most overdue ones suggested."""

    default_error_messages = {"invalid_choice": _("Aucune facture ouverte de ce client ne porte ce numéro.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("to_field_name", "numero")
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "off"}))
        super().__init__(queryset=Facture.objects.none(), **kwargs)

    def to_python(self, value: Any) -> Any:
        return super().to_python(value.strip() if isinstance(value, str) else value)


class _FacturesDuClientMixin:
    """The invoice field takes only the client's open invoices (never another client's or tenant's)."""

    fields: dict[str, forms.Field]
    SUGGESTIONS = 30

    def factures_limiter(self, client: Client) -> None:
        queryset = Facture.objects.filter(client=client, statut__in=STATUTS_OUVERTS, nature=Nature.FACTURE)
        champ = self.fields["facture"]
        champ.queryset = queryset  # type: ignore[attr-defined]
        champ.widget.attrs["list"] = f"factures-client-{client.pk}"
        self.suggestions = list(
            queryset.order_by("date_echeance", "pk").values_list("numero", flat=True)[: self.SUGGESTIONS]
        )


class PromesseForm(_FacturesDuClientMixin, forms.Form):
    montant = MontantField(label=_("Montant promis"))
    date_promise = forms.DateField(label=_("Date promise"), widget=forms.DateInput(attrs={"type": "date"}))
    facture = FactureParNumeroField(
        label=_("Facture (n°)"),
        required=False,
        help_text=_("Vide : tout le client. Les relances attendent la date promise, plus le délai de grâce."),
    )
    contact = forms.ModelChoiceField(label=_("Promise par"), queryset=Contact.objects.none(), required=False)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.factures_limiter(client)
        self.fields["contact"].queryset = client.contacts.order_by("nom", "prenom")  # type: ignore[attr-defined]


class AppelClientForm(_FacturesDuClientMixin, AppelForm):
    """A call logged from the client sheet: its outcome, and the invoice and contact it was about."""

    facture = FactureParNumeroField(
        label=_("Facture concernée (n°)"), required=False, help_text=_("Vide : tout le client.")
    )
    contact = forms.ModelChoiceField(label=_("Interlocuteur"), queryset=Contact.objects.none(), required=False)
    field_order = ("resultat", "facture", "contact", "note", "promesse_montant", "promesse_date")

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.factures_limiter(client)
        self.fields["contact"].queryset = client.contacts.order_by("nom", "prenom")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("resultat") == ResultatAppel.LITIGE and not data.get("facture"):
            self.add_error("facture", _("Indiquez la facture contestée : le litige ne suspend que celle-ci."))
        return data
