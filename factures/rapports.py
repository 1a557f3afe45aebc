"""Reports over the receivables: the aging buckets, the outstanding summary with
the latest clients, and the days sales outstanding (DSO) month by month.

The words are those of ``factures.selectors``, so that the figures agree with
the client list and the client sheet:

- an invoice is *open* when its status is ``ouverte`` or
  ``partiellement_payee`` (``STATUTS_OUVERTS``); cancelled pieces never count;
- the *outstanding* (``encours``) is the ``reste_du`` of open invoices less the
  unused credit (``reste_du``) of open credit notes;
- the *overdue* part (``échu``) is the ``reste_du`` of open invoices (credit
  notes excluded) whose due date is before today.

These reports aggregate every invoice of an organisation. They are written in
SQL that PostgreSQL (production, tests) and SQLite (``make demo``) both run,
one statement per group of figures, and filter on ``tenant_id`` themselves
(row-level security still applies on PostgreSQL). Every function takes the
organisation explicitly and refuses to run outside its scope.

On PostgreSQL every read is an index-only scan of a covering index
(``factures`` migration 0003): ``facture_solde_client_idx`` for the open pieces
(by client; it holds the due date, nature, medium and ``reste_du`` the summary
needs), ``facture_emission_idx`` for the issues by day and ``paiement_date_idx``
for the payments by day (the DSO). What remains is arithmetic, one ``numeric``
aggregate per row at most per pass (about 150 ns a row on the 2-core box): see
``bench/README.md``, ``pages.py``. Do not wrap these statements in ``SET LOCAL
enable_nestloop = off`` as the planning does: their only nested loops join a few
dozen month rows, which cannot be hashed (range conditions); the setting adds
``disable_cost`` to the estimate, which then passes ``jit_above_cost``, and the
JIT compilation alone takes the DSO statement from 60–80 ms to 1–2 s.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from factures.models import STATUTS_OUVERTS, Nature, Statut, SupportPaiement
from factures.selectors import part_echue
from recouvrement.core.errors import TenantScopeError
from recouvrement.core.sql import en_date, en_decimal, executer
from recouvrement.tenancy.context import current_organisation_id
from recouvrement.tenancy.models import Organisation, tranches_par_defaut

DIXIEME = Decimal("0.1")


# ---------------------------------------------------------------------------
# Aging buckets
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tranche:
    """One bucket of the aging balance, by days past the due date.

    ``min_jours`` and ``max_jours`` are inclusive bounds on the days late
    (today minus the due date). The first bucket is "not due" (``min_jours``
    None, ``max_jours`` 0: due today or later); the last has no upper bound
    (``max_jours`` None). ``key`` is the value of the ``tranche`` GET parameter
    of the invoice list.
    """

    key: str
    label: str
    min_jours: int | None
    max_jours: int | None

    @property
    def echue(self) -> bool:
        return self.min_jours is not None

    def echeances(self, aujourd_hui: datetime.date) -> tuple[datetime.date | None, datetime.date | None]:
        """The first and last due dates (inclusive) of the bucket on ``aujourd_hui``; None: unbounded."""
        premiere = None if self.max_jours is None else aujourd_hui - datetime.timedelta(days=self.max_jours)
        derniere = None if self.min_jours is None else aujourd_hui - datetime.timedelta(days=self.min_jours)
        return premiere, derniere

    def filtre(self, aujourd_hui: datetime.date, *, prefixe: str = "") -> Q:
        """The condition on ``date_echeance`` (``prefixe`` for a related invoice: ``"facture__"``).

        It says nothing of the status: combine it with the open statuses.
        """
        premiere, derniere = self.echeances(aujourd_hui)
        condition = Q()
        if premiere is not None:
            condition &= Q(**{f"{prefixe}date_echeance__gte": premiere})
        if derniere is not None:
            condition &= Q(**{f"{prefixe}date_echeance__lte": derniere})
        return condition


def _bornes_valides(bornes: Any) -> list[int]:
    """The organisation's bounds as ``Organisation.clean`` wants them, or the defaults."""
    if (
        isinstance(bornes, list)
        and bornes
        and all(isinstance(b, int) and not isinstance(b, bool) and b > 0 for b in bornes)
        and bornes == sorted(set(bornes))
    ):
        return bornes
    return tranches_par_defaut()


def tranches(organisation_bounds: Sequence[int] | None) -> list[Tranche]:
    """The buckets of the aging balance from ``Organisation.tranches_balance_agee``.

    Bounds ``[30, 45, 60]`` give five buckets, keys and labels (French source)::

        non-echu  Non échu          due today or later        min None, max 0
        0-30      0–30 jours        1 to 30 days late          min 1,    max 30
        30-45     30–45 jours       31 to 45 days late         min 31,   max 45
        45-60     45–60 jours       46 to 60 days late         min 46,   max 60
        60+       Plus de 60 jours  61 days late or more       min 61,   max None

    A day late is a day after the due date: an invoice due yesterday is 1 day
    late, in the first overdue bucket. Invalid bounds (not increasing positive
    integers) fall back to the defaults, as a form would refuse them.
    """
    bornes = _bornes_valides(list(organisation_bounds) if organisation_bounds is not None else None)
    resultat = [Tranche(key="non-echu", label=_("Non échu"), min_jours=None, max_jours=0)]
    precedente = 0
    for borne in bornes:
        resultat.append(
            Tranche(
                key=f"{precedente}-{borne}",
                label=_("%(min)s–%(max)s jours") % {"min": precedente, "max": borne},
                min_jours=precedente + 1,
                max_jours=borne,
            )
        )
        precedente = borne
    resultat.append(
        Tranche(
            key=f"{precedente}+",
            label=_("Plus de %(n)s jours") % {"n": precedente},
            min_jours=precedente + 1,
            max_jours=None,
        )
    )
    return resultat


def tranche_par_cle(organisation_bounds: Sequence[int] | None, key: str) -> Tranche | None:
    """The bucket named ``key`` (a GET parameter) among the organisation's, or None."""
    return next((t for t in tranches(organisation_bounds) if t.key == key), None)


# ---------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------


def _verifier_scope(organisation: Organisation) -> int:
    """Fail closed: these reports run only inside the organisation's own scope."""
    if organisation.pk is None or current_organisation_id() != organisation.pk:
        raise TenantScopeError("Reports run only inside organisation_scope() of the organisation they read.")
    return int(organisation.pk)


def _place(valeurs: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(valeurs))


# ---------------------------------------------------------------------------
# Outstanding summary: headline figures, aging balance, latest clients
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MontantTranche:
    tranche: Tranche
    montant: Decimal
    factures: int


@dataclass(frozen=True)
class ClientEnRetard:
    client_id: int
    raison_sociale: str
    echu: Decimal
    encours: Decimal
    factures_echues: int
    plus_ancienne_echeance: datetime.date | None
    jours_retard_max: int


@dataclass(frozen=True)
class SyntheseEncours:
    """The outstanding of an organisation on a day, as the client list sums it."""

    aujourd_hui: datetime.date
    du_factures: Decimal
    credit_avoirs: Decimal
    echu: Decimal
    factures_ouvertes: int
    factures_echues: int
    avoirs_ouverts: int
    balance: list[MontantTranche]
    affacturees_echues: Decimal
    affacturees_echues_nombre: int
    clients_en_retard_nombre: int
    clients_en_retard: list[ClientEnRetard]

    @property
    def encours(self) -> Decimal:
        return self.du_factures - self.credit_avoirs

    @property
    def part_echue(self) -> Decimal | None:
        """Overdue over outstanding, in percent (as on the client sheet)."""
        return part_echue(echu=self.echu, encours=self.encours)

    @property
    def balance_max(self) -> Decimal:
        return max((ligne.montant for ligne in self.balance), default=Decimal("0"))


def encours_synthese(
    *, organisation: Organisation, aujourd_hui: datetime.date, clients_limite: int = 10
) -> SyntheseEncours:
    """Outstanding, overdue, aging balance, overdue factored invoices, and the
    ``clients_limite`` clients with the largest overdue amount. One query.

    Precondition: inside ``organisation_scope(organisation)``. A first row
    holds the totals, the next rows the latest clients, by overdue amount
    (ties broken by client id). Amounts are summed whatever their currency, as the client list does.
    The aging buckets hold invoices only: open credit notes are the separate
    ``credit_avoirs``, so that the buckets less the credit notes make the
    outstanding.
    """
    tenant_id = _verifier_scope(organisation)
    liste_tranches = tranches(organisation.tranches_balance_agee)
    facture, avoir = str(Nature.FACTURE), str(Nature.AVOIR)
    # Totals: from the open pieces grouped by due date, nature and medium (a few
    # hundred rows), so that each invoice goes through two aggregates only.
    totaux: list[str] = []
    params_totaux: list[Any] = []

    def total(nom: str, condition: str, *valeurs: Any, agregat: str = "SUM(montant)") -> None:
        totaux.append(f"{agregat} FILTER (WHERE {condition}) AS {nom}")
        params_totaux.extend(valeurs)

    total("du", "nature = %s", facture)
    total("credit", "nature = %s", avoir)
    total("echu", "nature = %s AND date_echeance < %s", facture, aujourd_hui)
    total("n", "nature = %s", facture, agregat="SUM(nombre)")
    total("n_echu", "nature = %s AND date_echeance < %s", facture, aujourd_hui, agregat="SUM(nombre)")
    total("n_avoirs", "nature = %s", avoir, agregat="SUM(nombre)")
    affacturee = "nature = %s AND date_echeance < %s AND support_paiement = %s"
    total("aff", affacturee, facture, aujourd_hui, str(SupportPaiement.AFFACTURAGE))
    total("n_aff", affacturee, facture, aujourd_hui, str(SupportPaiement.AFFACTURAGE), agregat="SUM(nombre)")
    for i, tranche in enumerate(liste_tranches):
        premiere, derniere = tranche.echeances(aujourd_hui)
        conditions: list[str] = ["nature = %s"]
        bornes: list[Any] = [facture]
        if premiere is not None:
            conditions.append("date_echeance >= %s")
            bornes.append(premiere)
        if derniere is not None:
            conditions.append("date_echeance <= %s")
            bornes.append(derniere)
        total(f"t{i}", " AND ".join(conditions), *bornes)
        total(f"nt{i}", " AND ".join(conditions), *bornes, agregat="SUM(nombre)")
    noms = [colonne.rsplit(" AS ", 1)[1] for colonne in totaux]
    # Two passes over the open pieces, each with as few aggregates per row as
    # possible (they are what costs, not the reading): the overdue invoices by
    # client for the latest clients (read twice: PostgreSQL computes the CTE
    # once), and the open pieces by due date, nature and medium for the totals.
    # The outstanding of the latest clients only is summed afterwards.
    statuts = [str(s) for s in STATUTS_OUVERTS]
    sql = f"""
WITH par_client AS (
  SELECT client_id, SUM(reste_du) AS echu, COUNT(*) AS n_echu, MIN(date_echeance) AS plus_ancienne
  FROM factures_facture
  WHERE tenant_id = %s AND statut IN ({_place(statuts)}) AND nature = %s AND date_echeance < %s
  GROUP BY client_id
),
par_echeance AS (
  SELECT date_echeance, nature, support_paiement, SUM(reste_du) AS montant, COUNT(*) AS nombre
  FROM factures_facture
  WHERE tenant_id = %s AND statut IN ({_place(statuts)})
  GROUP BY date_echeance, nature, support_paiement
)
SELECT 0 AS rang, NULL AS client_id, NULL AS raison_sociale, NULL AS encours, NULL AS echu,
  NULL AS n_echu, NULL AS plus_ancienne,
  (SELECT COUNT(*) FROM par_client) AS clients_en_retard,
  {", ".join(totaux)}
FROM par_echeance
UNION ALL
SELECT * FROM (
  SELECT 1, pc.client_id, c.raison_sociale,
    (SELECT SUM(CASE WHEN f.nature = %s THEN f.reste_du ELSE -f.reste_du END)
     FROM factures_facture f
     WHERE f.tenant_id = %s AND f.client_id = pc.client_id AND f.statut IN ({_place(statuts)})),
    pc.echu, pc.n_echu, pc.plus_ancienne,
    {", ".join(["CAST(NULL AS NUMERIC)"] * (len(noms) + 1))}
  FROM par_client pc
  JOIN clients_client c ON c.tenant_id = %s AND c.id = pc.client_id
  ORDER BY pc.echu DESC, pc.client_id
  LIMIT %s
) en_retard
ORDER BY rang
"""  # noqa: S608  (fragments are ours; every value is a parameter)
    params: list[Any] = [tenant_id, *statuts, facture, aujourd_hui, tenant_id, *statuts, *params_totaux]
    params += [facture, tenant_id, *statuts, tenant_id, clients_limite]
    lignes = executer(sql, params)
    premiere_ligne, clients = lignes[0], lignes[1:]
    valeurs: dict[str, Any] = dict(zip(noms, premiere_ligne[8:], strict=True))
    balance = [
        MontantTranche(tranche=tranche, montant=en_decimal(valeurs[f"t{i}"]), factures=int(valeurs[f"nt{i}"] or 0))
        for i, tranche in enumerate(liste_tranches)
    ]
    en_retard = []
    for _rang, client_id, raison_sociale, encours, echu, n_echu, plus_ancienne_brute, *_reste in clients:
        plus_ancienne = en_date(plus_ancienne_brute)
        en_retard.append(
            ClientEnRetard(
                client_id=int(client_id),
                raison_sociale=str(raison_sociale),
                echu=en_decimal(echu),
                encours=en_decimal(encours),
                factures_echues=int(n_echu or 0),
                plus_ancienne_echeance=plus_ancienne,
                jours_retard_max=(aujourd_hui - plus_ancienne).days if plus_ancienne else 0,
            )
        )
    return SyntheseEncours(
        aujourd_hui=aujourd_hui,
        du_factures=en_decimal(valeurs["du"]),
        credit_avoirs=en_decimal(valeurs["credit"]),
        echu=en_decimal(valeurs["echu"]),
        factures_ouvertes=int(valeurs["n"] or 0),
        factures_echues=int(valeurs["n_echu"] or 0),
        avoirs_ouverts=int(valeurs["n_avoirs"] or 0),
        balance=balance,
        affacturees_echues=en_decimal(valeurs["aff"]),
        affacturees_echues_nombre=int(valeurs["n_aff"] or 0),
        clients_en_retard_nombre=int(premiere_ligne[7] or 0),
        clients_en_retard=en_retard,
    )


# ---------------------------------------------------------------------------
# Days sales outstanding
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PointDso:
    """The DSO at the end of day ``jour``.

    ``dso`` in days (one decimal); ``plafonne`` when the outstanding exceeds
    every sale of the horizon: the DSO is then at least ``dso``.
    """

    jour: datetime.date
    encours: Decimal
    dso: Decimal
    plafonne: bool
    fin_de_mois: bool


@dataclass(frozen=True)
class HistoriqueDso:
    """The DSO at the last month ends and today, and the money collected this month."""

    points: list[PointDso]
    encaisse_mois: Decimal
    horizon_mois: int

    @property
    def actuel(self) -> PointDso:
        return self.points[-1]

    @property
    def fins_de_mois(self) -> list[PointDso]:
        return [p for p in self.points if p.fin_de_mois]


def _mois_precedent(premier: datetime.date, n: int = 1) -> datetime.date:
    """The first day of the month ``n`` months before the month starting on ``premier``."""
    rang = premier.year * 12 + premier.month - 1 - n
    return datetime.date(rang // 12, rang % 12 + 1, 1)


def _fin_du_mois(premier: datetime.date) -> datetime.date:
    return premier.replace(day=calendar.monthrange(premier.year, premier.month)[1])


def dso_historique(
    *, organisation: Organisation, aujourd_hui: datetime.date, mois: int = 12, horizon_mois: int = 24
) -> HistoriqueDso:
    """The DSO (countback method) at the last ``mois`` month ends and at today,
    and the payments received since the first of this month. One query.

    Precondition: inside ``organisation_scope(organisation)``.

    **Outstanding at the end of day D**, rebuilt from dates, with the history as
    it is known today: the TTC amount of the invoices issued on or before D,
    less the TTC amount of the credit notes issued on or before D, less the
    payments received on or before D for the part of them that is allocated
    (lettrée) today. Cancelled pieces never count. Unallocated money does not
    reduce the outstanding, as on the client list; at today (with no piece
    dated in the future) this is exactly the outstanding of ``encours_synthese``:
    the allocations of credit notes cancel out (they lower an invoice and the
    credit note's unused credit alike) and every invoice's ``reste_du`` is its
    TTC amount less its allocations.

    **Countback**: the outstanding at D is matched against the TTC sales
    (invoices issued, credit notes not deducted) of the month of D, then of the
    month before, and so on. Each month whose sales the outstanding still covers
    adds its days (the current month counts its days up to today); the month
    where the outstanding runs out adds the covered fraction of its days. An
    outstanding of zero or less gives 0 days. Beyond ``horizon_mois`` months the
    count stops and the point is marked ``plafonne``.

    Example: outstanding 150 at 31 March, sales of March 100 (31 days) and of
    February 100 (28 days): 31 + 50/100 × 28 = 45.0 days.
    """
    tenant_id = _verifier_scope(organisation)
    mois_courant = aujourd_hui.replace(day=1)
    fins = [_fin_du_mois(_mois_precedent(mois_courant, n)) for n in range(mois, 0, -1)]
    if fins and fins[-1] >= aujourd_hui:  # never happens with a month before today; kept for clarity
        fins = fins[:-1]
    points = [*fins, aujourd_hui]
    # (rank, day, first day of the horizon)
    valeurs_points: list[Any] = []
    for rang, jour in enumerate(points):
        valeurs_points += [rang, jour, _mois_precedent(jour.replace(day=1), horizon_mois - 1)]
    # Every month from the first point's horizon to this month: (first day, last day, days counted).
    calendrier: list[Any] = []
    debut = _mois_precedent(points[0].replace(day=1), horizon_mois - 1)
    while debut <= mois_courant:
        fin = min(_fin_du_mois(debut), aujourd_hui)
        calendrier += [debut, fin, (fin - debut).days + 1]
        debut = _mois_precedent(debut, -1)
    facture = str(Nature.FACTURE)
    sql = f"""
WITH par_nature AS (
  SELECT date_emission AS jour, nature, SUM(montant_ttc) AS montant
  FROM factures_facture
  WHERE tenant_id = %s AND statut <> %s AND date_emission <= %s
  GROUP BY date_emission, nature
),
emissions AS MATERIALIZED (
  SELECT jour,
    SUM(CASE WHEN nature = %s THEN montant ELSE 0 END) AS ventes,
    SUM(CASE WHEN nature = %s THEN montant ELSE -montant END) AS solde
  FROM par_nature
  GROUP BY jour
),
reglements AS MATERIALIZED (
  SELECT date_paiement AS jour, SUM(montant - montant_non_affecte) AS montant,
    SUM(montant) FILTER (WHERE date_paiement >= %s) AS recu
  FROM factures_paiement
  WHERE tenant_id = %s AND date_paiement <= %s
  GROUP BY date_paiement
),
points (rang, jour, horizon) AS (VALUES {", ".join(["(%s, %s, %s)"] * len(points))}),
mois (debut, fin, jours) AS (VALUES {", ".join(["(%s, %s, %s)"] * (len(calendrier) // 3))}),
ventes_mois AS (
  SELECT m.debut, m.fin, m.jours, COALESCE(SUM(e.ventes), 0) AS ventes
  FROM mois m LEFT JOIN emissions e ON e.jour >= m.debut AND e.jour <= m.fin
  GROUP BY m.debut, m.fin, m.jours
),
encours AS MATERIALIZED (
  SELECT p.rang, p.jour, p.horizon,
    COALESCE((SELECT SUM(e.solde) FROM emissions e WHERE e.jour <= p.jour), 0)
    - COALESCE((SELECT SUM(r.montant) FROM reglements r WHERE r.jour <= p.jour), 0) AS montant
  FROM points p
),
periodes AS (
  SELECT en.rang, en.montant, v.jours, v.ventes,
    COALESCE(SUM(v.ventes) OVER (
      PARTITION BY en.rang ORDER BY v.debut DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ), 0) AS avant
  FROM encours en JOIN ventes_mois v ON v.fin <= en.jour AND v.debut >= en.horizon
)
SELECT rang, montant,
  SUM(CASE WHEN montant <= avant THEN 0
           WHEN montant >= avant + ventes THEN jours
           ELSE (montant - avant) * 1.0 * jours / ventes END) AS dso,
  SUM(ventes) AS ventes_horizon,
  (SELECT COALESCE(SUM(r.recu), 0) FROM reglements r WHERE r.jour >= %s) AS encaisse
FROM periodes
GROUP BY rang, montant
ORDER BY rang
"""  # noqa: S608  (fragments are ours; every value is a parameter)
    params = [
        tenant_id,
        str(Statut.ANNULEE),
        aujourd_hui,
        facture,
        facture,
        mois_courant,
        tenant_id,
        aujourd_hui,
        *valeurs_points,
        *calendrier,
        mois_courant,
    ]
    lignes = executer(sql, params)
    resultat = []
    encaisse = Decimal("0.00")
    for rang, montant, dso, ventes_horizon, encaisse_brut in lignes:
        encours = en_decimal(montant)
        resultat.append(
            PointDso(
                jour=points[int(rang)],
                encours=encours,
                dso=en_decimal(dso, DIXIEME),
                plafonne=encours > en_decimal(ventes_horizon),
                fin_de_mois=int(rang) < len(points) - 1,
            )
        )
        encaisse = en_decimal(encaisse_brut)
    return HistoriqueDso(points=resultat, encaisse_mois=encaisse, horizon_mois=horizon_mois)
