"""The rows of the exports added by issue 6: the aging balance by client, the reminder
history and the disputes, each for the filters of its page and the member's scope.

Each function takes the member and the filters (as the page reads them), counts its rows
in one query and yields them by batches: a fixed number of queries per 1,000 rows, never
one per row. Every read goes through the scoped managers (organisation scope required).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.http import QueryDict

from clients.filtres import FiltresClients, client_filtrer
from clients.selectors import client_queryset
from factures.models import STATUTS_OUVERTS, Facture, Nature
from factures.rapports import Tranche
from litiges.forms import LitigeFiltreForm
from litiges.models import LigneLitige, Litige
from litiges.selectors import FiltresLitiges, litige_filtrer, litige_list
from recouvrement.tenancy.models import Membre
from recouvrement.tenancy.selectors import membre_list
from relances.models import Envoi, Livraison, Relance, StatutEnvoi
from relances.selectors import envoi_list

PAQUET = 1000
ZERO = Decimal("0.00")


def _paquets(ids: Sequence[int], taille: int = PAQUET) -> Iterator[Sequence[int]]:
    for debut in range(0, len(ids), taille):
        yield ids[debut : debut + taille]


# Aging balance ----------------------------------------------------------------------------------


@dataclass
class LigneBalance:
    """One client of the aging balance (or the total line: ``client_id`` None).

    ``tranches``: the ``reste_du`` of its open invoices per bucket of the organisation;
    ``credit``: the unused credit of its open credit notes; ``encours`` = buckets − credit.
    """

    client_id: int | None
    raison_sociale: str
    siren: str = ""
    commercial: str = ""
    devise: str = ""
    tranches: list[Decimal] = field(default_factory=list)
    credit: Decimal = ZERO
    factures: int = 0

    @property
    def du(self) -> Decimal:
        return sum(self.tranches, ZERO)

    @property
    def echu(self) -> Decimal:
        return sum(self.tranches[1:], ZERO)

    @property
    def encours(self) -> Decimal:
        return self.du - self.credit

    @property
    def est_total(self) -> bool:
        return self.client_id is None


def _balance_queryset(
    *, membre: Membre, filtres: FiltresClients, aujourd_hui: datetime.date, tranches: Sequence[Tranche]
) -> QuerySet[Any, dict[str, Any]]:
    """One row per client of the list that has open pieces, its buckets summed in SQL."""
    clients = client_filtrer(membre=membre, filtres=filtres, aujourd_hui=aujourd_hui)
    sommes: dict[str, Any] = {
        f"t{i}": Sum("reste_du", filter=Q(nature=Nature.FACTURE) & tranche.filtre(aujourd_hui))
        for i, tranche in enumerate(tranches)
    }
    sommes["credit"] = Sum("reste_du", filter=Q(nature=Nature.AVOIR))
    queryset = (
        Facture.objects.filter(statut__in=STATUTS_OUVERTS, client__in=clients.values("pk"))
        .order_by()
        .values("client_id")
        .annotate(**sommes)
    )
    return queryset


def balance_total(
    *, membre: Membre, filtres: FiltresClients, aujourd_hui: datetime.date, tranches: Sequence[Tranche]
) -> int:
    """How many lines the aging balance has: its clients (those with open pieces) and the
    total line. One query (two with the "over the credit limit" filter, which needs the balances)."""
    if filtres.depassement:
        lignes = balance_lignes(membre=membre, filtres=filtres, aujourd_hui=aujourd_hui, tranches=tranches)
        return sum(1 for _ligne in lignes)
    return 1 + (
        Facture.objects.filter(
            statut__in=STATUTS_OUVERTS,
            client__in=client_filtrer(membre=membre, filtres=filtres, aujourd_hui=aujourd_hui).values("pk"),
        )
        .order_by()
        .values("client_id")
        .distinct()
        .count()
    )


def balance_lignes(
    *,
    membre: Membre,
    filtres: FiltresClients,
    aujourd_hui: datetime.date,
    tranches: Sequence[Tranche],
    total: bool = True,
) -> Iterator[LigneBalance]:
    """The aging balance by client, by name, then (``total``) the total line. Two queries
    (the grouped sums; the ordered client ids), then one per 1,000 clients.

    Amounts are summed whatever their currency, as the dashboard does; the client's
    currency is given on its line.
    """
    sommes = {
        r["client_id"]: r
        for r in _balance_queryset(membre=membre, filtres=filtres, aujourd_hui=aujourd_hui, tranches=tranches)
    }
    ids = list(
        client_filtrer(membre=membre, filtres=filtres, aujourd_hui=aujourd_hui)
        .filter(Exists(Facture.objects.filter(client=OuterRef("pk"), statut__in=STATUTS_OUVERTS)))
        .order_by("raison_sociale", "pk")
        .values_list("pk", flat=True)
    )
    somme_totale = LigneBalance(client_id=None, raison_sociale="", tranches=[ZERO] * len(tranches))
    for paquet in _paquets(ids):
        clients = client_queryset(membre=membre).filter(pk__in=paquet).select_related("commercial__user")
        par_id = {client.pk: client for client in clients}
        for pk in paquet:
            client, valeurs = par_id.get(pk), sommes.get(pk)
            if client is None or valeurs is None:  # changed between the reads (paid, deleted)
                continue
            ligne = LigneBalance(
                client_id=client.pk,
                raison_sociale=client.raison_sociale,
                siren=client.siren,
                commercial=str(client.commercial.user) if client.commercial is not None else "",
                devise=client.devise,
                tranches=[valeurs[f"t{i}"] or ZERO for i in range(len(tranches))],
                credit=valeurs["credit"] or ZERO,
            )
            if filtres.depassement and (client.plafond_credit is None or ligne.encours <= client.plafond_credit):
                continue
            somme_totale.tranches = [a + b for a, b in zip(somme_totale.tranches, ligne.tranches, strict=True)]
            somme_totale.credit += ligne.credit
            yield ligne
    if total:
        yield somme_totale


# Reminder history -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FiltresRelances:
    """The reminders page's filters: ``statut`` "" means every status (the page's default
    without any parameter is "à valider", as ``relances.views.envoi_liste`` reads it)."""

    statut: str = StatutEnvoi.A_VALIDER
    livraison: str = ""

    def parametres(self) -> dict[str, str]:
        return {"statut": self.statut, **({"livraison": self.livraison} if self.livraison else {})}


def relances_filtres(donnees: QueryDict | dict[str, Any]) -> FiltresRelances:
    statut = donnees.get("statut", StatutEnvoi.A_VALIDER)
    livraison = donnees.get("livraison", "")
    return FiltresRelances(
        statut=statut if statut in StatutEnvoi.values else "",
        livraison=livraison if livraison in Livraison.values else "",
    )


def relances_queryset(*, membre: Membre, filtres: FiltresRelances) -> QuerySet[Envoi]:
    return envoi_list(membre=membre, statut=filtres.statut, livraison=filtres.livraison)


def relances_lignes(*, membre: Membre, filtres: FiltresRelances) -> Iterator[Envoi]:
    """Every send of the list, newest first, each with ``factures_numeros`` (the invoices it
    reminded of). One query for the ids, then two per 1,000 sends."""
    queryset = relances_queryset(membre=membre, filtres=filtres)
    ids = list(queryset.values_list("pk", flat=True))
    for paquet in _paquets(ids):
        envois = {e.pk: e for e in queryset.filter(pk__in=paquet).select_related("valide_par")}
        numeros: dict[int, list[str]] = defaultdict(list)
        for envoi_id, numero in (
            Relance.objects.filter(envoi_id__in=paquet)
            .order_by("facture__numero")
            .values_list("envoi_id", "facture__numero")
            .distinct()
        ):
            numeros[envoi_id].append(numero)
        for pk in paquet:
            envoi = envois[pk]
            envoi.factures_numeros = ", ".join(numeros.get(pk, []))  # type: ignore[attr-defined]
            yield envoi


# Disputes ---------------------------------------------------------------------------------------


def litiges_filtres(*, donnees: QueryDict | dict[str, Any]) -> tuple[FiltresLitiges, dict[str, str]]:
    """The disputes list's filters as its page reads them, and as query-string parameters."""
    form = LitigeFiltreForm(donnees or None, membres=list(membre_list().filter(actif=True)))
    data = form.cleaned_data if form.is_valid() else {}
    responsable = data.get("responsable") or ""
    filtres = FiltresLitiges(
        statut=data.get("statut") or "",
        type=data.get("type") or "",
        responsable_id=int(responsable) if responsable.isdigit() else None,
        sans_responsable=responsable == "aucun",
        en_retard=bool(data.get("en_retard")),
    )
    parametres = {k: str(v) for k, v in data.items() if v not in ("", None, False)}
    if parametres.get("en_retard"):
        parametres["en_retard"] = "on"
    return filtres, parametres


def litiges_queryset(*, membre: Membre, filtres: FiltresLitiges, aujourd_hui: datetime.date) -> QuerySet[Litige]:
    return litige_filtrer(
        litige_list().filter(client__in=client_queryset(membre=membre)), filtres=filtres, aujourd_hui=aujourd_hui
    )


def litiges_lignes(*, membre: Membre, filtres: FiltresLitiges, aujourd_hui: datetime.date) -> Iterator[Litige]:
    """Every dispute of the list, newest first, with ``factures_numeros``, ``montant_conteste``
    and ``retard`` (past its due date on ``aujourd_hui``). One query for the ids, then two per
    1,000 disputes."""
    queryset = litiges_queryset(membre=membre, filtres=filtres, aujourd_hui=aujourd_hui)
    ids = list(queryset.values_list("pk", flat=True))
    for paquet in _paquets(ids):
        litiges = {
            litige.pk: litige
            for litige in queryset.filter(pk__in=paquet)
            .prefetch_related(None)
            .select_related("client", "responsable__user")
        }
        numeros: dict[int, list[str]] = defaultdict(list)
        montants: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for litige_id, numero, montant in (
            LigneLitige.objects.filter(litige_id__in=paquet)
            .order_by("facture__numero")
            .values_list("litige_id", "facture__numero", "montant")
        ):
            numeros[litige_id].append(numero)
            montants[litige_id] += montant
        for pk in paquet:
            litige = litiges[pk]
            litige.factures_numeros = ", ".join(numeros.get(pk, []))  # type: ignore[attr-defined]
            litige.montant_conteste = montants[pk]  # type: ignore[attr-defined]
            litige.retard = litige.en_retard(aujourd_hui)  # type: ignore[attr-defined]
            yield litige
