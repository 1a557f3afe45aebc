"""Escalating invoices, following a dossier, filtering the list."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from contentieux.models import Destination, IssueDossier, StatutDossier
from contentieux.selectors import factures_escaladables
from factures.models import Facture
from recouvrement.core.forms import MontantField


class DossierForm(forms.Form):
    destination = forms.ChoiceField(label=_("Destination"), choices=Destination.choices)
    intervenant = forms.CharField(
        label=_("Cabinet, société ou tribunal"),
        max_length=200,
        required=False,
        help_text=_("Si vous le savez déjà ; sinon, à la transmission."),
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, required=False)
    factures = forms.ModelMultipleChoiceField(
        label=_("Factures"),
        queryset=Facture.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choisissez au moins une facture à passer en contentieux.")},
    )
    sans_mise_en_demeure = forms.BooleanField(
        label=_("Je confirme le passage en contentieux sans mise en demeure envoyée"), required=False
    )

    def __init__(self, *args: Any, client: Client, jour: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        self.factures_possibles = list(
            factures_escaladables(client=client, jour=jour).only(
                "pk", "numero", "date_echeance", "montant_ttc", "reste_du", "devise"
            )
        )
        self.fields["factures"].queryset = Facture.objects.filter(  # type: ignore[attr-defined]
            pk__in=[f.pk for f in self.factures_possibles]
        )

    def lignes(self) -> list[dict[str, Any]]:
        """The invoices that may be escalated, with their checkbox state, for the template."""
        choisies = {str(v) for v in self["factures"].value() or []}
        return [{"facture": f, "coche": str(f.pk) in choisies} for f in self.factures_possibles]


class TransmettreForm(forms.Form):
    intervenant = forms.CharField(label=_("Transmis à"), max_length=200)
    reference = forms.CharField(label=_("Leur référence"), max_length=100, required=False)


class ClotureForm(forms.Form):
    issue = forms.ChoiceField(label=_("Issue"), choices=[("", "—"), *IssueDossier.choices])
    montant_recouvre = MontantField(label=_("Montant recouvré"), required=False)
    commentaire = forms.CharField(
        label=_("Commentaire"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, required=False
    )
    reprendre_relances = forms.BooleanField(
        label=_("Reprendre les relances amiables sur ces factures"),
        required=False,
        help_text=_("Sinon, les factures restent hors des relances (vous pourrez les reprendre plus tard)."),
    )


class FiltreDossiersForm(forms.Form):
    statut = forms.ChoiceField(label=_("Statut"), choices=[("", _("Tous")), *StatutDossier.choices], required=False)
    destination = forms.ChoiceField(
        label=_("Destination"), choices=[("", _("Toutes")), *Destination.choices], required=False
    )
    q = forms.CharField(label=_("Client, intervenant ou référence"), max_length=100, required=False)
