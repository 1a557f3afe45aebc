"""Server time of three pages on a 200,000-invoice organisation: the dashboard,
the client list (page 1) and the client sheet of the client with the most invoices.

    .venv/bin/python bench/pages.py [--base recouvrement_bench_pages] [--repetitions 30] [--hypotheses]

The organisation "Bench pages" (5,000 clients, 200,000 invoices, made with
``generer.generer()`` on the first run into its own database, found by name
afterwards) is read through ``django.test.Client`` logged in as its admin
member: each timed run is a full request (middleware, session, view, SQL,
template rendering), in this process, measured with ``time.perf_counter``
around ``client.get()``. Warm-up runs first, then N timed runs: median, p95,
min, the number of SQL queries of the page, the peak RSS of the process and
the load average. The target (DESIGN.md) is 150 ms per page on 2 cores.

The database connection is kept between requests, as in production
(``CONN_MAX_AGE`` 60 in the base settings; the test settings close it after
each request, which would add a connection per request to the figures).

``--hypotheses`` then measures the same pages with a change that is not in the
schema, applied to this bench database only and undone at the end (and at the
start of the next run, had it been interrupted):

- ``rls-initplan``: the row-level security predicate with each
  ``current_setting()`` wrapped in a scalar subquery, which PostgreSQL
  evaluates once per statement (an InitPlan) instead of once per row read.

The covering indexes of the dashboard, once an "index" hypothesis here, are in
the schema since ``factures`` migration 0003: the bench database gets them from
``migrate``.

Like the other benchmarks it refuses a SUPERUSER or BYPASSRLS role, and uses
``recouvrement.settings.test`` unless ``DJANGO_SETTINGS_MODULE`` is set.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Sequence
from typing import Any

from generer import Mesure, charge, django_configurer, generer, mesurer, role_verifier, rss_pic_mo

BASE = "recouvrement_bench_pages"
NOM = "Bench pages"
CLIENTS, FACTURES = 5000, 200_000
CIBLE_MS = 150

# Indexes an earlier version of this script made for its "index" hypothesis (in
# the schema now, under other names): dropped if an interrupted run left them.
ANCIENS_INDEX = ("bench_facture_ouverte_couvrant", "bench_facture_emission_couvrant", "bench_paiement_date_couvrant")


def predicat_enveloppe() -> str:
    """The policy predicate of ``tenancy.operations`` with each bound in a scalar subquery."""
    from recouvrement.tenancy.operations import _PLATFORM, _TENANT

    return (
        f"(tenant_id >= (SELECT COALESCE({_TENANT}, CASE WHEN {_PLATFORM} THEN 0 END)) "
        f"AND tenant_id <= (SELECT COALESCE({_TENANT}, CASE WHEN {_PLATFORM} THEN 9223372036854775807 END)))"
    )


def organisation_preparer() -> Any:
    """The bench organisation, generated when missing (found by name afterwards)."""
    from recouvrement.tenancy.context import unscoped
    from recouvrement.tenancy.models import Organisation

    with unscoped(reason="bench: find the bench organisation"):
        organisation = Organisation.objects.filter(raison_sociale=NOM).order_by("pk").first()
    if organisation is None:
        print(f"generating {NOM}: {CLIENTS:,} clients, {FACTURES:,} invoices...", flush=True)
        (pk,) = generer(
            organisations=1, clients_par_organisation=CLIENTS, factures_par_organisation=FACTURES, nom=NOM, verbeux=True
        )
        with unscoped(reason="bench: find the bench organisation"):
            organisation = Organisation.objects.get(pk=pk)
    return organisation


def _executer(sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []


def tables_sous_politique() -> list[str]:
    """The tables under the ``tenant_isolation`` policy."""
    return [
        table
        for (table,) in _executer(
            "SELECT c.relname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid "
            "WHERE p.polname = 'tenant_isolation' ORDER BY c.relname"
        )
    ]


def hypotheses_appliquer(*, rls: bool) -> None:
    """Apply the hypotheses to this bench database (undone by ``hypotheses_defaire``)."""
    from recouvrement.tenancy.context import unscoped

    with unscoped(reason="bench: hypotheses on the bench database"):
        if rls:
            for table in tables_sous_politique():
                _executer(f'ALTER POLICY tenant_isolation ON "{table}" USING ({predicat_enveloppe()})')


def hypotheses_defaire() -> None:
    """Back to the schema of the migrations: the policy predicate of ``tenancy.operations``, no extra index."""
    from recouvrement.tenancy.context import unscoped
    from recouvrement.tenancy.operations import TENANT_PREDICATE

    with unscoped(reason="bench: undo the hypotheses"):
        for nom in ANCIENS_INDEX:
            _executer(f"DROP INDEX IF EXISTS {nom}")
        for table in tables_sous_politique():
            _executer(f'ALTER POLICY tenant_isolation ON "{table}" USING ({TENANT_PREDICATE})')


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=BASE, help=f"database (default {BASE})")
    parser.add_argument("--repetitions", type=int, default=30)
    parser.add_argument("--echauffement", type=int, default=5)
    parser.add_argument("--hypotheses", action="store_true", help="also measure with the hypotheses applied")
    args = parser.parse_args(argv)

    cree = django_configurer(args.base)
    role_verifier()

    from django.db import connection
    from django.db.models import Count
    from django.test import Client as ClientHttp
    from django.urls import reverse

    from factures.models import Facture
    from recouvrement.tenancy.context import organisation_scope
    from recouvrement.tenancy.models import Membre, Role

    # Keep the connection between requests, as production does.
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = 600

    debut = time.perf_counter()
    organisation = organisation_preparer()
    preparation = time.perf_counter() - debut
    hypotheses_defaire()  # a previous run may have been interrupted

    with organisation_scope(organisation):
        admin = Membre.objects.select_related("user").filter(role=Role.ADMIN).order_by("pk").first()
        if admin is None:
            sys.exit(f"{organisation} has no admin member: not made by generer.py?")
        plus_gros = (
            Facture.objects.order_by().values("client_id").annotate(n=Count("pk")).order_by("-n", "client_id").first()
        )
        assert plus_gros is not None
        factures = Facture.objects.count()

    print(
        f"database {args.base}{' (created)' if cree else ''}; {organisation.raison_sociale} (id {organisation.pk}), "
        f"{factures:,} invoices; biggest client {plus_gros['client_id']} ({plus_gros['n']:,} invoices)"
    )
    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, preparation {preparation:.1f} s, "
        f"load average {charge()}",
        flush=True,
    )

    navigateur = ClientHttp(SERVER_NAME="localhost")
    navigateur.force_login(admin.user)
    navigateur.get(reverse("accueil"))  # the first request stores the active organisation in the session
    pages = {
        "dashboard": reverse("tableau:index"),
        "client list, page 1": reverse("clients:liste"),
        f"client sheet ({plus_gros['n']:,} invoices)": reverse(
            "clients:detail", kwargs={"client_id": plus_gros["client_id"]}
        ),
    }

    def obtenir(page: str, url: str) -> None:
        reponse = navigateur.get(url)
        if reponse.status_code != 200:
            sys.exit(f"{page}: HTTP {reponse.status_code}")

    variantes = [("as is", False)]
    if args.hypotheses:
        variantes += [("rls-initplan", True)]
    mesures: list[tuple[str, Mesure]] = []
    try:
        for variante, rls in variantes:
            hypotheses_defaire()
            hypotheses_appliquer(rls=rls)
            for page, url in pages.items():
                mesure = mesurer(
                    page,
                    lambda page=page, url=url: obtenir(page, url),
                    repetitions=args.repetitions,
                    echauffement=args.echauffement,
                )
                mesures.append((variante, mesure))
                print(
                    f"  {variante:<22} {page:<32} {mesure.median_ms:8.1f} ms median ({mesure.requetes} queries)",
                    flush=True,
                )
    finally:
        hypotheses_defaire()

    print(
        f"\n{args.repetitions} runs after {args.echauffement} warm-up runs, milliseconds "
        f"(target {CIBLE_MS} ms per page):"
    )
    print(f"  {'variant':<22} {'page':<32} {'queries':>7} {'median':>8} {'p95':>8} {'min':>8}")
    for variante, m in mesures:
        marque = "" if m.median_ms <= CIBLE_MS else "  > target"
        print(
            f"  {variante:<22} {m.libelle:<32} {m.requetes:>7} {m.median_ms:>8.1f} {m.p95_ms:>8.1f} "
            f"{m.min_ms:>8.1f}{marque}"
        )
    print(f"\npeak RSS of this process: {rss_pic_mo():.0f} MB{' (generation included)' if preparation > 5 else ''}")
    print(f"load average at the end: {charge()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
