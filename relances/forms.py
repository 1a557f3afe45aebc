from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import Categorie, ClasseRisque
from recouvrement.core.forms import MontantField
from relances.models import Etape, RegleAffectation, ResultatAppel, RoleContact, RoleInterne, Scenario
from relances.services.regles import REGLE_FIELDS
from relances.services.scenarios import ETAPE_FIELDS


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
    sujet = forms.CharField(
        label=_("Objet"), max_length=300, widget=forms.TextInput(attrs={"aria-describedby": "erreurs-sujet"})
    )
    corps = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "true", "aria-describedby": "erreurs-corps"}),
    )


class ApercuForm(ModeleForm):
    """The live preview: the template being typed, rendered with sample data or a real client's."""

    client = forms.IntegerField(required=False, widget=forms.HiddenInput)


def _cases(choices: Any, label: Any, help_text: Any = "") -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple, help_text=help_text
    )


class _SansUnicite:
    """Uniqueness is the services' job, with a message on the right field."""

    def validate_unique(self) -> None:
        return None


class ScenarioForm(_SansUnicite, forms.ModelForm):
    class Meta:
        model = Scenario
        fields = ["nom", "description", "actif", "par_defaut", "mention_affacturage"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "mention_affacturage": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "par_defaut": _("Suivi par les factures qu'aucune règle d'affectation ne vise."),
            "actif": _("Un scénario inactif n'est plus appliqué, même si une règle y mène."),
        }


class EtapeForm(_SansUnicite, forms.ModelForm):
    contacts_a = _cases(RoleContact.choices, _("Destinataires (contacts du client)"))
    contacts_cc = _cases(RoleContact.choices, _("En copie (contacts du client)"))
    internes_cc = _cases(RoleInterne.choices, _("En copie (vos équipes)"))
    internes_cci = _cases(RoleInterne.choices, _("En copie cachée (vos équipes)"))

    class Meta:
        model = Etape
        fields = list(ETAPE_FIELDS)
        labels = {"decalage_jours": _("Jours après l'échéance")}
        help_texts = {
            "decalage_jours": _("Négatif : rappel préventif avant l'échéance (par exemple -10) ; 0 : le jour même."),
            "necessite_validation": _("La relance attend qu'un chargé de recouvrement la valide."),
            "script_appel": _("Pour une étape d'appel ou de tâche, et pour la tâche d'appel ajoutée."),
        }
        widgets = {"script_appel": forms.Textarea(attrs={"rows": 4})}


class ScenarioChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.nom if obj.actif else _("%(nom)s (inactif)") % {"nom": obj.nom})


class RegleForm(_SansUnicite, forms.ModelForm):
    scenario = ScenarioChoiceField(label=_("Scénario"), queryset=Scenario.objects.none())
    categories = _cases(Categorie.choices, _("Catégories de client"), _("Aucune case : toutes."))
    classes_risque = _cases(ClasseRisque.choices, _("Classes de risque"), _("Aucune case : toutes."))
    montant_min = MontantField(label=_("Montant TTC minimum"), required=False)
    montant_max = MontantField(label=_("Montant TTC maximum"), required=False)
    encours_min = MontantField(label=_("Encours du client minimum"), required=False)
    encours_max = MontantField(label=_("Encours du client maximum"), required=False)
    affacturage = forms.NullBooleanField(
        label=_("Factures affacturées"),
        required=False,
        widget=forms.Select(choices=[("unknown", _("Toutes")), ("true", _("Oui")), ("false", _("Non"))]),
    )
    depassement_agrement = forms.NullBooleanField(
        label=_("Encours au-delà de l'agrément de l'affactureur"),
        required=False,
        widget=forms.Select(choices=[("unknown", _("Peu importe")), ("true", _("Oui")), ("false", _("Non"))]),
    )

    class Meta:
        model = RegleAffectation
        fields = list(REGLE_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        champ = self.fields["scenario"]
        assert isinstance(champ, forms.ModelChoiceField)
        champ.queryset = Scenario.objects.order_by("-actif", "nom")
