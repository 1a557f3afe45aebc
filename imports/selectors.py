"""Reads of the imports: the preview of a mapped file, the report as CSV, the lists."""

from __future__ import annotations

import csv
import datetime
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import formats
from django.utils.translation import gettext as _

from imports.champs import definition
from imports.models import Import, ModeleCorrespondance
from imports.services import LigneLue, lignes_lues

# A cell starting with one of these is a formula for Excel or LibreOffice (CSV injection).
DEBUTS_DE_FORMULE = ("=", "+", "-", "@", "\t", "\r", "\n")


def import_list(*, limite: int = 30) -> QuerySet[Import]:
    return Import.objects.select_related("demande_par__user").order_by("-created_at", "-pk")[:limite]


def modele_list(*, type: str | None = None) -> QuerySet[ModeleCorrespondance]:
    modeles = ModeleCorrespondance.objects.order_by("type", "nom")
    return modeles.filter(type=type) if type else modeles


@dataclass
class CelluleApercu:
    colonne: str
    champ: str
    libelle: str
    brute: str
    valeur: str
    erreur: str


@dataclass
class LigneApercu:
    numero: int
    cellules: list[CelluleApercu]
    erreurs: list[dict[str, Any]]


def _afficher(valeur: Any) -> str:
    if valeur is None:
        return ""
    if isinstance(valeur, bool):
        return _("Oui") if valeur else _("Non")
    if isinstance(valeur, Decimal):
        return formats.number_format(valeur, decimal_pos=2, use_l10n=True, force_grouping=True)
    if isinstance(valeur, datetime.date):
        return formats.date_format(valeur, "SHORT_DATE_FORMAT")
    return str(valeur)


def import_apercu(*, import_: Import, nombre: int = 10) -> list[LigneApercu]:
    """The first lines as they will be imported: each mapped cell as read, its typed value,
    and the reason when it cannot be read (business checks come at the commit)."""
    defn = definition(import_.type)
    lignes: list[LigneApercu] = []
    premieres: Iterator[LigneLue] = itertools.islice(lignes_lues(import_, garder_brutes=True), nombre)
    for ligne in premieres:
        erreurs_par_champ = {e["champ"]: e["message"] for e in ligne.erreurs}
        cellules = []
        for i, cible in enumerate(import_.correspondance):
            if not cible:
                continue
            champ = defn.champ(cible)
            brute = ligne.brutes.get(cible)
            cellules.append(
                CelluleApercu(
                    colonne=import_.entetes[i],
                    champ=cible,
                    libelle=str(champ.libelle) if champ else cible,
                    brute="" if brute is None else str(brute),
                    valeur=_afficher(ligne.valeurs.get(cible)),
                    erreur=erreurs_par_champ.get(cible, ""),
                )
            )
        lignes.append(LigneApercu(numero=ligne.numero, cellules=cellules, erreurs=ligne.erreurs))
    return lignes


def neutraliser(valeur: Any) -> str:
    """A cell that a spreadsheet would run as a formula, prefixed with a quote."""
    texte = "" if valeur is None else str(valeur)
    return "'" + texte if texte.startswith(DEBUTS_DE_FORMULE) else texte


def import_rapport_csv(*, import_: Import) -> str:
    """The report, one line per problem: line, column (as in the file), field, code, message.
    French Excel's CSV (``;``, BOM added by the view); formulas neutralised."""
    defn = definition(import_.type)
    sortie = io.StringIO()
    ecrivain = csv.writer(sortie, delimiter=";", lineterminator="\r\n")
    ecrivain.writerow([_("Ligne"), _("Colonne"), _("Champ"), _("Code"), _("Message")])
    for erreur in import_.erreurs:
        champ = defn.champ(erreur.get("champ", ""))
        ecrivain.writerow(
            [
                erreur.get("ligne", ""),
                neutraliser(erreur.get("colonne", "")),
                neutraliser(champ.libelle if champ else erreur.get("champ", "")),
                neutraliser(erreur.get("code", "")),
                neutraliser(erreur.get("message", "")),
            ]
        )
    return sortie.getvalue()


def _montant_fr(valeur: Decimal) -> str:
    entier, _point, decimales = f"{valeur:.2f}".partition(".")
    groupes = f"{int(entier):,}".replace(",", " ")
    return f"{groupes},{decimales}"


def exemple_csv(*, type: str, jour: datetime.date, prefixe: str = "IMP") -> str:
    """A small file of the kind ``type`` as an ERP or French Excel writes it (``;``, French
    dates and amounts), built on the organisation's clients, to try an import with."""
    from stdnum import luhn

    from clients.models import Client

    sortie = io.StringIO()
    ecrivain = csv.writer(sortie, delimiter=";", lineterminator="\r\n")
    if type == "clients":
        ecrivain.writerow(
            ["Code client", "Raison sociale", "SIREN", "Ville", "Délai de paiement", "Fin de mois", "Plafond"]
        )
        for n in range(1, 4):
            base = f"{(jour.toordinal() * 31 + n * 7919) % 10**8:08d}"
            ecrivain.writerow(
                [
                    f"{prefixe}-C{n:02d}",
                    f"Client importé {n}",
                    base + luhn.calc_check_digit(base),
                    "Nantes",
                    "45",
                    "non",
                    "15 000,00",
                ]
            )
        return sortie.getvalue()
    ecrivain.writerow(
        [
            "N° facture",
            "Code client",
            "Date facture",
            "Date échéance",
            "Montant HT",
            "TVA",
            "Montant TTC",
            "N° commande",
        ]
    )
    clients = list(
        Client.objects.exclude(external_id="").order_by("external_id").values_list("external_id", flat=True)[:3]
    )
    for n in range(6):
        ht = Decimal(1250 + 475 * n)
        tva = (ht * Decimal("0.20")).quantize(Decimal("0.01"))
        emission = jour - datetime.timedelta(days=5 + n)
        ecrivain.writerow(
            [
                f"{prefixe}-{jour:%Y%m}-{n + 1:03d}",
                clients[n % len(clients)] if clients else "CODE-CLIENT",
                emission.strftime("%d/%m/%Y"),
                (emission + datetime.timedelta(days=30)).strftime("%d/%m/%Y"),
                _montant_fr(ht),
                _montant_fr(tva),
                _montant_fr(ht + tva),
                f"BC-{2400 + n}",
            ]
        )
    return sortie.getvalue()
