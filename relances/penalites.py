"""French statutory late-payment amounts: interest and the fixed recovery indemnity.

Code de commerce, art. L441-10 and D441-5:

- interest runs from the day after the due date up to the computation date
  ``au`` included, on the amount still due including VAT;
- its annual rate, without a contractual rate, is the ECB main refinancing rate
  in force on 1 January (for the days of January to June) or on 1 July (July to
  December), plus 10 points; a contractual rate applies to every day instead,
  and may not be under three times the legal interest rate for professional
  creditors of the half-year (``taux_contractuel_valider``, called where the
  rate is entered: a stored rate that a later, higher floor overtakes only
  claims less than the law allows, so the computation does not refuse it);
- a fixed recovery indemnity (40 €) is due for each invoice paid late; it is
  not subject to VAT.

Day-count basis: the late period is split at 1 January and 1 July, so that a
segment has one rate and lies in one calendar year; each segment earns
``base × taux / 100 × jours / jours_dans_l_annee``, where
``jours_dans_l_annee`` is the number of days of that calendar year (365, or 366
in a leap year: exact/exact, the basis of the French legal interest rate).
Each segment is rounded to the cent (ROUND_HALF_UP) and the interest of an
invoice is the sum of its rounded segments, so that the formula lines printed
on a letter add up to the total shown.

Rates come from ``TauxReference`` (platform data, no tenant scope needed),
read in one query per call; a half-year without a row stops the computation
with ``TauxManquant`` rather than guessing.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _

from recouvrement.core.errors import ApplicationError
from recouvrement.core.formats import montant_texte
from relances.models import TauxReference

CENTIME = Decimal("0.01")
ZERO = Decimal("0.00")
MAJORATION_LEGALE = Decimal("10")  # points added to the ECB rate (L441-10)
MULTIPLE_PLANCHER = Decimal("3")  # a contractual rate is at least 3 × the legal interest rate
INDEMNITE_FORFAITAIRE = Decimal("40.00")  # D441-5
TAUX_MANQUANT = "taux_manquant"
TAUX_CONTRACTUEL_PLANCHER = "taux_contractuel_plancher"


class TauxManquant(ApplicationError):
    """A half-year needed by the computation has no ``TauxReference`` row."""

    default_code = TAUX_MANQUANT

    def __init__(self, semestres: Sequence[datetime.date]) -> None:
        libelles = [semestre_libelle(debut) for debut in semestres]
        if len(libelles) == 1:
            message = _(
                "Taux de référence manquant pour le %(semestre)s : ajoutez-le dans l'administration "
                "(Relances › Taux de référence)."
            ) % {"semestre": libelles[0]}
        else:
            message = _(
                "Taux de référence manquants pour les semestres suivants : %(semestres)s. Ajoutez-les dans "
                "l'administration (Relances › Taux de référence)."
            ) % {"semestres": ", ".join(libelles)}
        super().__init__(message, extra={"semestres": [debut.isoformat() for debut in semestres]})
        self.semestres = tuple(semestres)


@dataclass(frozen=True)
class LigneFacture:
    """An invoice to compute: ``base`` is what remains due, VAT included."""

    numero: str
    date_echeance: datetime.date
    base: Decimal


@dataclass(frozen=True)
class Segment:
    """The part of the late period inside one half-year, at one rate (percent per year)."""

    debut: datetime.date
    fin: datetime.date
    jours: int
    taux: Decimal
    semestre: str
    interets: Decimal
    formule: str


@dataclass(frozen=True)
class PenalitesFacture:
    numero: str
    date_echeance: datetime.date
    base: Decimal
    jours_retard: int
    segments: tuple[Segment, ...]
    interets: Decimal
    indemnite: Decimal


@dataclass(frozen=True)
class Penalites:
    """What is claimed at ``au``; ``total`` = principal + interest + indemnities."""

    au: datetime.date
    factures: tuple[PenalitesFacture, ...]
    total_principal: Decimal
    total_interets: Decimal
    total_indemnites: Decimal
    total: Decimal
    taux_contractuel: Decimal | None


def semestre_debut(jour: datetime.date) -> datetime.date:
    """1 January or 1 July of the half-year that contains ``jour``."""
    return datetime.date(jour.year, 1 if jour.month <= 6 else 7, 1)


def semestre_fin(jour: datetime.date) -> datetime.date:
    return datetime.date(jour.year, 6, 30) if jour.month <= 6 else datetime.date(jour.year, 12, 31)


def semestre_libelle(debut: datetime.date) -> str:
    """« 1er semestre 2026 » / « 2e semestre 2025 » for any day of the half-year."""
    if debut.month <= 6:
        return _("1er semestre %(annee)s") % {"annee": debut.year}
    return _("2e semestre %(annee)s") % {"annee": debut.year}


def taux_texte(taux: Decimal) -> str:
    """12.150 → « 12,15 % » (two decimals at least, three if the rate has them)."""
    exposant = taux.normalize().as_tuple().exponent
    decimales = max(2, -exposant) if isinstance(exposant, int) else 2
    return f"{formats.number_format(taux, decimales, use_l10n=True)}\u00a0%"


def jours_dans_l_annee(annee: int) -> int:
    return 366 if calendar.isleap(annee) else 365


def _arrondi(valeur: Decimal) -> Decimal:
    return valeur.quantize(CENTIME, rounding=ROUND_HALF_UP)


def _periodes(date_echeance: datetime.date, au: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    """The late days (after the due date, up to ``au`` included), cut at 1 January and 1 July."""
    periodes = []
    debut = date_echeance + datetime.timedelta(days=1)
    while debut <= au:
        fin = min(au, semestre_fin(debut))
        periodes.append((debut, fin))
        debut = fin + datetime.timedelta(days=1)
    return periodes


def _taux_references(semestres: Iterable[datetime.date]) -> dict[datetime.date, TauxReference]:
    """The rows of the given half-years, in one query; ``TauxManquant`` if one is missing."""
    voulus = set(semestres)
    if not voulus:
        return {}
    trouves = {t.semestre_debut: t for t in TauxReference.objects.filter(semestre_debut__in=voulus)}
    manquants = sorted(voulus - trouves.keys())
    if manquants:
        raise TauxManquant(manquants)
    return trouves


def _segment(*, base: Decimal, debut: datetime.date, fin: datetime.date, taux: Decimal) -> Segment:
    jours = (fin - debut).days + 1
    base_annuelle = jours_dans_l_annee(debut.year)
    # One division, at full precision, then one rounding per segment.
    interets = _arrondi(base * taux * jours / (100 * base_annuelle))
    formule = _("%(base)s × %(taux)s × %(jours)s / %(base_annuelle)s = %(interets)s") % {
        "base": montant_texte(base),
        "taux": taux_texte(taux),
        "jours": _("%(n)s j") % {"n": jours},  # the space is a no-break space (U+00A0)
        "base_annuelle": base_annuelle,
        "interets": montant_texte(interets),
    }
    return Segment(
        debut=debut,
        fin=fin,
        jours=jours,
        taux=taux,
        semestre=semestre_libelle(debut),
        interets=interets,
        formule=formule,
    )


def penalites_calculer(
    *,
    lignes: Sequence[LigneFacture],
    au: datetime.date,
    taux_contractuel: Decimal | None = None,
    indemnite: Decimal = INDEMNITE_FORFAITAIRE,
) -> Penalites:
    """Late-payment interest and indemnities of ``lignes`` at ``au`` (see the module docstring).

    An invoice not yet late (``au`` on or before its due date) is listed with no
    interest and no indemnity; its base still counts in the principal.
    ``taux_contractuel`` (percent per year) replaces the statutory rate for
    every day; without it, the statutory rate of each half-year is read from
    ``TauxReference`` in a single query. Raises ``TauxManquant`` when a needed
    half-year has no rate. Reads no tenant-owned rows: no scope needed.
    """
    for ligne in lignes:
        if ligne.base < 0:
            raise ValueError(f"Negative base for invoice {ligne.numero}: pass what remains due.")

    periodes = [_periodes(ligne.date_echeance, au) for ligne in lignes]
    taux_du_semestre: dict[datetime.date, Decimal] = {}
    if taux_contractuel is None:
        semestres = {semestre_debut(debut) for parts in periodes for debut, _fin in parts}
        taux_du_semestre = {
            debut: reference.taux_bce + MAJORATION_LEGALE for debut, reference in _taux_references(semestres).items()
        }

    factures = []
    for ligne, parts in zip(lignes, periodes, strict=True):
        segments = tuple(
            _segment(
                base=ligne.base,
                debut=debut,
                fin=fin,
                taux=taux_contractuel if taux_contractuel is not None else taux_du_semestre[semestre_debut(debut)],
            )
            for debut, fin in parts
        )
        jours_retard = max(0, (au - ligne.date_echeance).days)
        factures.append(
            PenalitesFacture(
                numero=ligne.numero,
                date_echeance=ligne.date_echeance,
                base=ligne.base,
                jours_retard=jours_retard,
                segments=segments,
                interets=sum((s.interets for s in segments), ZERO),
                indemnite=indemnite if jours_retard > 0 else ZERO,
            )
        )

    total_principal = sum((f.base for f in factures), ZERO)
    total_interets = sum((f.interets for f in factures), ZERO)
    total_indemnites = sum((f.indemnite for f in factures), ZERO)
    return Penalites(
        au=au,
        factures=tuple(factures),
        total_principal=total_principal,
        total_interets=total_interets,
        total_indemnites=total_indemnites,
        total=total_principal + total_interets + total_indemnites,
        taux_contractuel=taux_contractuel,
    )


def taux_contractuel_valider(*, taux: Decimal, au: datetime.date) -> None:
    """Refuse a contractual rate under 3 × the legal interest rate of the half-year of ``au``.

    Raises ``ValidationError`` on the ``taux_contractuel`` field (for a form or
    ``clean()``), also when that half-year has no reference rate yet, since the
    floor cannot then be checked.
    """
    try:
        reference = _taux_references([semestre_debut(au)])[semestre_debut(au)]
    except TauxManquant as error:
        raise ValidationError({"taux_contractuel": [ValidationError(error.message, code=TAUX_MANQUANT)]}) from error
    plancher = MULTIPLE_PLANCHER * reference.taux_legal
    if taux < plancher:
        message = _(
            "Le taux contractuel (%(taux)s) est inférieur au plancher légal de %(plancher)s "
            "(3 × %(legal)s, %(semestre)s)."
        ) % {
            "taux": taux_texte(taux),
            "plancher": taux_texte(plancher),
            "legal": taux_texte(reference.taux_legal),
            "semestre": semestre_libelle(au),
        }
        raise ValidationError({"taux_contractuel": [ValidationError(message, code=TAUX_CONTRACTUEL_PLANCHER)]})
