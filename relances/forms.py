from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import Categorie, ClasseRisque, Client
from factures.models import Facture
from recouvrement.core.forms import MontantField
from recouvrement.tenancy.models import Membre
from relances.models import (
    Etape,
    Frequence,
    ParametresRelance,
    RegleAffectation,
    ResultatAppel,
    RoleContact,
    RoleInterne,
    Scenario,
)
from relances.services.parametres import PARAMETRES_FIELDS, ROLES_CHARGE_PAR_DEFAUT
from relances.services.regles import REGLE_FIELDS
from relances.services.scenarios import ETAPE_FIELDS

HEURE_MIN, HEURE_MAX = datetime.time(7), datetime.time(20)


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
    depassement_plafond = forms.NullBooleanField(
        label=_("Encours au-delà du plafond de crédit"),
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


class MembreChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.user.get_full_name() or obj.user.email)


class ParametresRelanceForm(forms.ModelForm):
    """The dunning settings of the organisation (``ParametresRelance``), a section of its settings page."""

    charge_par_defaut = MembreChoiceField(
        label=_("Chargé de recouvrement par défaut"),
        queryset=Membre.objects.none(),
        required=False,
        help_text=_("Reçoit les réponses (Reply-To) et les tâches quand le client n'a pas de chargé attitré."),
    )

    heure_envoi = forms.TimeField(
        label=_("Heure d'envoi des relances"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Heure locale (fuseau de l'organisation), entre 7 h et 20 h, les jours ouvrés."),
        error_messages={"invalid": _("Saisissez une heure, par exemple 09:00.")},
    )
    taux_contractuel = forms.DecimalField(
        label=_("Taux contractuel des pénalités (% par an)"),
        required=False,
        max_digits=6,
        decimal_places=3,
        min_value=0,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("Vide : taux de refinancement de la BCE majoré de 10 points. Au moins 3 fois le taux légal."),
    )
    indemnite_forfaitaire = forms.DecimalField(
        label=_("Indemnité forfaitaire de recouvrement (€ par facture)"),
        max_digits=8,
        decimal_places=2,
        min_value=40,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("40 € au minimum (art. D441-5 du Code de commerce)."),
    )

    class Meta:
        model = ParametresRelance
        fields = list(PARAMETRES_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        champ = self.fields["charge_par_defaut"]
        assert isinstance(champ, forms.ModelChoiceField)
        champ.queryset = (
            Membre.objects.filter(actif=True, role__in=ROLES_CHARGE_PAR_DEFAUT)
            .select_related("user")
            .order_by("user__last_name", "user__email")
        )
        self.fields["delai_grace_promesse_jours"].widget.attrs["max"] = 60

    def clean_heure_envoi(self) -> datetime.time:
        heure: datetime.time = self.cleaned_data["heure_envoi"]
        if not HEURE_MIN <= heure <= HEURE_MAX:
            raise forms.ValidationError(_("Choisissez une heure entre 7 h et 20 h : les relances partent en journée."))
        return heure.replace(second=0, microsecond=0)

    def clean_delai_grace_promesse_jours(self) -> int:
        jours: int = self.cleaned_data["delai_grace_promesse_jours"]
        if jours > 60:
            raise forms.ValidationError(_("60 jours au plus."))
        return jours


class EcheancierForm(forms.Form):
    """A payment plan from the client sheet: the invoices ticked among the first open ones
    (``factures_pour_echeancier``), the number of installments, the first date, the
    frequency and an optional annual rate. ``factures_ouvertes`` is what the page lists."""

    factures = forms.ModelMultipleChoiceField(
        label=_("Factures"),
        queryset=Facture.objects.none(),
        error_messages={"required": _("Cochez au moins une facture.")},
    )
    nombre = forms.IntegerField(label=_("Nombre de versements"), min_value=1, max_value=60, initial=3)
    premiere_date = forms.DateField(label=_("Premier versement le"), widget=forms.DateInput(attrs={"type": "date"}))
    frequence = forms.ChoiceField(label=_("Fréquence"), choices=Frequence.choices, initial=Frequence.MENSUELLE)
    taux_annuel = forms.DecimalField(
        label=_("Taux d'intérêt annuel (%)"),
        required=False,
        min_value=0,
        max_value=50,
        max_digits=6,
        decimal_places=3,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("Vide : sans intérêts. Sur le capital restant dû, jours exacts / 365."),
    )
    note = forms.CharField(label=_("Note"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        from relances.selectors import factures_pour_echeancier

        super().__init__(*args, **kwargs)
        ouvertes = factures_pour_echeancier(client=client)
        champ = self.fields["factures"]
        assert isinstance(champ, forms.ModelMultipleChoiceField)
        champ.queryset = Facture.objects.filter(pk__in=ouvertes.values("pk"))
        self.factures_ouvertes = ouvertes
        # The ticked boxes, to tick them again when the form comes back with an error.
        self.coches: set[str] = set(self.data.getlist("factures")) if hasattr(self.data, "getlist") else set()
