"""Writes of the risk area: the scores (nightly, or one client on demand), the credit-limit
alerts, and the alert e-mails.

Set-based: for one organisation, three statements do the whole computation, whatever
the number of clients or invoices (no Python loop over clients):

1. ``_scores_ecrire``: one ``INSERT … SELECT … ON CONFLICT DO UPDATE`` from CTEs computes
   every client's criteria, points, score, class and explanation (``risque.bareme``) and
   upserts ``risque_scorerisque``; on PostgreSQL the same statement updates
   ``clients_client.classe_risque`` (a data-modifying CTE), so the scenario assignment
   rules read the new class; SQLite (the demo) does that in a second statement.
2. ``_alertes_terminer``: the active alerts of clients no longer over their limit end.
3. ``_alertes_lever``: a client over its limit without an active alert gets one (the
   partial unique index keeps it to one, ``ON CONFLICT DO NOTHING``).

Restricted to one client (``client_risque_recalculer``), the same statements run with
one more condition. On PostgreSQL a transaction-scoped advisory lock per organisation
serialises two computations of the same organisation.

The SQL is portable between PostgreSQL and SQLite: dates are compared with bounds
computed here, and the few dialect differences (days between two dates, JSON
constructors) go through ``_Dialecte``.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clients.models import Client
from factures.models import STATUTS_OUVERTS, Nature, Statut
from recouvrement.core.errors import TenantScopeError
from recouvrement.core.formats import montant_texte, url_absolue
from recouvrement.core.sql import InstructionSql as _Sql
from recouvrement.core.sql import plans_ensemblistes as _plans_ensemblistes
from recouvrement.tenancy.context import current_organisation_id
from recouvrement.tenancy.models import Membre, Organisation, Role
from relances.models import ParametresRelance, StatutPromesse
from relances.selectors import parametre_relance
from risque import bareme
from risque.models import AlertePlafond, CalculRisqueJour

logger = logging.getLogger(__name__)

OUVERTS = tuple(str(s) for s in STATUTS_OUVERTS)
VERROU_RISQUE = 72_005


@dataclass(frozen=True)
class ResultatCalcul:
    clients: int
    classes_changees: int
    alertes_levees: int
    alertes_terminees: int


# ---------------------------------------------------------------------------
# Dates and SQL dialect
# ---------------------------------------------------------------------------


def date_moins_mois(jour: datetime.date, mois: int) -> datetime.date:
    """The same day ``mois`` months earlier (the month's last day when it has fewer days)."""
    annee, reste = divmod(jour.month - 1 - mois, 12)
    annee += jour.year
    mois_cible = reste + 1
    suivant = datetime.date(annee + (mois_cible == 12), mois_cible % 12 + 1, 1)
    dernier = (suivant - datetime.timedelta(days=1)).day
    return datetime.date(annee, mois_cible, min(jour.day, dernier))


class _Dialecte:
    def __init__(self) -> None:
        self.postgresql = connection.vendor == "postgresql"

    def date(self) -> str:
        """A date parameter."""
        return "CAST(%s AS date)" if self.postgresql else "%s"

    def jours(self, fin: str, debut: str) -> str:
        """Whole days from ``debut`` to ``fin`` (two date expressions)."""
        if self.postgresql:
            return f"(({fin}) - ({debut}))"
        return f"CAST(julianday({fin}) - julianday({debut}) AS INTEGER)"

    @property
    def json_objet(self) -> str:
        return "jsonb_build_object" if self.postgresql else "json_object"

    @property
    def json_liste(self) -> str:
        return "jsonb_build_array" if self.postgresql else "json_array"


def _in(valeurs: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in valeurs) + ")"


def _executer(sql: _Sql) -> int:
    """Run a write; the number of rows written."""
    return sql.executer()


def _organisation_id() -> int:
    organisation_id = current_organisation_id()
    if organisation_id is None:
        raise TenantScopeError("The risk computation runs inside organisation_scope().")
    return organisation_id


def _verrouiller(organisation_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [VERROU_RISQUE, organisation_id])


def _delai_grace_promesse() -> int:
    return int(parametre_relance("delai_grace_promesse_jours"))


# ---------------------------------------------------------------------------
# 1. Scores
# ---------------------------------------------------------------------------


def _filtre_client(sql: _Sql, colonne: str, client_id: int | None) -> None:
    if client_id is not None:
        sql(f"AND {colonne} = %s", client_id)


def _criteres(
    sql: _Sql, d: _Dialecte, *, organisation_id: int, aujourd_hui: datetime.date, client_id: int | None
) -> None:
    """``WITH …, scores AS (…)``: every client of the organisation (or the one) with its values,
    points and score. The columns of ``scores``: see the final SELECT of ``_scores_ecrire``."""
    ops = connection.ops
    jour = ops.adapt_datefield_value(aujourd_hui)
    debut = ops.adapt_datefield_value(date_moins_mois(aujourd_hui, bareme.MOIS_OBSERVES))
    debut_recent = ops.adapt_datefield_value(date_moins_mois(aujourd_hui, bareme.MOIS_RECENTS))
    debut_instant = ops.adapt_datetimefield_value(
        timezone.make_aware(
            datetime.datetime.combine(date_moins_mois(aujourd_hui, bareme.MOIS_OBSERVES), datetime.time())
        )
    )
    limite_grace = ops.adapt_datefield_value(aujourd_hui - datetime.timedelta(days=_delai_grace_promesse()))
    date = d.date()
    facture, avoir, payee = Nature.FACTURE.value, Nature.AVOIR.value, Statut.PAYEE.value
    annulee = Statut.ANNULEE.value

    sql("WITH cible AS (")
    sql(
        """SELECT c.id AS client_id, c.plafond_credit AS plafond, c.note_externe, c.date_debut_relation
        FROM clients_client c WHERE c.tenant_id = %s""",
        organisation_id,
    )
    _filtre_client(sql, "c.id", client_id)
    # The settlement date of the invoices settled in the window: the latest date of their
    # active allocations (a payment's date, or the allocation's date for a credit note).
    # Only allocations dated in the window can make that latest date fall in it.
    sql(
        f"""), reglements AS (
        SELECT l.facture_id, MAX(COALESCE(p.date_paiement, l.date_lettrage)) AS regle_le
        FROM factures_lettrage l
        LEFT JOIN factures_paiement p ON p.tenant_id = l.tenant_id AND p.id = l.paiement_id
        WHERE l.tenant_id = %s AND l.annule_le IS NULL
          AND COALESCE(p.date_paiement, l.date_lettrage) >= {date}""",  # noqa: S608  (fragments are ours; every value is a parameter)
        organisation_id,
        debut,
    )
    if client_id is not None:
        sql(
            "AND l.facture_id IN (SELECT f1.id FROM factures_facture f1 WHERE f1.tenant_id = %s AND f1.client_id = %s)",
            organisation_id,
            client_id,
        )
    sql("GROUP BY l.facture_id")
    # The observed invoices: past due and still open, or settled in the window.
    fin = f"CASE WHEN f.statut IN {_in(OUVERTS)} THEN {date} ELSE r.regle_le END"
    sql(
        f"""), echues AS (
        SELECT e.client_id, e.montant, e.date_echeance, CASE WHEN e.jours > 0 THEN e.jours ELSE 0 END AS retard
        FROM (
            SELECT f.client_id, f.montant_ttc AS montant, f.date_echeance, {d.jours(fin, "f.date_echeance")} AS jours
            FROM factures_facture f
            JOIN cible c ON c.client_id = f.client_id
            LEFT JOIN reglements r ON r.facture_id = f.id
            WHERE f.tenant_id = %s AND f.nature = '{facture}' AND f.date_echeance < {date}
              AND (f.statut IN {_in(OUVERTS)} OR (f.statut = '{payee}' AND r.regle_le IS NOT NULL))""",  # noqa: S608  (fragments are ours; every value is a parameter)
        jour,
        organisation_id,
        jour,
    )
    _filtre_client(sql, "f.client_id", client_id)
    sql(
        f""") e
    ), comportement AS (
        SELECT client_id,
            COUNT(*) AS n,
            SUM(CASE WHEN retard > 0 THEN 1 ELSE 0 END) AS n_retard,
            SUM(montant) AS m,
            SUM(montant * retard) AS mj,
            SUM(CASE WHEN date_echeance >= {date} THEN montant ELSE 0 END) AS m_recent,
            SUM(CASE WHEN date_echeance >= {date} THEN montant * retard ELSE 0 END) AS mj_recent,
            SUM(CASE WHEN date_echeance >= {date} AND date_echeance < {date} THEN montant ELSE 0 END) AS m_avant,
            SUM(CASE WHEN date_echeance >= {date} AND date_echeance < {date} THEN montant * retard ELSE 0 END)
                AS mj_avant
        FROM echues GROUP BY client_id
    ), litiges AS (
        SELECT l.client_id, COUNT(*) AS n FROM litiges_litige l
        WHERE l.tenant_id = %s AND l.created_at >= %s""",  # noqa: S608  (fragments are ours; every value is a parameter)
        debut_recent,
        debut_recent,
        debut,
        debut_recent,
        debut,
        debut_recent,
        organisation_id,
        debut_instant,
    )
    _filtre_client(sql, "l.client_id", client_id)
    sql(
        f"""GROUP BY l.client_id
    ), promesses AS (
        SELECT pr.client_id, COUNT(*) AS n FROM relances_promesse pr
        LEFT JOIN factures_facture fp ON fp.tenant_id = pr.tenant_id AND fp.id = pr.facture_id
        WHERE pr.tenant_id = %s AND pr.date_promise >= {date}
          AND (pr.statut = '{StatutPromesse.ROMPUE.value}'
               OR (pr.statut = '{StatutPromesse.EN_COURS.value}' AND pr.date_promise < {date}
                   AND ((pr.facture_id IS NOT NULL AND fp.statut IN {_in(OUVERTS)})
                        OR (pr.facture_id IS NULL AND EXISTS (
                            SELECT 1 FROM factures_facture f2
                            WHERE f2.tenant_id = pr.tenant_id AND f2.client_id = pr.client_id
                              AND f2.nature = '{facture}' AND f2.statut IN {_in(OUVERTS)}
                              AND f2.date_echeance <= pr.date_promise)))))""",  # noqa: S608  (fragments are ours; every value is a parameter)
        organisation_id,
        debut,
        limite_grace,
    )
    _filtre_client(sql, "pr.client_id", client_id)
    sql(
        f"""GROUP BY pr.client_id
    ), pieces AS (
        SELECT f.client_id,
            SUM(CASE WHEN f.statut NOT IN {_in(OUVERTS)} THEN 0
                     WHEN f.nature = '{avoir}' THEN -f.reste_du ELSE f.reste_du END) AS encours,
            MIN(CASE WHEN f.nature = '{facture}' AND f.statut <> '{annulee}' THEN f.date_emission END) AS premiere
        FROM factures_facture f WHERE f.tenant_id = %s""",  # noqa: S608  (fragments are ours; every value is a parameter)
        organisation_id,
    )
    _filtre_client(sql, "f.client_id", client_id)
    anciennete = d.jours(date, "COALESCE(c.date_debut_relation, p.premiere)")
    sql(
        f"""GROUP BY f.client_id
    ), valeurs AS (
        SELECT c.client_id, c.plafond, c.note_externe,
            COALESCE(p.encours, 0) AS encours,
            COALESCE(b.n, 0) AS n_echues,
            ROUND(b.mj / NULLIF(b.m, 0), 1) AS retard,
            ROUND(100.0 * b.n_retard / NULLIF(b.n, 0), 1) AS part,
            ROUND(b.mj_recent / NULLIF(b.m_recent, 0) - b.mj_avant / NULLIF(b.m_avant, 0), 1) AS tendance,
            COALESCE(l.n, 0) AS litiges,
            COALESCE(pr.n, 0) AS promesses,
            CASE WHEN c.plafond > 0 THEN ROUND(100.0 * COALESCE(p.encours, 0) / c.plafond, 1) END AS taux_plafond,
            {anciennete} * 12 / 365 AS anciennete
        FROM cible c
        LEFT JOIN comportement b ON b.client_id = c.client_id
        LEFT JOIN litiges l ON l.client_id = c.client_id
        LEFT JOIN promesses pr ON pr.client_id = c.client_id
        LEFT JOIN pieces p ON p.client_id = c.client_id
    ),""",  # noqa: S608  (fragments are ours; every value is a parameter)
        jour,
    )
    b = bareme
    sql(
        f"""points AS (
        SELECT v.*,
            CASE WHEN v.n_echues = 0 OR v.retard IS NULL THEN NULL
                 WHEN v.retard >= {b.RETARD_NUL_JOURS} THEN 0
                 ELSE ROUND(100 - 100.0 * v.retard / {b.RETARD_NUL_JOURS}, 1) END AS p_retard,
            CASE WHEN v.n_echues = 0 THEN NULL ELSE ROUND(100 - v.part, 1) END AS p_part,
            CASE WHEN v.n_echues = 0 OR v.tendance IS NULL THEN NULL
                 WHEN v.tendance <= 0 THEN 100
                 WHEN v.tendance >= {b.TENDANCE_NULLE_JOURS} THEN 0
                 ELSE ROUND(100 - 100.0 * v.tendance / {b.TENDANCE_NULLE_JOURS}, 1) END AS p_tendance,
            CASE WHEN v.n_echues = 0 THEN NULL
                 WHEN v.litiges * {b.POINTS_PAR_LITIGE} >= 100 THEN 0
                 ELSE 100 - {b.POINTS_PAR_LITIGE} * v.litiges END AS p_litiges,
            CASE WHEN v.n_echues = 0 THEN NULL
                 WHEN v.promesses * {b.POINTS_PAR_PROMESSE} >= 100 THEN 0
                 ELSE 100 - {b.POINTS_PAR_PROMESSE} * v.promesses END AS p_promesses,
            CASE WHEN v.plafond IS NULL THEN NULL
                 WHEN v.plafond = 0 THEN CASE WHEN v.encours > 0 THEN 0 ELSE 100 END
                 WHEN v.taux_plafond <= {b.PLAFOND_PLEIN} THEN 100
                 WHEN v.taux_plafond >= {b.PLAFOND_NUL} THEN 0
                 ELSE ROUND(100.0 * ({b.PLAFOND_NUL} - v.taux_plafond) / ({b.PLAFOND_NUL} - {b.PLAFOND_PLEIN}), 1)
                 END AS p_plafond,
            CASE WHEN v.n_echues = 0 OR v.anciennete IS NULL THEN NULL
                 WHEN v.anciennete >= {b.ANCIENNETE_PLEINE_MOIS} THEN 100
                 WHEN v.anciennete <= 0 THEN 0
                 ELSE ROUND(100.0 * v.anciennete / {b.ANCIENNETE_PLEINE_MOIS}, 1) END AS p_anciennete,
            v.note_externe AS p_note,
            CASE WHEN v.n_echues = 0 THEN {b.POINTS_NEUTRES} END AS p_neutre
        FROM valeurs v
    ),"""  # noqa: S608  (fragments are ours; every value is a parameter)
    )
    ponderes = [
        ("p_retard", b.RETARD.poids),
        ("p_part", b.PART.poids),
        ("p_tendance", b.TENDANCE.poids),
        ("p_litiges", b.LITIGES.poids),
        ("p_promesses", b.PROMESSES.poids),
        ("p_plafond", b.PLAFOND.poids),
        ("p_anciennete", b.ANCIENNETE.poids),
        ("p_note", b.NOTE_EXTERNE.poids),
        ("p_neutre", b.SANS_HISTORIQUE.poids),
    ]
    poids_total = " + ".join(f"CASE WHEN {col} IS NULL THEN 0 ELSE {poids} END" for col, poids in ponderes)
    somme = " + ".join(f"COALESCE({col} * {poids}, 0)" for col, poids in ponderes)
    sql(
        f"""totaux AS (
        SELECT p.*, ({poids_total}) AS poids_total, ({somme}) AS somme FROM points p
    ), scores AS (
        SELECT t.*, CAST(ROUND(t.somme * 1.0 / t.poids_total) AS INTEGER) AS score FROM totaux t
    )"""  # noqa: S608  (fragments are ours; every value is a parameter)
    )


def _explication(sql: _Sql, d: _Dialecte) -> None:
    """The JSON list of the criteria of a row of ``scores s`` (``risque.bareme.CRITERES`` order)."""
    b = bareme
    colonnes = {
        b.RETARD.code: ("s.retard", "s.p_retard"),
        b.PART.code: ("s.part", "s.p_part"),
        b.TENDANCE.code: ("s.tendance", "s.p_tendance"),
        b.LITIGES.code: ("s.litiges", "s.p_litiges"),
        b.PROMESSES.code: ("s.promesses", "s.p_promesses"),
        b.PLAFOND.code: ("s.taux_plafond", "s.p_plafond"),
        b.ANCIENNETE.code: ("s.anciennete", "s.p_anciennete"),
        b.NOTE_EXTERNE.code: ("s.note_externe", "s.p_note"),
        b.SANS_HISTORIQUE.code: ("s.n_echues", "s.p_neutre"),  # the number of invoices observed: 0
    }
    objets: list[str] = []
    params: list[Any] = []
    with translation.override("fr"):
        for critere in b.CRITERES:
            valeur, points = colonnes[critere.code]
            objets.append(
                f"{d.json_objet}('code', '{critere.code}', 'libelle', CAST(%s AS TEXT), "
                f"'valeur', {valeur}, 'points', {points}, 'poids', {critere.poids}, "
                f"'contribution', ROUND({points} * {critere.poids} * 1.0 / s.poids_total, 1))"
            )
            params.append(str(critere.libelle))
    sql(f"{d.json_liste}(" + ", ".join(objets) + ")", *params)


def _classe(colonne: str) -> str:
    branches = " ".join(f"WHEN {colonne} >= {seuil} THEN '{classe}'" for seuil, classe in bareme.SEUILS_CLASSES[:-1])
    return f"CASE {branches} ELSE '{bareme.SEUILS_CLASSES[-1][1]}' END"


def _scores_ecrire(
    *, organisation_id: int, aujourd_hui: datetime.date, maintenant: datetime.datetime, client_id: int | None
) -> tuple[int, int]:
    """Upsert the scores and copy the classes to the clients. (scores written, classes changed)"""
    d = _Dialecte()
    sql = _Sql()
    _criteres(sql, d, organisation_id=organisation_id, aujourd_hui=aujourd_hui, client_id=client_id)
    if d.postgresql:
        sql(", ecrits AS (")
    sql(
        f"""INSERT INTO risque_scorerisque (tenant_id, client_id, score, classe, encours, calcule_le, facteurs)
        SELECT %s, s.client_id, s.score, {_classe("s.score")}, s.encours, %s, """,
        organisation_id,
        connection.ops.adapt_datetimefield_value(maintenant),
    )
    _explication(sql, d)
    sql(
        """FROM scores s WHERE 1 = 1
        ON CONFLICT (tenant_id, client_id) DO UPDATE SET score = excluded.score, classe = excluded.classe,
            encours = excluded.encours, calcule_le = excluded.calcule_le, facteurs = excluded.facteurs"""
    )
    if d.postgresql:
        # The class goes to the client in the same statement (the assignment rules read it there).
        sql(
            """RETURNING client_id, classe
        ), classes AS (
            UPDATE clients_client c SET classe_risque = e.classe FROM ecrits e
            WHERE c.tenant_id = %s AND c.id = e.client_id AND c.classe_risque <> e.classe
            RETURNING c.id
        )
        SELECT (SELECT COUNT(*) FROM ecrits), (SELECT COUNT(*) FROM classes)""",
            organisation_id,
        )
        with connection.cursor() as cursor:
            cursor.execute(sql.texte(), sql.params)
            ecrits, changees = cursor.fetchone()
        return int(ecrits), int(changees)
    ecrits = _executer(sql)
    classes = _Sql()
    classes(
        """UPDATE clients_client SET classe_risque = (
            SELECT s.classe FROM risque_scorerisque s
            WHERE s.tenant_id = clients_client.tenant_id AND s.client_id = clients_client.id)
        WHERE tenant_id = %s AND EXISTS (
            SELECT 1 FROM risque_scorerisque s WHERE s.tenant_id = clients_client.tenant_id
              AND s.client_id = clients_client.id AND s.classe <> clients_client.classe_risque)""",
        organisation_id,
    )
    _filtre_client(classes, "id", client_id)
    return ecrits, _executer(classes)


# ---------------------------------------------------------------------------
# 2–3. Credit-limit alerts
# ---------------------------------------------------------------------------

# A client over its credit limit, as of its last score (the alerts compare the same figure).
_AU_DELA_DU_PLAFOND = """
    SELECT 1 FROM risque_scorerisque s
    JOIN clients_client c ON c.tenant_id = s.tenant_id AND c.id = s.client_id
    WHERE s.tenant_id = risque_alerteplafond.tenant_id AND s.client_id = risque_alerteplafond.client_id
      AND c.plafond_credit IS NOT NULL AND s.encours > c.plafond_credit"""


def _alertes_terminer(*, organisation_id: int, maintenant: datetime.datetime, client_id: int | None) -> int:
    sql = _Sql()
    sql(
        f"""UPDATE risque_alerteplafond SET terminee_le = %s
        WHERE tenant_id = %s AND terminee_le IS NULL AND NOT EXISTS ({_AU_DELA_DU_PLAFOND})""",  # noqa: S608  (fragments are ours; every value is a parameter)
        connection.ops.adapt_datetimefield_value(maintenant),
        organisation_id,
    )
    _filtre_client(sql, "client_id", client_id)
    return _executer(sql)


def _alertes_lever(*, organisation_id: int, maintenant: datetime.datetime, client_id: int | None) -> int:
    sql = _Sql()
    sql(
        """INSERT INTO risque_alerteplafond (tenant_id, client_id, levee_le, encours, plafond, destinataires)
        SELECT s.tenant_id, s.client_id, %s, s.encours, c.plafond_credit, %s
        FROM risque_scorerisque s
        JOIN clients_client c ON c.tenant_id = s.tenant_id AND c.id = s.client_id
        WHERE s.tenant_id = %s AND c.plafond_credit IS NOT NULL AND s.encours > c.plafond_credit
          AND NOT EXISTS (
            SELECT 1 FROM risque_alerteplafond a
            WHERE a.tenant_id = s.tenant_id AND a.client_id = s.client_id AND a.terminee_le IS NULL)""",
        connection.ops.adapt_datetimefield_value(maintenant),
        "[]",
        organisation_id,
    )
    _filtre_client(sql, "s.client_id", client_id)
    sql("ON CONFLICT DO NOTHING")
    return _executer(sql)


def _notifier_apres_commit(*, organisation_id: int, client_id: int | None) -> None:
    """Queue the e-mail of every active alert not yet notified, once the transaction commits.

    Queued again at each computation until sent: the claim in ``alerte_notifier`` makes the
    extra tasks no-ops, and a task lost with the broker is made up for the next night.
    """
    from risque.tasks import alerte_notifier_tache

    a_notifier = AlertePlafond.objects.filter(terminee_le__isnull=True, notifiee_le__isnull=True)
    if client_id is not None:
        a_notifier = a_notifier.filter(client_id=client_id)
    ids = list(a_notifier.values_list("pk", flat=True))

    def envoyer() -> None:
        for alerte_id in ids:
            alerte_notifier_tache.delay(organisation_id=organisation_id, alerte_id=alerte_id)

    if ids:
        transaction.on_commit(envoyer)


def _calculer(*, aujourd_hui: datetime.date, client_id: int | None) -> ResultatCalcul:
    organisation_id = _organisation_id()
    maintenant = timezone.now()
    _verrouiller(organisation_id)
    # One client: its rows through the (tenant, client…) indexes, nested loops are right.
    with _plans_ensemblistes(client_id is None):
        ecrits, changees = _scores_ecrire(
            organisation_id=organisation_id, aujourd_hui=aujourd_hui, maintenant=maintenant, client_id=client_id
        )
        terminees = _alertes_terminer(organisation_id=organisation_id, maintenant=maintenant, client_id=client_id)
        levees = _alertes_lever(organisation_id=organisation_id, maintenant=maintenant, client_id=client_id)
    _notifier_apres_commit(organisation_id=organisation_id, client_id=client_id)
    return ResultatCalcul(clients=ecrits, classes_changees=changees, alertes_levees=levees, alertes_terminees=terminees)


@transaction.atomic
def scores_calculer(*, aujourd_hui: datetime.date) -> ResultatCalcul:
    """Score every client of the active organisation on ``aujourd_hui`` (its local date),
    raise and end its credit-limit alerts, and queue the new alerts' e-mails after commit.

    Precondition: inside the organisation's scope. Idempotent: run again the same day, it
    writes the same scores and raises nothing new.
    """
    return _calculer(aujourd_hui=aujourd_hui, client_id=None)


@transaction.atomic
def client_risque_recalculer(*, client: Client, aujourd_hui: datetime.date) -> ResultatCalcul:
    """The same computation for one client (the "Recalculer" button of the client sheet)."""
    return _calculer(aujourd_hui=aujourd_hui, client_id=client.pk)


@transaction.atomic
def calcul_nocturne(*, jour: datetime.date) -> ResultatCalcul:
    """The nightly run of the active organisation: the scores of ``jour``, recorded in its
    journal row (created by the scheduler; created here when run by hand)."""
    resultat = _calculer(aujourd_hui=jour, client_id=None)
    journal, _cree = CalculRisqueJour.objects.get_or_create(jour=jour)
    journal.termine_le = timezone.now()
    journal.clients = resultat.clients
    journal.alertes_levees = resultat.alertes_levees
    journal.alertes_terminees = resultat.alertes_terminees
    journal.save(update_fields=["termine_le", "clients", "alertes_levees", "alertes_terminees"])
    return resultat


# ---------------------------------------------------------------------------
# The alert e-mail
# ---------------------------------------------------------------------------


def charges_de_recouvrement() -> list[Membre]:
    """The credit managers told of an alert: the organisation's default one, else every active chargé."""
    parametres = ParametresRelance.objects.select_related("charge_par_defaut__user").first()
    charge = parametres.charge_par_defaut if parametres else None
    if charge is not None and charge.actif:
        return [charge]
    return list(Membre.objects.filter(role=Role.CHARGE, actif=True).select_related("user").order_by("pk"))


def alerte_destinataires(alerte: AlertePlafond) -> list[str]:
    """The client's commercial (when active) and the credit managers, each address once."""
    membres: list[Membre] = []
    commercial = alerte.client.commercial
    if commercial is not None and commercial.actif:
        membres.append(commercial)
    membres += charges_de_recouvrement()
    return list(dict.fromkeys(m.user.email for m in membres if m.user.email))


def _alerte_message(
    alerte: AlertePlafond, organisation: Organisation, destinataires: list[str]
) -> EmailMultiAlternatives:
    client = alerte.client
    with translation.override(organisation.langue):
        contexte = {
            "organisation": organisation,
            "client": client,
            "alerte": alerte,
            "encours": montant_texte(alerte.encours, client.devise),
            "plafond": montant_texte(alerte.plafond, client.devise),
            "depassement": montant_texte(alerte.depassement, client.devise),
            "url": url_absolue(reverse("clients:detail", args=[client.pk])),
        }
        sujet = _("Plafond de crédit dépassé : %(client)s (%(depassement)s au-delà)") % {
            "client": client.raison_sociale,
            "depassement": contexte["depassement"],
        }
        texte = render_to_string("emails/risque_alerte_plafond.txt", contexte)
        html = render_to_string("emails/risque_alerte_plafond.html", contexte)
    expediteur = organisation.adresse_expediteur
    domaine = settings.RELANCES_DOMAINE_MESSAGE_ID
    message = EmailMultiAlternatives(
        subject=sujet,
        body=texte,
        from_email=expediteur,
        to=destinataires,
        # Stable per alert: an idempotent mail service drops a copy re-sent after a crash.
        headers={"Message-ID": f"<alerte-plafond-{alerte.tenant_id}-{alerte.pk}@{domaine}>"},
    )
    message.attach_alternative(html, "text/html")
    return message


@transaction.atomic
def alerte_notifier(*, alerte_id: int) -> bool:
    """Send the e-mail of an alert once; True when this call sent it.

    The claim is ``UPDATE … SET notifiee_le WHERE notifiee_le IS NULL`` in the
    transaction that sends: a second task blocks on the row until the first commits,
    then finds nothing to claim; a failed send rolls the claim back and the task is
    retried. A crash after the mail server accepted the message and before the commit
    would send it again, with the same Message-ID. An alert that ended before its e-mail
    left is closed without one. Precondition: inside the alert's organisation scope.
    """
    maintenant = timezone.now()
    if not AlertePlafond.objects.filter(pk=alerte_id, notifiee_le__isnull=True).update(notifiee_le=maintenant):
        return False
    alerte = AlertePlafond.objects.select_related("client__commercial__user", "tenant").get(pk=alerte_id)
    if alerte.terminee_le is not None:
        return False
    destinataires = alerte_destinataires(alerte)
    if destinataires:
        _alerte_message(alerte, alerte.tenant, destinataires).send()
    else:
        logger.warning("Alerte de plafond %s : personne à prévenir (ni commercial ni chargé).", alerte_id)
    alerte.destinataires = destinataires
    alerte.save(update_fields=["destinataires"])
    return bool(destinataires)


def calcul_du_jour_reserver(
    *, jour: datetime.date, maintenant: datetime.datetime, delai_reprise: datetime.timedelta
) -> bool:
    """Claim the organisation's computation of ``jour``: its journal row, unique per day, so that
    two schedulers (or one run every few minutes) queue it once. A day claimed but not finished
    after ``delai_reprise`` is claimed again. Precondition: inside the organisation's scope."""
    try:
        with transaction.atomic():
            CalculRisqueJour.objects.create(jour=jour, demarre_le=maintenant)
    except IntegrityError:
        return bool(
            CalculRisqueJour.objects.filter(
                jour=jour, termine_le__isnull=True, demarre_le__lt=maintenant - delai_reprise
            ).update(demarre_le=maintenant)
        )
    return True
