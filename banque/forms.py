"""Forms of the bank reconciliation pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

TAILLE_MAX = 20 * 1024 * 1024


class ReleveImportForm(forms.Form):
    fichier = forms.FileField(
        label=_("Relevé (CAMT.053 XML ou CSV)"),
        help_text=_("CSV : une ligne d'en-tête ; dates JJ/MM/AAAA, montants 1 234,56 ; débits en négatif."),
    )
    colonne_date = forms.CharField(label=_("Colonne date (CSV)"), required=False, max_length=60)
    colonne_montant = forms.CharField(label=_("Colonne montant (CSV)"), required=False, max_length=60)
    colonne_libelle = forms.CharField(label=_("Colonne libellé (CSV)"), required=False, max_length=60)
    colonne_payeur = forms.CharField(label=_("Colonne payeur (CSV)"), required=False, max_length=60)

    def clean_fichier(self) -> object:
        fichier = self.cleaned_data["fichier"]
        if fichier.size > TAILLE_MAX:
            raise forms.ValidationError(_("Fichier trop volumineux (20 Mo au plus)."))
        return fichier

    def correspondance(self) -> dict[str, str]:
        """The columns the user named (CSV); the others are found by their header."""
        return {
            champ: self.cleaned_data[f"colonne_{champ}"]
            for champ in ("date", "montant", "libelle", "payeur")
            if self.cleaned_data.get(f"colonne_{champ}")
        }
