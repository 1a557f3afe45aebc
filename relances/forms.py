from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from recouvrement.core.forms import MontantField
from relances.models import ResultatAppel


class PauseForm(forms.Form):
    jusqu_au = forms.DateField(
        label=_("Jusqu'au"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Vide : jusqu'à la reprise manuelle."),
    )
    commentaire = forms.CharField(label=_("Motif"), max_length=500, required=False)


class AppelForm(forms.Form):
    resultat = forms.ChoiceField(label=_("Résultat"), choices=ResultatAppel.choices)
    note = forms.CharField(label=_("Compte rendu"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    promesse_montant = MontantField(label=_("Montant promis"), required=False)
    promesse_date = forms.DateField(
        label=_("Date promise"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("resultat") == ResultatAppel.PROMESSE:
            if not data.get("promesse_montant"):
                self.add_error("promesse_montant", _("Indiquez le montant promis."))
            if not data.get("promesse_date"):
                self.add_error("promesse_date", _("Indiquez la date promise."))
        return data


class ModeleForm(forms.Form):
    sujet = forms.CharField(label=_("Objet"), max_length=300)
    corps = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "true"}))
