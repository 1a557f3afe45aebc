"""Reads of the risk area: a client's score explained, the clients at risk, the unpaid
invoices of a commercial, the unpaid amounts per commercial, and the credit limits
exceeded (for the dashboard). Each page's reads are a fixed number of queries.

Every function runs inside the organisation's scope; those that take ``membre`` show
only what he may see (a commercial: his clients).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
    Window,
)
from django.db.models.functions import Coalesce
from django.utils import formats
from django.utils.translation import gettext as _

from clients.models import Client
from clients.selectors import client_queryset
from factures.filtres import IMPAYEES, FiltresFactures, facture_filtrer, factures_detaillees
from factures.models import STATUTS_OUVERTS, Nature
from factures.selectors import SituationClient
from recouvrement.core.sql import ZERO
from recouvrement.tenancy.models import Membre
from relances.models import Envoi, StatutEnvoi
from risque import bareme
from risque.models import AlertePlafond, ScoreRisque

PAR_PAGE = 50
CENT = Decimal("100")
MONTANT = DecimalField(max_digits=14, decimal_places=2)


# ---------------------------------------------------------------------------
# The client sheet
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FacteurAffiche:
    code: str
    libelle: str
    regle: str
    unite: str
    valeur: Any
    points: Any  # None: the criterion does not apply to the client
    poids: int
    poids_effectif: Decimal | None  # its share of the score, in %
    contribution: Any

    @property
    def applicable(self) -> bool:
        return self.points is not None

    @property
    def valeur_texte(self) -> str:
        """The value as the page shows it, in the active language (« 12,5 j », « 40 % »…)."""
        if self.valeur is None:
            return "—"
        nombre = formats.number_format(self.valeur, decimal_pos=None if isinstance(self.valeur, int) else 1)
        if self.unite == "jours":
            return _("%(n)s j") % {"n": nombre}
        if self.unite == "%":
            return f"{nombre}\u00a0%"
        if self.unite == "mois":
            return _("%(n)s mois") % {"n": nombre}
        if self.unite == "note":
            return f"{nombre}/100"
        return str(nombre)


@dataclass(frozen=True)
class PlafondClient:
    plafond: Decimal | None
    encours: Decimal

    @property
    def taux(self) -> Decimal | None:
        """Outstanding over the limit, in whole percent."""
        if self.plafond is None or self.plafond <= 0:
            return None
        return (self.encours / self.plafond * CENT).quantize(Decimal("1"))

    @property
    def depassement(self) -> Decimal:
        """How much over the limit (0 when under, or without a limit)."""
        if self.plafond is None:
            return Decimal("0.00")
        return max(self.encours - self.plafond, Decimal("0.00"))

    @property
    def depasse(self) -> bool:
        return self.plafond is not None and self.encours > self.plafond


@dataclass(frozen=True)
class RisqueClient:
    score: ScoreRisque | None
    facteurs: list[FacteurAffiche]
    alerte: AlertePlafond | None
    plafond: PlafondClient

    @property
    def sans_historique(self) -> bool:
        return any(f.code == bareme.SANS_HISTORIQUE.code and f.applicable for f in self.facteurs)


def facteurs_affiches(score: ScoreRisque) -> list[FacteurAffiche]:
    """The stored explanation with today's labels (translated) and each criterion's share."""
    stockes = [f for f in score.facteurs if isinstance(f, dict)]
    poids_total = sum(int(f.get("poids") or 0) for f in stockes if f.get("points") is not None)
    lignes: list[FacteurAffiche] = []
    for facteur in stockes:
        critere = bareme.PAR_CODE.get(str(facteur.get("code")))
        applicable = facteur.get("points") is not None
        if critere is not None and critere.code == bareme.SANS_HISTORIQUE.code and not applicable:
            continue  # shown only for a client without history
        poids = int(facteur.get("poids") or 0)
        lignes.append(
            FacteurAffiche(
                code=str(facteur.get("code")),
                libelle=str(critere.libelle) if critere else str(facteur.get("libelle", "")),
                regle=str(critere.regle) if critere else "",
                unite=critere.unite if critere else "",
                valeur=facteur.get("valeur"),
                points=facteur.get("points"),
                poids=poids,
                poids_effectif=(Decimal(poids * 100) / poids_total).quantize(Decimal("0.1"))
                if applicable and poids_total
                else None,
                contribution=facteur.get("contribution"),
            )
        )
    return lignes


def risque_client(*, client: Client, situation: SituationClient) -> RisqueClient:
    """The risk panel of the client sheet. Two queries (the score, the active alert).

    ``situation``: the client's live balance (``factures.selectors.client_situation``),
    already read by the sheet.
    """
    score = ScoreRisque.objects.filter(client=client).first()
    alerte = AlertePlafond.objects.filter(client=client, terminee_le__isnull=True).first()
    return RisqueClient(
        score=score,
        facteurs=facteurs_affiches(score) if score is not None else [],
        alerte=alerte,
        plafond=PlafondClient(plafond=client.plafond_credit, encours=situation.encours),
    )


# ---------------------------------------------------------------------------
# Live balances as subqueries (the lists)
# ---------------------------------------------------------------------------


def _encours(client_ref: str = "pk") -> Coalesce:
    """The outstanding of the client ``OuterRef(client_ref)``: open invoices less open credit notes."""
    from factures.models import Facture

    signe = Case(When(nature=Nature.AVOIR, then=-F("reste_du")), default=F("reste_du"), output_field=MONTANT)
    somme = (
        Facture.objects.filter(client=OuterRef(client_ref), statut__in=STATUTS_OUVERTS)
        .order_by()
        .values("client")
        .annotate(s=Sum(signe))
        .values("s")
    )
    return Coalesce(Subquery(somme, output_field=MONTANT), ZERO)


def _echu(aujourd_hui: datetime.date, client_ref: str = "pk") -> Coalesce:
    from factures.models import Facture

    somme = (
        Facture.objects.filter(
            client=OuterRef(client_ref),
            statut__in=STATUTS_OUVERTS,
            nature=Nature.FACTURE,
            date_echeance__lt=aujourd_hui,
        )
        .order_by()
        .values("client")
        .annotate(s=Sum("reste_du"))
        .values("s")
    )
    return Coalesce(Subquery(somme, output_field=MONTANT), ZERO)


def _derniere_relance_le() -> Subquery:
    envois = Envoi.objects.filter(client=OuterRef("pk"), statut=StatutEnvoi.ENVOYE).order_by("-date_prevue", "-pk")
    return Subquery(envois.values("envoye_le")[:1])


# ---------------------------------------------------------------------------
# "Mes clients à risque"
# ---------------------------------------------------------------------------


def clients_a_risque(*, membre: Membre, aujourd_hui: datetime.date) -> QuerySet[Client]:
    """The clients ``membre`` may see that are in class D or E, or over their credit limit
    (live outstanding), riskiest first (lowest score; not yet scored last).

    Each row has ``encours``, ``echu``, ``score``, ``depassement`` (0 when under the limit)
    and ``derniere_relance_le`` (the last reminder that went out).
    """
    scores = ScoreRisque.objects.filter(client=OuterRef("pk"))
    return (
        client_queryset(membre=membre)
        .annotate(
            encours=_encours(),
            echu=_echu(aujourd_hui),
            score=Subquery(scores.values("score")[:1]),
            score_calcule_le=Subquery(scores.values("calcule_le")[:1]),
            derniere_relance_le=_derniere_relance_le(),
        )
        .annotate(
            depassement=Case(
                When(
                    plafond_credit__isnull=False,
                    encours__gt=F("plafond_credit"),
                    then=F("encours") - F("plafond_credit"),
                ),
                default=ZERO,
                output_field=MONTANT,
            )
        )
        .filter(
            Q(classe_risque__in=bareme.CLASSES_A_RISQUE)
            | Q(plafond_credit__isnull=False, encours__gt=F("plafond_credit"))
        )
        .select_related("commercial__user")
        .order_by(F("score").asc(nulls_last=True), "-encours", "raison_sociale", "pk")
    )


def clients_a_risque_page(*, membre: Membre, aujourd_hui: datetime.date, numero: Any) -> Page:
    """One page of ``clients_a_risque``. Two queries (count, rows)."""
    return Paginator(clients_a_risque(membre=membre, aujourd_hui=aujourd_hui), PAR_PAGE).get_page(numero)


# ---------------------------------------------------------------------------
# "Mes factures impayées"
# ---------------------------------------------------------------------------


def factures_impayees_page(*, membre: Membre, aujourd_hui: datetime.date, numero: Any) -> Page:
    """The open invoices (not credit notes) of the clients ``membre`` may see, the oldest due
    date first, each with its client, last reminder (date, channel, step), dispute and pause
    flags (``factures.filtres.factures_detaillees``). Three queries (count, ids, rows)."""
    queryset = facture_filtrer(
        membre=membre, filtres=FiltresFactures(statut=IMPAYEES, tri="echeance"), aujourd_hui=aujourd_hui
    ).filter(nature=Nature.FACTURE)
    page = Paginator(queryset.values_list("pk", flat=True), PAR_PAGE).get_page(numero)
    factures = factures_detaillees(membre=membre, ids=list(page.object_list), aujourd_hui=aujourd_hui)
    return Page(factures, page.number, page.paginator)


def factures_impayees_total(*, membre: Membre, aujourd_hui: datetime.date) -> dict[str, Any]:
    """What the page of unpaid invoices sums up: their number, what they still owe, the overdue part. One query."""
    from factures.models import Facture

    return Facture.objects.filter(
        client__in=client_queryset(membre=membre), statut__in=STATUTS_OUVERTS, nature=Nature.FACTURE
    ).aggregate(
        nombre=Count("pk"),
        du=Coalesce(Sum("reste_du"), ZERO),
        echu=Coalesce(Sum("reste_du", filter=Q(date_echeance__lt=aujourd_hui)), ZERO),
    )


# ---------------------------------------------------------------------------
# "Impayés par commercial"
# ---------------------------------------------------------------------------

JOURS_RETARD_GRAVE = 60


@dataclass(frozen=True)
class LigneCommercial:
    commercial_id: int | None
    nom: str
    clients: int
    clients_en_retard: int
    encours: Decimal
    echu: Decimal
    echu_plus_60: Decimal
    part_echu: Decimal | None  # of the organisation's overdue, in %
    part_echue_encours: Decimal | None  # overdue over the commercial's outstanding, in %


@dataclass(frozen=True)
class ImpayesParCommercial:
    lignes: list[LigneCommercial]
    clients: int
    encours: Decimal
    echu: Decimal
    echu_plus_60: Decimal


def _pourcent(partie: Decimal, tout: Decimal) -> Decimal | None:
    if tout <= 0:
        return None
    return (partie / tout * CENT).quantize(Decimal("0.1"))


def impayes_par_commercial(*, aujourd_hui: datetime.date) -> ImpayesParCommercial:
    """Per commercial (and a row for the clients without one): his clients, their outstanding,
    the overdue part, the part overdue by more than 60 days, and his share of the
    organisation's overdue. One query (clients grouped by commercial, joined to their open
    pieces only). For the members who see every client.
    """
    grave = aujourd_hui - datetime.timedelta(days=JOURS_RETARD_GRAVE)
    ouvertes = FilteredRelation("factures", condition=Q(factures__statut__in=STATUTS_OUVERTS))
    echue = Q(ouv__nature=Nature.FACTURE, ouv__date_echeance__lt=aujourd_hui)
    rangees = (
        Client.objects.annotate(ouv=ouvertes)
        .values(
            "commercial_id",
            "commercial__user__first_name",
            "commercial__user__last_name",
            "commercial__user__email",
        )
        .annotate(
            clients=Count("pk", distinct=True),
            clients_en_retard=Count("pk", distinct=True, filter=echue),
            du=Coalesce(Sum("ouv__reste_du", filter=Q(ouv__nature=Nature.FACTURE)), ZERO),
            credit=Coalesce(Sum("ouv__reste_du", filter=Q(ouv__nature=Nature.AVOIR)), ZERO),
            echu=Coalesce(Sum("ouv__reste_du", filter=echue), ZERO),
            echu_plus_60=Coalesce(
                Sum("ouv__reste_du", filter=Q(ouv__nature=Nature.FACTURE, ouv__date_echeance__lt=grave)), ZERO
            ),
        )
        .order_by()
    )
    donnees = list(rangees)
    total_echu = sum((r["echu"] for r in donnees), Decimal("0.00"))
    lignes: list[LigneCommercial] = []
    for r in donnees:  # one row per commercial, not per client
        nom = " ".join(p for p in (r["commercial__user__first_name"], r["commercial__user__last_name"]) if p)
        encours = r["du"] - r["credit"]
        lignes.append(
            LigneCommercial(
                commercial_id=r["commercial_id"],
                nom=nom or (r["commercial__user__email"] or ""),
                clients=r["clients"],
                clients_en_retard=r["clients_en_retard"],
                encours=encours,
                echu=r["echu"],
                echu_plus_60=r["echu_plus_60"],
                part_echu=_pourcent(r["echu"], total_echu),
                part_echue_encours=_pourcent(r["echu"], encours),
            )
        )
    # The commercials by overdue, largest first; the clients without a commercial last.
    lignes.sort(key=lambda ligne: (ligne.commercial_id is None, -ligne.echu, ligne.nom.lower()))
    return ImpayesParCommercial(
        lignes=lignes,
        clients=sum(ligne.clients for ligne in lignes),
        encours=sum((ligne.encours for ligne in lignes), Decimal("0.00")),
        echu=total_echu,
        echu_plus_60=sum((ligne.echu_plus_60 for ligne in lignes), Decimal("0.00")),
    )


# ---------------------------------------------------------------------------
# The dashboard: credit limits exceeded
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Depassement:
    client_id: int
    raison_sociale: str
    devise: str
    encours: Decimal
    plafond: Decimal
    depassement: Decimal
    depuis: datetime.datetime | None  # the active alert's date; None: over since the last computation


@dataclass(frozen=True)
class Depassements:
    nombre: int
    clients: list[Depassement]


def depassements_plafond(*, limite: int = 10) -> Depassements:
    """The clients whose live outstanding is over their credit limit: how many, and the
    ``limite`` largest excesses with the outstanding, the limit and since when (the
    active alert). One query. For the members who see every client (the dashboard).
    """
    alertes = AlertePlafond.objects.filter(client=OuterRef("pk"), terminee_le__isnull=True)
    lignes = list(
        Client.objects.filter(plafond_credit__isnull=False)
        .annotate(encours=_encours())
        .filter(encours__gt=F("plafond_credit"))
        .annotate(
            depassement=F("encours") - F("plafond_credit"),
            depuis=Subquery(alertes.values("levee_le")[:1]),
            nombre=Window(Count("pk")),
        )
        .order_by("-depassement", "raison_sociale", "pk")
        .values("pk", "raison_sociale", "devise", "encours", "plafond_credit", "depassement", "depuis", "nombre")[
            :limite
        ]
    )
    return Depassements(
        nombre=lignes[0]["nombre"] if lignes else 0,
        clients=[
            Depassement(
                client_id=ligne["pk"],
                raison_sociale=ligne["raison_sociale"],
                devise=ligne["devise"],
                encours=ligne["encours"],
                plafond=ligne["plafond_credit"],
                depassement=ligne["depassement"],
                depuis=ligne["depuis"],
            )
            for ligne in lignes
        ],
    )
