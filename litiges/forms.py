"""Opening a dispute (the client's open invoices, each for its whole balance or a part) and moving it on."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from factures.models import STATUTS_OUVERTS, Facture, Nature
from litiges.models import Litige, StatutLitige, TypeLitige
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
        label=_("À résoudre avant le"), required=False, widget=forms.DateInput(attrs={"type": "date"})
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
    statut = forms.ChoiceField(label=_("Nouveau statut"), choices=StatutLitige.choices)
    resolution = forms.CharField(
        label=_("Résolution"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )

    def __init__(self, *args: Any, litige: Litige, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"statut": litige.statut})
        super().__init__(*args, **kwargs)
