"""Baseline of the client list and of the cost of switching the row-level security scope.

    .venv/bin/python bench/tenancy.py [--base recouvrement_bench] [--repetitions 50] [--requetes 2000]

On one organisation with 5,000 clients and 200,000 invoices ("Bench tenancy A",
made with ``generer.py`` on the first run, found by name afterwards) and a
small second one ("Bench tenancy B", 100 clients, 2,000 invoices), it measures
with ``time.perf_counter``, after warm-up runs, median and p95:

a. the client list as ``clients.liste.client_liste`` runs it now for an admin:
   ``clients.filtres.client_page`` (first and last page); and the first shape of
   the list, kept here as the baseline (``liste_annotee`` below: the clients
   annotated with correlated balance subqueries, through the ``Paginator``; the
   ``count()`` then the first page of 50, evaluated), each part alone, and the
   queryset built and compiled to SQL without running it; also (a') the last page, and the first page as
   a commercial (only his clients);
b. ``client_situation`` of the client with the most invoices;
c. the scope synchronisation of the backend: N trivial queries
   (``Client.objects.filter(pk=...).exists()`` and a raw ``SELECT 1`` through
   ``connection.cursor()``) in one steady scope, then alternating between the
   two organisations at each query, which costs one ``set_config`` round trip
   per query (counted, to show it); in microseconds per query, with psycopg
   alone as a reference;
d. ``EXPLAIN (ANALYZE, BUFFERS)`` of the SQL that (a) ran, captured with
   ``CaptureQueriesContext``, printed once; (d') the same for the last page
   (its top only) and for (b).

Everything runs in this process, as the application role: row-level security
applies (the script refuses a SUPERUSER or BYPASSRLS role). Times are ORM plus
driver plus server; no HTTP, no middleware, no template rendering.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from generer import BASE_PAR_DEFAUT, Mesure, charge, django_configurer, generer, mesurer, role_verifier, rss_pic_mo

NOM_PRINCIPALE = "Bench tenancy A"
NOM_SECONDE = "Bench tenancy B"
CLIENTS, FACTURES = 5000, 200_000
CLIENTS_SECONDE, FACTURES_SECONDE = 100, 2000
PAR_PAGE = 50  # clients.views.PAR_PAGE


def par_requete(fonction: Callable[[int], object], *, requetes: int) -> float:
    """Microseconds per call of ``fonction(i)`` over ``requetes`` calls."""
    debut = time.perf_counter()
    for i in range(requetes):
        fonction(i)
    return (time.perf_counter() - debut) / requetes * 1e6


class CompteurSynchronisations:
    """Django execute wrapper counting the ``set_config`` round trips of the backend.

    It runs inside the backend's own wrapper, which assigns a new tuple to
    ``connection.scope_settings`` each time (and only when) it sends a set_config.
    """

    def __init__(self) -> None:
        self.requetes = 0
        self.changements = 0
        self.dernier: object = None

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        reglage = context["connection"].scope_settings
        if self.requetes and reglage is not self.dernier:
            self.changements += 1
        self.requetes += 1
        self.dernier = reglage
        return execute(sql, params, many, context)


def organisations_preparer() -> tuple[Any, Any]:
    """The two bench organisations, generated when missing (idempotent: found by name)."""
    from recouvrement.tenancy.context import unscoped
    from recouvrement.tenancy.models import Organisation

    trouvees = []
    for nom, clients, factures in (
        (NOM_PRINCIPALE, CLIENTS, FACTURES),
        (NOM_SECONDE, CLIENTS_SECONDE, FACTURES_SECONDE),
    ):
        with unscoped(reason="bench: find the bench organisations"):
            organisation = Organisation.objects.filter(raison_sociale=nom).order_by("pk").first()
        if organisation is None:
            print(f"generating {nom}: {clients:,} clients, {factures:,} invoices...", flush=True)
            debut = time.perf_counter()
            (pk,) = generer(
                organisations=1,
                clients_par_organisation=clients,
                factures_par_organisation=factures,
                nom=nom,
                verbeux=True,
            )
            print(f"  done in {time.perf_counter() - debut:.1f} s", flush=True)
            with unscoped(reason="bench: find the bench organisations"):
                organisation = Organisation.objects.get(pk=pk)
        trouvees.append(organisation)
    return trouvees[0], trouvees[1]


def expliquer(titre: str, sql: str, *, complet: bool) -> None:
    """Print EXPLAIN (ANALYZE, BUFFERS) of ``sql`` in the current scope; the top of it unless ``complet``."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        lignes = [ligne for (ligne,) in cursor.fetchall()]
    if not complet:
        fin = ("JIT:", "Functions:", "Options:", "Timing:", "Planning Time", "Execution Time")
        lignes = [*lignes[:4], "...", *(ligne for ligne in lignes if ligne.strip().startswith(fin))]
    print(f"\n{titre}: EXPLAIN (ANALYZE, BUFFERS) of\n    {sql}")
    print("\n".join(f"    {ligne}" for ligne in lignes))


def serveur_decrire() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('server_version'), current_user, current_setting('shared_buffers'), "
            "current_setting('work_mem'), current_setting('jit'), current_setting('random_page_cost')"
        )
        version, role, shared_buffers, work_mem, jit, random_page_cost = cursor.fetchone()
    return (
        f"PostgreSQL {version} as {role}; shared_buffers={shared_buffers} work_mem={work_mem} "
        f"jit={jit} random_page_cost={random_page_cost}"
    )


def tableau(titre: str, lignes: Sequence[Sequence[str]], entetes: Sequence[str]) -> None:
    """Print a table: first column left-aligned, the figures right-aligned."""
    toutes = [entetes, *lignes]
    largeurs = [max(len(ligne[i]) for ligne in toutes) for i in range(len(entetes))]
    print(f"\n{titre}")
    for ligne in toutes:
        cellules = [c.ljust(largeurs[i]) if i == 0 else c.rjust(largeurs[i]) for i, c in enumerate(ligne)]
        print("  " + "  ".join(cellules))


def liste_annotee(*, membre: Any, aujourd_hui: Any) -> Any:
    """The client list as it was first written, the baseline of (a): every visible client,
    by name, annotated with ``encours`` and ``echu`` by correlated subqueries (the
    application has since moved to ``clients.filtres``; this shape lives on only here)."""
    from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
    from django.db.models.functions import Coalesce

    from clients.selectors import client_queryset
    from factures.models import STATUTS_OUVERTS, Facture, Nature

    zero = Value(0, output_field=DecimalField(max_digits=14, decimal_places=2))

    def somme(condition: Any) -> Any:
        pieces = (
            Facture.objects.filter(client=OuterRef("pk"), statut__in=STATUTS_OUVERTS)
            .filter(condition)
            .order_by()
            .values("client")
            .annotate(total=Sum("reste_du"))
            .values("total")
        )
        return Coalesce(Subquery(pieces, output_field=DecimalField(max_digits=14, decimal_places=2)), zero)

    factures = Q(nature=Nature.FACTURE)
    return (
        client_queryset(membre=membre)
        .select_related("commercial__user")
        .order_by("raison_sociale", "pk")
        .annotate(
            du_factures=somme(factures),
            credit_avoirs=somme(Q(nature=Nature.AVOIR)),
            echu=somme(factures & Q(date_echeance__lt=aujourd_hui)),
        )
        .annotate(encours=F("du_factures") - F("credit_avoirs"))
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=BASE_PAR_DEFAUT, help=f"database (default {BASE_PAR_DEFAUT})")
    parser.add_argument("--repetitions", type=int, default=50, help="timed runs of (a) and (b)")
    parser.add_argument("--echauffement", type=int, default=5, help="untimed runs first")
    parser.add_argument("--requetes", type=int, default=2000, help="queries per round in (c)")
    parser.add_argument("--tours", type=int, default=9, help="rounds in (c), after one warm-up round")
    parser.add_argument("--sans-explain", action="store_true", help="skip (d)")
    args = parser.parse_args(argv)

    cree = django_configurer(args.base)
    role_verifier()

    from django.core.paginator import Paginator
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from clients.filtres import FiltresClients, client_page
    from clients.models import Client
    from factures.models import Facture
    from factures.selectors import client_situation
    from recouvrement.tenancy.backends.postgresql.base import _SET_SCOPE_SQL
    from recouvrement.tenancy.context import organisation_scope
    from recouvrement.tenancy.models import Membre, Role

    debut = time.perf_counter()
    principale, seconde = organisations_preparer()
    preparation = time.perf_counter() - debut
    aujourd_hui = timezone.localdate()

    print(f"database {args.base}{' (created)' if cree else ''}; {serveur_decrire()}")
    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, today {aujourd_hui}; "
        f"preparation {preparation:.1f} s; load average {charge()}"
    )

    with organisation_scope(principale):
        admin = Membre.objects.select_related("user").filter(role=Role.ADMIN).order_by("pk").first()
        commercial = Membre.objects.select_related("user").filter(role=Role.COMMERCIAL).order_by("pk").first()
        if admin is None or commercial is None:
            sys.exit(f"{principale.raison_sociale} has no admin or no commercial member: not made by generer.py?")
        clients = Client.objects.count()
        factures = Facture.objects.count()
        ouvertes = Facture.objects.filter(statut__in=["ouverte", "partiellement_payee"]).count()
        plus_gros = (
            Facture.objects.order_by().values("client_id").annotate(n=Count("pk")).order_by("-n", "client_id").first()
        )
        assert plus_gros is not None
        gros_client = Client.objects.get(pk=plus_gros["client_id"])
        pk_principale = gros_client.pk
    with organisation_scope(seconde):
        pk_seconde = Client.objects.order_by("pk").values_list("pk", flat=True).first()
    print(
        f"{principale.raison_sociale} (id {principale.pk}): {clients:,} clients, {factures:,} invoices "
        f"({ouvertes:,} open); biggest client {gros_client.pk} with {plus_gros['n']:,} invoices"
    )

    def liste(membre: Membre) -> Any:
        return liste_annotee(membre=membre, aujourd_hui=aujourd_hui)

    def page_complete(membre: Membre = admin, numero: int | str | None = None) -> None:
        # As clients.views.client_liste: get_page() counts, the template evaluates the page.
        page = Paginator(liste(membre), PAR_PAGE).get_page(numero)
        list(page.object_list)

    def page_vue(membre: Membre = admin, numero: int | str | None = None) -> None:
        # As clients.liste.client_liste runs it: the page's clients first, then their balances.
        client_page(membre=membre, filtres=FiltresClients(), aujourd_hui=aujourd_hui, numero=numero)

    nombre_pages = Paginator(range(clients), PAR_PAGE).num_pages

    def dernier_vue() -> None:
        page_vue(admin, nombre_pages)

    def dernier() -> None:
        page_complete(admin, nombre_pages)

    def situation() -> None:
        client_situation(client=gros_client, aujourd_hui=aujourd_hui)

    mesures: list[Mesure] = []
    repetitions = {"repetitions": args.repetitions, "echauffement": args.echauffement}
    with organisation_scope(principale, user_id=admin.user_id):
        mesures += [
            mesurer(
                "a. client list, page 1, as the view runs it now (count + page + its balances)", page_vue, **repetitions
            ),
            mesurer(f"a. client list, last page ({nombre_pages}), as the view runs it now", dernier_vue, **repetitions),
            mesurer("a. client list, page 1 (Paginator: count + page)", page_complete, **repetitions),
            mesurer("a. first page alone: list(qs[:50])", lambda: list(liste(admin)[:PAR_PAGE]), **repetitions),
            mesurer("a. count() alone", lambda: liste(admin).count(), **repetitions),
            mesurer(
                "a. queryset built and compiled, no database",
                lambda: liste(admin)[:PAR_PAGE].query.get_compiler(using="default").as_sql(),
                **repetitions,
            ),
            # Seconds per run: fewer runs.
            mesurer(
                f"a'. client list, last page ({nombre_pages})",
                dernier,
                repetitions=max(5, args.repetitions // 5),
                echauffement=1,
            ),
        ]
        # The estimated cost of the last page crosses jit_above_cost (and the
        # optimize and inline thresholds): show what JIT compilation weighs.
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        mesures.append(
            mesurer(
                f"a'. client list, last page ({nombre_pages}), SET jit = off",
                dernier,
                repetitions=max(5, args.repetitions // 5),
                echauffement=1,
            )
        )
        with connection.cursor() as cursor:
            cursor.execute("RESET jit")
    with organisation_scope(principale, user_id=commercial.user_id):
        mesures.append(
            mesurer("a'. client list, page 1, as a commercial", lambda: page_complete(commercial), **repetitions)
        )
    with organisation_scope(principale, user_id=admin.user_id):
        mesures.append(
            mesurer(
                f"b. client_situation, client with {plus_gros['n']:,} invoices",
                situation,
                **repetitions,
            )
        )
    tableau(
        f"(a), (b): {args.repetitions} runs after {args.echauffement} warm-up runs (last page: "
        f"{max(5, args.repetitions // 5)} after 1), milliseconds",
        [(m.libelle, str(m.requetes), f"{m.median_ms:.2f}", f"{m.p95_ms:.2f}", f"{m.min_ms:.2f}") for m in mesures],
        ("measure", "queries", "median", "p95", "min"),
    )

    # (c) The backend compares the wanted scope with what it set last on the
    # connection; only a change costs a set_config round trip.
    cibles = [(principale.pk, pk_principale), (seconde.pk, pk_seconde)]

    def exists_stable(i: int) -> None:
        with organisation_scope(principale.pk):
            Client.objects.filter(pk=pk_principale).exists()

    def exists_alterne(i: int) -> None:
        organisation_id, pk = cibles[i % 2]
        with organisation_scope(organisation_id):
            Client.objects.filter(pk=pk).exists()

    def select_stable(i: int) -> None:
        with organisation_scope(principale.pk), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    def select_alterne(i: int) -> None:
        with organisation_scope(cibles[i % 2][0]), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    connection.ensure_connection()
    brut = connection.connection.cursor()  # psycopg itself: no Django, no scope check

    def select_brut(i: int) -> None:
        brut.execute("SELECT 1")
        brut.fetchone()

    def set_config_brut(i: int) -> None:
        brut.execute(_SET_SCOPE_SQL, (str(cibles[i % 2][0]), "", ""))
        brut.fetchone()

    variantes: list[tuple[str, Callable[[int], object]]] = [
        ("ORM exists(), same scope", exists_stable),
        ("ORM exists(), alternating scope", exists_alterne),
        ("cursor SELECT 1, same scope", select_stable),
        ("cursor SELECT 1, alternating scope", select_alterne),
        ("reference: psycopg SELECT 1 (no Django)", select_brut),
        ("reference: psycopg set_config alone", set_config_brut),
    ]
    # Rounds interleave the variants, so that a slower minute of the machine
    # weighs on all of them alike.
    resultats: dict[str, list[float]] = {libelle: [] for libelle, _fonction in variantes}
    synchronisations: dict[str, float | None] = {}
    for tour in range(args.tours + 1):
        for libelle, fonction in variantes:
            compteur = CompteurSynchronisations()
            with connection.execute_wrapper(compteur):
                us = par_requete(fonction, requetes=args.requetes)
            # The raw set_config leaves the connection out of step with what the backend remembers.
            connection.scope_settings = None  # type: ignore[attr-defined]
            if tour == 0:
                continue  # warm-up round
            resultats[libelle].append(us)
            # Raw psycopg variants do not go through Django: nothing to count.
            synchronisations[libelle] = compteur.changements / args.requetes if compteur.requetes else None
    brut.close()
    lignes = [
        (
            libelle,
            f"{statistics.median(us):.1f}",
            f"{min(us):.1f}",
            f"{max(us):.1f}",
            "-" if (taux := synchronisations[libelle]) is None else f"{taux:.2f}",
        )
        for libelle, us in resultats.items()
    ]
    tableau(
        f"(c) scope switching: {args.tours} rounds of {args.requetes} queries per variant, microseconds per query",
        lignes,
        ("variant", "median", "min", "max", "set_config/query"),
    )
    for nom, stable, alterne in (
        ("exists()", "ORM exists(), same scope", "ORM exists(), alternating scope"),
        ("SELECT 1", "cursor SELECT 1, same scope", "cursor SELECT 1, alternating scope"),
    ):
        # Paired by round: both variants ran within seconds of each other.
        ecarts = [a - b for a, b in zip(resultats[alterne], resultats[stable], strict=True)]
        print(
            f"  switching cost with {nom}: {statistics.median(ecarts):+.1f} µs per query "
            f"(median of the per-round differences; {min(ecarts):+.1f} to {max(ecarts):+.1f})"
        )

    if not args.sans_explain:
        with organisation_scope(principale, user_id=admin.user_id):
            a_expliquer: list[tuple[str, Callable[[], None], bool]] = [
                ("(d) client list, page 1, as the view runs it now", page_vue, True),
                ("(d) client list, page 1", page_complete, True),
                (f"(d') client list, last page ({nombre_pages}): top of the plan", dernier, False),
                ("(d') client_situation", situation, True),
            ]
            for titre, executer, complet in a_expliquer:
                with CaptureQueriesContext(connection) as capture:
                    executer()
                for requete in capture.captured_queries:
                    # The count of the last page is the one of page 1: shown once.
                    if complet or " OFFSET " in requete["sql"]:
                        expliquer(titre, requete["sql"], complet=complet)

    print(f"\npeak RSS of this process: {rss_pic_mo():.0f} MB{' (generation included)' if preparation > 5 else ''}")
    # The machine is shared: a busy neighbour shows here, and in the spread of the figures.
    print(f"load average at the end: {charge()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
