"""Bulk upsert of invoices: the service alone, and through the API bulk endpoint.

    .venv/bin/python bench/bulk_upsert.py                         # 100,000 invoices, service then API
    .venv/bin/python bench/bulk_upsert.py --factures 20000 --sans-api
    .venv/bin/python bench/bulk_upsert.py --profil                # cProfile of one 5,000-row call
    .venv/bin/python bench/bulk_upsert.py --http --sans-service --sans-api   # gunicorn, 1 then 2 connections

Each run makes a fresh organisation ("Bench masse <n>", 2,000 clients with
external ids ``C0000001``…, no invoice) with ``generer.generer()`` in its own
database (``--base``, default ``recouvrement_bench_masse``): timeline events are
append-only, so a run never deletes what the previous one wrote.

a. The service (``factures.masse.factures_upsert``) inside the organisation's
   scope, on ``--factures`` invoices sent in calls of ``--lot`` rows (5,000, what
   the API takes per call), three passes over the same invoices: **create**,
   **re-send** the same rows (every row ``inchange``: read, compare, write
   nothing), **update** (every amount changed: ``mis_a_jour``, one event each).
   Then one single call with every row (``--factures`` at once, created).
b. The API: ``POST /api/v1/factures/bulk/`` with JSON bodies of ``--lot``
   invoices, an API key with the write scope, through ``django.test.Client``
   (in this process: URL routing, middleware, authentication, throttling, JSON
   parsing and typing of every row, the service, the JSON answer), the same
   three passes on another organisation. One small call is made first and not timed: the
   first request of a process imports the URL configuration and the views (about 2.5 s), which
   a server does once at start. Skipped with ``--sans-api`` or when the endpoint is not there.
c. ``--http``: the same passes through a real server, ``gunicorn`` with ``--workers`` sync
   workers (2 by default: the box has 2 cores) on a free port of 127.0.0.1, fed by
   ``--connexions`` client threads (1, then 2 by default), each sending its next body as soon
   as the previous answer arrived, on another new organisation per number of connections. The
   rate limit is raised for the server (``API_DEBIT``); every answer is read and checked.

Each figure is invoices per second over the whole pass (every call, each one
its own transaction, committed), with the SQL query count of one call. Uses
``recouvrement.settings.test`` unless ``DJANGO_SETTINGS_MODULE`` is set, and
refuses a SUPERUSER or BYPASSRLS role like the other benchmarks.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import json
import platform
import pstats
import sys
import time
from decimal import Decimal
from typing import Any

from generer import charge, django_configurer, generer, role_verifier, rss_pic_mo

BASE_PAR_DEFAUT = "recouvrement_bench_masse"
CLIENTS = 2000


def lignes_factures(nombre: int, *, prefixe: str, variante: int = 0) -> list[dict[str, Any]]:
    """Typed rows as the API's parsing gives them: ``variante`` changes every amount."""
    emission = datetime.date(2026, 9, 1)
    lignes = []
    for n in range(nombre):
        ht = Decimal(100 + (n % 900) + variante).quantize(Decimal("0.01"))
        tva = (ht * Decimal("0.2")).quantize(Decimal("0.01"))
        lignes.append(
            {
                "numero": f"{prefixe}-{n:07d}",
                "external_id": f"{prefixe}-ERP-{n:07d}",
                "client_external_id": f"C{(n % CLIENTS) + 1:07d}",
                "date_emission": emission + datetime.timedelta(days=n % 60),
                "montant_ht": ht,
                "montant_tva": tva,
                "montant_ttc": ht + tva,
                "numero_commande": f"BC-{n % 5000}",
            }
        )
    return lignes


def json_de(lignes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: (str(v) if isinstance(v, (Decimal, datetime.date)) else v) for k, v in ligne.items()} for ligne in lignes
    ]


def organisation_creer(numero: int) -> Any:
    from recouvrement.tenancy.models import Organisation

    (organisation_id,) = generer(
        organisations=1,
        clients_par_organisation=CLIENTS,
        factures_par_organisation=0,
        nom=f"Bench masse {numero}",
        paiements=False,
    )
    return Organisation.objects.get(pk=organisation_id)


def passe(libelle: str, appel: Any, lots: list[Any], nombre: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    debut, cpu = time.perf_counter(), time.process_time()
    requetes = 0
    for k, lot in enumerate(lots):
        if k == 0:
            with CaptureQueriesContext(connection) as capture:
                appel(lot)
            requetes = len(capture.captured_queries)
        else:
            appel(lot)
    duree, cpu = time.perf_counter() - debut, time.process_time() - cpu
    debit = nombre / duree
    print(
        f"  {libelle:<32} {duree:7.2f} s  {debit:8.0f} factures/s  "
        f"(CPU Python {cpu:6.2f} s, {requetes} requêtes par appel, charge {charge()})",
        flush=True,
    )
    return {
        "passe": libelle,
        "secondes": round(duree, 2),
        "cpu_python": round(cpu, 2),
        "par_seconde": round(debit),
        "requetes": requetes,
    }


def service(nombre: int, lot: int, numero: int) -> list[dict[str, Any]]:
    from factures.masse import factures_upsert
    from recouvrement.tenancy.context import organisation_scope

    organisation = organisation_creer(numero)
    print(f"a. service, {nombre} factures par appels de {lot} (organisation {organisation.pk})", flush=True)

    def appel(lignes: list[dict[str, Any]], attendu: str) -> None:
        with organisation_scope(organisation):
            resultat = factures_upsert(lignes=lignes)
        statuts = {ligne.statut for ligne in resultat.lignes}
        if statuts != {attendu}:
            sys.exit(f"unexpected statuses {statuts}: {resultat.erreurs[:3]}")

    def decouper(lignes: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        return [lignes[k : k + lot] for k in range(0, len(lignes), lot)]

    creer = decouper(lignes_factures(nombre, prefixe="BM"))
    modifier = decouper(lignes_factures(nombre, prefixe="BM", variante=1))
    resultats = [
        passe("création", lambda x: appel(x, "cree"), creer, nombre),
        passe("renvoi identique", lambda x: appel(x, "inchange"), creer, nombre),
        passe("mise à jour des montants", lambda x: appel(x, "mis_a_jour"), modifier, nombre),
        passe(
            f"création, un appel de {nombre}",
            lambda x: appel(x, "cree"),
            [lignes_factures(nombre, prefixe="BU")],
            nombre,
        ),
    ]
    return resultats


def api(nombre: int, lot: int, numero: int) -> list[dict[str, Any]]:
    from django.test import Client as HttpClient
    from django.test.utils import override_settings
    from django.urls import NoReverseMatch, reverse

    from recouvrement.tenancy.context import organisation_scope

    try:
        url = reverse("api:factures-bulk")
    except NoReverseMatch:
        try:
            url = reverse("factures-bulk")
        except NoReverseMatch:
            print("b. API: no bulk endpoint for invoices here, skipped", flush=True)
            return []
    from api.services import cle_create

    organisation = organisation_creer(numero)
    with organisation_scope(organisation):
        _cle, jeton = cle_create(nom="bench", portee="ecriture")
    http = HttpClient(HTTP_AUTHORIZATION=f"Bearer {jeton}")
    print(f"b. API {url}, {nombre} factures par appels de {lot} (organisation {organisation.pk})", flush=True)

    def appel(corps: str, attendu: str) -> None:
        reponse = http.post(url, data=corps, content_type="application/json")
        if reponse.status_code >= 300:
            sys.exit(f"API answered {reponse.status_code}: {reponse.content[:500]!r}")
        contenu = reponse.json()
        if attendu not in json.dumps(contenu)[:2000]:
            sys.exit(f"unexpected answer: {json.dumps(contenu)[:500]}")

    def corps(lignes: list[dict[str, Any]]) -> list[str]:
        return [json.dumps(json_de(lignes[k : k + lot])) for k in range(0, len(lignes), lot)]

    creer = corps(lignes_factures(nombre, prefixe="BA"))
    modifier = corps(lignes_factures(nombre, prefixe="BA", variante=1))
    # The rate limit (600 calls/min by default) is not what is measured: raised for the bench
    # (and ``testserver``, django.test.Client's host, allowed outside the test runner).
    with override_settings(API_DEBIT="100000/min", ALLOWED_HOSTS=["testserver"]):
        # Not timed: the first request of the process imports the URLconf and the views.
        appel(json.dumps(json_de(lignes_factures(1, prefixe="BA-ECHAUFFEMENT"))), "cree")
        return [
            passe("création", lambda x: appel(x, "cree"), creer, nombre),
            passe("renvoi identique", lambda x: appel(x, "inchange"), creer, nombre),
            passe("mise à jour des montants", lambda x: appel(x, "mis_a_jour"), modifier, nombre),
        ]


def http(nombre: int, lot: int, numero: int, connexions: list[int], workers: int) -> list[dict[str, Any]]:
    """The passes through gunicorn, with each number of client connections in ``connexions``."""
    import http.client
    import os
    import socket
    import subprocess
    import threading
    from pathlib import Path

    from api.services import cle_create
    from recouvrement.tenancy.context import organisation_scope

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    racine = Path(__file__).resolve().parents[1]
    journal = Path("/tmp") / f"bench-gunicorn-{port}.log"
    env = dict(os.environ, API_DEBIT="100000/min", DJANGO_ALLOWED_HOSTS="127.0.0.1")
    serveur = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "wsgi_prechargee", "--pythonpath", f"{racine}/bench,{racine}",
         "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--timeout", "300", "--preload"],
        cwd=racine, env=env, stdout=journal.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        for _essai in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit(f"gunicorn did not start, see {journal}")
        resultats = []
        for k, n_connexions in enumerate(connexions):
            organisation = organisation_creer(numero + k)
            with organisation_scope(organisation):
                _cle, jeton = cle_create(nom="bench http", portee="ecriture")
            en_tetes = {"Authorization": f"Bearer {jeton}", "Content-Type": "application/json"}
            print(
                f"c. HTTP gunicorn {workers} workers, {n_connexions} connexion(s), {nombre} factures par appels "
                f"de {lot} (organisation {organisation.pk})",
                flush=True,
            )

            def envoyer(corps: str, attendu: str, en_tetes: dict[str, str] = en_tetes) -> None:
                connexion = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
                connexion.request("POST", "/api/v1/factures/bulk/", body=corps.encode(), headers=en_tetes)
                reponse = connexion.getresponse()
                contenu = reponse.read()
                connexion.close()
                if reponse.status != 200 or (resume := json.loads(contenu))["total"] != resume[attendu]:
                    sys.exit(f"HTTP {reponse.status}: {contenu[:300]!r}")

            # Not timed: a first small call (the workers imported everything at start, see wsgi_prechargee).
            for _w in range(workers):
                envoyer(json.dumps(json_de(lignes_factures(1, prefixe=f"BH{k}-E{_w}"))), "crees")

            def passe_http(libelle: str, corps: list[str], attendu: str, n_connexions: int = n_connexions) -> dict:
                file = list(reversed(corps))
                verrou = threading.Lock()

                def client() -> None:
                    while True:
                        with verrou:
                            if not file:
                                return
                            suivant = file.pop()
                        envoyer(suivant, attendu)

                debut = time.perf_counter()
                fils = [threading.Thread(target=client) for _c in range(n_connexions)]
                for fil in fils:
                    fil.start()
                for fil in fils:
                    fil.join()
                duree = time.perf_counter() - debut
                print(
                    f"  {libelle:<32} {duree:7.2f} s  {nombre / duree:8.0f} factures/s  (charge {charge()})",
                    flush=True,
                )
                return {
                    "passe": f"{libelle}, {n_connexions} connexion(s)",
                    "secondes": round(duree, 2),
                    "par_seconde": round(nombre / duree),
                }

            def corps(lignes: list[dict[str, Any]]) -> list[str]:
                return [json.dumps(json_de(lignes[j : j + lot])) for j in range(0, len(lignes), lot)]

            creer = corps(lignes_factures(nombre, prefixe=f"BH{k}"))
            modifier = corps(lignes_factures(nombre, prefixe=f"BH{k}", variante=1))
            resultats += [
                passe_http("création", creer, "crees"),
                passe_http("renvoi identique", creer, "inchanges"),
                passe_http("mise à jour des montants", modifier, "mis_a_jour"),
            ]
        return resultats
    finally:
        serveur.terminate()
        serveur.wait(30)


def profil(lot: int, numero: int) -> None:
    from factures.masse import factures_upsert
    from recouvrement.tenancy.context import organisation_scope

    organisation = organisation_creer(numero)
    lignes = lignes_factures(lot, prefixe="BP")
    modifiees = lignes_factures(lot, prefixe="BP", variante=1)
    with organisation_scope(organisation):
        for libelle, x in (("création", lignes), ("renvoi", lignes), ("mise à jour", modifiees)):
            profileur = cProfile.Profile()
            profileur.enable()
            factures_upsert(lignes=x)
            profileur.disable()
            print(f"--- {libelle} de {lot} factures")
            pstats.Stats(profileur).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default=BASE_PAR_DEFAUT)
    parser.add_argument("--factures", type=int, default=100_000)
    parser.add_argument("--lot", type=int, default=5000)
    parser.add_argument("--sans-api", action="store_true")
    parser.add_argument("--sans-service", action="store_true", help="only the API passes")
    parser.add_argument("--profil", action="store_true")
    parser.add_argument("--http", action="store_true", help="also through gunicorn (see c.)")
    parser.add_argument("--connexions", default="1,2", help="client connections of the HTTP passes, e.g. 1,2")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of the HTTP passes")
    args = parser.parse_args()

    django_configurer(args.base)
    role_verifier()
    from recouvrement.tenancy.context import unscoped
    from recouvrement.tenancy.models import Organisation

    with unscoped(reason="bench: next organisation number"):
        numero = Organisation.objects.filter(raison_sociale__startswith="Bench masse").count() + 1
    print(f"{platform.node()} — {platform.python_version()} — charge {charge()}", flush=True)
    if args.profil:
        profil(args.lot, numero)
        return
    resultats = {} if args.sans_service else {"service": service(args.factures, args.lot, numero)}
    if not args.sans_api:
        resultats["api"] = api(args.factures, args.lot, numero + 1)
    if args.http:
        connexions = [int(n) for n in args.connexions.split(",")]
        resultats["http"] = http(args.factures, args.lot, numero + 2, connexions, args.workers)
    print(f"charge {charge()} — RSS max {rss_pic_mo():.0f} Mo", flush=True)
    print(json.dumps(resultats))


if __name__ == "__main__":
    main()
