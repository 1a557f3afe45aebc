"""Sending throughput: grouped reminders rendered and handed to a local SMTP server.

    .venv/bin/python bench/envoi.py                                  # 2,000 sends ready, 3 runs
    .venv/bin/python bench/envoi.py --envois 500 --base recouvrement_bench_envoi_petit

Data (made once, reused while the database holds it; ``--base``, default
``recouvrement_bench_envoi``): one organisation ("Bench envoi") with
``--envois`` clients (one reachable accounting contact each, 5 % of them in
English) and ``--factures-par-client`` times as many open invoices, spread over
the clients with the generator's skew (the first client has about 220 of the
10,000, the median one 3). Due dates are set from 10 days after to 19 days
before the bench day, so that every step due is an e-mail step (preventive
notice, reminders at +1/+5/+10/+15) and no penalty is computed (steps from +30,
and letters, are not in this figure). The ready scenarios come from
``organisation_relances_initialiser``. Before each run, everything planned or
sent is removed and the day is planned again with ``organisation_planifier``:
one send per client with invoices due.

The SMTP server is aiosmtpd on loopback, with a minimal handler of our own: it
counts the messages and their bytes and keeps the Message-IDs (an idempotent
ESP accepts a message once). ``tests/smtp.py``'s ``ServeurSMTP`` parses every
message and compares its Message-ID with every message kept so far, O(n²) over
a run: fine for tests, but at 2,000 messages it would be the server that we
measure. ``MAILERS`` points at it with ``override_settings``.

Three runs, each timing ``envois_reserver`` and ``envois_executer`` over the
claimed sends, by batches of ``relances.tasks.ENVOIS_PAR_TACHE`` (the work of
the ``relances.envoyer`` and ``relances.envois_envoyer`` tasks, without Celery):

a. one process, the SMTP server in a thread of that same process;
b. one sending process, the SMTP server in another process (this script's);
c. two sending processes at once, each claiming batches of ``--lot`` sends
   with ``envois_reserver`` (SELECT ... FOR UPDATE SKIP LOCKED) until none is
   left, as two Celery workers would.

Each run splits the time between claiming, checking the reminders, loading
the batch's rows (``_lot_charger``), rendering (``_contenu_rendre``: template,
recipients, context), building the MIME message, the SMTP hand-over
(``_remettre``, one connection per batch), recording each result
(``_terminer``, one transaction per message) and the rest (row locks, status
updates, the rendered content saved, commits), with the SQL time and the
number of queries of each part.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import platform
import sys
import threading
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

BASE_PAR_DEFAUT = "recouvrement_bench_envoi"
NOM = "Bench envoi"
JOUR_PAR_DEFAUT = datetime.date(2026, 11, 26)
DEMARRAGE = 6.0  # seconds given to the sending processes to start before they all begin
ETAPES_SUPPRIMEES = ["relances_relance", "relances_tache", "relances_envoi", "relances_planificationjour"]


# ---------------------------------------------------------------------------
# The SMTP server
# ---------------------------------------------------------------------------


class Comptoir:
    """aiosmtpd handler: accepts everything, counts messages and bytes, one delivery per Message-ID."""

    def __init__(self) -> None:
        self.messages = 0
        self.octets = 0
        self.doublons = 0
        self.identifiants: set[bytes] = set()
        self.verrou = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        contenu: bytes = envelope.original_content or envelope.content
        entetes = contenu.split(b"\r\n\r\n", 1)[0]
        identifiant = next(
            (ligne[11:].strip() for ligne in entetes.split(b"\r\n") if ligne.lower().startswith(b"message-id:")),
            b"",
        )
        with self.verrou:
            if identifiant and identifiant in self.identifiants:
                self.doublons += 1
            else:
                self.identifiants.add(identifiant)
                self.messages += 1
                self.octets += len(contenu)
        return "250 Message accepted for delivery"

    def releve(self) -> dict[str, int]:
        with self.verrou:
            return {"messages": self.messages, "octets": self.octets, "doublons": self.doublons}


@contextmanager
def serveur_smtp() -> Iterator[tuple[int, Comptoir]]:
    """aiosmtpd on 127.0.0.1 in a thread of this process: (port, handler)."""
    from aiosmtpd.controller import Controller

    from tests.smtp import port_libre

    # aiosmtpd logs every SMTP command at INFO: silence it, or the logging is what we measure.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    comptoir = Comptoir()
    port = port_libre()
    controleur = Controller(comptoir, hostname="127.0.0.1", port=port)
    controleur.start()
    try:
        yield port, comptoir
    finally:
        controleur.stop()


def mailers(port: int) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def _sql(sql: str, params: Any = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def organisation_trouver() -> int | None:
    from recouvrement.tenancy.context import unscoped
    from recouvrement.tenancy.models import Organisation

    with unscoped(reason="bench: find the bench organisation"):
        return Organisation.objects.filter(raison_sociale=NOM).values_list("pk", flat=True).first()


def donnees_preparer(*, clients: int, factures: int, jour: datetime.date) -> int:
    """The bench organisation, made on the first run (idempotent: found by name)."""
    from django.db import connection, transaction

    from recouvrement.tenancy.context import organisation_scope, unscoped
    from recouvrement.tenancy.models import Organisation
    from relances.services.parametres import organisation_relances_initialiser

    pk = organisation_trouver()
    if pk is None:
        print(f"generating {NOM}: {clients:,} clients, {factures:,} invoices...", flush=True)
        debut = time.perf_counter()
        (pk,) = generer(
            organisations=1,
            clients_par_organisation=clients,
            factures_par_organisation=factures,
            nom=NOM,
            paiements=False,
            verbeux=True,
        )
        with unscoped(reason="bench: open every invoice, due around the bench day"), transaction.atomic():
            # Ages (days past due) from -10 to +19: only e-mail steps, no penalties.
            _sql(
                "UPDATE factures_facture SET statut = 'ouverte', reste_du = montant_ttc, "
                "date_echeance = %(jour)s::date + 10 - substr(external_id, 5)::int %% 30, "
                "date_emission = %(jour)s::date - 20 - substr(external_id, 5)::int %% 30 "
                "WHERE tenant_id = %(pk)s",
                {"jour": jour, "pk": pk},
            )
        with unscoped(reason="bench: the organisation"):
            organisation = Organisation.objects.get(pk=pk)
        with organisation_scope(organisation):
            organisation_relances_initialiser(organisation=organisation)
        with unscoped(reason="bench: maintenance"), connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) factures_facture")
        print(f"  done in {time.perf_counter() - debut:.1f} s", flush=True)
    return pk


def envois_preparer(*, organisation_id: int, jour: datetime.date) -> dict[str, int]:
    """Remove what was planned and sent, plan the day again; the sends per status."""
    from django.db.models import Count

    from recouvrement.tenancy.context import organisation_scope, unscoped
    from relances.models import Envoi
    from relances.services.planification import organisation_planifier

    with unscoped(reason="bench: remove the timeline of the previous runs (a dedicated database)"):
        # Append-only (a row trigger refuses DELETE); TRUNCATE is what a throwaway base allows.
        _sql("TRUNCATE clients_evenement")
    with organisation_scope(organisation_id):
        for table in ETAPES_SUPPRIMEES:
            _sql(f"DELETE FROM {table} WHERE tenant_id = %s", [organisation_id])
        organisation_planifier(jour=jour)
        return dict(Envoi.objects.values_list("statut").annotate(n=Count("pk")).order_by())  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# The sender, with its time split by phase
# ---------------------------------------------------------------------------

PHASES = [
    ("_relances_valides_lot", "check the reminders (_relances_valides_lot)"),
    ("_lot_charger", "load the batch's rows (_lot_charger)"),
    ("_contenu_rendre", "render (_contenu_rendre: recipients, context, template)"),
    ("_message", "build the MIME message (_message)"),
    ("_remettre", "SMTP hand-over (_remettre)"),
    ("_terminer", "record the result (_terminer)"),
]
RESERVER = "claim (envois_reserver)"
RESTE = "rest of envois_executer (lock, status, content saved, commits)"


class Decoupage:
    """Seconds, SQL seconds and queries per phase of the sending, by wrapping its module's functions."""

    def __init__(self) -> None:
        self.secondes: dict[str, float] = {}
        self.sql: dict[str, float] = {}
        self.requetes: dict[str, int] = {}
        self.pile: list[str] = []

    def _ajouter(self, table: dict[str, Any], phase: str, valeur: float) -> None:
        table[phase] = table.get(phase, 0) + valeur

    @contextmanager
    def phase(self, nom: str) -> Iterator[None]:
        self.pile.append(nom)
        debut = time.perf_counter()
        try:
            yield
        finally:
            duree = time.perf_counter() - debut
            self.pile.pop()
            self._ajouter(self.secondes, nom, duree)
            # Time of a nested phase is counted there only.
            if self.pile:
                self._ajouter(self.secondes, self.pile[-1], -duree)

    def envelopper(self, module: Any) -> None:
        for fonction, libelle in PHASES:
            originale = getattr(module, fonction)

            def enveloppe(
                *args: Any, __originale: Callable[..., Any] = originale, __libelle: str = libelle, **kwargs: Any
            ) -> Any:
                with self.phase(__libelle):
                    return __originale(*args, **kwargs)

            setattr(module, fonction, enveloppe)

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        debut = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            phase = self.pile[-1] if self.pile else RESTE
            self._ajouter(self.sql, phase, time.perf_counter() - debut)
            self._ajouter(self.requetes, phase, 1)

    def envelopper_commit(self, connexion: Any) -> None:
        original = connexion._commit

        def commit() -> Any:
            debut = time.perf_counter()
            try:
                return original()
            finally:
                phase = self.pile[-1] if self.pile else RESTE
                self._ajouter(self.sql, phase, time.perf_counter() - debut)

        connexion._commit = commit

    def releve(self, total: float) -> dict[str, Any]:
        rest = total - sum(self.secondes.values())
        secondes = {**self.secondes, RESTE: self.secondes.get(RESTE, 0.0) + rest}
        return {"phases": secondes, "sql": self.sql, "requetes": self.requetes}


def envoyer(*, organisation_id: int, jour: datetime.date, port: int, lot: int) -> dict[str, Any]:
    """Claim and send every ready send of the organisation, by batches of ``lot``, in this process."""
    from django.db import connection
    from django.test.utils import override_settings

    from recouvrement.tenancy.context import organisation_scope
    from relances.services import envoi as module_envoi
    from relances.tasks import ENVOIS_PAR_TACHE

    par_tache = ENVOIS_PAR_TACHE
    decoupage = Decoupage()
    decoupage.envelopper(module_envoi)
    decoupage.envelopper_commit(connection)
    statuts: dict[str, int] = {}
    with override_settings(MAILERS=mailers(port)), organisation_scope(organisation_id):
        connection.ensure_connection()
        with connection.execute_wrapper(decoupage):
            debut_epoque = time.time()
            debut = time.perf_counter()
            while True:
                with decoupage.phase(RESERVER):
                    ids = module_envoi.envois_reserver(jour=jour, limite=lot)
                if not ids:
                    break
                # The claimed sends by tasks of ENVOIS_PAR_TACHE, as relances.envoyer queues them.
                for rang in range(0, len(ids), par_tache):
                    resultat = module_envoi.envois_executer(envoi_ids=ids[rang : rang + par_tache], jour=jour)
                    if resultat.a_part or resultat.a_reessayer:
                        raise RuntimeError(f"sends left to the one-by-one task: {resultat}")
                    for envoi in resultat.envois:
                        statuts[envoi.statut] = statuts.get(envoi.statut, 0) + 1
            total = time.perf_counter() - debut
            fin_epoque = time.time()
    return {
        "secondes": total,
        "debut": debut_epoque,
        "fin": fin_epoque,
        "statuts": statuts,
        "rss_pic_mo": rss_pic_mo(),
        **decoupage.releve(total),
    }


def travailleur(*, organisation_id: int, jour: datetime.date, port: int, lot: int, depart: float) -> int:
    import django

    django.setup()
    from django.db import connection

    connection.ensure_connection()
    # The sending processes of a run start together, once all are set up.
    time.sleep(max(0.0, depart - time.time()))
    print(json.dumps(envoyer(organisation_id=organisation_id, jour=jour, port=port, lot=lot)))
    return 0


def travailleurs_lancer(
    *, base: str, organisation_id: int, jour: datetime.date, port: int, lot: int, nombre: int
) -> tuple[float, list[dict[str, Any]]]:
    depart = time.time() + DEMARRAGE
    commande = [
        *(sys.executable, str(Path(__file__).resolve()), "--base", base, "--jour", jour.isoformat()),
        *("--travailleur", str(organisation_id), "--port", str(port), "--lot", str(lot), "--depart", repr(depart)),
    ]
    rapports = processus_rapports([commande] * nombre, qui="a sending process")
    for r in rapports:
        if r["debut"] > depart + 0.05:
            print(f"  (a sending process started {r['debut'] - depart:.1f} s late)")
    return max(r["fin"] for r in rapports) - depart, rapports


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def rapporter(titre: str, mur: float, rapports: list[dict[str, Any]], recu: dict[str, int]) -> float:
    statuts: dict[str, int] = {}
    for r in rapports:
        for statut, n in r["statuts"].items():
            statuts[statut] = statuts.get(statut, 0) + n
    debit = recu["messages"] / mur if mur else 0.0
    print(
        f"\n{titre}: {recu['messages']:,} e-mails received by the SMTP server in {mur:.2f} s = {debit:,.0f} / s "
        f"(sends by status: {statuts}; {recu['octets'] / max(1, recu['messages']) / 1024:.1f} KiB per message, "
        f"{recu['doublons']} duplicates)"
    )
    secondes: dict[str, float] = {}
    sql: dict[str, float] = {}
    requetes: dict[str, int] = {}
    for r in rapports:
        for cle, valeur in r["phases"].items():
            secondes[cle] = secondes.get(cle, 0.0) + valeur
        for cle, valeur in r["sql"].items():
            sql[cle] = sql.get(cle, 0.0) + valeur
        for cle, valeur in r["requetes"].items():
            requetes[cle] = requetes.get(cle, 0) + valeur
    total = sum(r["secondes"] for r in rapports)
    n = max(1, recu["messages"])
    print(f"  per e-mail, summed over {len(rapports)} process(es) ({total:.2f} s of process time):")
    print("    ms/e-mail   share  of which SQL  queries/e-mail  phase")
    for cle, valeur in sorted(secondes.items(), key=lambda kv: -kv[1]):
        print(
            f"    {1000 * valeur / n:9.2f}  {100 * valeur / total:5.1f} %  {1000 * sql.get(cle, 0.0) / n:9.2f} ms"
            f"  {requetes.get(cle, 0) / n:14.1f}  {cle}"
        )
    pics = ", ".join(f"{r['rss_pic_mo']:.0f}" for r in rapports)
    print(
        f"    {1000 * total / n:9.2f}  100.0 %  {1000 * sum(sql.values()) / n:9.2f} ms"
        f"  {sum(requetes.values()) / n:14.1f}  total; peak RSS {pics} MB"
    )
    return debit


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=BASE_PAR_DEFAUT, help=f"database (default {BASE_PAR_DEFAUT})")
    parser.add_argument("--envois", type=int, default=2000, help="clients, hence sends at most")
    parser.add_argument("--factures-par-client", type=int, default=5)
    parser.add_argument("--jour", type=datetime.date.fromisoformat, default=JOUR_PAR_DEFAUT)
    parser.add_argument("--lot", type=int, default=100, help="sends claimed at a time by a sending process")
    parser.add_argument("--processus", type=int, default=2, help="sending processes of run (c)")
    parser.add_argument(
        "--profil", type=int, default=0, metavar="N", help="then run (a) again under cProfile and print N lines"
    )
    parser.add_argument("--travailleur", type=int, metavar="ORGANISATION", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--depart", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.travailleur:
        environnement_configurer(args.base)
        return travailleur(
            organisation_id=args.travailleur, jour=args.jour, port=args.port, lot=args.lot, depart=args.depart
        )

    cree = django_configurer(args.base)
    role_verifier()
    from django.db import connection

    organisation_id = donnees_preparer(
        clients=args.envois, factures=args.envois * args.factures_par_client, jour=args.jour
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version')")
        (version,) = cursor.fetchone()
    import aiosmtpd
    import django

    print(
        f"database {args.base}{' (created)' if cree else ''}; PostgreSQL {version}; python "
        f"{platform.python_version()}, Django {django.get_version()}, aiosmtpd {aiosmtpd.__version__}, "
        f"{os.cpu_count()} CPUs; bench day {args.jour}; load average {charge()}"
    )

    debits: dict[str, float] = {}
    with serveur_smtp() as (port, comptoir):
        # (a) One process, the server in a thread of it.
        statuts = envois_preparer(organisation_id=organisation_id, jour=args.jour)
        print(f"planned: sends by status {statuts}")
        avant = comptoir.releve()
        rapport = envoyer(organisation_id=organisation_id, jour=args.jour, port=port, lot=args.envois)
        recu = {k: v - avant[k] for k, v in comptoir.releve().items()}
        debits["a"] = rapporter("(a) 1 process, SMTP server in a thread of it", rapport["secondes"], [rapport], recu)
        # (b) and (c): sending processes, the server in this one.
        for cle, nombre in (("b", 1), ("c", args.processus)):
            envois_preparer(organisation_id=organisation_id, jour=args.jour)
            avant = comptoir.releve()
            mur, rapports = travailleurs_lancer(
                base=args.base,
                organisation_id=organisation_id,
                jour=args.jour,
                port=port,
                lot=args.lot,
                nombre=nombre,
            )
            recu = {k: v - avant[k] for k, v in comptoir.releve().items()}
            debits[cle] = rapporter(
                f"({cle}) {nombre} sending process(es), batches of {args.lot}, SMTP server in another process",
                mur,
                rapports,
                recu,
            )
        if args.profil:
            # The same as (a), under cProfile: where the Python time goes (cProfile slows it down).
            import cProfile
            import pstats

            envois_preparer(organisation_id=organisation_id, jour=args.jour)
            profil = cProfile.Profile()
            profil.enable()
            envoyer(organisation_id=organisation_id, jour=args.jour, port=port, lot=args.envois)
            profil.disable()
            statistiques = pstats.Stats(profil)
            statistiques.sort_stats("cumulative")
            print("\n(a) again under cProfile, by cumulative time:")
            statistiques.print_stats(args.profil)
            statistiques.sort_stats("tottime")
            print("by own time:")
            statistiques.print_stats(args.profil)
    print(
        f"\nsummary: {debits['a']:,.0f} e-mails/s (a), {debits['b']:,.0f} (b), {debits['c']:,.0f} with "
        f"{args.processus} processes (c), {debits['c'] / debits['b']:.2f}x (b); target >= 300/s; "
        f"load average {charge()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
