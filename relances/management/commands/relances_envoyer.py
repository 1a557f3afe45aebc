"""``manage.py relances_envoyer [--organisation X]``: send the ready reminders now, in this process."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from recouvrement.tenancy.context import organisation_scope
from relances.management.commands.relances_planifier import organisations_visees
from relances.models import StatutEnvoi
from relances.services.envoi import ErreurTransitoire, envoi_executer, envois_reserver
from relances.tasks import jour_local


class Command(BaseCommand):
    help = "Envoie les relances prêtes (sans passer par Celery)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="Identifiant ou SIREN de l'organisation.")

    def handle(self, *args: Any, **options: Any) -> None:
        for organisation in organisations_visees(options["organisation"]):
            jour = jour_local(organisation).date()
            envoyes = echecs = 0
            with organisation_scope(organisation):
                for envoi_id in envois_reserver(jour=jour):
                    try:
                        envoi = envoi_executer(envoi_id=envoi_id, jour=jour)
                    except ErreurTransitoire as error:
                        self.stderr.write(f"{organisation} : envoi {envoi_id} — {error}")
                        continue
                    envoyes += envoi.statut == StatutEnvoi.ENVOYE
                    echecs += envoi.statut == StatutEnvoi.ECHEC
            self.stdout.write(f"{organisation} : " + _("%(e)s envoyés, %(x)s en échec.") % {"e": envoyes, "x": echecs})
