"""Fill a PostgreSQL database with organisations, members, clients, contacts, invoices and payments.

    .venv/bin/python bench/generer.py --organisations 1 --clients 5000 --factures 200000 --base recouvrement_essai
    .venv/bin/python bench/generer.py --organisations 1000 --clients 20 --factures 1000 --base recouvrement_planning

Organisations, users and members go through the ORM (a few rows per
organisation). Clients, contacts, invoices, payments and allocations are made
by set-based SQL (``INSERT ... SELECT ... FROM generate_series(...)``): one
statement per table and per batch of organisations, never a Python loop per
row. The random draws are ``hashint8extended(<row key>, <seed>)``, so the same
``graine`` gives the same data whatever the plan or the order of evaluation.

What the rows look like (per organisation):

- 1 admin and 2 commercial members (users ``<role>.<organisation id>@bench.example``,
  password ``bench-recouvrement``); two clients in three are assigned to a commercial;
- clients with a valid SIREN and VAT number, legal payment terms (30/45/60 days,
  or 30/45 days end of month), external id ``C0000001``...; one accounting contact
  each, with an e-mail address;
- invoices ``FA-0000001``... (external id ``ERP-<n>``) spread over the clients with
  a skew (the first clients have the most, like real ledgers); about 2 % are
  credit notes (``AV-...``, unused credit, status ``ouverte``); of the invoices,
  about 50 % ``ouverte``, 20 % ``partiellement_payee`` and 30 % ``payee``; due
  dates uniform from -400 to +30 days around today for open ones, -400 to +10
  for paid ones; about 5 % factored (``support_paiement = affacturage`` and an
  ``affactureur``); HT amounts from 100 to 40,000 (log-uniform), VAT 20 % mostly;
- for every paid or partially paid invoice, one payment of ``montant_ttc - reste_du``
  and the allocation (``Lettrage``) that links them, so that ``reste_du`` is
  consistent with the active allocations.

Settings: ``DJANGO_SETTINGS_MODULE`` defaults to ``recouvrement.settings.test``;
``DATABASE_URL`` (default ``postgres://recouvrement:recouvrement@127.0.0.1:5432/``)
gives the server and the role, and ``--base`` the database, which is created if
missing (by the same role, which has CREATEDB) and migrated.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

RACINE = Path(__file__).resolve().parent.parent
BASE_PAR_DEFAUT = "recouvrement_bench"
URL_PAR_DEFAUT = "postgres://recouvrement:recouvrement@127.0.0.1:5432/recouvrement"
SETTINGS_PAR_DEFAUT = "recouvrement.settings.test"
MOT_DE_PASSE = "bench-recouvrement"  # bench users on a throwaway database

# One transaction per batch of organisations: bounded memory for the deferred
# foreign-key checks, and a failed run leaves whole organisations or nothing.
FACTURES_PAR_TRANSACTION = 250_000

# Row keys: <rank of the organisation in the run> * MULTIPLICATEUR + <row number>.
MULTIPLICATEUR = 1_000_000_000

ACTIVITES = [
    "Transports",
    "Menuiserie",
    "Boulangerie",
    "Imprimerie",
    "Garage",
    "Cabinet",
    "Ateliers",
    "Laboratoires",
    "Constructions",
    "Distribution",
    "Électricité",
    "Plomberie",
    "Conseil",
    "Logistique",
    "Agencement",
    "Métallerie",
    "Pharmacie",
    "Hôtel",
    "Librairie",
    "Fromagerie",
]
NOMS = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Lefèvre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
]
FORMES = ["SAS", "SARL", "SA", "EURL", "SASU", "et Fils", "Frères", "SCOP"]
PRENOMS = ["Camille", "Nathalie", "Isabelle", "Sophie", "Julien", "Nicolas", "Claire", "Thomas", "Hélène", "Karim"]
VOIES = ["rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "boulevard Gambetta", "rue du Commerce"]
VILLES = [
    ("75011", "Paris"),
    ("69003", "Lyon"),
    ("13008", "Marseille"),
    ("31000", "Toulouse"),
    ("33000", "Bordeaux"),
    ("59000", "Lille"),
    ("44000", "Nantes"),
    ("67000", "Strasbourg"),
    ("35000", "Rennes"),
    ("38000", "Grenoble"),
]
# Payment terms, weighted (20 entries): 30 days, 45, 60, 30 end of month, 45 end of month.
DELAIS = [30] * 10 + [45] * 4 + [60] * 3 + [30] * 2 + [45]
FINS_DE_MOIS = [False] * 17 + [True] * 3
CATEGORIES = ["tpe_pme"] * 12 + ["eti"] * 4 + ["grand_compte"] * 2 + ["secteur_public", "autre"]
AFFACTUREURS = ["BNP Paribas Factor", "Eurofactor", "BPCE Factor", "CIC Factor"]
TAUX_TVA = ["0.20"] * 16 + ["0.10", "0.10", "0.055", "0"]
SUPPORTS = ["virement"] * 16 + ["prelevement", "prelevement", "cheque", "carte"]


def _alea(cle: str, sel: int) -> str:
    """SQL for a uniform draw in [0, 1) from the bigint expression ``cle`` and the integer ``sel``."""
    hachage = f"hashint8extended(({cle})::bigint, {int(sel)}::bigint) & 9223372036854775807"
    return f"((({hachage}) %% 1000003)::float8 / 1000003)"


def _choix(tableau: str, alea: str) -> str:
    """SQL picking one element of the array parameter ``tableau`` with the draw ``alea``."""
    return f"(%({tableau})s::text[])[1 + floor({alea} * cardinality(%({tableau})s::text[]))::int]"


# ---------------------------------------------------------------------------
# The statements. Each draw has its own sel (seed * 1000 + a constant); the key of
# a row is <rank of the organisation in the run> * MULTIPLICATEUR + <row number>.
# ---------------------------------------------------------------------------


def _clients_sql(graine: int) -> str:
    cle = f"o.rang * {MULTIPLICATEUR} + n"

    def u(k: int) -> str:
        return _alea(cle, graine * 1000 + k)

    return f"""
INSERT INTO clients_client (
    tenant_id, raison_sociale, siren, siret, tva_intracom, adresse, adresse_complement, code_postal, ville, pays,
    delai_paiement_jours, fin_de_mois, plafond_credit, affactureur, agrement_affacturage, categorie,
    date_debut_relation, commercial_id, chef_projet_id, langue, devise, notes, external_id, created_at, updated_at
)
SELECT
    g.tenant_id,
    {_choix("activites", "g.u_activite")} || ' ' || {_choix("noms", "g.u_nom")}
        || ' ' || {_choix("formes", "g.u_forme")},
    l.siren,
    '',
    'FR' || lpad(((12 + 3 * (l.siren::bigint %% 97)) %% 97)::text, 2, '0') || l.siren,
    (1 + floor(g.u_adresse * 150))::int || ' ' || {_choix("voies", "g.u_adresse")},
    '',
    (%(codes_postaux)s::text[])[g.i_ville],
    (%(villes)s::text[])[g.i_ville],
    'FR',
    (%(delais)s::int[])[g.i_conditions],
    (%(fins_de_mois)s::bool[])[g.i_conditions],
    CASE WHEN g.u_plafond < 0.4 THEN NULL ELSE (5000 * (1 + floor(g.u_plafond * 40)))::numeric(14, 2) END,
    '',
    NULL,
    {_choix("categories", "g.u_categorie")},
    %(aujourd_hui)s::date - floor(g.u_anciennete * 3650)::int,
    CASE g.n %% 3 WHEN 1 THEN g.commercial_1 WHEN 2 THEN g.commercial_2 END,
    NULL,
    CASE WHEN g.u_langue < 0.05 THEN 'en' ELSE 'fr' END,
    'EUR',
    '',
    'C' || lpad(g.n::text, greatest(7, length(g.n::text)), '0'),
    now(),
    now()
FROM (
    SELECT
        o.tenant_id, o.commercial_1, o.commercial_2, n,
        {u(1)} AS u_activite, {u(2)} AS u_nom, {u(3)} AS u_forme, {u(4)} AS u_adresse,
        1 + floor({u(5)} * cardinality(%(villes)s::text[]))::int AS i_ville,
        1 + floor({u(6)} * cardinality(%(delais)s::int[]))::int AS i_conditions,
        {u(7)} AS u_plafond, {u(8)} AS u_categorie, {u(9)} AS u_anciennete, {u(10)} AS u_langue,
        lpad((floor({u(11)} * 100000000))::bigint::text, 8, '0') AS base_siren
    FROM unnest(
        %(organisations)s::bigint[], %(rangs)s::bigint[], %(commerciaux_1)s::bigint[], %(commerciaux_2)s::bigint[]
    ) AS o(tenant_id, rang, commercial_1, commercial_2)
    -- Lateral through o.rang: organisation after organisation (see _factures_sql).
    CROSS JOIN LATERAL generate_series(1, %(clients)s + 0 * o.rang) AS n
) AS g
-- SIREN = 8 digits + Luhn key (the 2nd, 4th, 6th and 8th digits are doubled).
CROSS JOIN LATERAL (
    SELECT g.base_siren || ((10 - sum(CASE WHEN k %% 2 = 0 THEN (2 * d) / 10 + (2 * d) %% 10 ELSE d END) %% 10) %% 10)
        AS siren
    FROM (SELECT k, substr(g.base_siren, k, 1)::int AS d FROM generate_series(1, 8) AS k) AS chiffres
) AS l
ORDER BY g.tenant_id, g.n
"""


def _contacts_sql(graine: int) -> str:
    cle = f"o.rang * {MULTIPLICATEUR} + substr(c.external_id, 2)::bigint"

    def u(k: int) -> str:
        return _alea(cle, graine * 1000 + 100 + k)

    return f"""
INSERT INTO clients_contact (
    tenant_id, client_id, civilite, prenom, nom, fonction, email, telephone, langue, role_comptabilite, role_achats,
    role_signataire, role_direction, opt_out, email_invalide, email_invalide_le, created_at
)
SELECT
    c.tenant_id,
    c.id,
    '',
    {_choix("prenoms", u(1))},
    {_choix("noms", u(2))},
    'Comptabilité fournisseurs',
    'comptabilite@client-' || c.id || '.example',
    '+33' || (1 + floor({u(3)} * 5))::int || lpad(floor({u(4)} * 100000000)::bigint::text, 8, '0'),
    c.langue,
    true, false, false, false, false, false, NULL,
    now()
FROM clients_client AS c
JOIN unnest(%(organisations)s::bigint[], %(rangs)s::bigint[]) AS o(tenant_id, rang) ON o.tenant_id = c.tenant_id
ORDER BY c.id
"""


def _factures_sql(graine: int) -> str:
    cle = f"o.rang * {MULTIPLICATEUR} + n"

    def u(k: int) -> str:
        return _alea(cle, graine * 1000 + 200 + k)

    # No join and no sort: the clients of each organisation are looked up in an
    # array indexed by their row number, so rows leave generate_series in
    # (organisation, n) order and the heap follows the numbering, as in a real
    # ledger. MATERIALIZED stops the planner from inlining each level into the
    # next, which would compute every draw again wherever it is used.
    return f"""
WITH tirages AS MATERIALIZED (
    SELECT
        o.tenant_id, n,
        c.ids[r.rang_client] AS client_id,
        c.delais[r.rang_client] AS delai,
        {u(2)} < 0.02 AS avoir,
        {u(3)} AS u_statut,
        {u(4)} AS u_echeance,
        round((100 * exp({u(5)} * ln(400)))::numeric, 2) AS ht,
        {_choix("taux_tva", u(6))}::numeric AS taux,
        {u(7)} < 0.05 AS affacturee,
        {_choix("affactureurs", u(8))} AS affactureur,
        {_choix("supports", u(9))} AS support,
        {u(10)} AS u_partiel
    FROM unnest(%(organisations)s::bigint[], %(rangs)s::bigint[]) AS o(tenant_id, rang)
    -- The organisation's clients by row number (external id C0000001...).
    CROSS JOIN LATERAL (
        SELECT
            array_agg(id ORDER BY substr(external_id, 2)::int) AS ids,
            array_agg(delai_paiement_jours ORDER BY substr(external_id, 2)::int) AS delais
        FROM clients_client
        WHERE tenant_id = o.tenant_id
    ) AS c
    -- Lateral (through o.rang) so that the organisations are the outer loop: rows
    -- come out organisation after organisation, not interleaved, and each index
    -- is filled in runs instead of at 250 places in turn (3 times slower).
    CROSS JOIN LATERAL generate_series(1, %(factures)s + 0 * o.rang) AS n
    -- u**2 skews the spread: the first clients get most invoices.
    CROSS JOIN LATERAL (
        SELECT 1 + least(floor(%(clients)s * power({u(1)}, 2))::int, %(clients)s - 1) AS rang_client
    ) AS r
),
pieces AS MATERIALIZED (
    SELECT
        t.tenant_id, t.n, t.avoir, t.u_partiel, t.client_id, t.delai,
        CASE WHEN t.avoir THEN round(t.ht / 4, 2) ELSE t.ht END AS montant_ht,
        round(CASE WHEN t.avoir THEN round(t.ht / 4, 2) ELSE t.ht END * t.taux, 2) AS montant_tva,
        CASE
            WHEN t.avoir OR t.u_statut < 0.50 THEN 'ouverte'
            WHEN t.u_statut < 0.70 THEN 'partiellement_payee'
            ELSE 'payee'
        END AS statut,
        %(aujourd_hui)s::date + CASE
            WHEN t.avoir OR t.u_statut < 0.70 THEN -400 + floor(t.u_echeance * 431)::int
            ELSE -400 + floor(t.u_echeance * 411)::int
        END AS date_echeance,
        CASE WHEN t.affacturee AND NOT t.avoir THEN 'affacturage' ELSE t.support END AS support_paiement,
        CASE WHEN t.affacturee AND NOT t.avoir THEN t.affactureur ELSE '' END AS affactureur
    FROM tirages AS t
)
INSERT INTO factures_facture (
    tenant_id, client_id, numero, nature, date_emission, date_echeance, montant_ht, montant_tva, montant_ttc,
    devise, reste_du, statut, support_paiement, affactureur, numero_commande, pdf, external_id, facture_origine_id,
    created_at, updated_at
)
SELECT
    p.tenant_id,
    p.client_id,
    CASE WHEN p.avoir THEN 'AV-' ELSE 'FA-' END || lpad(p.n::text, greatest(7, length(p.n::text)), '0'),
    CASE WHEN p.avoir THEN 'avoir' ELSE 'facture' END,
    p.date_echeance - p.delai,
    p.date_echeance,
    p.montant_ht,
    p.montant_tva,
    p.montant_ht + p.montant_tva,
    'EUR',
    CASE p.statut
        WHEN 'ouverte' THEN p.montant_ht + p.montant_tva
        -- From a tenth to nine tenths still due: strictly between 0 and the TTC (which is >= 25).
        WHEN 'partiellement_payee' THEN round((p.montant_ht + p.montant_tva) * (0.1 + 0.8 * p.u_partiel)::numeric, 2)
        ELSE 0
    END,
    p.statut,
    p.support_paiement,
    p.affactureur,
    '',
    '',
    'ERP-' || p.n,
    NULL,
    now(),
    now()
FROM pieces AS p
"""


def _paiements_sql(graine: int) -> str:
    cle = f"o.rang * {MULTIPLICATEUR} + substr(f.external_id, 5)::bigint"
    retard = f"floor({_alea(cle, graine * 1000 + 300)} * 76)::int"
    return f"""
INSERT INTO factures_paiement (
    tenant_id, client_id, date_paiement, montant, devise, montant_non_affecte, moyen, reference, libelle,
    external_id, created_at
)
SELECT
    f.tenant_id,
    f.client_id,
    -- From 15 days early to 60 days late, never in the future nor before the invoice.
    least(%(aujourd_hui)s::date, greatest(f.date_emission, f.date_echeance - 15 + {retard})),
    f.montant_ttc - f.reste_du,
    f.devise,
    0,
    f.support_paiement,
    'REG ' || f.numero,
    'Règlement de la facture ' || f.numero,
    'PAI-' || f.numero,
    now()
FROM factures_facture AS f
JOIN unnest(%(organisations)s::bigint[], %(rangs)s::bigint[]) AS o(tenant_id, rang) ON o.tenant_id = f.tenant_id
WHERE f.nature = 'facture' AND f.statut IN ('payee', 'partiellement_payee')
ORDER BY f.id
"""


LETTRAGES_SQL = """
INSERT INTO factures_lettrage (
    tenant_id, facture_id, paiement_id, avoir_id, montant, date_lettrage, cree_par_id, created_at, annule_le,
    annule_par_id
)
SELECT f.tenant_id, f.id, p.id, NULL, p.montant, p.date_paiement, NULL, now(), NULL, NULL
FROM factures_facture AS f
JOIN factures_paiement AS p ON p.tenant_id = f.tenant_id AND p.external_id = 'PAI-' || f.numero
WHERE f.tenant_id = ANY(%(organisations)s::bigint[])
    AND f.nature = 'facture'
    AND f.statut IN ('payee', 'partiellement_payee')
ORDER BY f.id
"""

TABLES = [
    "tenancy_organisation",
    "tenancy_user",
    "tenancy_membre",
    "clients_client",
    "clients_contact",
    "factures_facture",
    "factures_paiement",
    "factures_lettrage",
]


# ---------------------------------------------------------------------------
# Settings and database
# ---------------------------------------------------------------------------


def url_de_la_base(base: str) -> str:
    """``DATABASE_URL`` (or the local default) with its database replaced by ``base``."""
    parties = urlsplit(os.environ.get("DATABASE_URL") or URL_PAR_DEFAUT)
    return urlunsplit(parties._replace(path=f"/{base}"))


def base_creer(url: str) -> bool:
    """Create the database named by ``url`` if missing; True when created.

    Connects to the ``postgres`` database with the same role (it needs CREATEDB).
    """
    import psycopg
    from psycopg import sql

    parties = urlsplit(url)
    nom = parties.path.lstrip("/")
    with psycopg.connect(urlunsplit(parties._replace(path="/postgres")), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [nom]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(nom)))
    return True


def environnement_configurer(base: str) -> str:
    """The project on ``sys.path``, the settings module and ``DATABASE_URL`` pointing at ``base``; its URL.

    No database created, no ``django.setup()``, no migrate: what a worker subprocess of a benchmark
    needs (its parent did the rest).
    """
    if str(RACINE) not in sys.path:
        sys.path.insert(0, str(RACINE))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_PAR_DEFAUT)
    url = url_de_la_base(base)
    os.environ["DATABASE_URL"] = url
    return url


def django_configurer(base: str) -> bool:
    """Point Django at ``base`` (created if missing), set it up and migrate. True when the base was created.

    Call before importing any model.
    """
    url = environnement_configurer(base)
    cree = base_creer(url)

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    return cree


def role_verifier() -> None:
    """Refuse a role that bypasses row-level security: the figures would not include it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        utilisateur, superuser, bypassrls = cursor.fetchone()
    if superuser or bypassrls:
        sys.exit(
            f"The role {utilisateur} is SUPERUSER or BYPASSRLS: row-level security would not apply. "
            "Use the application role (postgres://recouvrement:recouvrement@...)."
        )


# ---------------------------------------------------------------------------
# Shared by the benchmarks: timing, load, memory, worker processes
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Mesure:
    libelle: str
    durees: list[float]  # seconds, one per run
    requetes: int

    @property
    def median_ms(self) -> float:
        return statistics.median(self.durees) * 1000

    @property
    def p95_ms(self) -> float:
        if len(self.durees) < 2:
            return max(self.durees) * 1000
        return statistics.quantiles(self.durees, n=20, method="inclusive")[18] * 1000

    @property
    def min_ms(self) -> float:
        return min(self.durees) * 1000


def mesurer(libelle: str, fonction: Callable[[], object], *, repetitions: int, echauffement: int) -> Mesure:
    """Run ``fonction`` once counting its SQL queries, ``echauffement`` times untimed, then ``repetitions``
    times under ``time.perf_counter``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as requetes:
        fonction()
    # Read now: a request through django.test.Client resets the connection's query log.
    nombre = len(requetes.captured_queries)
    for _ in range(echauffement):
        fonction()
    durees = []
    for _ in range(repetitions):
        debut = time.perf_counter()
        fonction()
        durees.append(time.perf_counter() - debut)
    return Mesure(libelle, durees, nombre)


def charge() -> str:
    """The load average (1, 5, 15 minutes)."""
    return " ".join(f"{valeur:.2f}" for valeur in os.getloadavg())


def rss_pic_mo() -> float:
    """Peak resident set size of this process, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def processus_rapports(commandes: Sequence[Sequence[str]], *, qui: str) -> list[dict[str, Any]]:
    """Start the commands at once and wait for them all; the JSON object each printed on its last line.

    Exits with the output of the first that failed (``qui`` names it: "a worker").
    """
    processus = [subprocess.Popen(list(commande), stdout=subprocess.PIPE, text=True) for commande in commandes]
    sorties = [p.communicate()[0] for p in processus]
    rapports = []
    for p, sortie in zip(processus, sorties, strict=True):
        if p.returncode:
            sys.exit(f"{qui} failed (exit {p.returncode}):\n{sortie}")
        rapports.append(json.loads(sortie.strip().splitlines()[-1]))
    return rapports


# ---------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------


def _siren(numero: int) -> str:
    from stdnum import luhn

    base = f"{(numero * 7919) % 10**8:08d}"
    return base + luhn.calc_check_digit(base)


def _organisations_creer(*, nombre: int, premier: int, nom: str, total: int) -> list[Any]:
    """Organisations (ORM), and per organisation an admin and two commercial members."""
    from django.contrib.auth.hashers import make_password

    from recouvrement.tenancy.models import Membre, Organisation, Role, User

    organisations = Organisation.objects.bulk_create(
        [
            Organisation(
                raison_sociale=nom if total == 1 else f"{nom} {premier + i}",
                siren=_siren(premier + i),
                ville="Lyon",
                expediteur_nom="Service recouvrement",
                expediteur_email="recouvrement@fournisseur.example",
            )
            for i in range(nombre)
        ]
    )
    mot_de_passe = make_password(MOT_DE_PASSE)
    roles = [("admin", Role.ADMIN), ("commercial1", Role.COMMERCIAL), ("commercial2", Role.COMMERCIAL)]
    users = User.objects.bulk_create(
        [
            User(email=f"{prefixe}.{organisation.pk}@bench.example", password=mot_de_passe, first_name=prefixe)
            for organisation in organisations
            for prefixe, _role in roles
        ]
    )
    Membre.objects.bulk_create(
        [
            Membre(tenant_id=organisation.pk, user=users[i * len(roles) + j], role=role)
            for i, organisation in enumerate(organisations)
            for j, (_prefixe, role) in enumerate(roles)
        ]
    )
    return organisations


_INSERTION = re.compile(r"INSERT INTO (?P<table>\w+) \((?P<colonnes>[^)]*)\)\nSELECT\b")


def _completer(sql: str, params: dict[str, Any]) -> str:
    """Give the columns that ``sql`` does not name the model's default, so that a field
    added to a model later does not break the generator.

    The statements here name their columns in ``INSERT INTO t (...)`` and put the
    ``FROM`` of their outer ``SELECT`` at the start of a line: the missing columns
    are added to the first, and their values (parameters) before the second. A
    NOT NULL field without a default stops it with a message: the generator must
    then learn to fill it.
    """
    from django.apps import apps
    from django.db import connection

    trouve = _INSERTION.search(sql)
    if trouve is None:
        return sql
    table, nommees = trouve["table"], {c.strip() for c in trouve["colonnes"].split(",")}
    (modele,) = [m for m in apps.get_models() if m._meta.db_table == table]
    colonnes: list[str] = []
    valeurs: list[str] = []
    for champ in modele._meta.concrete_fields:
        if champ.column in nommees or champ.primary_key:
            continue
        valeur = champ.get_db_prep_save(champ.get_default(), connection)
        if valeur is None and not champ.null:
            raise RuntimeError(f"bench/generer.py does not fill {table}.{champ.column} (NOT NULL, no default).")
        cle = f"defaut_{table}_{champ.column}"
        params[cle] = valeur
        colonnes.append(str(champ.column))
        valeurs.append(f"%({cle})s")
    if not colonnes:
        return sql
    fin_colonnes = trouve.start("colonnes") + len(trouve["colonnes"].rstrip())
    fin_select = sql.index("\nFROM ", trouve.end())
    return (
        f"{sql[:fin_colonnes]}, {', '.join(colonnes)}{sql[fin_colonnes:fin_select]},\n"
        f"    {', '.join(valeurs)}{sql[fin_select:]}"
    )


def _executer(sql: str, params: dict[str, Any] | None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or None)
        return cursor.rowcount


def _lot_remplir(
    *,
    organisation_ids: Sequence[int],
    premier: int,
    clients: int,
    factures: int,
    graine: int,
    paiements: bool,
) -> tuple[dict[str, int], dict[str, float]]:
    """Fill the organisations of one batch; the rows made and the seconds spent, per step."""
    import datetime

    from django.utils import timezone

    from recouvrement.tenancy.models import Membre, Role

    commerciaux: dict[int, list[int]] = {pk: [] for pk in organisation_ids}
    for tenant_id, pk in (
        Membre.objects.filter(tenant_id__in=organisation_ids, role=Role.COMMERCIAL)
        .order_by("tenant_id", "pk")
        .values_list("tenant_id", "pk")
    ):
        commerciaux[tenant_id].append(pk)
    aujourd_hui: datetime.date = timezone.localdate()
    params: dict[str, Any] = {
        "organisations": list(organisation_ids),
        # The draws are keyed on the organisation's rank in this run, not on its id,
        # so that the same seed gives the same data in a fresh or a used database.
        "rangs": list(range(premier, premier + len(organisation_ids))),
        "commerciaux_1": [(commerciaux[pk] + [None])[0] for pk in organisation_ids],
        "commerciaux_2": [(commerciaux[pk] + [None, None])[1] for pk in organisation_ids],
        "clients": clients,
        "factures": factures,
        "aujourd_hui": aujourd_hui,
        "activites": ACTIVITES,
        "noms": NOMS,
        "formes": FORMES,
        "prenoms": PRENOMS,
        "voies": VOIES,
        "codes_postaux": [code for code, _ville in VILLES],
        "villes": [ville for _code, ville in VILLES],
        "delais": DELAIS,
        "fins_de_mois": FINS_DE_MOIS,
        "categories": CATEGORIES,
        "taux_tva": TAUX_TVA,
        "affactureurs": AFFACTUREURS,
        "supports": SUPPORTS,
    }
    # Each statement joins what the previous one wrote. The planner misjudges
    # those joins twice: fresh tables look empty until analysed (ANALYZE in the
    # transaction sees its own rows), and the row-level security predicate
    # ``tenant_id = NULLIF(current_setting(...))::bigint OR current_setting(...) = 'on'``
    # is estimated to keep about 0.5 % of the rows under unscoped(). Either way
    # it picks nested loops over sequential scans: minutes instead of seconds.
    # A bulk load wants hash joins, sorts in memory, and no JIT (the inflated
    # costs would switch it on for a second of compilation per statement).
    reglages = {"enable_nestloop": "off", "jit": "off", "work_mem": "'256MB'"}
    for nom, valeur in reglages.items():
        _executer(f"SET LOCAL {nom} = {valeur}", None)
    etapes: list[tuple[str, str]] = [
        ("clients", _clients_sql(graine)),
        ("", "ANALYZE clients_client"),
        ("contacts", _contacts_sql(graine)),
        ("factures", _factures_sql(graine)),
    ]
    if paiements:
        etapes += [
            ("", "ANALYZE factures_facture"),
            ("paiements", _paiements_sql(graine)),
            ("", "ANALYZE factures_paiement"),
            ("lettrages", LETTRAGES_SQL),
        ]
    # The foreign keys are deferred: check them here rather than at COMMIT, to time them.
    etapes.append(("", "SET CONSTRAINTS ALL IMMEDIATE"))
    lignes: dict[str, int] = {}
    durees: dict[str, float] = {}
    for table, sql in etapes:
        debut = time.perf_counter()
        nombre = _executer(_completer(sql, params), params) if table else _executer(sql, None)
        etape = table or sql.split()[0].lower()
        if table:
            lignes[table] = nombre
        durees[etape] = durees.get(etape, 0.0) + time.perf_counter() - debut
    # Called inside a caller's transaction, SET LOCAL would outlive the batch.
    for nom in reglages:
        _executer(f"SET LOCAL {nom} TO DEFAULT", None)
    return lignes, durees


def generer(
    *,
    organisations: int,
    clients_par_organisation: int,
    factures_par_organisation: int,
    graine: int = 1,
    nom: str = "Organisation bench",
    paiements: bool = True,
    verbeux: bool = False,
) -> list[int]:
    """Create ``organisations`` filled organisations and return their ids.

    Precondition: Django is set up on PostgreSQL. Runs under
    ``unscoped(reason="bench: data generator")``, one transaction per batch of
    organisations (about 250,000 invoices), then VACUUM ANALYZE of the tables
    when not inside a transaction (ANALYZE only otherwise), so that what is
    measured next does not depend on when autovacuum passes. ``nom`` names the
    organisation (``"<nom> <n>"`` when there are several). Side effects: three
    users per organisation in the platform table ``tenancy_user``; with
    ``paiements=False``, settled invoices have no allocation behind their
    ``reste_du``.
    """
    from django.db import connection, transaction

    from recouvrement.tenancy.context import unscoped

    if clients_par_organisation < 1 and factures_par_organisation > 0:
        raise ValueError("Invoices need at least one client per organisation.")
    par_lot = max(1, FACTURES_PAR_TRANSACTION // max(1, factures_par_organisation))
    ids: list[int] = []
    totaux: dict[str, int] = {}
    with unscoped(reason="bench: data generator"):
        for debut in range(0, organisations, par_lot):
            debut_lot = time.perf_counter()
            with transaction.atomic():
                lot = _organisations_creer(
                    nombre=min(par_lot, organisations - debut), premier=debut + 1, nom=nom, total=organisations
                )
                lignes, durees = _lot_remplir(
                    organisation_ids=[organisation.pk for organisation in lot],
                    premier=debut + 1,
                    clients=clients_par_organisation,
                    factures=factures_par_organisation,
                    graine=graine,
                    paiements=paiements,
                )
            ids.extend(organisation.pk for organisation in lot)
            for table, nombre in lignes.items():
                totaux[table] = totaux.get(table, 0) + nombre
            if verbeux:
                print(
                    f"  organisations {debut + 1}-{debut + len(lot)}: "
                    + ", ".join(f"{nombre:,} {table}" for table, nombre in lignes.items())
                    + f" in {time.perf_counter() - debut_lot:.1f} s ("
                    + ", ".join(f"{etape} {duree:.1f}" for etape, duree in durees.items())
                    + ")",
                    flush=True,
                )
        debut_maintenance = time.perf_counter()
        commande = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            cursor.execute(f"{commande} {', '.join(TABLES)}")
        if verbeux:
            print(f"  {commande} in {time.perf_counter() - debut_maintenance:.1f} s", flush=True)
    return ids


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organisations", type=int, default=1)
    parser.add_argument("--clients", type=int, default=5000, help="clients per organisation")
    parser.add_argument("--factures", type=int, default=200_000, help="invoices per organisation")
    parser.add_argument("--graine", type=int, default=1, help="seed of the random draws")
    parser.add_argument("--nom", default="Organisation bench", help="name of the organisations")
    parser.add_argument("--sans-paiements", action="store_true", help="no payments nor allocations")
    parser.add_argument("--base", default=BASE_PAR_DEFAUT, help=f"database to fill (default {BASE_PAR_DEFAUT})")
    args = parser.parse_args(argv)

    cree = django_configurer(args.base)
    role_verifier()
    print(f"database {args.base}{' (created)' if cree else ''}, migrated")
    debut = time.perf_counter()
    ids = generer(
        organisations=args.organisations,
        clients_par_organisation=args.clients,
        factures_par_organisation=args.factures,
        graine=args.graine,
        nom=args.nom,
        paiements=not args.sans_paiements,
        verbeux=True,
    )
    duree = time.perf_counter() - debut
    factures = args.organisations * args.factures
    print(
        f"{len(ids)} organisations (ids {ids[0]}..{ids[-1]}), {factures:,} invoices in {duree:.1f} s "
        f"({factures / duree:,.0f} invoices/s, maintenance included)"
        if ids
        else "nothing generated"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
