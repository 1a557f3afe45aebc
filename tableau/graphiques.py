"""Geometry of the dashboard's charts, drawn by the templates as inline SVG.

Pure functions of the figures: no database, no HTML. Coordinates are in the
SVG's user units (its ``viewBox``); the SVG scales to its container.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

LARGEUR = 640
HAUTEUR = 240
MARGE_GAUCHE = 64
MARGE_DROITE = 16
MARGE_HAUT = 16
MARGE_BAS = 36


@dataclass(frozen=True)
class Graduation:
    valeur: Decimal
    y: float


@dataclass(frozen=True)
class Barre:
    libelle: str
    valeur: Decimal
    url: str
    x: float
    y: float
    largeur: float
    hauteur: float

    @property
    def centre(self) -> float:
        return self.x + self.largeur / 2


@dataclass(frozen=True)
class Point:
    libelle: str
    valeur: Decimal
    x: float
    y: float


@dataclass(frozen=True)
class Graphique:
    largeur: int
    hauteur: int
    gauche: float
    droite: float
    haut: float
    bas: float
    graduations: list[Graduation]
    barres: list[Barre]
    points: list[Point]

    @property
    def trace(self) -> str:
        """The ``points`` attribute of the line's ``<polyline>``."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def graduations(maximum: Decimal, *, nombre: int = 4) -> list[Decimal]:
    """Round ticks from 0 to at least ``maximum``: steps of 1, 2, 2.5 or 5 × 10^k."""
    if maximum <= 0:
        return [Decimal(0), Decimal(1)]
    brut = float(maximum) / nombre
    puissance = 10 ** math.floor(math.log10(brut))
    pas = next(m * puissance for m in (1, 2, 2.5, 5, 10) if m * puissance >= brut)
    pas_decimal = Decimal(str(pas))
    ticks = [Decimal(0)]
    while ticks[-1] < maximum:
        ticks.append(ticks[-1] + pas_decimal)
    return ticks


def _repere(maximum: Decimal, *, largeur: int, hauteur: int) -> tuple[Graphique, Callable[[Decimal], float]]:
    """A chart with no bar nor point yet, its ticks from 0 to at least ``maximum``; and
    the ``y`` of a value (negative values at zero, values over the top tick at the top)."""
    haut, bas = MARGE_HAUT, hauteur - MARGE_BAS
    ticks = graduations(maximum)
    sommet = ticks[-1]  # above zero, whatever the maximum

    def y(valeur: Decimal) -> float:
        return bas - min(float(max(valeur, Decimal(0)) / sommet), 1.0) * (bas - haut)

    graphique = Graphique(
        largeur=largeur,
        hauteur=hauteur,
        gauche=MARGE_GAUCHE,
        droite=largeur - MARGE_DROITE,
        haut=haut,
        bas=bas,
        graduations=[Graduation(valeur=t, y=y(t)) for t in ticks],
        barres=[],
        points=[],
    )
    return graphique, y


def barres(valeurs: Sequence[tuple[str, Decimal, str]], *, largeur: int = LARGEUR, hauteur: int = HAUTEUR) -> Graphique:
    """A bar chart of ``(label, value, url)``; negative values are drawn as zero."""
    graphique, y = _repere(max((v for _l, v, _u in valeurs), default=Decimal(0)), largeur=largeur, hauteur=hauteur)
    pas = (graphique.droite - graphique.gauche) / max(len(valeurs), 1)
    largeur_barre = pas * 0.62
    resultat = []
    for i, (libelle, valeur, url) in enumerate(valeurs):
        sommet = y(valeur)
        resultat.append(
            Barre(
                libelle=libelle,
                valeur=valeur,
                url=url,
                x=graphique.gauche + i * pas + (pas - largeur_barre) / 2,
                y=sommet,
                largeur=largeur_barre,
                hauteur=graphique.bas - sommet,
            )
        )
    return replace(graphique, barres=resultat)


def courbe(valeurs: Sequence[tuple[str, Decimal]], *, largeur: int = LARGEUR, hauteur: int = HAUTEUR) -> Graphique:
    """A line chart of ``(label, value)``, evenly spaced from left to right."""
    graphique, y = _repere(max((v for _l, v in valeurs), default=Decimal(0)), largeur=largeur, hauteur=hauteur)
    pas = (graphique.droite - graphique.gauche) / max(len(valeurs) - 1, 1)
    points = [
        Point(libelle=libelle, valeur=valeur, x=graphique.gauche + i * pas, y=y(valeur))
        for i, (libelle, valeur) in enumerate(valeurs)
    ]
    return replace(graphique, points=points)
