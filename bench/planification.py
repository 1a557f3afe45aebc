"""The daily planning of the dunning engine at scale, against hand-written SQL doing the same work.

    .venv/bin/python bench/planification.py                     # 1,000 organisations x 1,000 open invoices
    .venv/bin/python bench/planification.py --organisations 20 --factures 500 --base recouvrement_bench_planif_petit

Data (made once, reused while the database holds it; ``--base``, default
``recouvrement_bench_planif``): ``generer()`` makes the organisations (20
clients each, one reachable accounting contact per client) and their invoices,
without payments; then every invoice is made open (``statut = ouverte``,
``reste_du = montant_ttc``), so that 1,000 x 1,000 gives 1,000,000 open pieces
(about 2 % of them credit notes, which the planning skips). Due dates are the
generator's: uniform from -400 to +30 days around the day of generation, so on
the bench day nearly every invoice has a step due (the catch-up of a new
tenant, the heaviest day). Each organisation gets its ready scenarios and rules
from ``organisation_relances_initialiser`` in its scope (3 scenarios, 15 steps,
2 rules). A few exceptions per organisation make the other paths work: one
client and 1 % of the invoices with an imposed scenario, one client paused,
1 % of the invoices paused, 1 % with a lifted pause and 1 % with an expired one
(neither of which may stop anything).

Then, in one run, for the business day ``--jour`` (default 2026-11-26):

1. the planning as the scheduler's tasks run it, one organisation after the
   other in one worker process (a subprocess of this script, so that its peak
   RSS is its own): ``with organisation_scope(org): organisation_planifier(jour=...)``.
   Every SQL statement and every COMMIT is timed by kind;
2. the next business day planned on top of it (the usual daily run: few new
   reminders, a table full of old ones, analysed as autovacuum would have
   done overnight), and the same day again (nothing new);
3. everything planned is removed (TRUNCATE, the application role owns the
   tables) and the same work is done by hand-written SQL for all organisations
   at once (``REFERENCE_SQL``), timed statement and COMMIT apart; its result
   is compared with the planning's, row for row (reminders, sends, the link
   between them, tasks, journal);
4. removed again, then 2 worker processes in parallel, each planning half of
   the organisations; compared again;
5. ``EXPLAIN (ANALYZE, BUFFERS)`` of every statement the planning runs for one
   organisation (captured with ``CaptureQueriesContext``, replayed in a
   transaction that is rolled back), with the other organisations planned;
   and of another organisation's next business day;
6. with ``--experiences``, the changes this benchmark suggests for the
   database, tried in this bench database (altered, then put back): every
   ``tenant_isolation`` policy as a plain ``tenant_id = app.tenant_id``
   equality (what a BYPASSRLS platform role allows), the foreign keys that the
   composite ones imply dropped from ``relances_relance`` and ``relances_envoi``,
   and both. The planning code is the same.

Everything runs as the application role: row-level security applies (the
script refuses a SUPERUSER or BYPASSRLS role).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from generer import (
    charge,
    django_configurer,
    environnement_configurer,
    generer,
    processus_rapports,
    role_verifier,
    rss_pic_mo,
)

BASE_PAR_DEFAUT = "recouvrement_bench_planif"
NOM = "Bench planification"
JOUR_PAR_DEFAUT = datetime.date(2026, 11, 26)  # a Thursday, a business day in France
DEMARRAGE = 6.0  # seconds given to the worker processes to start before they all begin
TABLES_PLANIFIEES = ["relances_relance", "relances_envoi", "relances_tache", "relances_planificationjour"]

# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def organisations_trouver() -> list[int]:
    """The ids of the bench organisations, in order (found by name)."""
    from recouvrement.tenancy.context import unscoped
    from recouvrement.tenancy.models import Organisation

    with unscoped(reason="bench: find the bench organisations"):
        return list(
            Organisation.objects.filter(raison_sociale__startswith=NOM).order_by("pk").values_list("pk", flat=True)
        )


def _sql(sql: str, params: Any = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def _valeur(sql: str, params: Any = None) -> Any:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def factures_ouvrir(ids: list[int]) -> int:
    """Make every invoice of the organisations open and wholly due (the generator leaves half of them paid)."""
    from django.db import transaction

    from recouvrement.tenancy.context import unscoped

    with unscoped(reason="bench: open every invoice"), transaction.atomic():
        return _sql(
            "UPDATE factures_facture SET statut = 'ouverte', reste_du = montant_ttc "
            "WHERE tenant_id = ANY(%s) AND (statut <> 'ouverte' OR reste_du <> montant_ttc)",
            [ids],
        )


def relances_initialiser(ids: list[int]) -> int:
    """The ready scenarios and rules of each organisation, as a new organisation gets them (ORM, in its scope)."""
    from recouvrement.tenancy.context import organisation_scope, unscoped
    from recouvrement.tenancy.models import Organisation
    from relances.models import Scenario
    from relances.services.parametres import organisation_relances_initialiser

    with unscoped(reason="bench: organisations without scenarios"):
        faites = set(Scenario.objects.filter(tenant_id__in=ids).values_list("tenant_id", flat=True))
        a_faire = list(Organisation.objects.filter(pk__in=ids).exclude(pk__in=faites).order_by("pk"))
    for organisation in a_faire:
        with organisation_scope(organisation):
            organisation_relances_initialiser(organisation=organisation)
    return len(a_faire)


EXCEPTIONS_SQL = [
    # One client per organisation (C0000002) on the "Grand compte" scenario whatever the rules say.
    """
    INSERT INTO relances_scenarioimpose (tenant_id, client_id, facture_id, scenario_id)
    SELECT c.tenant_id, c.id, NULL, s.id
    FROM clients_client c JOIN relances_scenario s ON s.tenant_id = c.tenant_id AND s.nom = 'Grand compte'
    WHERE c.tenant_id = ANY(%(ids)s) AND c.external_id = 'C0000002'
    ON CONFLICT DO NOTHING
    """,
    # 1 % of the invoices on "Affacturage" (factored or not).
    """
    INSERT INTO relances_scenarioimpose (tenant_id, client_id, facture_id, scenario_id)
    SELECT f.tenant_id, NULL, f.id, s.id
    FROM factures_facture f JOIN relances_scenario s ON s.tenant_id = f.tenant_id AND s.nom = 'Affacturage'
    WHERE f.tenant_id = ANY(%(ids)s) AND substr(f.external_id, 5)::int %% 100 = 7
    ON CONFLICT DO NOTHING
    """,
    # One client paused until further notice (C0000003).
    """
    INSERT INTO relances_pause (tenant_id, client_id, facture_id, motif, jusqu_au, commentaire, origine, created_at)
    SELECT c.tenant_id, c.id, NULL, 'manuelle', NULL, '', 'bench', now()
    FROM clients_client c
    WHERE c.tenant_id = ANY(%(ids)s) AND c.external_id = 'C0000003'
    """,
    # 1 % of the invoices paused until after the bench day, 1 % with a lifted
    # pause and 1 % with an expired one (these two must not stop anything).
    """
    INSERT INTO relances_pause (
        tenant_id, client_id, facture_id, motif, jusqu_au, commentaire, origine, created_at, levee_le
    )
    SELECT f.tenant_id, NULL, f.id, 'litige',
           CASE substr(f.external_id, 5)::int %% 100 WHEN 52 THEN %(jour)s::date - 1 ELSE %(jour)s::date + 30 END,
           '', 'bench', now(),
           CASE substr(f.external_id, 5)::int %% 100 WHEN 51 THEN now() END
    FROM factures_facture f
    WHERE f.tenant_id = ANY(%(ids)s) AND substr(f.external_id, 5)::int %% 100 IN (50, 51, 52)
    """,
]


def exceptions_ajouter(ids: list[int], jour: datetime.date) -> None:
    from django.db import transaction

    from recouvrement.tenancy.context import unscoped

    with unscoped(reason="bench: imposed scenarios and pauses"), transaction.atomic():
        if _valeur("SELECT count(*) FROM relances_pause WHERE origine = 'bench'")[0]:
            return
        for sql in EXCEPTIONS_SQL:
            _sql(sql, {"ids": ids, "jour": jour})


def donnees_preparer(*, organisations: int, clients: int, factures: int, jour: datetime.date) -> list[int]:
    """The bench organisations, generated and set up on the first run, found afterwards."""
    from django.db import connection

    from recouvrement.tenancy.context import unscoped

    ids = organisations_trouver()
    if not ids:
        print(f"generating {organisations:,} organisations x {factures:,} invoices ({clients} clients each)...")
        debut = time.perf_counter()
        ids = generer(
            organisations=organisations,
            clients_par_organisation=clients,
            factures_par_organisation=factures,
            nom=NOM,
            paiements=False,
            verbeux=True,
        )
        print(f"  generated in {time.perf_counter() - debut:.1f} s", flush=True)
    elif len(ids) != organisations:
        sys.exit(
            f"The database holds {len(ids)} bench organisations, not {organisations}: "
            "pick another --base, or drop this one."
        )
    debut = time.perf_counter()
    ouvertes = factures_ouvrir(ids)
    initialisees = relances_initialiser(ids)
    exceptions_ajouter(ids, jour)
    if ouvertes or initialisees:
        with unscoped(reason="bench: maintenance"), connection.cursor() as cursor:
            cursor.execute(
                "VACUUM (ANALYZE) factures_facture, clients_client, clients_contact, relances_scenario, "
                "relances_etape, relances_regleaffectation, relances_scenarioimpose, relances_pause, "
                "relances_parametresrelance"
            )
        print(
            f"  {ouvertes:,} invoices opened, {initialisees:,} organisations given their scenarios, "
            f"exceptions and VACUUM ANALYZE in {time.perf_counter() - debut:.1f} s",
            flush=True,
        )
    with unscoped(reason="bench: check the data"):
        total = _valeur("SELECT count(*) FROM factures_facture WHERE tenant_id = ANY(%s)", [ids])[0]
    if total != organisations * factures:
        sys.exit(f"The bench organisations hold {total:,} invoices, not {organisations * factures:,}: drop the base.")
    return ids


# ---------------------------------------------------------------------------
# The worker: the planning as the scheduler's tasks run it
# ---------------------------------------------------------------------------

# (fragment of the statement, label), the first that matches names the statement.
GENRES = [
    ("pg_advisory_xact_lock", "advisory lock"),
    ("INSERT INTO relances_relance", "INSERT relances (scenario, latest due step)"),
    ("INSERT INTO relances_tache", "INSERT tasks (clients without a contact)"),
    ("INSERT INTO relances_envoi", "INSERT sends (one per client)"),
    ("UPDATE relances_relance SET envoi_id", "UPDATE relances: attach to the send"),
    ("UPDATE relances_envoi SET etape_id", "UPDATE sends: raise to the highest step"),
    ("UPDATE relances_envoi SET statut", "UPDATE sends: approval"),
    ("relances_planificationjour", "journal (get_or_create + save)"),
    ("SAVEPOINT", "savepoints"),
    ("RELEASE SAVEPOINT", "savepoints"),
    ("SELECT", "ORM reads (settings, steps, rules, default)"),
]


def genre(sql: str) -> str:
    texte = " ".join(sql.split())
    for fragment, libelle in GENRES:
        if fragment in texte:
            return libelle
    return "other: " + texte[:40]


class Chronometre:
    """Execute wrapper and COMMIT wrapper: seconds and count per kind of statement."""

    def __init__(self) -> None:
        self.secondes: dict[str, float] = {}
        self.nombres: dict[str, int] = {}

    def ajouter(self, libelle: str, duree: float) -> None:
        self.secondes[libelle] = self.secondes.get(libelle, 0.0) + duree
        self.nombres[libelle] = self.nombres.get(libelle, 0) + 1

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        debut = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ajouter(genre(sql), time.perf_counter() - debut)

    def envelopper_commit(self, connexion: Any) -> None:
        original = connexion._commit

        def commit() -> Any:
            debut = time.perf_counter()
            try:
                return original()
            finally:
                self.ajouter("COMMIT (deferred foreign-key checks)", time.perf_counter() - debut)

        connexion._commit = commit


def travailleur(*, tranche: str, jour: datetime.date, depart: float) -> int:
    """Plan a share ``i/n`` of the organisations (contiguous) from the epoch time ``depart``; print a JSON
    line with the figures."""
    import django

    django.setup()
    from django.db import connection

    from recouvrement.tenancy.context import organisation_scope
    from relances.services.planification import organisation_planifier

    rang, nombre = (int(x) for x in tranche.split("/"))
    ids = organisations_trouver()
    part = ids[len(ids) * rang // nombre : len(ids) * (rang + 1) // nombre]
    connection.ensure_connection()
    rss_avant = rss_pic_mo()
    chrono = Chronometre()
    chrono.envelopper_commit(connection)
    totaux = {"relances": 0, "envois": 0, "taches": 0, "non_ouvres": 0}
    durees: list[float] = []
    # The workers of a run start together, once all are set up.
    time.sleep(max(0.0, depart - time.time()))
    with connection.execute_wrapper(chrono):
        debut_epoque = time.time()
        debut = time.perf_counter()
        for organisation_id in part:
            debut_org = time.perf_counter()
            with organisation_scope(organisation_id):
                resultat = organisation_planifier(jour=jour)
            durees.append(time.perf_counter() - debut_org)
            totaux["relances"] += resultat.relances
            totaux["envois"] += resultat.envois
            totaux["taches"] += resultat.taches
            totaux["non_ouvres"] += not resultat.jour_ouvre
        total = time.perf_counter() - debut
        fin_epoque = time.time()
    print(
        json.dumps(
            {
                "tranche": tranche,
                "organisations": len(part),
                "secondes": total,
                "debut": debut_epoque,
                "fin": fin_epoque,
                "par_organisation_ms": {
                    "median": statistics.median(durees) * 1000 if durees else 0,
                    "max": max(durees) * 1000 if durees else 0,
                },
                "rss_avant_mo": rss_avant,
                "rss_pic_mo": rss_pic_mo(),
                "sql_secondes": chrono.secondes,
                "sql_nombres": chrono.nombres,
                **totaux,
            }
        )
    )
    return 0


def travailleurs_lancer(*, base: str, jour: datetime.date, nombre: int) -> tuple[float, list[dict[str, Any]]]:
    """``nombre`` worker processes at once, each with its share; their reports, and the seconds from the
    first worker's first organisation to the last worker's last one (process start-up left out: a
    scheduler's workers are already running)."""
    depart = time.time() + DEMARRAGE
    commande = [
        *(sys.executable, str(Path(__file__).resolve())),
        *("--base", base, "--jour", jour.isoformat(), "--depart", repr(depart)),
    ]
    rapports = processus_rapports(
        [[*commande, "--travailleur", f"{i}/{nombre}"] for i in range(nombre)], qui="a worker"
    )
    mur = max(r["fin"] for r in rapports) - depart
    for r in rapports:
        if r["debut"] > depart + 0.05:
            print(f"  (worker {r['tranche']} was not ready in time: started {r['debut'] - depart:.1f} s late)")
    return mur, rapports


# ---------------------------------------------------------------------------
# The same work in hand-written SQL, for every organisation at once
# ---------------------------------------------------------------------------

# One statement: data-modifying CTEs insert the sends, the reminders (already
# attached to their send), the tasks and the journal. What makes it cheap:
# - each step owns a band of ages (days past the due date) that ends where the
#   next step of its scenario begins, so "the latest step due" is one hash join
#   on (organisation, scenario) with a range test: exactly one row per invoice,
#   no sort, no window;
# - the first matching assignment rule is a hash join of the invoices on their
#   organisation's rules, with every criterion of RegleAffectation written
#   against its column (an empty list or a NULL bound matches everything); only
#   the matches (about 20 %) are sorted to keep the lowest ``ordre``;
# - the send of a client is a hash aggregate over its reminders: the highest
#   (decalage, -etape_id) pair, as the planning's ORDER BY decalage DESC, etape_id;
# - the reminders are inserted with their send's id, so nothing is updated after;
# - rows are joined on the referenced row's id alone (ids are unique across
#   organisations, and the composite foreign keys guarantee the same tenant):
#   with ``tenant_id = tenant_id AND id = x_id`` the planner multiplies the two
#   selectivities, expects a few rows instead of a million, and picks nested loops.
# It assumes what the planning checks in Python: ``jour`` is a business day of
# every organisation (all have the default French calendar here).
REFERENCE_SQL = """
WITH organisations AS MATERIALIZED (
    SELECT unnest(%(organisations)s::bigint[]) AS tenant_id
),
scenarios AS MATERIALIZED (
    SELECT s.tenant_id, s.id, s.par_defaut
    FROM relances_scenario s JOIN organisations o ON o.tenant_id = s.tenant_id
    WHERE s.actif
),
defauts AS (
    SELECT DISTINCT ON (tenant_id) tenant_id, id AS scenario_id FROM scenarios WHERE par_defaut ORDER BY tenant_id, id
),
bandes AS MATERIALIZED (
    SELECT e.tenant_id, e.scenario_id, e.id AS etape_id, e.decalage_jours AS debut, e.canal,
           COALESCE(lead(e.decalage_jours) OVER (PARTITION BY e.tenant_id, e.scenario_id ORDER BY e.decalage_jours),
                    2147483647) AS fin
    FROM relances_etape e JOIN scenarios s ON s.id = e.scenario_id
),
regles AS MATERIALIZED (
    SELECT r.tenant_id, r.ordre, r.scenario_id, r.categories, r.classes_risque, r.montant_min, r.montant_max,
           r.encours_min, r.encours_max, r.affacturage, r.depassement_agrement,
           (%(jour)s::date - make_interval(months => r.anciennete_min_mois))::date AS debut_avant,
           (%(jour)s::date - make_interval(months => r.anciennete_max_mois))::date AS debut_apres
    FROM relances_regleaffectation r JOIN scenarios s ON s.id = r.scenario_id
),
encours AS (
    SELECT f.client_id, sum(f.reste_du) AS montant
    FROM factures_facture f JOIN organisations o ON o.tenant_id = f.tenant_id
    WHERE f.nature = 'facture' AND f.statut IN ('ouverte', 'partiellement_payee')
    GROUP BY f.client_id
),
joignables AS (
    SELECT DISTINCT ct.client_id
    FROM clients_contact ct JOIN organisations o ON o.tenant_id = ct.tenant_id
    WHERE ct.email <> '' AND NOT ct.opt_out AND NOT ct.email_invalide
),
candidates AS MATERIALIZED (
    SELECT f.tenant_id, f.id AS facture_id, f.client_id, %(jour)s::date - f.date_echeance AS age,
           f.montant_ttc, f.support_paiement, c.categorie, c.classe_risque, c.agrement_affacturage,
           c.date_debut_relation, COALESCE(e.montant, 0) AS encours,
           COALESCE(sf.scenario_id, sc.scenario_id) AS impose,
           j.client_id IS NOT NULL AS joignable, c.adresse <> '' AND c.ville <> '' AS adresse_postale
    FROM factures_facture f
    JOIN organisations o ON o.tenant_id = f.tenant_id
    JOIN clients_client c ON c.id = f.client_id
    LEFT JOIN encours e ON e.client_id = f.client_id
    LEFT JOIN joignables j ON j.client_id = f.client_id
    LEFT JOIN relances_scenarioimpose sf ON sf.facture_id = f.id
    LEFT JOIN relances_scenarioimpose sc ON sc.client_id = f.client_id
    WHERE f.nature = 'facture' AND f.statut IN ('ouverte', 'partiellement_payee') AND f.reste_du > 0
      AND NOT EXISTS (
          SELECT 1 FROM relances_pause p
          WHERE p.facture_id = f.id AND p.levee_le IS NULL AND (p.jusqu_au IS NULL OR p.jusqu_au >= %(jour)s::date))
      AND NOT EXISTS (
          SELECT 1 FROM relances_pause p
          WHERE p.client_id = f.client_id AND p.levee_le IS NULL
            AND (p.jusqu_au IS NULL OR p.jusqu_au >= %(jour)s::date))
),
par_regle AS (
    SELECT DISTINCT ON (c.facture_id) c.facture_id, r.scenario_id
    FROM candidates c JOIN regles r ON r.tenant_id = c.tenant_id
    WHERE c.impose IS NULL
      AND (r.categories = '[]'::jsonb OR r.categories ? c.categorie)
      AND (r.classes_risque = '[]'::jsonb OR r.classes_risque ? c.classe_risque)
      AND (r.montant_min IS NULL OR c.montant_ttc >= r.montant_min)
      AND (r.montant_max IS NULL OR c.montant_ttc <= r.montant_max)
      AND (r.encours_min IS NULL OR c.encours >= r.encours_min)
      AND (r.encours_max IS NULL OR c.encours <= r.encours_max)
      AND (r.affacturage IS NULL OR (c.support_paiement = 'affacturage') = r.affacturage)
      AND (r.depassement_agrement IS NULL
           OR (c.agrement_affacturage IS NOT NULL AND c.encours > c.agrement_affacturage) = r.depassement_agrement)
      AND (r.debut_avant IS NULL OR c.date_debut_relation <= r.debut_avant)
      AND (r.debut_apres IS NULL OR c.date_debut_relation >= r.debut_apres)
    ORDER BY c.facture_id, r.ordre
),
dues AS MATERIALIZED (
    SELECT c.tenant_id, c.facture_id, c.client_id, b.etape_id, b.debut AS decalage, b.canal,
           b.canal IN ('appel', 'tache') OR c.joignable OR (b.canal = 'courrier' AND c.adresse_postale) AS joignable
    FROM candidates c
    LEFT JOIN par_regle pr ON pr.facture_id = c.facture_id
    LEFT JOIN defauts d ON d.tenant_id = c.tenant_id
    JOIN bandes b ON b.scenario_id = COALESCE(c.impose, pr.scenario_id, d.scenario_id)
         AND c.age >= b.debut AND c.age < b.fin
    WHERE (b.debut >= 0 OR c.age < 0)
      AND NOT EXISTS (
          SELECT 1 FROM relances_relance r
          WHERE r.facture_id = c.facture_id AND r.statut <> 'annulee' AND r.decalage_jours >= b.debut)
),
groupes AS (
    SELECT tenant_id, client_id, max(ARRAY[decalage, -etape_id]) AS haut
    FROM dues WHERE joignable GROUP BY tenant_id, client_id
),
envois AS (
    INSERT INTO relances_envoi
        (tenant_id, client_id, date_prevue, etape_id, canal, statut, langue, destinataires, sujet,
         corps_texte, corps_html, courrier_pdf, courrier_html, message_id, tentatives, erreur, valide_par_id,
         valide_le, en_cours_depuis, envoye_le, livraison, livraison_le, created_at)
    SELECT g.tenant_id, g.client_id, %(jour)s, e.id, e.canal,
           CASE WHEN e.necessite_validation THEN 'a_valider' ELSE 'pret' END,
           cl.langue, '{}', '', '', '', '', '', '', 0, '', NULL, NULL, NULL, NULL, '', NULL, %(maintenant)s
    FROM groupes g
    JOIN relances_etape e ON e.id = -g.haut[2]
    JOIN clients_client cl ON cl.id = g.client_id
    ON CONFLICT DO NOTHING
    RETURNING id, tenant_id, client_id
),
relances AS (
    INSERT INTO relances_relance
        (tenant_id, facture_id, etape_id, client_id, envoi_id, date_prevue, decalage_jours, canal, statut,
         created_at)
    SELECT d.tenant_id, d.facture_id, d.etape_id, d.client_id, en.id, %(jour)s, d.decalage, d.canal, 'planifiee',
           %(maintenant)s
    FROM dues d LEFT JOIN envois en ON en.client_id = d.client_id
    ON CONFLICT DO NOTHING
    RETURNING tenant_id
),
taches AS (
    INSERT INTO relances_tache
        (tenant_id, client_id, facture_id, envoi_id, type, titre, description, assigne_a_id, echeance,
         statut, resultat, note, cle, fait_le, fait_par_id, created_at)
    SELECT c.tenant_id, c.id, NULL, NULL, 'sans_contact', %(titre)s || c.raison_sociale, %(description)s,
           pr.charge_par_defaut_id, %(jour)s, 'a_faire', '', '', 'sans_contact:' || c.id || ':' || %(jour_iso)s,
           NULL, NULL, %(maintenant)s
    FROM (SELECT DISTINCT tenant_id, client_id FROM dues WHERE NOT joignable) s
    JOIN clients_client c ON c.id = s.client_id
    LEFT JOIN relances_parametresrelance pr ON pr.tenant_id = s.tenant_id
    WHERE NOT EXISTS (
        SELECT 1 FROM relances_tache t WHERE t.client_id = c.id AND t.type = 'sans_contact' AND t.statut = 'a_faire')
    ON CONFLICT DO NOTHING
    RETURNING tenant_id
),
journal AS (
    INSERT INTO relances_planificationjour (tenant_id, jour, demarree_le, terminee_le, relances, envois, taches)
    SELECT o.tenant_id, %(jour)s, %(maintenant)s, %(maintenant)s, COALESCE(r.n, 0), COALESCE(e.n, 0),
           COALESCE(t.n, 0)
    FROM organisations o
    LEFT JOIN (SELECT tenant_id, count(*) AS n FROM relances GROUP BY tenant_id) r ON r.tenant_id = o.tenant_id
    LEFT JOIN (SELECT tenant_id, count(*) AS n FROM envois GROUP BY tenant_id) e ON e.tenant_id = o.tenant_id
    LEFT JOIN (SELECT tenant_id, count(*) AS n FROM taches GROUP BY tenant_id) t ON t.tenant_id = o.tenant_id
    ON CONFLICT (tenant_id, jour) DO UPDATE SET
        relances = relances_planificationjour.relances + excluded.relances,
        envois = relances_planificationjour.envois + excluded.envois,
        taches = relances_planificationjour.taches + excluded.taches,
        terminee_le = excluded.terminee_le
    RETURNING relances, envois, taches
)
SELECT COALESCE(sum(relances), 0), COALESCE(sum(envois), 0), COALESCE(sum(taches), 0) FROM journal
"""


def reference_executer(
    *, ids: list[int], jour: datetime.date, reglages: dict[str, str]
) -> tuple[float, float, tuple[int, int, int]]:
    """Run ``REFERENCE_SQL`` in one transaction; (statement seconds, COMMIT seconds, its counts)."""
    from django.db import connection, transaction
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from recouvrement.tenancy.context import unscoped

    params = {
        "organisations": ids,
        "jour": jour,
        "jour_iso": jour.isoformat(),
        "maintenant": timezone.now(),
        # The planning's own strings (relances.services.planification._taches_sans_contact).
        "titre": _("Trouver un contact joignable : "),
        "description": _(
            "Des relances sont dues mais aucun contact de ce client n'a d'adresse e-mail valide "
            "(ni d'adresse postale pour un courrier). Ajoutez ou corrigez un contact : les relances "
            "partiront au prochain passage."
        ),
    }
    with unscoped(reason="bench: the hand-written SQL plans every organisation at once"):
        debut = time.perf_counter()
        with transaction.atomic():
            for nom, valeur in reglages.items():
                _sql(f"SET LOCAL {nom} = {valeur}")
            with connection.cursor() as cursor:
                cursor.execute(REFERENCE_SQL, params)
                comptes = tuple(int(x) for x in cursor.fetchone())
            fin_requete = time.perf_counter()
        fin = time.perf_counter()
    return fin_requete - debut, fin - fin_requete, comptes  # type: ignore[return-value]


# ---------------------------------------------------------------------------
# State: reset, fingerprint, comparison
# ---------------------------------------------------------------------------


def remettre_a_zero() -> None:
    """Remove everything planned (TRUNCATE: the application role owns the tables).

    No ANALYZE afterwards, on purpose: TRUNCATE leaves the tables as "never
    analysed" (``reltuples = -1``), like a fresh install, and the planner sizes
    them from their pages as they grow. Analysed while empty, they would stay
    "empty" for the whole run (autovacuum is off on this server), and the plans
    a worker caches for its deferred foreign-key checks (one per connection,
    planned when the table holds one organisation's sends) would scan
    ``relances_envoi`` sequentially for every reminder: the COMMIT of an
    organisation then grows with the number of sends already made (bench/README.md).
    """
    from django.db import connection

    from recouvrement.tenancy.context import unscoped

    with unscoped(reason="bench: remove what was planned"), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES_PLANIFIEES)}")


def analyser() -> None:
    """ANALYZE the planned tables, as autovacuum would between two daily runs (it is off on this server)."""
    from django.db import connection

    from recouvrement.tenancy.context import unscoped

    with unscoped(reason="bench: statistics of the planned tables"), connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(TABLES_PLANIFIEES)}")


EMPREINTES = {
    "relances": """
        SELECT count(*), md5(string_agg(concat_ws(':', tenant_id, facture_id, etape_id, client_id, decalage_jours,
                                                  canal, statut, date_prevue), ',' ORDER BY facture_id, etape_id))
        FROM relances_relance""",
    "envois": """
        SELECT count(*), md5(string_agg(concat_ws(':', tenant_id, client_id, date_prevue, etape_id, canal, statut,
                                                  langue), ',' ORDER BY tenant_id, client_id, date_prevue))
        FROM relances_envoi""",
    "relances -> envoi": """
        SELECT count(e.id), md5(string_agg(concat_ws(':', r.facture_id, r.etape_id, e.client_id, e.date_prevue),
                                           ',' ORDER BY r.facture_id, r.etape_id))
        FROM relances_relance r LEFT JOIN relances_envoi e ON e.id = r.envoi_id""",
    "taches": """
        SELECT count(*), md5(string_agg(concat_ws(':', tenant_id, client_id, type, statut, cle, echeance),
                                        ',' ORDER BY tenant_id, cle))
        FROM relances_tache""",
    "journal": """
        SELECT count(*), md5(string_agg(concat_ws(':', tenant_id, jour, relances, envois, taches),
                                        ',' ORDER BY tenant_id, jour))
        FROM relances_planificationjour""",
}


def empreinte() -> dict[str, tuple[int, str]]:
    """Count and md5 of what is planned, per table, ids of the generated rows left out."""
    from recouvrement.tenancy.context import unscoped

    with unscoped(reason="bench: fingerprint of what was planned"):
        return {nom: tuple(_valeur(sql)) for nom, sql in EMPREINTES.items()}  # type: ignore[misc]


def garder_attendu() -> None:
    """Keep the planning's reminders and sends, to show the differences if a later run disagrees."""
    from recouvrement.tenancy.context import unscoped

    with unscoped(reason="bench: keep the expected result"):
        _sql("DROP TABLE IF EXISTS bench_attendu_relances, bench_attendu_envois")
        _sql(
            "CREATE UNLOGGED TABLE bench_attendu_relances AS "
            "SELECT tenant_id, facture_id, etape_id, decalage_jours FROM relances_relance"
        )
        _sql(
            "CREATE UNLOGGED TABLE bench_attendu_envois AS "
            "SELECT tenant_id, client_id, etape_id, statut FROM relances_envoi"
        )


def comparer(libelle: str, attendu: dict[str, Any], obtenu: dict[str, Any]) -> bool:
    differences = [nom for nom in attendu if attendu[nom] != obtenu[nom]]
    if not differences:
        print(f"  {libelle}: same result as the planning ({', '.join(f'{n} {obtenu[n][0]:,}' for n in obtenu)})")
        return True
    print(f"  {libelle}: DIFFERENT from the planning in {', '.join(differences)}")
    from recouvrement.tenancy.context import unscoped

    with unscoped(reason="bench: show the differences"):
        for nom in differences:
            print(f"    {nom}: planning {attendu[nom]}, here {obtenu[nom]}")
        for titre, sql in (
            (
                "reminders only in the planning",
                "SELECT * FROM bench_attendu_relances EXCEPT "
                "SELECT tenant_id, facture_id, etape_id, decalage_jours FROM relances_relance LIMIT 5",
            ),
            (
                "reminders only here",
                "SELECT tenant_id, facture_id, etape_id, decalage_jours FROM relances_relance EXCEPT "
                "SELECT * FROM bench_attendu_relances LIMIT 5",
            ),
            (
                "sends only in the planning",
                "SELECT * FROM bench_attendu_envois EXCEPT "
                "SELECT tenant_id, client_id, etape_id, statut FROM relances_envoi LIMIT 5",
            ),
            (
                "sends only here",
                "SELECT tenant_id, client_id, etape_id, statut FROM relances_envoi EXCEPT "
                "SELECT * FROM bench_attendu_envois LIMIT 5",
            ),
        ):
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute(sql)
                lignes = cursor.fetchall()
            if lignes:
                print(f"    {titre}: {lignes}")
    return False


# ---------------------------------------------------------------------------
# Profile of one organisation
# ---------------------------------------------------------------------------


# The planning's "clients without a reachable contact" statement, reshaped: whether
# the client has a reachable contact does not depend on the reminder, so it is
# asked once per client, before its reminders are looked at (the service asks it
# once per reminder, in a subplan). Same rows: EXISTS r (NOT (a OR j(c) OR b))
# is NOT j(c) AND EXISTS r (NOT a AND NOT b).
TACHES_PROPOSE_SQL = """
INSERT INTO relances_tache
    (tenant_id, client_id, facture_id, envoi_id, type, titre, description, assigne_a_id, echeance,
     statut, resultat, note, cle, fait_le, fait_par_id, created_at)
SELECT c.tenant_id, c.id, NULL, NULL, 'sans_contact', %(titre)s || c.raison_sociale, %(description)s,
       %(charge)s, %(jour)s, 'a_faire', '', '', 'sans_contact:' || c.id || ':' || %(jour_iso)s, NULL, NULL, now()
FROM clients_client c
WHERE c.tenant_id = %(organisation)s
  AND NOT EXISTS (
      SELECT 1 FROM clients_contact ct
      WHERE ct.tenant_id = c.tenant_id AND ct.client_id = c.id AND ct.email <> '' AND NOT ct.opt_out
        AND NOT ct.email_invalide)
  AND EXISTS (
      SELECT 1 FROM relances_relance r
      WHERE r.tenant_id = c.tenant_id AND r.client_id = c.id AND r.statut = 'planifiee' AND r.envoi_id IS NULL
        AND r.date_prevue <= %(jour)s AND r.canal NOT IN ('appel', 'tache')
        AND NOT (r.canal = 'courrier' AND c.adresse <> '' AND c.ville <> ''))
  AND NOT EXISTS (
      SELECT 1 FROM relances_tache t
      WHERE t.tenant_id = c.tenant_id AND t.client_id = c.id AND t.type = 'sans_contact' AND t.statut = 'a_faire')
ON CONFLICT DO NOTHING
"""


def _expliquer(sql: str, params: Any = None) -> tuple[float, float, list[str]]:
    """EXPLAIN (ANALYZE, BUFFERS): execution ms, planning ms, the plan's lines (the statement runs)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        lignes = [ligne for (ligne,) in cursor.fetchall()]
    execution = next(float(x.split()[2]) for x in lignes if x.startswith("Execution Time"))
    planification = next(float(x.split()[2]) for x in lignes if x.startswith("Planning Time"))
    return execution, planification, lignes


def profiler(
    *, titre: str, organisation_id: int, jour: datetime.date, plans: int, effacer: bool, egalite: bool = False
) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement of one organisation's planning, rolled back.

    ``effacer``: remove what the organisation already has planned first (for a first day).
    ``egalite``: replay them under ``POLITIQUE_EGALITE`` (ALTER POLICY in the same
    transaction, rolled back with it).
    """
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils.translation import gettext as _

    from recouvrement.tenancy.context import organisation_scope
    from relances.services.parametres import parametres_get
    from relances.services.planification import organisation_planifier

    class Annuler(Exception):
        pass

    with organisation_scope(organisation_id):
        if effacer:
            # Children first: the foreign keys are checked at the end of each statement's transaction.
            for table in ("relances_relance", "relances_tache", "relances_envoi", "relances_planificationjour"):
                _sql(f"DELETE FROM {table} WHERE tenant_id = %s", [organisation_id])
        try:
            with transaction.atomic(), CaptureQueriesContext(connection) as capture:
                debut = time.perf_counter()
                organisation_planifier(jour=jour)
                duree = time.perf_counter() - debut
                raise Annuler
        except Annuler:
            pass
        requetes = [q["sql"] for q in capture.captured_queries]
        print(
            f"\n{titre}: organisation {organisation_id}, day {jour}: {len(requetes)} statements, "
            f"{duree * 1000:.1f} ms for the whole planning (in a transaction rolled back)"
        )
        params_taches = {
            "organisation": organisation_id,
            "jour": jour,
            "jour_iso": jour.isoformat(),
            "charge": parametres_get().charge_par_defaut_id,
            "titre": _("Trouver un contact joignable : "),
            "description": "",
        }
        resultats: list[tuple[float, float, str, list[str]]] = []
        try:
            with transaction.atomic():
                if egalite:
                    _politiques_remplacer()
                for sql in requetes:
                    if sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
                        continue
                    if sql.startswith("SET "):
                        # The planning's own settings (SET LOCAL enable_nestloop): replayed, not explained,
                        # so that the plans shown are the ones it gets.
                        with connection.cursor() as cursor:
                            cursor.execute(sql)
                        continue
                    if genre(sql) == "INSERT tasks (clients without a contact)":
                        # The reshaped statement first, at the same point (it inserts nothing here:
                        # every client has a reachable contact; otherwise the original would then
                        # insert nothing more, its rows being there).
                        execution, planification, lignes = _expliquer(TACHES_PROPOSE_SQL, params_taches)
                        resultats.append((execution, planification, "proposed: " + TACHES_PROPOSE_SQL, lignes))
                    execution, planification, lignes = _expliquer(sql)
                    resultats.append((execution, planification, sql, lignes))
                raise Annuler
        except Annuler:
            pass
    print("  execution ms  planning ms  statement")
    for execution, planification, sql, _lignes in resultats:
        nom = "  proposed shape (TACHES_PROPOSE_SQL)" if sql.startswith("proposed: ") else genre(sql)
        print(f"  {execution:12.2f}  {planification:11.2f}  {nom}")
    for execution, _planification, sql, lignes in sorted(resultats, key=lambda r: -r[0])[:plans]:
        print(f"\n  {genre(sql)}: {execution:.2f} ms\n    {' '.join(sql.split())[:3000]}")
        print("\n".join(f"    {ligne}" for ligne in lignes))


# ---------------------------------------------------------------------------
# Experiment: the tenant policy as a plain equality
# ---------------------------------------------------------------------------

POLITIQUE_EGALITE = "(tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint)"


def _politiques_remplacer() -> list[tuple[str, str, str]]:
    """Every ``tenant_isolation`` policy becomes ``POLITIQUE_EGALITE``; the originals (table, USING, CHECK)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, qual, with_check FROM pg_policies "
            "WHERE schemaname = current_schema() AND policyname = 'tenant_isolation' ORDER BY tablename"
        )
        originales = cursor.fetchall()
        for table, _qual, _with_check in originales:
            cursor.execute(
                f'ALTER POLICY tenant_isolation ON "{table}" USING {POLITIQUE_EGALITE} WITH CHECK {POLITIQUE_EGALITE}'
            )
    return originales


@contextmanager
def politique_egalite() -> Iterator[int]:
    """In this bench database only: every ``tenant_isolation`` policy becomes ``POLITIQUE_EGALITE``.

    That is the policy a platform role with BYPASSRLS would allow (the escape
    hatch no longer needs to be in the predicate). Under it, ``unscoped()`` sees
    nothing: only scoped work may run inside the block. The original policies
    are put back on the way out (drop the base if the script is killed inside).
    """
    from django.db import connection

    originales = _politiques_remplacer()
    try:
        yield len(originales)
    finally:
        with connection.cursor() as cursor:
            for table, qual, with_check in originales:
                cursor.execute(f'ALTER POLICY tenant_isolation ON "{table}" USING ({qual}) WITH CHECK ({with_check})')


# ---------------------------------------------------------------------------
# Experiment: only the composite foreign keys on the tables the planning fills
# ---------------------------------------------------------------------------

TABLES_CLES = ["relances_relance", "relances_envoi"]


def cles_redondantes() -> list[tuple[str, str, str]]:
    """(table, constraint, definition) of the foreign keys that a composite one already implies.

    ``x_id -> t.id`` is implied by ``(tenant_id, x_id) -> t(tenant_id, id)``; ``tenant_id ->
    organisation`` by any composite key on a NOT NULL column (the row it points at has
    the same tenant_id, and its own key to the organisation).
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid),
                   array(SELECT a.attname FROM pg_attribute a
                         WHERE a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey) ORDER BY a.attnum),
                   array(SELECT a.attnotnull FROM pg_attribute a
                         WHERE a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey) ORDER BY a.attnum)
            FROM pg_constraint c
            WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)
            ORDER BY 1, 2
            """,
            [TABLES_CLES],
        )
        cles = cursor.fetchall()
    redondantes = []
    for table in TABLES_CLES:
        composites = [set(colonnes) for t, _n, _d, colonnes, _nn in cles if t == table and len(colonnes) == 2]
        non_nulles = [nn for t, _n, _d, colonnes, nn in cles if t == table and len(colonnes) == 2 and all(nn)]
        for t, nom, definition, colonnes, _nn in cles:
            if t != table or len(colonnes) != 1:
                continue
            (colonne,) = colonnes
            couverte = {"tenant_id", colonne} in composites or (colonne == "tenant_id" and bool(non_nulles))
            if couverte:
                redondantes.append((table, nom, definition))
    return redondantes


@contextmanager
def cles_reduites() -> Iterator[list[tuple[str, str, str]]]:
    """In this bench database only: drop the foreign keys of ``cles_redondantes()``; put them back on the
    way out, after emptying the planned tables (TRUNCATE) so that adding them back checks nothing."""
    from django.db import connection

    redondantes = cles_redondantes()
    with connection.cursor() as cursor:
        for table, nom, _definition in redondantes:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{nom}"')
    try:
        yield redondantes
    finally:
        remettre_a_zero()
        with connection.cursor() as cursor:
            for table, nom, definition in redondantes:
                cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{nom}" {definition}')


def experiences(
    *, base: str, ids: list[int], jour: datetime.date, suivant: datetime.date, factures: int, attendu: dict[str, Any]
) -> None:
    """(6) The same work with the changes this benchmark suggests for the database, one at a time, then
    together. The planning itself is unchanged; only this bench database is altered, and put back."""
    # Equality policy: the planning only (the hand-written SQL runs unscoped, which sees nothing under it).
    for nombre in (1, 2):
        remettre_a_zero()
        with politique_egalite() as tables:
            mur, rapports = travailleurs_lancer(base=base, jour=jour, nombre=nombre)
        rapport_travailleur(
            f"(6a) planning, policy {POLITIQUE_EGALITE} on {tables} tables, {nombre} worker process(es)",
            mur,
            rapports,
            factures,
        )
        comparer("check", attendu, empreinte())
    # The usual daily run under it: the next business day on top of the first (analysed, as in (2)).
    analyser()
    with politique_egalite():
        mur, rapports = travailleurs_lancer(base=base, jour=suivant, nombre=1)
    rapport_travailleur(f"(6a) the next business day ({suivant}) under the same policy", mur, rapports, factures)
    # Fewer foreign keys: the planning, then the hand-written SQL.
    remettre_a_zero()
    with cles_reduites() as redondantes:
        print(
            f"\n(6b) without the {len(redondantes)} foreign keys that the composite ones imply: "
            + ", ".join(f"{table}.{nom}" for table, nom, _d in redondantes)
        )
        mur, rapports = travailleurs_lancer(base=base, jour=jour, nombre=1)
        rapport_travailleur("(6b) planning, implied foreign keys dropped, 1 worker process", mur, rapports, factures)
        comparer("check", attendu, empreinte())
        remettre_a_zero()
        requete, commit, _comptes = reference_executer(
            ids=ids, jour=jour, reglages={"work_mem": "'256MB'", "jit": "off"}
        )
        print(
            f"\n(6b) hand-written SQL, implied foreign keys dropped, work_mem 256MB, jit off: "
            f"{requete + commit:.1f} s (statement {requete:.1f} s + COMMIT {commit:.1f} s)"
        )
        comparer("check", attendu, empreinte())
    # Both.
    for nombre in (1, 2):
        remettre_a_zero()
        with cles_reduites(), politique_egalite():
            mur, rapports = travailleurs_lancer(base=base, jour=jour, nombre=nombre)
            rapport_travailleur(
                f"(6c) planning, equality policy and implied foreign keys dropped, {nombre} worker process(es)",
                mur,
                rapports,
                factures,
            )
        # cles_reduites() empties the tables on the way out: nothing left to compare; (6a) and (6b) did.


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def jour_ouvre_suivant(jour: datetime.date) -> datetime.date:
    from relances.calendrier import prochain_jour_ouvre

    return prochain_jour_ouvre(jour + datetime.timedelta(days=1), "FR")


def rapport_travailleur(titre: str, mur: float, rapports: list[dict[str, Any]], factures: int) -> None:
    relances = sum(r["relances"] for r in rapports)
    envois = sum(r["envois"] for r in rapports)
    print(
        f"\n{titre}: {mur:.1f} s ({factures / mur:,.0f} invoices/s; process start-up left out), "
        f"{relances:,} reminders, {envois:,} sends, {sum(r['taches'] for r in rapports):,} tasks"
    )
    for r in rapports:
        print(
            f"  worker {r['tranche']}: {r['organisations']} organisations in {r['secondes']:.1f} s, "
            f"per organisation median {r['par_organisation_ms']['median']:.1f} ms, "
            f"max {r['par_organisation_ms']['max']:.1f} ms; peak RSS {r['rss_pic_mo']:.0f} MB "
            f"({r['rss_avant_mo']:.0f} MB before planning)"
        )
    secondes: dict[str, float] = {}
    nombres: dict[str, int] = {}
    for r in rapports:
        for cle, valeur in r["sql_secondes"].items():
            secondes[cle] = secondes.get(cle, 0.0) + valeur
            nombres[cle] = nombres.get(cle, 0) + r["sql_nombres"][cle]
    total = sum(r["secondes"] for r in rapports)
    print(f"  time by kind of statement, summed over the workers ({total:.1f} s of worker time):")
    for cle, valeur in sorted(secondes.items(), key=lambda kv: -kv[1]):
        print(
            f"    {valeur:7.2f} s {100 * valeur / total:5.1f} %  {nombres[cle]:>7,} x "
            f"{1000 * valeur / nombres[cle]:7.2f} ms  {cle}"
        )
    reste = total - sum(secondes.values())
    print(f"    {reste:7.2f} s {100 * reste / total:5.1f} %  Python (ORM, service, scope) outside the statements")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=BASE_PAR_DEFAUT, help=f"database (default {BASE_PAR_DEFAUT})")
    parser.add_argument("--organisations", type=int, default=1000)
    parser.add_argument("--factures", type=int, default=1000, help="invoices per organisation (all open)")
    parser.add_argument("--clients", type=int, default=20, help="clients per organisation")
    parser.add_argument("--jour", type=datetime.date.fromisoformat, default=JOUR_PAR_DEFAUT, help="business day")
    parser.add_argument("--sans-paralleles", action="store_true", help="skip the run with 2 worker processes")
    parser.add_argument("--sans-profil", action="store_true", help="skip the EXPLAIN ANALYZE of one organisation")
    parser.add_argument("--plans", type=int, default=3, help="full plans printed in the profile (slowest first)")
    parser.add_argument(
        "--experiences",
        action="store_true",
        help="(6) plan again with an equality RLS policy, without the implied foreign keys, and both "
        "(this bench database is altered, then put back)",
    )
    parser.add_argument("--travailleur", metavar="I/N", help=argparse.SUPPRESS)
    parser.add_argument("--depart", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.travailleur:
        # A worker: settings and database come from the parent; no migrate (what a worker imports, no more).
        environnement_configurer(args.base)
        return travailleur(tranche=args.travailleur, jour=args.jour, depart=args.depart)

    cree = django_configurer(args.base)
    role_verifier()
    from django.db import connection

    from relances.calendrier import est_jour_ouvre

    if not est_jour_ouvre(args.jour, "FR"):
        sys.exit(f"{args.jour} is not a business day: the planning would do nothing.")
    debut = time.perf_counter()
    ids = donnees_preparer(
        organisations=args.organisations, clients=args.clients, factures=args.factures, jour=args.jour
    )
    preparation = time.perf_counter() - debut
    factures = args.organisations * args.factures
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('server_version'), current_setting('shared_buffers'), "
            "current_setting('work_mem'), current_setting('jit'), current_setting('max_wal_size')"
        )
        version, shared_buffers, work_mem, jit, max_wal_size = cursor.fetchone()
    from recouvrement.tenancy.context import unscoped

    with unscoped(reason="bench: describe the data"):
        ouvertes, avoirs, min_echeance, max_echeance = _valeur(
            "SELECT count(*) FILTER (WHERE nature = 'facture'), count(*) FILTER (WHERE nature = 'avoir'), "
            "min(date_echeance), max(date_echeance) FROM factures_facture "
            "WHERE tenant_id = ANY(%s) AND statut IN ('ouverte', 'partiellement_payee')",
            [ids],
        )
        etapes, regles, imposes, pauses = _valeur(
            "SELECT (SELECT count(*) FROM relances_etape), (SELECT count(*) FROM relances_regleaffectation), "
            "(SELECT count(*) FROM relances_scenarioimpose), (SELECT count(*) FROM relances_pause)"
        )
    print(
        f"database {args.base}{' (created)' if cree else ''}; PostgreSQL {version}, shared_buffers={shared_buffers} "
        f"work_mem={work_mem} jit={jit} max_wal_size={max_wal_size}\n"
        f"python {platform.python_version()}, {os.cpu_count()} CPUs; preparation {preparation:.1f} s; "
        f"load average {charge()}\n"
        f"{len(ids):,} organisations, {factures:,} invoices: {ouvertes:,} open invoices + {avoirs:,} credit notes, "
        f"due {min_echeance} .. {max_echeance}; {etapes:,} steps, {regles:,} rules, {imposes:,} imposed "
        f"scenarios, {pauses:,} pauses; bench day {args.jour}"
    )

    # (1) The planning, one worker, one organisation after the other.
    remettre_a_zero()
    mur, rapports = travailleurs_lancer(base=args.base, jour=args.jour, nombre=1)
    planification = mur
    rapport_travailleur("(1) planning, 1 worker process, sequential", mur, rapports, factures)
    attendu = empreinte()
    garder_attendu()

    # (2) The next business day on top of it, then that day again.
    analyser()
    suivant = jour_ouvre_suivant(args.jour)
    mur, rapports = travailleurs_lancer(base=args.base, jour=suivant, nombre=1)
    rapport_travailleur(f"(2) the next business day ({suivant}) on top of it", mur, rapports, factures)
    mur, rapports = travailleurs_lancer(base=args.base, jour=suivant, nombre=1)
    rapport_travailleur(f"(2') {suivant} again (nothing new to plan)", mur, rapports, factures)

    # (3) The hand-written SQL, all organisations at once.
    resultats_sql: list[tuple[str, float, float]] = []
    for libelle, reglages in (
        ("server defaults", {}),
        ("SET LOCAL work_mem = '256MB', jit = off", {"work_mem": "'256MB'", "jit": "off"}),
    ):
        remettre_a_zero()
        requete, commit, comptes = reference_executer(ids=ids, jour=args.jour, reglages=reglages)
        total = requete + commit
        resultats_sql.append((libelle, requete, commit))
        print(
            f"\n(3) hand-written SQL, {libelle}: {total:.1f} s ({factures / total:,.0f} invoices/s): "
            f"statement {requete:.1f} s + COMMIT {commit:.1f} s; "
            f"{comptes[0]:,} reminders, {comptes[1]:,} sends, {comptes[2]:,} tasks"
        )
        comparer("check", attendu, empreinte())
    meilleur = min(r + c for _l, r, c in resultats_sql)

    # (4) Two workers in parallel, half of the organisations each.
    if not args.sans_paralleles:
        remettre_a_zero()
        mur, rapports = travailleurs_lancer(base=args.base, jour=args.jour, nombre=2)
        rapport_travailleur("(4) planning, 2 worker processes in parallel", mur, rapports, factures)
        comparer("check", attendu, empreinte())
        parallele = mur
    print(
        f"\nsummary for {factures:,} invoices over {len(ids):,} organisations, day {args.jour}:\n"
        f"  planning, 1 process: {planification:.1f} s ({factures / planification:,.0f} invoices/s)\n"
        + (
            f"  planning, 2 processes: {parallele:.1f} s ({factures / parallele:,.0f} invoices/s)\n"
            if not args.sans_paralleles
            else ""
        )
        + f"  hand-written SQL (best of the settings above): {meilleur:.1f} s\n"
        f"  ratio planning / SQL: {planification / meilleur:.2f} with 1 process"
        + (f", {parallele / meilleur:.2f} with 2" if not args.sans_paralleles else "")
        + f" (target <= 2); load average {charge()}"
    )

    # (5) Profiles: one organisation's first day (the others planned), another's next day.
    if not args.sans_profil:
        if args.sans_paralleles:
            remettre_a_zero()
            travailleurs_lancer(base=args.base, jour=args.jour, nombre=1)
        milieu = len(ids) // 2
        profiler(
            titre="(5a) profile, first day",
            organisation_id=ids[milieu],
            jour=args.jour,
            plans=args.plans,
            effacer=True,
        )
        analyser()
        profiler(
            titre="(5b) profile, next business day (first day planned and analysed)",
            organisation_id=ids[min(milieu + 1, len(ids) - 1)],
            jour=suivant,
            plans=1,
            effacer=False,
        )
        if args.experiences:
            # The same two profiles under the equality policy of (6), altered and rolled back with them.
            profiler(
                titre=f"(5c) profile, first day, under the policy {POLITIQUE_EGALITE}",
                organisation_id=ids[min(milieu + 2, len(ids) - 1)],
                jour=args.jour,
                plans=1,
                effacer=True,
                egalite=True,
            )
            profiler(
                titre="(5d) profile, next business day, under the same policy",
                organisation_id=ids[min(milieu + 3, len(ids) - 1)],
                jour=suivant,
                plans=1,
                effacer=False,
                egalite=True,
            )

    if args.experiences:
        experiences(base=args.base, ids=ids, jour=args.jour, suivant=suivant, factures=factures, attendu=attendu)
    print(f"\npeak RSS of this (parent) process: {rss_pic_mo():.0f} MB; load average at the end {charge()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
