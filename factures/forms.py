from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from factures.models import Facture, MoyenPaiement, Nature, Paiement, SupportPaiement
from recouvrement.core.formats import montant_texte
from recouvrement.core.forms import MontantField


class FactureForm(forms.Form):
    client = forms.ModelChoiceField(queryset=Client.objects.none(), label=_("Client"))
    numero = forms.CharField(label=_("Numéro"), max_length=50)
    nature = forms.ChoiceField(label=_("Nature"), choices=Nature.choices, initial=Nature.FACTURE)
    date_emission = forms.DateField(label=_("Date d'émission"), widget=forms.DateInput(attrs={"type": "date"}))
    date_echeance = forms.DateField(
        label=_("Date d'échéance"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Vide : calculée d'après les conditions de paiement du client."),
    )
    montant_ht = MontantField(label=_("Montant HT"), min_value=Decimal("0"))
    montant_tva = MontantField(label=_("TVA"), min_value=Decimal("0"))
    support_paiement = forms.ChoiceField(
        label=_("Support de paiement"), choices=SupportPaiement.choices, initial=SupportPaiement.VIREMENT
    )
    affactureur = forms.CharField(label=_("Affactureur"), max_length=120, required=False)
    numero_commande = forms.CharField(label=_("N° de bon de commande"), max_length=60, required=False)
    pdf = forms.FileField(label=_("PDF de la facture"), required=False)

    def __init__(self, *args: Any, clients: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients  # type: ignore[attr-defined]


class PaiementForm(forms.ModelForm):
    class Meta:
        model = Paiement
        fields = ["client", "date_paiement", "montant", "moyen", "reference", "libelle"]
        widgets = {"date_paiement": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        field_classes = {"montant": MontantField}

    def __init__(self, *args: Any, clients: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients  # type: ignore[attr-defined]
        self.fields["client"].required = True
        self.fields["moyen"].initial = MoyenPaiement.VIREMENT


class LettrageForm(forms.Form):
    source = forms.ChoiceField(label=_("Depuis"))
    montant = MontantField(label=_("Montant"), min_value=Decimal("0.01"))

    def __init__(self, *args: Any, facture: Facture, paiements: Any, avoirs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            (
                f"paiement:{p.pk}",
                _("Paiement du %(date)s — %(reste)s non affectés")
                % {
                    "date": date_format(p.date_paiement, "SHORT_DATE_FORMAT"),
                    "reste": montant_texte(p.montant_non_affecte, p.devise),
                },
            )
            for p in paiements
        ]
        choices += [
            (
                f"avoir:{a.pk}",
                _("Avoir %(numero)s — solde %(reste)s")
                % {"numero": a.numero, "reste": montant_texte(a.reste_du, a.devise)},
            )
            for a in avoirs
        ]
        self.fields["source"].choices = choices  # type: ignore[attr-defined]
        self.fields["montant"].initial = facture.reste_du
        self.paiements = {str(p.pk): p for p in paiements}
        self.avoirs = {str(a.pk): a for a in avoirs}

    def clean_source(self) -> dict[str, Any]:
        kind, _sep, pk = self.cleaned_data["source"].partition(":")
        if kind == "paiement" and pk in self.paiements:
            return {"paiement": self.paiements[pk]}
        if kind == "avoir" and pk in self.avoirs:
            return {"avoir": self.avoirs[pk]}
        raise forms.ValidationError(_("Choisissez un paiement ou un avoir du client."))
