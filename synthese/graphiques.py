"""The digest's two charts as PNG images (Pillow): mail clients show images, not SVG.

Pure functions of the figures: no database. The scale (round ticks) is the
dashboard's (``tableau.graphiques.graduations``). Drawn at twice the displayed
size, so that they stay sharp on high-density screens and in the PDF.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from functools import cache

from django.utils import formats
from PIL import Image, ImageDraw, ImageFont

from recouvrement.core.formats import montant_texte
from tableau.graphiques import graduations

ECHELLE = 2
LARGEUR = 640
HAUTEUR = 260
MARGE_GAUCHE = 92
MARGE_DROITE = 16
MARGE_HAUT = 30
MARGE_BAS = 42

ENCRE = (31, 41, 55)
GRILLE = (220, 224, 230)
AVANT = (156, 178, 210)
MAINTENANT = (30, 90, 170)
LIGNE = (196, 84, 32)
POLICE = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@cache
def _police(taille: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(POLICE, taille * ECHELLE)
    except OSError:  # no DejaVu on this machine: Pillow's own font
        return ImageFont.load_default(size=taille * ECHELLE)


def _nombre(valeur: Decimal) -> str:
    """« 17,5 », « 100 »: in the active language, no useless decimal."""
    return str(formats.number_format(valeur, decimal_pos=0 if valeur == valeur.to_integral() else 1, use_l10n=True))


def _png(image: Image.Image) -> bytes:
    tampon = io.BytesIO()
    image.save(tampon, format="PNG", optimize=True)
    return tampon.getvalue()


def _repere(
    maximum: Decimal, unite: str
) -> tuple[Image.Image, ImageDraw.ImageDraw, float, float, float, float, Decimal]:
    image = Image.new("RGB", (LARGEUR * ECHELLE, HAUTEUR * ECHELLE), "white")
    dessin = ImageDraw.Draw(image)
    gauche, droite = MARGE_GAUCHE * ECHELLE, (LARGEUR - MARGE_DROITE) * ECHELLE
    haut, bas = MARGE_HAUT * ECHELLE, (HAUTEUR - MARGE_BAS) * ECHELLE
    ticks = graduations(maximum)
    sommet = ticks[-1]
    petite = _police(10)
    for tick in ticks:
        y = bas - float(tick / sommet) * (bas - haut)
        dessin.line([(gauche, y), (droite, y)], fill=GRILLE, width=ECHELLE)
        texte = montant_texte(tick) if unite == "€" else f"{_nombre(tick)} {unite}"
        dessin.text((gauche - 6 * ECHELLE, y), texte, fill=ENCRE, font=petite, anchor="rm")
    return image, dessin, gauche, droite, haut, bas, sommet


def barres_comparees(valeurs: Sequence[tuple[str, Decimal, Decimal]], *, legende: tuple[str, str]) -> bytes:
    """Bars of ``(label, before, now)`` side by side per bucket: the aging balance a week ago and now."""
    maximum = max((max(a, m) for _l, a, m in valeurs), default=Decimal(0))
    image, dessin, gauche, droite, haut, bas, sommet = _repere(maximum, "€")
    pas = (droite - gauche) / max(len(valeurs), 1)
    largeur = pas * 0.34
    petite = _police(10)
    for i, (libelle, avant, maintenant) in enumerate(valeurs):
        x = gauche + i * pas + pas * 0.14
        for j, (valeur, couleur) in enumerate(((avant, AVANT), (maintenant, MAINTENANT))):
            y = bas - min(float(max(valeur, Decimal(0)) / sommet), 1.0) * (bas - haut)
            x0 = x + j * largeur
            if y < bas:
                dessin.rectangle([(x0, y), (x0 + largeur - ECHELLE, bas)], fill=couleur)
        dessin.text((gauche + i * pas + pas / 2, bas + 8 * ECHELLE), libelle, fill=ENCRE, font=petite, anchor="mt")
    _legende(dessin, [(legende[0], AVANT), (legende[1], MAINTENANT)])
    return _png(image)


def courbe(valeurs: Sequence[tuple[str, Decimal]], *, unite: str) -> bytes:
    """A line of ``(label, value)``: the DSO at the last week-ends."""
    maximum = max((v for _l, v in valeurs), default=Decimal(0))
    image, dessin, gauche, droite, haut, bas, sommet = _repere(maximum, unite)
    pas = (droite - gauche) / max(len(valeurs) - 1, 1)
    petite = _police(10)
    points = []
    for i, (libelle, valeur) in enumerate(valeurs):
        x = gauche + i * pas
        y = bas - min(float(max(valeur, Decimal(0)) / sommet), 1.0) * (bas - haut)
        points.append((x, y))
        dessin.text((x, bas + 8 * ECHELLE), libelle, fill=ENCRE, font=petite, anchor="mt")
    if len(points) > 1:
        dessin.line(points, fill=LIGNE, width=3 * ECHELLE, joint="curve")
    rayon = 4 * ECHELLE
    for x, y in points:
        dessin.ellipse([(x - rayon, y - rayon), (x + rayon, y + rayon)], fill=LIGNE)
    if valeurs:
        x, y = points[-1]
        dessin.text(
            (x - rayon, y - 2 * rayon), f"{_nombre(valeurs[-1][1])} {unite}", fill=ENCRE, font=_police(11), anchor="rb"
        )
    return _png(image)


def _legende(dessin: ImageDraw.ImageDraw, entrees: list[tuple[str, tuple[int, int, int]]]) -> None:
    x = MARGE_GAUCHE * ECHELLE
    police = _police(10)
    for texte, couleur in entrees:
        dessin.rectangle([(x, 8 * ECHELLE), (x + 12 * ECHELLE, 20 * ECHELLE)], fill=couleur)
        dessin.text((x + 16 * ECHELLE, 14 * ECHELLE), texte, fill=ENCRE, font=police, anchor="lm")
        x += int(dessin.textlength(texte, font=police)) + 40 * ECHELLE
