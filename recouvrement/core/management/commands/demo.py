"""``make demo``: migrate, load the demo organisation, run the web app and a Celery
worker with its beat scheduler, until Ctrl-C. No PostgreSQL or Redis needed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from recouvrement.core.demo import charger_demo


def port_libre(depart: int) -> int:
    for port in range(depart, depart + 50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError(f"No free port from {depart}")


class Command(BaseCommand):
    help = _("Lance la démo : base SQLite, organisation de démonstration, application web et worker Celery.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", "8000")))
        parser.add_argument("--no-serve", action="store_true", help=_("Prépare la base puis s'arrête."))

    def handle(self, *args: Any, **options: Any) -> None:
        var = settings.VAR_DIR
        for folder in (var, var / "broker" / "processed", var / "mails", var / "media"):
            folder.mkdir(parents=True, exist_ok=True)
        call_command("migrate", verbosity=0, interactive=False)
        resume = charger_demo(aujourd_hui=timezone.localdate())
        etat = _("chargée") if resume.cree else _("déjà en place, réutilisée")
        self.stdout.write(
            _("Organisation de démonstration %(etat)s : %(nom)s — %(clients)s clients, %(factures)s factures.")
            % {"etat": etat, "nom": resume.organisation, "clients": resume.clients, "factures": resume.factures}
        )
        if options["no_serve"]:
            return

        port = port_libre(options["port"])
        python = sys.executable
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="recouvrement.settings.local", PYTHONUNBUFFERED="1")
        processes = [
            subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
                [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], env=env
            ),
            subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
                [
                    python,
                    "-m",
                    "celery",
                    "-A",
                    "recouvrement",
                    "worker",
                    "-B",
                    "--pool=threads",
                    "--concurrency=2",
                    "--loglevel=INFO",
                    "--schedule",
                    str(var / "celerybeat-schedule"),
                ],
                env=env,
            ),
        ]
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(_("Recouvrement tourne sur http://127.0.0.1:%(port)s/") % {"port": port}))
        self.stdout.write(
            _("Connectez-vous avec l'un de ces comptes (mot de passe : %(mdp)s) :") % {"mdp": resume.mot_de_passe}
        )
        for utilisateur in resume.utilisateurs:
            self.stdout.write(f"  {utilisateur.email:<28} {utilisateur.libelle}")
        self.stdout.write(_("Worker Celery et planificateur beat démarrés (broker : fichiers dans var/broker)."))
        self.stdout.write(_("E-mails envoyés : var/mails/. Ctrl-C arrête tout."))

        arret_demande = False

        def stop(*_args: Any) -> None:
            nonlocal arret_demande
            arret_demande = True

        # Ctrl-C reaches the whole process group: the children stop by themselves,
        # this process only waits for them (and stops them if one died alone).
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not arret_demande and all(p.poll() is None for p in processes):
                time.sleep(0.5)
            if arret_demande:
                self.stdout.write(_("Arrêt…"))
            else:
                self.stderr.write(_("Un des processus s'est arrêté ; arrêt de la démo."))
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
