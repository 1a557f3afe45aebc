"""The litigation dossier as ONE PDF, for a court (injonction de payer) or an agency.

Pages, in order:

1. the dossier (``templates/pdf/contentieux.html``, rendered offline by WeasyPrint like
   the dunning letters): cover (creditor, debtor with SIREN and address, date,
   destination), statement of the claim (principal, interest per half-year with the
   rate applied, fixed indemnities, totals, at the dossier date), dunning history
   (sends, calls, promises, disputes), the formal notice (its date, delivery status
   and text, or a clear mention that there is none), the list of attached
   invoices, and a summary page for each invoice that has no readable uploaded PDF;
2. the printed letter of the formal notice, when it was stored as PDF;
3. the invoices' own uploaded PDFs, appended as they are (pypdf).

An uploaded file that cannot be read as a PDF gets a summary page instead of failing
the whole dossier.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import strip_tags
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from contentieux.selectors import ContenuDossier
from recouvrement.tenancy.models import Organisation
from relances.courriers import PAYS, date_longue, document_pdf, logo_data_uri
from relances.penalites import taux_texte

logger = logging.getLogger(__name__)

TEMPLATE = "pdf/contentieux.html"


@dataclass(frozen=True)
class PieceJointe:
    """A PDF appended after the dossier: its title for the index and its content."""

    titre: str
    contenu: bytes
    pages: int


def _pdf_lisible(fichier: Any, nom: str) -> PieceJointe | None:
    """The stored file as an appendable PDF, or None when it is missing or unreadable."""
    if not fichier or not fichier.name:
        return None
    try:
        with fichier.storage.open(fichier.name, "rb") as flux:
            contenu = flux.read()
        pages = len(PdfReader(io.BytesIO(contenu)).pages)
    except (OSError, PyPdfError, ValueError) as error:
        logger.warning("PDF %s unreadable (%s): a summary page replaces it in the dossier.", fichier.name, error)
        return None
    if pages == 0:
        return None
    return PieceJointe(titre=nom, contenu=contenu, pages=pages)


def dossier_html(
    *, contenu: ContenuDossier, organisation: Organisation, pieces: dict[int, PieceJointe | None] | None = None
) -> str:
    """The dossier's own pages as HTML. ``pieces``: the readable uploaded PDF of each
    invoice (by facture id), which replace its summary page. No database query."""
    pieces = pieces or {}
    dossier = contenu.dossier
    client = dossier.client
    # ``penalites_calculer`` keeps the order of its lines: one result per dossier line.
    lignes = [
        {"ligne": ligne, "facture": ligne.facture, "penalites": penalites, "piece": pieces.get(ligne.facture_id)}
        for ligne, penalites in zip(contenu.lignes, contenu.creance.factures, strict=True)
    ]
    mise_en_demeure = contenu.mise_en_demeure
    texte_mise_en_demeure = ""
    if mise_en_demeure is not None:
        texte_mise_en_demeure = mise_en_demeure.corps_texte or strip_tags(mise_en_demeure.corps_html)
    contexte = {
        "organisation": organisation,
        "logo": logo_data_uri(organisation),
        "dossier": dossier,
        "client": client,
        "pays": "" if client.pays in ("", "FR") else PAYS.get(client.pays.upper(), client.pays),
        "date_longue": date_longue(dossier.date_dossier),
        "lignes": lignes,
        "creance": contenu.creance,
        "taux_contractuel": taux_texte(contenu.creance.taux_contractuel)
        if contenu.creance.taux_contractuel is not None
        else "",
        "envois": contenu.envois,
        "appels": contenu.appels,
        "promesses": contenu.promesses,
        "litiges": contenu.litiges,
        "mise_en_demeure": mise_en_demeure,
        "texte_mise_en_demeure": texte_mise_en_demeure,
        "sans_piece": [x for x in lignes if x["piece"] is None],
    }
    return render_to_string(TEMPLATE, contexte)


def dossier_pdf(*, contenu: ContenuDossier, organisation: Organisation) -> bytes:
    """The whole dossier as one PDF (see the module docstring), in the organisation's language.

    Reads the invoices' and the formal notice's files from storage; no database query
    beyond what ``contenu`` already holds.
    """
    pieces = {ligne.facture_id: _pdf_lisible(ligne.facture.pdf, ligne.facture.numero) for ligne in contenu.lignes}
    courrier = None
    if contenu.mise_en_demeure is not None:
        courrier = _pdf_lisible(contenu.mise_en_demeure.courrier_pdf, "mise_en_demeure")
    with translation.override(organisation.langue or "fr"):
        html = dossier_html(contenu=contenu, organisation=organisation, pieces=pieces)
    principal = document_pdf(html)
    annexes = ([courrier] if courrier else []) + [p for p in pieces.values() if p is not None]
    if not annexes:
        return principal
    writer = PdfWriter()
    writer.append(io.BytesIO(principal))
    for piece in annexes:
        writer.append(io.BytesIO(piece.contenu))
    sortie = io.BytesIO()
    writer.write(sortie)
    return sortie.getvalue()
