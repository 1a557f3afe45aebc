"""The clients list: its filters and sorts (the form that reads them from the query
string) and the reads that apply them, shared by the page and its exports.

Balances (``encours``, ``echu``, the oldest overdue due date) come from one
grouped aggregate of the open invoices, joined to the clients:

- sorted by name (the default) with no filter on balances, the page's ids are
  found first (index on ``(tenant_id, raison_sociale)``, whatever the page
  number), then the aggregate runs for those 50 clients only;
- sorted or filtered by a balance, the aggregate of every client of the list is
  joined in one statement, sorted and cut there; ``COUNT(*) OVER ()`` gives the
  total in the same statement, so the aggregate runs once per page. Never a
  correlated subquery per row under ``OFFSET`` (bench/README.md, findings 1-3).

This module sits with the pages (it composes ``clients`` and ``factures``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Case, Exists, F, Min, OuterRef, Q, QuerySet, Sum, When
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from clients.models import Categorie, ClasseRisque, Client
from clients.selectors import client_queryset
from factures.models import STATUTS_OUVERTS, Facture, Nature, SupportPaiement
from recouvrement.core.sql import en_date, en_decimal, executer
from recouvrement.tenancy import roles
from recouvrement.tenancy.models import Membre
from recouvrement.tenancy.selectors import membre_commercial_list

PAR_PAGE = 50
ZERO = Decimal("0.00")

TRI_PAR_DEFAUT = "raison_sociale"
TRIS: dict[str, Any] = {
    "raison_sociale": _("Raison sociale (A → Z)"),
    "-raison_sociale": _("Raison sociale (Z → A)"),
    "-encours": _("Encours décroissant"),
    "encours": _("Encours croissant"),
    "-echu": _("Échu décroissant"),
    "-retard": _("Retard le plus ancien"),
}
# ORDER BY of the joined statement (outer column names); the name breaks ties, then the id.
_PAR_NOM = "c.nom ASC, c.cid ASC"
_ORDRES_SQL = {
    "raison_sociale": _PAR_NOM,
    "-raison_sociale": "c.nom DESC, c.cid DESC",
    "-encours": f"encours DESC, {_PAR_NOM}",
    "encours": f"encours ASC, {_PAR_NOM}",
    "-echu": f"echu DESC, {_PAR_NOM}",
    "-retard": f"plus_ancienne ASC NULLS LAST, {_PAR_NOM}",
}
_TRIS_PAR_NOM = ("raison_sociale", "-raison_sociale")

OUI_NON = [("", _("Tous")), ("1", _("Oui")), ("0", _("Non"))]


@dataclass(frozen=True)
class FiltresClients:
    """What the list shows; ``parametres()`` gives it back as a query string (pagination, exports)."""

    q: str = ""
    commercial: int | None = None
    categorie: str = ""
    classe: str = ""
    retard: str = ""  # "1": has overdue invoices, "0": none
    depassement: str = ""  # "1": outstanding over the credit limit
    affacturage: str = ""  # "1": factored client, "0": not
    tri: str = TRI_PAR_DEFAUT

    @property
    def par_soldes(self) -> bool:
        """True when the list needs every client's balance (a balance sort or filter)."""
        return self.tri not in _TRIS_PAR_NOM or self.depassement == "1"

    @property
    def actifs(self) -> bool:
        """Any filter set (the sort aside)."""
        return any(v not in ("", None) for k, v in asdict(self).items() if k != "tri")

    def parametres(self) -> dict[str, str]:
        """The non-default values, as query-string parameters."""
        valeurs = {k: "" if v is None else str(v) for k, v in asdict(self).items()}
        return {k: v for k, v in valeurs.items() if v and not (k == "tri" and v == TRI_PAR_DEFAUT)}


def choix_commerciaux() -> list[tuple[Any, Any]]:
    """The choices of a list's commercial filter (clients, invoices): all, then each member. One query."""
    return [("", _("Tous")), *((m.pk, str(m.user)) for m in membre_commercial_list())]


class ClientFiltreForm(forms.Form):
    """The filters of the clients list, read from the query string. An invalid value is ignored."""

    q = forms.CharField(label=_("Recherche"), required=False, max_length=100)
    commercial = forms.TypedChoiceField(label=_("Commercial"), required=False, coerce=int, empty_value=None)
    categorie = forms.ChoiceField(label=_("Catégorie"), required=False, choices=[("", _("Toutes")), *Categorie.choices])
    classe = forms.ChoiceField(
        label=_("Classe de risque"), required=False, choices=[("", _("Toutes")), *ClasseRisque.choices]
    )
    retard = forms.ChoiceField(
        label=_("En retard"),
        required=False,
        choices=[("", _("Tous")), ("1", _("Avec des factures échues")), ("0", _("Sans retard"))],
    )
    depassement = forms.ChoiceField(
        label=_("Plafond de crédit dépassé"), required=False, choices=[("", _("Tous")), ("1", _("Oui"))]
    )
    affacturage = forms.ChoiceField(label=_("Affacturage"), required=False, choices=OUI_NON)
    tri = forms.ChoiceField(label=_("Trier par"), required=False, choices=list(TRIS.items()))

    def __init__(self, data: QueryDict | dict[str, Any] | None, *, membre: Membre) -> None:
        super().__init__(data or {})
        if roles.voit_tous_les_clients(membre):
            # One query, whatever the filter: the choices are the validation.
            self.fields["commercial"].choices = choix_commerciaux()  # type: ignore[attr-defined]
        else:
            # A commercial sees only his own clients: no choice to make.
            del self.fields["commercial"]

    def filtres(self) -> FiltresClients:
        self.is_valid()
        valeurs = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        if "q" in valeurs:
            valeurs["q"] = valeurs["q"].strip()
        return FiltresClients(**valeurs)


def client_filtres(*, membre: Membre, donnees: QueryDict | dict[str, Any]) -> FiltresClients:
    """The filters from a query string (or a stored export), checked against ``membre``'s choices."""
    return ClientFiltreForm(donnees, membre=membre).filtres()


# Reads ------------------------------------------------------------------------------------------------


def _factures_ouvertes_du_client(condition: Q) -> Exists:
    return Exists(Facture.objects.filter(client=OuterRef("pk"), statut__in=STATUTS_OUVERTS).filter(condition))


def client_filtrer(*, membre: Membre, filtres: FiltresClients, aujourd_hui: datetime.date) -> QuerySet[Client]:
    """The clients ``membre`` may see that match the filters other than on balances. Unordered."""
    queryset = client_queryset(membre=membre)
    recherche = filtres.q
    if recherche:
        compact = recherche.replace(" ", "")
        queryset = queryset.filter(
            Q(raison_sociale__icontains=recherche)
            | Q(siren__startswith=compact)
            | Q(siret__startswith=compact)
            | Q(external_id__iexact=recherche)
        )
    if filtres.commercial is not None:
        queryset = queryset.filter(commercial_id=filtres.commercial)
    if filtres.categorie:
        queryset = queryset.filter(categorie=filtres.categorie)
    if filtres.classe:
        queryset = queryset.filter(classe_risque=filtres.classe)
    if filtres.retard:
        en_retard = _factures_ouvertes_du_client(Q(nature=Nature.FACTURE, date_echeance__lt=aujourd_hui))
        queryset = queryset.filter(en_retard if filtres.retard == "1" else ~en_retard)
    if filtres.affacturage:
        # Factored: a factor on the client's sheet, or an open invoice assigned to one.
        affacture = ~Q(affactureur="") | _factures_ouvertes_du_client(Q(support_paiement=SupportPaiement.AFFACTURAGE))
        queryset = queryset.filter(affacture if filtres.affacturage == "1" else ~affacture)
    return queryset.order_by()


def soldes_par_client(*, aujourd_hui: datetime.date) -> QuerySet[Facture, dict[str, Any]]:
    """One row per client with open pieces: ``encours`` (open invoices minus unused credit
    notes), ``echu`` (overdue invoices) and ``plus_ancienne`` (the oldest overdue due date).

    One signed sum rather than two filtered ones: numeric sums are most of the cost
    of aggregating a whole ledger.
    """
    echue = Q(nature=Nature.FACTURE, date_echeance__lt=aujourd_hui)
    return (
        Facture.objects.filter(statut__in=STATUTS_OUVERTS)
        .order_by()
        .values("client_id")
        .annotate(
            encours=Sum(Case(When(nature=Nature.AVOIR, then=-F("reste_du")), default=F("reste_du"))),
            echu=Sum("reste_du", filter=echue),
            plus_ancienne=Min("date_echeance", filter=echue),
        )
    )


@dataclass(frozen=True)
class Solde:
    encours: Decimal = ZERO
    echu: Decimal = ZERO
    plus_ancienne: datetime.date | None = None


def _poser_solde(client: Client, solde: Solde, aujourd_hui: datetime.date) -> Client:
    client.encours = solde.encours  # type: ignore[attr-defined]
    client.echu = solde.echu  # type: ignore[attr-defined]
    client.plus_ancienne_echeance = solde.plus_ancienne  # type: ignore[attr-defined]
    client.retard_jours = (aujourd_hui - solde.plus_ancienne).days if solde.plus_ancienne else 0  # type: ignore[attr-defined]
    client.depasse_plafond = client.plafond_credit is not None and solde.encours > client.plafond_credit  # type: ignore[attr-defined]
    return client


def _requete_par_soldes(
    *, base: QuerySet[Client], filtres: FiltresClients, aujourd_hui: datetime.date, compter: bool = False
) -> tuple[str, list[Any]]:
    """The clients of ``base`` joined to their balances, filtered and sorted (no LIMIT).

    Both parts are compiled by the ORM in the current scope (tenant filter and
    parameters included); only the join, the balance filter and the order are written here.
    """
    base_sql, base_params = base.values(
        cid=F("pk"), nom=F("raison_sociale"), plafond=F("plafond_credit")
    ).query.sql_with_params()
    soldes_sql, soldes_params = soldes_par_client(aujourd_hui=aujourd_hui).query.sql_with_params()
    # The subqueries' columns are named by their aliases (cid, nom, plafond; client_id, encours,
    # echu, plus_ancienne): no column alias list after the subquery, which SQLite (the demo) lacks.
    jointure = f"FROM ({base_sql}) c LEFT JOIN ({soldes_sql}) s ON s.client_id = c.cid"
    encours = "COALESCE(s.encours, 0)"
    where = f"WHERE c.plafond IS NOT NULL AND {encours} > c.plafond" if filtres.depassement else ""
    if compter:
        sql = f"SELECT COUNT(*) {jointure} {where}"
    else:
        ordre = _ORDRES_SQL.get(filtres.tri, _PAR_NOM)
        sql = (
            f"SELECT c.cid, {encours} AS encours, COALESCE(s.echu, 0) AS echu, s.plus_ancienne, "
            f"COUNT(*) OVER () AS total {jointure} {where} ORDER BY {ordre}"
        )
    return sql, [*base_params, *soldes_params]


class _PaginatorCompte(Paginator):
    """A paginator whose total is already known (it came with the page's rows)."""

    def __init__(self, count: int, per_page: int) -> None:
        super().__init__([], per_page)
        self._count = count

    @cached_property
    def count(self) -> int:
        return self._count


def _numero(valeur: Any) -> int:
    try:
        return max(1, int(valeur))
    except (TypeError, ValueError):
        return 1


def _clients_dans_l_ordre(
    *, membre: Membre, ids: Sequence[int], soldes: dict[int, Solde], aujourd_hui: datetime.date
) -> list[Client]:
    clients = {c.pk: c for c in client_queryset(membre=membre).filter(pk__in=ids).select_related("commercial__user")}
    return [_poser_solde(clients[pk], soldes.get(pk, Solde()), aujourd_hui) for pk in ids if pk in clients]


def _clients_des_lignes(
    *, membre: Membre, lignes: Sequence[tuple[Any, ...]], aujourd_hui: datetime.date
) -> list[Client]:
    """The clients of rows of ``_requete_par_soldes`` (id, encours, echu, plus_ancienne…), in their order."""
    soldes = {r[0]: Solde(encours=en_decimal(r[1]), echu=en_decimal(r[2]), plus_ancienne=en_date(r[3])) for r in lignes}
    return _clients_dans_l_ordre(membre=membre, ids=[r[0] for r in lignes], soldes=soldes, aujourd_hui=aujourd_hui)


def client_page(
    *, membre: Membre, filtres: FiltresClients, aujourd_hui: datetime.date, numero: Any, par_page: int = PAR_PAGE
) -> Page:
    """One page of the list, each client with ``encours``, ``echu``, ``retard_jours`` and
    ``depasse_plafond``. Four queries sorted by name, two sorted or filtered by balance."""
    base = client_filtrer(membre=membre, filtres=filtres, aujourd_hui=aujourd_hui)
    if not filtres.par_soldes:
        ordre = ("-raison_sociale", "-pk") if filtres.tri == "-raison_sociale" else ("raison_sociale", "pk")
        page = Paginator(base.order_by(*ordre).values_list("pk", flat=True), par_page).get_page(numero)
        ids = list(page.object_list)
        soldes = {
            r["client_id"]: Solde(encours=r["encours"], echu=r["echu"] or ZERO, plus_ancienne=r["plus_ancienne"])
            for r in soldes_par_client(aujourd_hui=aujourd_hui).filter(client_id__in=ids)
        }
        clients = _clients_dans_l_ordre(membre=membre, ids=ids, soldes=soldes, aujourd_hui=aujourd_hui)
        return Page(clients, page.number, page.paginator)

    sql, params = _requete_par_soldes(base=base, filtres=filtres, aujourd_hui=aujourd_hui)
    numero = _numero(numero)
    lignes = executer(f"{sql} LIMIT %s OFFSET %s", [*params, par_page, (numero - 1) * par_page])
    if lignes:
        total = lignes[0][4]
    else:
        # Past the last page (or nothing matches): count, then show the last page.
        compte_sql, compte_params = _requete_par_soldes(
            base=base, filtres=filtres, aujourd_hui=aujourd_hui, compter=True
        )
        total = executer(compte_sql, compte_params)[0][0]
        if total and numero > 1:
            numero = (total - 1) // par_page + 1
            lignes = executer(f"{sql} LIMIT %s OFFSET %s", [*params, par_page, (numero - 1) * par_page])
        else:
            numero = 1
    paginator = _PaginatorCompte(total, par_page)
    return Page(_clients_des_lignes(membre=membre, lignes=lignes, aujourd_hui=aujourd_hui), numero, paginator)


def client_total(*, membre: Membre, filtres: FiltresClients, aujourd_hui: datetime.date) -> int:
    """How many clients the list (and its export) holds. One query."""
    base = client_filtrer(membre=membre, filtres=filtres, aujourd_hui=aujourd_hui)
    if not filtres.depassement:
        return base.count()
    sql, params = _requete_par_soldes(base=base, filtres=filtres, aujourd_hui=aujourd_hui, compter=True)
    return int(executer(sql, params)[0][0])


def client_lignes(
    *, membre: Membre, filtres: FiltresClients, aujourd_hui: datetime.date, paquet: int = 1000
) -> Iterator[Client]:
    """Every client of the list, in its order, with its balances (for exports).

    One statement for the ordered ids and balances, then one per ``paquet`` clients.
    """
    base = client_filtrer(membre=membre, filtres=filtres, aujourd_hui=aujourd_hui)
    sql, params = _requete_par_soldes(base=base, filtres=filtres, aujourd_hui=aujourd_hui)
    lignes = executer(sql, params)
    for debut in range(0, len(lignes), paquet):
        yield from _clients_des_lignes(membre=membre, lignes=lignes[debut : debut + paquet], aujourd_hui=aujourd_hui)
