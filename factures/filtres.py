"""The invoices list: its filters and sorts (the form that reads them from the query
string), the reads that apply them (shared by the page, its bulk actions and its
exports), and the form of the bulk actions.

A page is three queries whatever the data: the count, the page's ids (sorted
on an index, cut by ``OFFSET``), then those invoices with their client, their
last reminder and whether a dispute is open (correlated subqueries for the 50
rows only, not for every row skipped by the offset).

This module sits with the pages: it composes ``factures``, ``relances`` and ``litiges``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.filtres import choix_commerciaux
from factures.models import STATUTS_OUVERTS, Facture, Nature, Statut, SupportPaiement
from factures.rapports import Tranche, tranches
from factures.selectors import facture_queryset
from litiges.models import STATUTS_LITIGE_ACTIFS, LigneLitige
from litiges.selectors import factures_en_litige
from recouvrement.tenancy import roles
from recouvrement.tenancy.models import Membre, Organisation
from relances.models import Scenario
from relances.selectors import factures_avec_derniere_relance, factures_en_pause

PAR_PAGE = 50

IMPAYEES = "impayees"
TOUTES = "toutes"
STATUTS: list[tuple[str, Any]] = [
    (IMPAYEES, _("Impayées (ouvertes ou partiellement payées)")),
    *Statut.choices,
    (TOUTES, _("Tous les statuts")),
]

TRI_PAR_DEFAUT = "echeance"
# key → (label, ORDER BY); the id breaks ties so that pages never overlap.
TRIS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "echeance": (_("Échéance la plus ancienne"), ("date_echeance", "pk")),
    "-echeance": (_("Échéance la plus récente"), ("-date_echeance", "-pk")),
    "-reste_du": (_("Reste dû décroissant"), ("-reste_du", "pk")),
    "reste_du": (_("Reste dû croissant"), ("reste_du", "pk")),
    "-montant_ttc": (_("Montant TTC décroissant"), ("-montant_ttc", "pk")),
    "-emission": (_("Émission la plus récente"), ("-date_emission", "-pk")),
    "numero": (_("Numéro"), ("numero", "pk")),
    "client": (_("Client"), ("client__raison_sociale", "date_echeance", "pk")),
}

OUI_NON = [("", _("Toutes")), ("1", _("Oui")), ("0", _("Non"))]


@dataclass(frozen=True)
class FiltresFactures:
    """What the list shows; ``parametres()`` gives it back as a query string (pagination, exports)."""

    q: str = ""
    statut: str = TOUTES
    tranche: str = ""
    echue: str = ""  # "1": open invoices past their due date
    client: int | None = None
    commercial: int | None = None
    support: str = ""
    litige: str = ""  # "1": in an open dispute, "0": not
    tri: str = TRI_PAR_DEFAUT

    @property
    def actifs(self) -> bool:
        return any(v not in ("", None) for k, v in asdict(self).items() if k not in ("tri", "statut"))

    def parametres(self) -> dict[str, str]:
        """The values as query-string parameters; the status always (its default depends on the role)."""
        valeurs = {k: "" if v is None else str(v) for k, v in asdict(self).items()}
        return {k: v for k, v in valeurs.items() if v and not (k == "tri" and v == TRI_PAR_DEFAUT)}


def _entier(valeur: Any) -> int | None:
    try:
        return int(valeur)
    except (TypeError, ValueError):
        return None


class FactureFiltreForm(forms.Form):
    """The filters of the invoices list, read from the query string. An invalid value is ignored.

    Without a status in the query string, a commercial gets the unpaid invoices of
    his clients (what he comes for), the other roles every invoice.
    """

    q = forms.CharField(label=_("Recherche"), required=False, max_length=100)
    statut = forms.ChoiceField(label=_("Statut"), required=False, choices=STATUTS)
    tranche = forms.ChoiceField(label=_("Retard"), required=False)
    echue = forms.ChoiceField(label=_("Échue"), required=False, choices=[("", _("Toutes")), ("1", _("Oui"))])
    client = forms.IntegerField(required=False, widget=forms.HiddenInput)
    commercial = forms.TypedChoiceField(label=_("Commercial"), required=False, coerce=int, empty_value=None)
    support = forms.ChoiceField(
        label=_("Support de paiement"), required=False, choices=[("", _("Tous")), *SupportPaiement.choices]
    )
    litige = forms.ChoiceField(label=_("En litige"), required=False, choices=OUI_NON)
    tri = forms.ChoiceField(label=_("Trier par"), required=False, choices=[(k, v[0]) for k, v in TRIS.items()])

    def __init__(self, data: QueryDict | dict[str, Any] | None, *, membre: Membre, organisation: Organisation) -> None:
        data = data.copy() if data is not None else {}
        self.statut_par_defaut = TOUTES if roles.voit_tous_les_clients(membre) else IMPAYEES
        if not data.get("statut"):
            data["statut"] = self.statut_par_defaut
        super().__init__(data)
        self.tranches = tranches(organisation.tranches_balance_agee)
        self.fields["tranche"].choices = [("", _("Tous")), *((t.key, t.label) for t in self.tranches)]  # type: ignore[attr-defined]
        if roles.voit_tous_les_clients(membre):
            self.fields["commercial"].choices = choix_commerciaux()  # type: ignore[attr-defined]
        else:
            del self.fields["commercial"]

    def filtres(self) -> FiltresFactures:
        self.is_valid()
        valeurs = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        if "q" in valeurs:
            valeurs["q"] = valeurs["q"].strip()
        valeurs.setdefault("statut", self.statut_par_defaut)
        return FiltresFactures(**valeurs)


# Reads ------------------------------------------------------------------------------------------------


def _litige_ouvert() -> Exists:
    return Exists(LigneLitige.objects.filter(facture=OuterRef("pk"), litige__statut__in=STATUTS_LITIGE_ACTIFS))


def facture_filtrer(
    *, membre: Membre, filtres: FiltresFactures, aujourd_hui: datetime.date, tranches_: Sequence[Tranche] = ()
) -> QuerySet[Facture]:
    """The invoices ``membre`` may see that match the filters, sorted. ``tranches_``: the
    organisation's aging buckets (``factures.rapports.tranches``), for the ``tranche`` filter.

    ``echue`` and ``tranche`` are about what is still due: they keep open invoices only
    (not credit notes), as the aging balance of ``factures.rapports`` does.
    """
    queryset = facture_queryset(membre=membre)
    if filtres.statut == IMPAYEES:
        queryset = queryset.filter(statut__in=STATUTS_OUVERTS)
    elif filtres.statut in Statut.values:
        queryset = queryset.filter(statut=filtres.statut)
    if filtres.echue:
        queryset = queryset.filter(statut__in=STATUTS_OUVERTS, nature=Nature.FACTURE, date_echeance__lt=aujourd_hui)
    if filtres.tranche:
        tranche = next((t for t in tranches_ if t.key == filtres.tranche), None)
        if tranche is not None:
            # As the aging balance of the dashboard counts them: open invoices, credit notes apart.
            queryset = queryset.filter(tranche.filtre(aujourd_hui), statut__in=STATUTS_OUVERTS, nature=Nature.FACTURE)
    if filtres.client is not None:
        queryset = queryset.filter(client_id=filtres.client)
    if filtres.commercial is not None:
        queryset = queryset.filter(client__commercial_id=filtres.commercial)
    if filtres.support:
        queryset = queryset.filter(support_paiement=filtres.support)
    if filtres.litige:
        queryset = queryset.filter(_litige_ouvert() if filtres.litige == "1" else ~_litige_ouvert())
    if filtres.q:
        queryset = queryset.filter(Q(numero__icontains=filtres.q) | Q(client__raison_sociale__icontains=filtres.q))
    return queryset.order_by(*TRIS.get(filtres.tri, TRIS[TRI_PAR_DEFAUT])[1])


def factures_detaillees(*, membre: Membre, ids: Sequence[int], aujourd_hui: datetime.date) -> list[Facture]:
    """The invoices ``ids`` in that order, with their client and its commercial, the last
    reminder (``derniere_relance_le``, ``_canal``, ``_etape``), ``en_litige`` and ``en_pause``. One query."""
    queryset = facture_queryset(membre=membre).filter(pk__in=ids).select_related("client__commercial__user")
    queryset = factures_en_pause(factures_avec_derniere_relance(queryset), aujourd_hui=aujourd_hui)
    factures = {f.pk: f for f in factures_en_litige(queryset)}
    return [factures[pk] for pk in ids if pk in factures]


def facture_page(
    *,
    membre: Membre,
    filtres: FiltresFactures,
    aujourd_hui: datetime.date,
    tranches_: Sequence[Tranche],
    numero: Any,
    par_page: int = PAR_PAGE,
) -> Page:
    """One page of the list. Three queries (count, ids, rows)."""
    queryset = facture_filtrer(membre=membre, filtres=filtres, aujourd_hui=aujourd_hui, tranches_=tranches_)
    page = Paginator(queryset.values_list("pk", flat=True), par_page).get_page(numero)
    factures = factures_detaillees(membre=membre, ids=list(page.object_list), aujourd_hui=aujourd_hui)
    return Page(factures, page.number, page.paginator)


def facture_lignes(
    *,
    membre: Membre,
    filtres: FiltresFactures,
    aujourd_hui: datetime.date,
    tranches_: Sequence[Tranche],
    paquet: int = 1000,
) -> Iterator[Facture]:
    """Every invoice of the list in its order, detailed as on the page (for exports).

    One query for the ordered ids, then one per ``paquet`` invoices.
    """
    queryset = facture_filtrer(membre=membre, filtres=filtres, aujourd_hui=aujourd_hui, tranches_=tranches_)
    ids = list(queryset.values_list("pk", flat=True))
    for debut in range(0, len(ids), paquet):
        yield from factures_detaillees(membre=membre, ids=ids[debut : debut + paquet], aujourd_hui=aujourd_hui)


# Bulk actions -----------------------------------------------------------------------------------------


class ActionMasse:
    SUSPENDRE = "suspendre"
    REPRENDRE = "reprendre"
    SCENARIO = "scenario"


class ActionMasseForm(forms.Form):
    """Checked rows (``ids``) or every row of the filter (``tous`` with the list's query string)."""

    action = forms.ChoiceField(
        choices=[
            (ActionMasse.SUSPENDRE, _("Suspendre les relances")),
            (ActionMasse.REPRENDRE, _("Reprendre les relances")),
            (ActionMasse.SCENARIO, _("Imposer un scénario")),
        ]
    )
    ids = forms.TypedMultipleChoiceField(required=False, coerce=int)
    tous = forms.BooleanField(required=False, label=_("Toutes les factures du filtre"))
    filtres = forms.CharField(required=False, widget=forms.HiddenInput)
    commentaire = forms.CharField(label=_("Motif"), max_length=500, required=False)
    jusqu_au = forms.DateField(
        label=_("Jusqu'au"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Vide : jusqu'à la reprise manuelle."),
    )
    scenario = forms.ModelChoiceField(label=_("Scénario"), queryset=Scenario.objects.none(), required=False)

    def __init__(self, *args: Any, scenarios: QuerySet[Scenario] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scenario"].queryset = scenarios if scenarios is not None else Scenario.objects.filter(actif=True)  # type: ignore[attr-defined]
        # Any integer is accepted here; the lookup through the member's scope drops the others.
        self.fields["ids"].valid_value = lambda value: _entier(value) is not None  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("tous") and not data.get("ids"):
            raise forms.ValidationError(_("Cochez au moins une facture, ou « toutes les factures du filtre »."))
        if data.get("action") == ActionMasse.SCENARIO and not data.get("scenario"):
            self.add_error("scenario", _("Choisissez le scénario à imposer."))
        jusqu_au = data.get("jusqu_au")
        if data.get("action") == ActionMasse.SUSPENDRE and jusqu_au and jusqu_au < timezone.localdate():
            self.add_error("jusqu_au", _("La date de fin est passée."))
        return data
