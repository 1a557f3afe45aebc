"""``manage.py relances_planifier [--organisation X] [--date AAAA-MM-JJ] [--forcer]``: plan now, for operators."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from recouvrement.tenancy.context import organisation_scope, unscoped
from recouvrement.tenancy.models import Organisation
from relances.services.planification import organisation_planifier
from relances.tasks import jour_local


def organisations_visees(identifiant: str | None) -> list[Organisation]:
    with unscoped(reason="commande d'exploitation : choisir les organisations"):
        organisations = Organisation.objects.order_by("pk")
        if identifiant:
            filtre = {"pk": int(identifiant)} if identifiant.isdigit() else {"siren": identifiant}
            organisations = organisations.filter(**filtre)
        trouvees = list(organisations)
    if identifiant and not trouvees:
        raise CommandError(_("Organisation introuvable : %(id)s (identifiant ou SIREN).") % {"id": identifiant})
    return trouvees


class Command(BaseCommand):
    help = "Planifie les relances du jour (toutes les organisations, ou une seule)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="Identifiant ou SIREN de l'organisation.")
        parser.add_argument("--date", help="Jour à planifier (AAAA-MM-JJ) ; par défaut aujourd'hui, heure locale.")
        parser.add_argument("--forcer", action="store_true", help="Planifier même un week-end ou un jour férié.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            jour = datetime.date.fromisoformat(options["date"]) if options["date"] else None
        except ValueError:
            raise CommandError(_("Date invalide : %(d)s (AAAA-MM-JJ).") % {"d": options["date"]}) from None
        for organisation in organisations_visees(options["organisation"]):
            with organisation_scope(organisation):
                resultat = organisation_planifier(
                    jour=jour or jour_local(organisation).date(), forcer=options["forcer"]
                )
            if not resultat.jour_ouvre:
                self.stdout.write(f"{organisation} : {resultat.jour} " + _("n'est pas un jour ouvré, rien planifié."))
                continue
            self.stdout.write(
                f"{organisation} : {resultat.jour} — "
                + _("%(r)s relances, %(e)s envois, %(t)s tâches.")
                % {"r": resultat.relances, "e": resultat.envois, "t": resultat.taches}
            )
