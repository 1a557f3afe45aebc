"""The daily planning: which invoices get which reminder today, grouped per client.

Set-based: for one organisation, four SQL statements do the whole day, whatever
the number of invoices (no Python loop over invoices):

1. ``_inserer_relances``: every open, unpaused invoice gets its scenario (an
   imposed one, else the first matching assignment rule, else the default
   scenario, decided by a CASE expression built from the rules), and the
   LATEST of its steps now due — catch-up after downtime sends only that one,
   a preventive step only before the due date, never a step at or below one
   already planned. Inserted under the unique (organisation, invoice, step)
   constraint with ON CONFLICT DO NOTHING.
2. ``_taches_sans_contact``: a client with reminders due but no one reachable
   gets a task for the credit manager instead (one open task at a time).
3. ``_grouper``: one ``Envoi`` per client and day, at the highest step among
   its reminders (the step's tone, channel, recipients and approval rule).
4. attaching the reminders to it, and raising today's sends to the highest step.

The SQL is portable between PostgreSQL and SQLite (the demo): dates are
compared with thresholds computed here per step (few rows), never with
date arithmetic in SQL. On PostgreSQL a transaction-scoped advisory lock per
organisation serialises concurrent planners; the unique constraints make a
second run a no-op anyway.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from factures.models import STATUTS_OUVERTS, Nature
from recouvrement.core.errors import ApplicationError
from recouvrement.core.sql import InstructionSql as _Sql
from recouvrement.core.sql import en_date, executer
from recouvrement.core.sql import plans_ensemblistes as _plans_ensemblistes
from recouvrement.tenancy.context import current_organisation_id
from relances import error_codes
from relances.calendrier import est_jour_ouvre, prochain_jour_ouvre
from relances.models import (
    Canal,
    Envoi,
    Etape,
    PlanificationJour,
    RegleAffectation,
    Scenario,
    StatutEnvoi,
    StatutRelance,
    StatutTache,
    TypeTache,
)
from relances.services.parametres import parametres_get

OUVERTS = tuple(str(s) for s in STATUTS_OUVERTS)
ENVOIS_MODIFIABLES = (StatutEnvoi.A_VALIDER.value, StatutEnvoi.PRET.value)


@dataclass(frozen=True)
class ResultatPlanification:
    jour: datetime.date
    jour_ouvre: bool
    relances: int = 0
    envois: int = 0
    taches: int = 0


def _cast(type_sql: str) -> str:
    """A typed placeholder: PostgreSQL needs the type of VALUES parameters, SQLite must not get one."""
    return f"CAST(%s AS {type_sql})" if connection.vendor == "postgresql" else "%s"


def _verrou_organisation(organisation_id: int) -> None:
    """Serialise planners of one organisation until the end of the transaction (PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [72_001, organisation_id])


def _date_moins_mois(jour: datetime.date, mois: int) -> datetime.date:
    annee, reste = divmod(jour.month - 1 - mois, 12)
    annee += jour.year
    mois_cible = reste + 1
    dernier = [
        31,
        29 if annee % 4 == 0 and (annee % 100 != 0 or annee % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][mois_cible - 1]
    return datetime.date(annee, mois_cible, min(jour.day, dernier))


def _expression_scenario(
    regles: list[RegleAffectation], defaut: int | None, jour: datetime.date
) -> tuple[str, list[Any]]:
    """The CASE that gives an invoice its scenario from the ordered assignment rules."""
    branches: list[str] = []
    params: list[Any] = []
    for regle in regles:
        conditions: list[str] = []
        if regle.categories:
            conditions.append(f"c.categorie IN ({', '.join(['%s'] * len(regle.categories))})")
            params.extend(regle.categories)
        if regle.classes_risque:
            conditions.append(f"c.classe_risque IN ({', '.join(['%s'] * len(regle.classes_risque))})")
            params.extend(regle.classes_risque)
        for champ, operateur, valeur in (
            ("f.montant_ttc", ">=", regle.montant_min),
            ("f.montant_ttc", "<=", regle.montant_max),
            ("COALESCE(e.montant, 0)", ">=", regle.encours_min),
            ("COALESCE(e.montant, 0)", "<=", regle.encours_max),
        ):
            if valeur is not None:
                conditions.append(f"{champ} {operateur} %s")
                params.append(valeur)
        if regle.affacturage is not None:
            conditions.append("f.support_paiement = %s" if regle.affacturage else "f.support_paiement <> %s")
            params.append("affacturage")
        if regle.depassement_agrement is not None:
            depasse = "(c.agrement_affacturage IS NOT NULL AND COALESCE(e.montant, 0) > c.agrement_affacturage)"
            conditions.append(depasse if regle.depassement_agrement else f"NOT {depasse}")
        if regle.depassement_plafond is not None:
            depasse = "(c.plafond_credit IS NOT NULL AND COALESCE(e.montant, 0) > c.plafond_credit)"
            conditions.append(depasse if regle.depassement_plafond else f"NOT {depasse}")
        if regle.anciennete_min_mois is not None:
            conditions.append("c.date_debut_relation <= %s")
            params.append(_date_moins_mois(jour, regle.anciennete_min_mois))
        if regle.anciennete_max_mois is not None:
            conditions.append("c.date_debut_relation >= %s")
            params.append(_date_moins_mois(jour, regle.anciennete_max_mois))
        branches.append(f"WHEN {' AND '.join(conditions) or '1 = 1'} THEN %s")
        params.append(regle.scenario_id)
    params.append(defaut)
    sinon = f"ELSE {_cast('bigint')}"
    return ("CASE " + " ".join(branches) + f" {sinon} END") if branches else _cast("bigint"), params


def _in(valeurs: tuple[str, ...]) -> str:
    return "(" + ", ".join(["%s"] * len(valeurs)) + ")"


def _pas_en_pause(sql: _Sql, jour: datetime.date) -> None:
    for colonne, cible in (("facture_id", "f.id"), ("client_id", "f.client_id")):
        sql(
            f"""AND NOT EXISTS (
                SELECT 1 FROM relances_pause p
                WHERE p.tenant_id = f.tenant_id AND p.{colonne} = {cible} AND p.levee_le IS NULL
                  AND (p.jusqu_au IS NULL OR p.jusqu_au >= %s))""",
            jour,
        )


def _etapes_suivantes(sql: _Sql, *, organisation_id: int, jour: datetime.date) -> None:
    """``FROM candidates JOIN etapes WHERE``: the steps of each invoice's scenario after the
    last one planned for it (cancelled ones aside), a preventive one only before the due date."""
    sql(
        """FROM candidates c JOIN etapes e ON e.scenario_id = c.scenario_id
        WHERE e.decalage > COALESCE((
                SELECT MAX(r.decalage_jours) FROM relances_relance r
                WHERE r.tenant_id = %s AND r.facture_id = c.facture_id AND r.statut <> %s), -100000)
          AND (e.decalage >= 0 OR c.date_echeance > %s)""",
        organisation_id,
        StatutRelance.ANNULEE.value,
        jour,
    )


def _candidates(
    *,
    organisation_id: int,
    jour: datetime.date,
    etapes: list[tuple[int, int, int, str]],
    regles: list[RegleAffectation],
    defaut: int | None,
    client_id: int | None,
    echeance_max: datetime.date | None,
    factures: list[int] | None = None,
) -> _Sql:
    """``WITH etapes, encours, candidates``: every open, unpaused invoice with its scenario."""
    sql = _Sql()
    ligne = f"({_cast('bigint')}, {_cast('bigint')}, {_cast('integer')}, {_cast('varchar')}, {_cast('date')})"
    sql("WITH etapes (etape_id, scenario_id, decalage, canal, seuil) AS (VALUES")
    for index, (etape_id, scenario_id, decalage, canal) in enumerate(etapes):
        seuil = jour - datetime.timedelta(days=decalage)
        sql(("," if index else "") + ligne, etape_id, scenario_id, decalage, canal, seuil)
    sql("),")
    sql(
        f"""encours AS (
            SELECT f.client_id, SUM(f.reste_du) AS montant FROM factures_facture f
            WHERE f.tenant_id = %s AND f.nature = %s AND f.statut IN {_in(OUVERTS)}
            GROUP BY f.client_id
        ),""",
        organisation_id,
        Nature.FACTURE.value,
        *OUVERTS,
    )
    scenario_sql, params_scenario = _expression_scenario(regles, defaut, jour)
    sql(
        f"""candidates AS (
            SELECT f.id AS facture_id, f.client_id, f.date_echeance,
                   COALESCE(sf.scenario_id, sc.scenario_id, {scenario_sql}) AS scenario_id
            FROM factures_facture f
            JOIN clients_client c ON c.tenant_id = f.tenant_id AND c.id = f.client_id
            LEFT JOIN encours e ON e.client_id = f.client_id
            LEFT JOIN relances_scenarioimpose sf ON sf.tenant_id = f.tenant_id AND sf.facture_id = f.id
            LEFT JOIN relances_scenarioimpose sc ON sc.tenant_id = f.tenant_id AND sc.client_id = f.client_id
            WHERE f.tenant_id = %s AND f.nature = %s AND f.statut IN {_in(OUVERTS)} AND f.reste_du > 0""",
        *params_scenario,
        organisation_id,
        Nature.FACTURE.value,
        *OUVERTS,
    )
    if client_id is not None:
        sql("AND f.client_id = %s", client_id)
    if echeance_max is not None:
        sql("AND f.date_echeance <= %s", echeance_max)
    if factures is not None:
        sql(f"AND f.id IN ({', '.join(['%s'] * len(factures)) or 'NULL'})", *factures)
    _pas_en_pause(sql, jour)
    sql("),")
    return sql


def _inserer_relances(
    *,
    organisation_id: int,
    jour: datetime.date,
    etapes: list[tuple[int, int, int, str]],
    regles: list[RegleAffectation],
    defaut: int | None,
    client_id: int | None,
    prochaine: bool,
) -> int:
    sql = _candidates(
        organisation_id=organisation_id,
        jour=jour,
        etapes=etapes,
        regles=regles,
        defaut=defaut,
        client_id=client_id,
        # Unless "relancer maintenant": only invoices some step is due for, so that the
        # open-invoices index does the work.
        echeance_max=None if prochaine else jour - datetime.timedelta(days=min(e[2] for e in etapes)),
    )
    if prochaine:
        # "Relancer maintenant": the next step after the last one planned, whatever its date.
        sql(
            """dues AS (
                SELECT c.facture_id, c.client_id, e.etape_id, e.decalage, e.canal,
                       ROW_NUMBER() OVER (PARTITION BY c.facture_id ORDER BY e.decalage ASC) AS rang"""
        )
        _etapes_suivantes(sql, organisation_id=organisation_id, jour=jour)
        sql(")")
    else:
        sql(
            """dues AS (
                SELECT c.facture_id, c.client_id, e.etape_id, e.decalage, e.canal,
                       ROW_NUMBER() OVER (PARTITION BY c.facture_id ORDER BY e.decalage DESC) AS rang
                FROM candidates c JOIN etapes e ON e.scenario_id = c.scenario_id
                WHERE c.date_echeance <= e.seuil AND (e.decalage >= 0 OR c.date_echeance > %s)
            )""",
            jour,
        )
    sql(
        """INSERT INTO relances_relance
               (tenant_id, facture_id, etape_id, client_id, envoi_id, date_prevue, decalage_jours, canal, statut,
                created_at)
           SELECT %s, d.facture_id, d.etape_id, d.client_id, NULL, %s, d.decalage, d.canal, %s, %s
           FROM dues d
           WHERE d.rang = 1
             AND NOT EXISTS (
                 SELECT 1 FROM relances_relance r
                 WHERE r.tenant_id = %s AND r.facture_id = d.facture_id AND r.statut <> %s
                   AND r.decalage_jours >= d.decalage)
           ON CONFLICT DO NOTHING""",
        organisation_id,
        jour,
        StatutRelance.PLANIFIEE.value,
        timezone.now(),
        organisation_id,
        StatutRelance.ANNULEE.value,
    )
    return sql.executer()


def _joignable(sql: _Sql) -> None:
    """SQL condition on ``r`` (a reminder) and ``c`` (its client): someone can receive it."""
    sql(
        """AND (
            r.canal IN ('appel', 'tache')
            OR EXISTS (
                SELECT 1 FROM clients_contact ct
                WHERE ct.tenant_id = r.tenant_id AND ct.client_id = r.client_id AND ct.email <> ''
                  AND ct.opt_out = %s AND ct.email_invalide = %s)
            OR (r.canal = 'courrier' AND c.adresse <> '' AND c.ville <> ''))""",
        False,
        False,
    )


def _taches_sans_contact(*, organisation_id: int, jour: datetime.date, charge_id: int | None) -> int:
    """A task for each client with reminders due and no one to receive them (one open task at a time)."""
    sql = _Sql()
    sql(
        """INSERT INTO relances_tache
               (tenant_id, client_id, facture_id, envoi_id, type, titre, description, assigne_a_id, echeance,
                statut, resultat, note, cle, fait_le, fait_par_id, created_at)
           SELECT %s, c.id, NULL, NULL, %s, %s || c.raison_sociale, %s, %s, %s, %s, '', '',
                  %s || CAST(c.id AS varchar(20)) || ':' || %s, NULL, NULL, %s
           FROM clients_client c
           WHERE c.tenant_id = %s
             -- The negation of _joignable, with its client-level part (an e-mail contact) tested
             -- once per client rather than once per reminder.
             AND NOT EXISTS (
                 SELECT 1 FROM clients_contact ct
                 WHERE ct.tenant_id = c.tenant_id AND ct.client_id = c.id AND ct.email <> ''
                   AND ct.opt_out = %s AND ct.email_invalide = %s)
             AND EXISTS (
                 SELECT 1 FROM relances_relance r
                 WHERE r.tenant_id = c.tenant_id AND r.client_id = c.id AND r.statut = %s
                   AND r.envoi_id IS NULL AND r.date_prevue <= %s
                   AND r.canal NOT IN ('appel', 'tache')
                   AND NOT (r.canal = 'courrier' AND c.adresse <> '' AND c.ville <> ''))
             AND NOT EXISTS (
                 SELECT 1 FROM relances_tache t
                 WHERE t.tenant_id = c.tenant_id AND t.client_id = c.id AND t.type = %s AND t.statut = %s)
           ON CONFLICT DO NOTHING""",
        organisation_id,
        TypeTache.SANS_CONTACT.value,
        _("Trouver un contact joignable : "),
        _(
            "Des relances sont dues mais aucun contact de ce client n'a d'adresse e-mail valide "
            "(ni d'adresse postale pour un courrier). Ajoutez ou corrigez un contact : les relances "
            "partiront au prochain passage."
        ),
        charge_id,
        jour,
        StatutTache.A_FAIRE.value,
        f"{TypeTache.SANS_CONTACT.value}:",
        jour.isoformat(),
        timezone.now(),
        organisation_id,
        False,
        False,
        StatutRelance.PLANIFIEE.value,
        jour,
        TypeTache.SANS_CONTACT.value,
        StatutTache.A_FAIRE.value,
    )
    return sql.executer()


def _grouper(*, organisation_id: int, jour: datetime.date) -> int:
    """One send per client and day at the highest step due; attach the reminders; raise today's sends."""
    sql = _Sql()
    sql(
        """INSERT INTO relances_envoi
               (tenant_id, client_id, date_prevue, etape_id, canal, statut, langue, destinataires, sujet,
                corps_texte, corps_html, courrier_pdf, courrier_html, message_id, tentatives, erreur, valide_par_id,
                valide_le, en_cours_depuis, envoye_le, livraison, livraison_le, created_at)
           SELECT %s, t.client_id, %s, t.etape_id, t.canal,
                  CASE WHEN e.necessite_validation THEN %s ELSE %s END,
                  cl.langue, '{}', '', '', '', '', '', '', 0, '', NULL, NULL, NULL, NULL, '', NULL, %s
           FROM (
               SELECT r.client_id, r.etape_id, r.canal,
                      ROW_NUMBER() OVER (PARTITION BY r.client_id ORDER BY r.decalage_jours DESC, r.etape_id) AS rang
               FROM relances_relance r
               JOIN clients_client c ON c.tenant_id = r.tenant_id AND c.id = r.client_id
               WHERE r.tenant_id = %s AND r.statut = %s AND r.envoi_id IS NULL AND r.date_prevue <= %s""",
        organisation_id,
        jour,
        StatutEnvoi.A_VALIDER.value,
        StatutEnvoi.PRET.value,
        timezone.now(),
        organisation_id,
        StatutRelance.PLANIFIEE.value,
        jour,
    )
    _joignable(sql)
    sql(
        """) t
           JOIN relances_etape e ON e.tenant_id = %s AND e.id = t.etape_id
           JOIN clients_client cl ON cl.tenant_id = %s AND cl.id = t.client_id
           WHERE t.rang = 1
           ON CONFLICT DO NOTHING""",
        organisation_id,
        organisation_id,
    )
    crees = sql.executer()

    envoi_du_jour = f"""(
        SELECT en.id FROM relances_envoi en
        WHERE en.tenant_id = relances_relance.tenant_id AND en.client_id = relances_relance.client_id
          AND en.date_prevue = %s AND en.statut IN {_in(ENVOIS_MODIFIABLES)})"""
    _Sql()(
        f"""UPDATE relances_relance SET envoi_id = {envoi_du_jour}
            WHERE tenant_id = %s AND statut = %s AND envoi_id IS NULL AND date_prevue <= %s
              AND EXISTS {envoi_du_jour}""",
        jour,
        *ENVOIS_MODIFIABLES,
        organisation_id,
        StatutRelance.PLANIFIEE.value,
        jour,
        jour,
        *ENVOIS_MODIFIABLES,
    ).executer()

    plus_haute = """(
        SELECT r.{colonne} FROM relances_relance r
        WHERE r.tenant_id = relances_envoi.tenant_id AND r.envoi_id = relances_envoi.id AND r.statut = %s
        ORDER BY r.decalage_jours DESC, r.etape_id LIMIT 1)"""
    _Sql()(
        f"""UPDATE relances_envoi
            SET etape_id = {plus_haute.format(colonne="etape_id")}, canal = {plus_haute.format(colonne="canal")}
            WHERE tenant_id = %s AND date_prevue = %s AND statut IN {_in(ENVOIS_MODIFIABLES)}
              AND EXISTS (SELECT 1 FROM relances_relance r WHERE r.tenant_id = relances_envoi.tenant_id
                          AND r.envoi_id = relances_envoi.id AND r.statut = %s)""",
        StatutRelance.PLANIFIEE.value,
        StatutRelance.PLANIFIEE.value,
        organisation_id,
        jour,
        *ENVOIS_MODIFIABLES,
        StatutRelance.PLANIFIEE.value,
    ).executer()
    _Sql()(
        """UPDATE relances_envoi SET statut = %s
           WHERE tenant_id = %s AND date_prevue = %s AND statut = %s AND valide_le IS NULL
             AND EXISTS (SELECT 1 FROM relances_etape e WHERE e.tenant_id = relances_envoi.tenant_id
                         AND e.id = relances_envoi.etape_id AND e.necessite_validation = %s)""",
        StatutEnvoi.A_VALIDER.value,
        organisation_id,
        jour,
        StatutEnvoi.PRET.value,
        True,
    ).executer()
    return crees


def _regles_et_etapes() -> tuple[list[tuple[int, int, int, str]], list[RegleAffectation], int | None]:
    etapes = list(
        Etape.objects.filter(scenario__actif=True)
        .order_by("scenario_id", "decalage_jours")
        .values_list("pk", "scenario_id", "decalage_jours", "canal")
    )
    regles = list(RegleAffectation.objects.filter(scenario__actif=True).order_by("ordre"))
    defaut = Scenario.objects.filter(actif=True, par_defaut=True).values_list("pk", flat=True).first()
    return etapes, regles, defaut


def organisation_planifier(*, jour: datetime.date, forcer: bool = False) -> ResultatPlanification:
    """Plan the active organisation's reminders of ``jour``, and group them per client.

    Precondition: inside ``organisation_scope``. One transaction. Nothing is
    planned on a weekend or public holiday of the organisation's calendar
    unless ``forcer`` (the next business day catches up). Idempotent: a
    second run the same day adds only what became due since.
    """
    organisation_id = current_organisation_id()
    assert organisation_id is not None
    parametres = parametres_get()
    if not forcer and not est_jour_ouvre(jour, parametres.calendrier):
        return ResultatPlanification(jour=jour, jour_ouvre=False)
    with transaction.atomic(), _plans_ensemblistes():
        _verrou_organisation(organisation_id)
        etapes, regles, defaut = _regles_et_etapes()
        relances = 0
        if etapes:
            relances = _inserer_relances(
                organisation_id=organisation_id,
                jour=jour,
                etapes=etapes,
                regles=regles,
                defaut=defaut,
                client_id=None,
                prochaine=False,
            )
        taches = _taches_sans_contact(
            organisation_id=organisation_id, jour=jour, charge_id=parametres.charge_par_defaut_id
        )
        envois = _grouper(organisation_id=organisation_id, jour=jour)
        journal, _created = PlanificationJour.objects.get_or_create(jour=jour)
        journal.relances += relances
        journal.envois += envois
        journal.taches += taches
        journal.terminee_le = timezone.now()
        journal.save()
    return ResultatPlanification(jour=jour, jour_ouvre=True, relances=relances, envois=envois, taches=taches)


@dataclass(frozen=True)
class ProchaineEtape:
    """The step the planning will create next for an invoice, and the day it will."""

    etape_id: int
    nom: str
    canal: str
    date: datetime.date


def prochaines_etapes(
    *, client_id: int, jour: datetime.date, factures: list[int] | None = None
) -> dict[int, ProchaineEtape]:
    """For each open, unpaused invoice of a client: its next step and the business day it will go.

    The same rules as the planning (scenario, pauses, steps already planned,
    catch-up): if steps are already due and not planned (a pause just lifted,
    today's planning not run yet), it is the latest of them, on the next
    planning day; otherwise the first step after the last one planned, on its
    date moved to a business day. A paused invoice has none. ``factures``
    narrows it to these invoices (a page of the client sheet). Five queries
    whatever the number of invoices (settings, steps, rules, default scenario, this one).
    """
    organisation_id = current_organisation_id()
    assert organisation_id is not None
    calendrier = parametres_get().calendrier
    etapes, regles, defaut = _regles_et_etapes()
    if not etapes:
        return {}
    sql = _candidates(
        organisation_id=organisation_id,
        jour=jour,
        etapes=etapes,
        regles=regles,
        defaut=defaut,
        client_id=client_id,
        echeance_max=None,
        factures=factures,
    )
    sql(
        """suivantes AS (
            SELECT c.facture_id, c.date_echeance, e.etape_id, e.decalage,
                   ROW_NUMBER() OVER (
                       PARTITION BY c.facture_id
                       ORDER BY CASE WHEN c.date_echeance <= e.seuil THEN 0 ELSE 1 END,
                                CASE WHEN c.date_echeance <= e.seuil THEN -e.decalage ELSE e.decalage END
                   ) AS rang"""
    )
    _etapes_suivantes(sql, organisation_id=organisation_id, jour=jour)
    sql(
        """)
        SELECT s.facture_id, s.date_echeance, s.etape_id, s.decalage, et.nom
        FROM suivantes s JOIN relances_etape et ON et.tenant_id = %s AND et.id = s.etape_id
        WHERE s.rang = 1""",
        organisation_id,
    )
    canaux = {etape_id: canal for etape_id, _s, _d, canal in etapes}
    resultat: dict[int, ProchaineEtape] = {}
    for facture_id, date_echeance, etape_id, decalage, nom in executer("\n".join(sql.morceaux), sql.params):
        echeance = en_date(date_echeance)
        assert echeance is not None
        date = max(echeance + datetime.timedelta(days=decalage), jour)
        resultat[facture_id] = ProchaineEtape(
            etape_id=etape_id, nom=nom, canal=canaux[etape_id], date=prochain_jour_ouvre(date, calendrier)
        )
    return resultat


def client_relancer_maintenant(*, client_id: int, jour: datetime.date, auteur: Any = None) -> Envoi:
    """Plan the next step of every open invoice of one client now, grouped in today's send.

    Refused if the client was already sent a reminder today (one a day), or
    if nothing is left to chase. The send still waits for approval when its
    step requires it.
    """
    organisation_id = current_organisation_id()
    assert organisation_id is not None
    with transaction.atomic():
        _verrou_organisation(organisation_id)
        if (
            Envoi.objects.filter(client_id=client_id, date_prevue=jour)
            .exclude(statut__in=(*ENVOIS_MODIFIABLES, StatutEnvoi.ANNULE))
            .exists()
        ):
            raise ApplicationError(
                _("Ce client a déjà été relancé aujourd'hui."), code=error_codes.DEJA_RELANCE_AUJOURD_HUI
            )
        Envoi.objects.filter(client_id=client_id, date_prevue=jour, statut=StatutEnvoi.ANNULE).delete()
        etapes, regles, defaut = _regles_et_etapes()
        if etapes:
            _inserer_relances(
                organisation_id=organisation_id,
                jour=jour,
                etapes=etapes,
                regles=regles,
                defaut=defaut,
                client_id=client_id,
                prochaine=True,
            )
        _grouper(organisation_id=organisation_id, jour=jour)
        envoi = Envoi.objects.filter(client_id=client_id, date_prevue=jour, statut__in=ENVOIS_MODIFIABLES).first()
        if envoi is None:
            raise ApplicationError(
                _("Rien à relancer : aucune facture ouverte sans pause, ou aucun contact joignable."),
                code=error_codes.RIEN_A_RELANCER,
            )
    return envoi


__all__ = [
    "Canal",
    "ProchaineEtape",
    "ResultatPlanification",
    "client_relancer_maintenant",
    "organisation_planifier",
    "prochaines_etapes",
]
