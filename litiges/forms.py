"""Opening a dispute (the client's open invoices, each for its whole balance or a part) and moving it on."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from factures.models import STATUTS_OUVERTS, Facture, Nature
from litiges.models import DELAIS_PAR_DEFAUT, LigneLitige, Litige, StatutLitige, TypeLitige
from recouvrement.core.forms import MontantField
from recouvrement.tenancy.selectors import membre_list


class LitigeForm(forms.Form):
    type = forms.ChoiceField(label=_("Type"), choices=TypeLitige.choices)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    souleve_par = forms.CharField(
        label=_("Soulevé par"),
        max_length=200,
        required=False,
        help_text=_("La personne, chez le client, qui conteste."),
    )
    responsable = forms.ModelChoiceField(label=_("Responsable"), queryset=membre_list().none(), required=False)
    echeance = forms.DateField(
        label=_("À résoudre avant le"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Vide : selon le délai de résolution du type de litige."),
    )
    factures = forms.ModelMultipleChoiceField(
        label=_("Factures contestées"),
        queryset=Facture.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choisissez au moins une facture contestée.")},
    )

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        self.factures_ouvertes = list(
            Facture.objects.filter(client=client, statut__in=STATUTS_OUVERTS, nature=Nature.FACTURE, reste_du__gt=0)
            .order_by("date_echeance", "pk")
            .only("pk", "numero", "date_echeance", "reste_du", "devise")
        )
        self.fields["factures"].queryset = Facture.objects.filter(  # type: ignore[attr-defined]
            pk__in=[f.pk for f in self.factures_ouvertes]
        )
        self.fields["responsable"].queryset = membre_list().filter(actif=True)  # type: ignore[attr-defined]
        # The disputed amount of each invoice is a plain input of the table (``montant_<id>``),
        # not a form field: a client may have a thousand open invoices, and rendering a
        # thousand widgets took over half a second. Parsed and checked in ``clean`` below.
        self.erreurs_montants: dict[int, str] = {}

    @staticmethod
    def champ_montant(facture: Facture) -> str:
        return f"montant_{facture.pk}"

    def lignes(self) -> list[dict[str, Any]]:
        """The open invoices with their checkbox state, typed amount and its error, for the template."""
        choisies = {str(v) for v in self["factures"].value() or []}
        return [
            {
                "facture": f,
                "coche": str(f.pk) in choisies,
                "montant": self.data.get(self.champ_montant(f), "") if self.is_bound else "",
                "erreur": self.erreurs_montants.get(f.pk, ""),
            }
            for f in self.factures_ouvertes
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        contestees: list[tuple[Facture, Decimal | None]] = []
        lecteur = MontantField(required=False)
        for facture in data.get("factures", []):
            saisie = str(self.data.get(self.champ_montant(facture), "")).strip()
            try:
                montant = lecteur.clean(saisie) if saisie else None
            except ValidationError as erreur:
                self.erreurs_montants[facture.pk] = " ".join(erreur.messages)
                continue
            if montant is not None and not (Decimal("0") < montant <= facture.reste_du):
                self.erreurs_montants[facture.pk] = str(_("Entre 0 et le reste dû de la facture."))
                continue
            contestees.append((facture, montant))
        if self.erreurs_montants:
            self.add_error(
                "factures",
                _("Montant contesté invalide pour %(numeros)s.")
                % {"numeros": ", ".join(f.numero for f in self.factures_ouvertes if f.pk in self.erreurs_montants)},
            )
        data["contestees"] = contestees
        return data


class LitigeStatutForm(forms.Form):
    """Move a dispute on. Only the statuses allowed from the current one are offered (the
    service refuses the others anyway). The credit note of each disputed invoice is a plain
    input ``avoir_<line id>`` of the lines' table, read by ``montants_avoir``."""

    statut = forms.ChoiceField(label=_("Nouveau statut"), choices=StatutLitige.choices)
    resolution = forms.CharField(
        label=_("Résolution"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )

    def __init__(self, *args: Any, litige: Litige, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.litige = litige
        suivants = set(litige.statuts_suivants)
        self.fields["statut"].widget.choices = [(v, libelle) for v, libelle in StatutLitige.choices if v in suivants]  # type: ignore[attr-defined]

    @staticmethod
    def champ_avoir(ligne: LigneLitige) -> str:
        return f"avoir_{ligne.pk}"

    def montants_avoir(self, lignes: list[LigneLitige]) -> dict[int, str]:
        return {ligne.pk: str(self.data.get(self.champ_avoir(ligne), "")).strip() for ligne in lignes}


class LitigeSuiviForm(forms.Form):
    responsable = forms.ModelChoiceField(
        label=_("Responsable"), queryset=membre_list().none(), required=False, empty_label=_("— sans responsable —")
    )
    echeance = forms.DateField(label=_("À résoudre avant le"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, litige: Litige, membres: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"responsable": litige.responsable_id, "echeance": litige.echeance.isoformat() if litige.echeance else ""},
        )
        super().__init__(*args, **kwargs)
        self.fields["responsable"].queryset = membres  # type: ignore[attr-defined]


class CommentaireForm(forms.Form):
    texte = forms.CharField(
        label=_("Commentaire"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": _("Écrivez un commentaire.")},
    )


class PieceForm(forms.Form):
    fichier = forms.FileField(
        label=_("Pièce jointe"),
        help_text=_("PDF, images, documents, tableurs, e-mails, texte ou CSV ; 10 Mo au plus."),
        error_messages={"required": _("Choisissez un fichier."), "empty": _("Le fichier est vide.")},
    )


class LitigeParametresForm(forms.Form):
    """The time to settle each type of dispute (``delai_<type>``) and the reminder lead time."""

    rappel_jours_avant = forms.IntegerField(
        label=_("Rappel au responsable, jours avant l'échéance"),
        min_value=0,
        max_value=60,
        help_text=_("Un second rappel part le lendemain de l'échéance si le litige n'est pas résolu."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for valeur, libelle in TypeLitige.choices:
            self.fields[f"delai_{valeur}"] = forms.IntegerField(
                label=libelle,
                min_value=1,
                max_value=365,
                help_text=_("Par défaut : %(n)s jours.") % {"n": DELAIS_PAR_DEFAUT[valeur]},
            )

    def delais(self) -> dict[str, int]:
        return {valeur: self.cleaned_data[f"delai_{valeur}"] for valeur in TypeLitige.values}


STATUTS_FILTRE = [
    ("", _("Ouverts et en cours")),
    ("tous", _("Tous")),
    *StatutLitige.choices,
]


class LitigeFiltreForm(forms.Form):
    statut = forms.ChoiceField(label=_("Statut"), choices=STATUTS_FILTRE, required=False)
    type = forms.ChoiceField(label=_("Type"), choices=[("", _("Tous")), *TypeLitige.choices], required=False)
    responsable = forms.ChoiceField(label=_("Responsable"), required=False)
    en_retard = forms.BooleanField(label=_("En retard seulement"), required=False)

    def __init__(self, *args: Any, membres: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsable"].choices = [  # type: ignore[attr-defined]
            ("", _("Tous")),
            ("aucun", _("Sans responsable")),
            *[(str(m.pk), m.user.get_full_name() or m.user.email) for m in membres],
        ]
