"""Forms of the import pages: the upload, and the column mapping."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from imports.champs import definition
from imports.models import Import, ModeleCorrespondance, TypeImport


class DepotForm(forms.Form):
    type = forms.ChoiceField(label=_("Contenu du fichier"), choices=TypeImport.choices)
    fichier = forms.FileField(
        label=_("Fichier"),
        help_text=_(
            "CSV (séparateur point-virgule, virgule ou tabulation) ou classeur Excel XLSX ; "
            "la première ligne nomme les colonnes."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx"}),
    )
    modele = forms.ModelChoiceField(
        label=_("Modèle de correspondance"),
        queryset=ModeleCorrespondance.objects.none(),
        required=False,
        empty_label=_("Par défaut pour ce contenu"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["modele"].queryset = ModeleCorrespondance.objects.order_by("type", "nom")  # type: ignore[attr-defined]
        self.fields["modele"].label_from_instance = lambda m: f"{m.get_type_display()} — {m.nom}"  # type: ignore[attr-defined]


class CorrespondanceForm(forms.Form):
    """One choice per column of the file (``colonne_<i>``), and the optional preset to save."""

    modele_nom = forms.CharField(
        label=_("Enregistrer cette correspondance sous le nom"),
        required=False,
        max_length=100,
        help_text=_("Laissez vide pour ne pas l'enregistrer. Un modèle du même nom est remplacé."),
    )
    par_defaut = forms.BooleanField(label=_("Modèle par défaut pour ce contenu"), required=False)

    def __init__(self, *args: Any, import_: Import, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.import_ = import_
        choix = [("", _("— ignorer —"))] + [(c.nom, c.libelle) for c in definition(import_.type).champs]
        for i, entete in enumerate(import_.entetes):
            self.fields[f"colonne_{i}"] = forms.ChoiceField(
                label=entete,
                choices=choix,
                required=False,
                initial=import_.correspondance[i] if i < len(import_.correspondance) else "",
            )
        if import_.modele is not None:
            self.fields["modele_nom"].initial = import_.modele.nom
            self.fields["par_defaut"].initial = import_.modele.par_defaut

    def colonnes(self) -> list[forms.BoundField]:
        return [self[f"colonne_{i}"] for i in range(len(self.import_.entetes))]

    def correspondance(self) -> list[str]:
        return [self.cleaned_data.get(f"colonne_{i}") or "" for i in range(len(self.import_.entetes))]
