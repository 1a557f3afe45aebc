"""``manage.py demo_charger``: load the demo organisation (``make demo``); a second run changes nothing."""

from __future__ import annotations

import dataclasses
import datetime
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recouvrement.core.demo import TRANCHES, DemoResume, charger_demo

LIBELLES_TRANCHES = {
    "non_echu": gettext_lazy("non échues"),
    "0_30": gettext_lazy("1 à 30 jours"),
    "30_45": gettext_lazy("31 à 45 jours"),
    "45_60": gettext_lazy("46 à 60 jours"),
    "60_90": gettext_lazy("61 à 90 jours"),
    "90_plus": gettext_lazy("plus de 90 jours"),
}


def _date(valeur: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(valeur)
    except ValueError:
        raise CommandError(_("Date invalide : %(valeur)s (format AAAA-MM-JJ).") % {"valeur": valeur}) from None


class Command(BaseCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set here rather than on the class: argparse needs a real string, translated when the command runs.
        self.help = _("Charge l'organisation de démonstration (clients, factures, paiements, un compte par rôle).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            type=_date,
            default=None,
            help=_("Date du jour de la démonstration (AAAA-MM-JJ) ; par défaut aujourd'hui à Paris."),
        )
        parser.add_argument("--json", action="store_true", help=_("Écrit le résumé en JSON sur la sortie standard."))

    def handle(self, *args: Any, **options: Any) -> None:
        aujourd_hui = options["date"] or timezone.localdate()
        resume = charger_demo(aujourd_hui=aujourd_hui)
        if options["json"]:
            self.stdout.write(json.dumps(dataclasses.asdict(resume), ensure_ascii=False, indent=2))
        else:
            self._afficher(resume)

    def _afficher(self, resume: DemoResume) -> None:
        if resume.cree:
            titre = _("Organisation de démonstration créée : %(nom)s (SIREN %(siren)s).")
        else:
            titre = _("L'organisation de démonstration existe déjà, rien n'a été modifié : %(nom)s (SIREN %(siren)s).")
        self.stdout.write(self.style.SUCCESS(titre % {"nom": resume.organisation, "siren": resume.siren}))
        self.stdout.write(
            _(
                "%(clients)s clients, %(contacts)s contacts, %(factures)s factures dont %(affacturees)s affacturées, "
                "%(avoirs)s avoirs, %(paiements)s paiements, %(lettrages)s lettrages."
            )
            % {
                "clients": resume.clients,
                "contacts": resume.contacts,
                "factures": resume.factures,
                "affacturees": resume.factures_affacturees,
                "avoirs": resume.avoirs,
                "paiements": resume.paiements,
                "lettrages": resume.lettrages,
            }
        )
        tranches = ", ".join(
            f"{LIBELLES_TRANCHES[cle]} : {resume.par_tranche.get(cle, 0)}" for cle, *_reste in TRANCHES
        )
        self.stdout.write(
            _("Factures ouvertes : %(ouvertes)s dont %(partielles)s partiellement payées (%(tranches)s).")
            % {
                "ouvertes": resume.factures_ouvertes,
                "partielles": resume.factures_partiellement_payees,
                "tranches": tranches,
            }
        )
        self.stdout.write("")
        self.stdout.write(_("Comptes de démonstration (mot de passe : %(mdp)s)") % {"mdp": resume.mot_de_passe})
        largeur = max(len(u.email) for u in resume.utilisateurs) if resume.utilisateurs else 10
        for utilisateur in resume.utilisateurs:
            self.stdout.write(f"  {utilisateur.email:<{largeur}}  {utilisateur.libelle} — {utilisateur.nom}")
        self.stdout.write("")
        self.stdout.write(_("Clé d'API de démonstration (lecture et écriture) : %(cle)s") % {"cle": resume.cle_api})
