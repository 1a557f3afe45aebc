"""Dunning letters as PDF (WeasyPrint): one letter, or a batch printed as one file.

The layout is ``templates/pdf/courrier.html`` (styles in ``templates/pdf/base.css``,
inlined): letterhead, recipient address placed for a French DL window envelope,
invoices, statutory penalties (``relances.penalites``), payment details,
signature, and a footer with the organisation's clauses and page numbers.

Rendering never touches the network nor the filesystem: the logo is read from
storage and embedded as a ``data:`` URI, fonts are the locally installed ones,
and the URL fetcher serves ``data:`` URIs only, so an ``<img src="http://…">``
or ``file:///…`` slipped into a message body is refused (logged by WeasyPrint,
left out of the PDF) instead of being fetched.

Texts are rendered in the active language: wrap calls in
``translation.override(client.langue)`` and compute the penalties inside it too
(their formula lines are translated when computed).
"""

from __future__ import annotations

import base64
import datetime
import logging
import mimetypes
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from clients.models import Client
from factures.models import Facture
from recouvrement.core.formats import iban_lisible
from recouvrement.tenancy.models import Organisation
from relances.penalites import Penalites, taux_texte

logger = logging.getLogger(__name__)

TEMPLATE = "pdf/courrier.html"
BASE_URL = f"{(settings.BASE_DIR / 'templates' / 'pdf').as_posix()}/"
LONGUEUR_EXTRAIT_CLAUSE = 400  # characters of each clause printed in the footer

# Last line of a foreign address (NF Z 10-011 / UPU: the country in capitals).
# French is fine on mail leaving France; codes not listed are printed as is.
PAYS = {
    "BE": "Belgique",
    "CH": "Suisse",
    "LU": "Luxembourg",
    "MC": "Monaco",
    "DE": "Allemagne",
    "ES": "Espagne",
    "IT": "Italie",
    "PT": "Portugal",
    "NL": "Pays-Bas",
    "AT": "Autriche",
    "IE": "Irlande",
    "GB": "Royaume-Uni",
    "US": "États-Unis",
    "CA": "Canada",
}


class FetcherHorsLigne(URLFetcher):
    """Serve ``data:`` URIs only; refuse every other scheme (http, https, file, ftp…).

    WeasyPrint catches the error, logs a warning and renders without the
    resource, so a letter never waits on, leaks to, or reads from elsewhere.
    """

    def fetch(self, url: str, headers: Any = None) -> Any:
        if url[:5].lower() == "data:":
            return super().fetch(url, headers)
        raise ValueError(f"Resource refused, letters render offline: {url[:100]}")


def logo_data_uri(organisation: Organisation) -> str:
    """The organisation's logo as a ``data:`` URI, or "" when there is none or it is unreadable."""
    logo = organisation.logo
    if not logo or not logo.name:
        return ""
    nom: str = logo.name
    try:
        with logo.storage.open(nom, "rb") as fichier:
            contenu = fichier.read()
    except OSError:
        logger.warning("Logo of organisation %s unreadable (%s): letter printed without it.", organisation.pk, nom)
        return ""
    type_mime = mimetypes.guess_type(nom)[0] or "application/octet-stream"
    return f"data:{type_mime};base64,{base64.b64encode(contenu).decode('ascii')}"


def date_longue(jour: datetime.date) -> str:
    """« 27 novembre 2026 », « 1er décembre 2026 »."""
    if jour.day == 1:
        return _("1er %(mois_annee)s") % {"mois_annee": date_format(jour, "F Y")}
    return date_format(jour, "j F Y")


def _totaux_par_devise(factures: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    totaux: dict[str, dict[str, Any]] = {}
    for facture in factures:
        devise = facture.get("devise") or "EUR"
        total = totaux.setdefault(
            devise, {"devise": devise, "montant_ttc": Decimal("0.00"), "reste_du": Decimal("0.00")}
        )
        total["montant_ttc"] += facture["montant_ttc"]
        total["reste_du"] += facture["reste_du"]
    return list(totaux.values())


def facture_pour_courrier(facture: Facture, *, au: datetime.date) -> dict[str, Any]:
    """The row of ``factures`` that ``courrier_html`` expects, from an invoice."""
    return {
        "numero": facture.numero,
        "date_emission": facture.date_emission,
        "date_echeance": facture.date_echeance,
        "montant_ttc": facture.montant_ttc,
        "reste_du": facture.reste_du,
        "jours_retard": facture.jours_de_retard(au),
        "devise": facture.devise,
    }


def courrier_html(
    *,
    organisation: Organisation,
    client: Client,
    destinataire: dict[str, str] | None,
    objet: str,
    corps_html: str,
    factures: Sequence[dict[str, Any]],
    penalites: Penalites | None,
    date_courrier: datetime.date,
    lieu: str,
    signataire: dict[str, str],
    mention_affacturage: str = "",
    recommande: bool = False,
    corps_redige: bool = False,
) -> str:
    """The letter as HTML, ready for WeasyPrint.

    ``corps_html`` is trusted, already rendered and escaped HTML (the message
    template's output); everything else is escaped by the template.
    ``destinataire`` is ``{"nom", "fonction"}`` or None (« Service comptabilité
    fournisseurs »); ``factures`` rows carry ``numero``, ``date_emission``,
    ``date_echeance``, ``montant_ttc``, ``reste_du``, ``jours_retard``,
    ``devise`` (see ``facture_pour_courrier``); ``signataire`` is
    ``{"nom", "fonction", "email", "telephone"}``. A non-empty
    ``mention_affacturage`` replaces the organisation's bank details.
    ``corps_redige``: the body is a full dunning letter (it lists the invoices,
    says how to pay and is signed): the layout then adds only the detailed
    statement of penalties, not its own table, payment block and signature. Reads the
    logo from storage; no database query. Renders in the active language.
    """
    contexte = {
        "organisation": organisation,
        "logo": logo_data_uri(organisation),
        "client": client,
        "pays": "" if client.pays in ("", "FR") else PAYS.get(client.pays.upper(), client.pays),
        "destinataire": destinataire,
        "objet": objet,
        "corps_html": mark_safe(corps_html),  # noqa: S308  (trusted: rendered by our message templates)
        "factures": factures,
        "totaux_factures": _totaux_par_devise(factures),
        "penalites": penalites,
        "taux_contractuel": taux_texte(penalites.taux_contractuel)
        if penalites and penalites.taux_contractuel is not None
        else "",
        "date_longue": date_longue(date_courrier),
        "lieu": lieu,
        "signataire": signataire,
        "mention_affacturage": mention_affacturage,
        "recommande": recommande,
        "corps_redige": corps_redige,
        "iban": iban_lisible(organisation.iban),
        "clause_penalites": Truncator(organisation.clause_penalites).chars(LONGUEUR_EXTRAIT_CLAUSE),
        "clause_reserve_propriete": Truncator(organisation.clause_reserve_propriete).chars(LONGUEUR_EXTRAIT_CLAUSE),
    }
    return render_to_string(TEMPLATE, contexte)


def _document(html: str) -> Any:
    return HTML(string=html, base_url=BASE_URL, url_fetcher=FetcherHorsLigne()).render()


def document_pdf(html: str) -> bytes:
    """A document of ``templates/pdf/`` (its HTML) as PDF, rendered offline."""
    pdf: bytes = _document(html).write_pdf()
    return pdf


def courrier_pdf(
    *,
    organisation: Organisation,
    client: Client,
    destinataire: dict[str, str] | None,
    objet: str,
    corps_html: str,
    factures: Sequence[dict[str, Any]],
    penalites: Penalites | None,
    date_courrier: datetime.date,
    lieu: str,
    signataire: dict[str, str],
    mention_affacturage: str = "",
    recommande: bool = False,
    corps_redige: bool = False,
) -> bytes:
    """The letter as PDF (see ``courrier_html`` for the arguments)."""
    html = courrier_html(
        organisation=organisation,
        client=client,
        destinataire=destinataire,
        objet=objet,
        corps_html=corps_html,
        factures=factures,
        penalites=penalites,
        date_courrier=date_courrier,
        lieu=lieu,
        signataire=signataire,
        mention_affacturage=mention_affacturage,
        recommande=recommande,
        corps_redige=corps_redige,
    )
    return document_pdf(html)


def courriers_lot_pdf(documents: Sequence[str]) -> bytes:
    """Several letters (their HTML, from ``courrier_html``) as one PDF to print, in order.

    Each letter is laid out on its own, so its page numbers (« Page 1 / 2 »)
    count its own pages.
    """
    if not documents:
        raise ValueError("courriers_lot_pdf() needs at least one letter.")
    rendus = [_document(html) for html in documents]
    pdf: bytes = rendus[0].copy([page for rendu in rendus for page in rendu.pages]).write_pdf()
    return pdf
