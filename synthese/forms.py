"""The digest's settings form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from synthese.models import JourSemaine


class ParametresSyntheseForm(forms.Form):
    actif = forms.BooleanField(label=_("Envoyer la synthèse chaque semaine"), required=False)
    jour_semaine = forms.TypedChoiceField(label=_("Jour d'envoi"), choices=JourSemaine.choices, coerce=int)
    heure = forms.TimeField(
        label=_("Heure d'envoi"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Dans le fuseau horaire de l'organisation."),
    )
    destinataires_supplementaires = forms.CharField(
        label=_("Autres destinataires"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Une adresse e-mail par ligne (expert-comptable, direction…). Les DAF la reçoivent d'office."),
    )

    def adresses(self) -> list[str]:
        texte: str = self.cleaned_data.get("destinataires_supplementaires") or ""
        return [ligne.strip() for ligne in texte.replace(",", "\n").replace(";", "\n").splitlines() if ligne.strip()]

    @classmethod
    def depuis(cls, parametres: Any, data: Any = None) -> ParametresSyntheseForm:
        return cls(
            data,
            initial={
                "actif": parametres.actif,
                "jour_semaine": parametres.jour_semaine,
                "heure": parametres.heure,
                "destinataires_supplementaires": "\n".join(parametres.destinataires_supplementaires),
            },
        )
