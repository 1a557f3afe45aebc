"""The digest as people receive it: HTML (charts as inline images), plain text, PDF.

One context for the three; the HTML template takes the charts' ``src``: CIDs in
the e-mail (``cid:balance``), ``data:`` URIs in the preview and the PDF. Render
inside ``translation.override(organisation.langue)``.
"""

from __future__ import annotations

import base64
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import formats
from django.utils.translation import gettext as _
from weasyprint import HTML

from relances.courriers import FetcherHorsLigne, date_longue, logo_data_uri
from synthese import graphiques
from synthese.selectors import Synthese

CID = {"balance": "synthese-balance", "dso": "synthese-dso"}


def graphiques_png(synthese: Synthese) -> dict[str, bytes]:
    """The aging balance a week ago and now (bars), and the DSO at the last week-ends (line)."""
    balance = graphiques.barres_comparees(
        [(ligne.tranche.label, ligne.avant, ligne.maintenant) for ligne in synthese.balance.lignes],
        legende=(
            _("au %(jour)s") % {"jour": formats.date_format(synthese.balance.jour_avant, "SHORT_DATE_FORMAT")},
            _("au %(jour)s") % {"jour": formats.date_format(synthese.balance.jour, "SHORT_DATE_FORMAT")},
        ),
    )
    dso = graphiques.courbe(
        [(formats.date_format(point.jour, "j/m"), point.dso) for point in synthese.dso], unite=_("j")
    )
    return {"balance": balance, "dso": dso}


def data_uris(images: dict[str, bytes]) -> dict[str, str]:
    return {nom: f"data:image/png;base64,{base64.b64encode(png).decode('ascii')}" for nom, png in images.items()}


def sujet(synthese: Synthese) -> str:
    return _("Synthèse hebdomadaire %(organisation)s — semaine du %(jour)s") % {
        "organisation": synthese.organisation.raison_sociale,
        "jour": date_longue(synthese.semaine.lundi),
    }


def contexte(synthese: Synthese, sources: dict[str, str]) -> dict[str, Any]:
    return {
        "s": synthese,
        "organisation": synthese.organisation,
        "sources": sources,
        "sujet": sujet(synthese),
        "lundi": date_longue(synthese.semaine.lundi),
        "dimanche": date_longue(synthese.semaine.dimanche),
    }


def html(synthese: Synthese, sources: dict[str, str]) -> str:
    return render_to_string("emails/synthese.html", contexte(synthese, sources))


def corps(synthese: Synthese, sources: dict[str, str]) -> str:
    """The report alone (the e-mail's body without its envelope), for the preview page."""
    return render_to_string("synthese/_rapport.html", contexte(synthese, sources))


def texte(synthese: Synthese) -> str:
    return render_to_string("emails/synthese.txt", contexte(synthese, {}))


def pdf(synthese: Synthese, images: dict[str, bytes] | None = None) -> bytes:
    """The same report on A4, charts embedded (no network, no file read)."""
    sources = data_uris(images if images is not None else graphiques_png(synthese))
    document = render_to_string(
        "synthese/pdf.html",
        {**contexte(synthese, sources), "logo": logo_data_uri(synthese.organisation), "pdf": True},
    )
    base_url = f"{(settings.BASE_DIR / 'templates' / 'pdf').as_posix()}/"
    return bytes(HTML(string=document, base_url=base_url, url_fetcher=FetcherHorsLigne()).write_pdf())


class MessageAvecImages(EmailMultiAlternatives):
    """An HTML alternative whose images travel with it: ``multipart/related`` parts named by CID.

    multipart/mixed [ multipart/alternative [ text/plain, multipart/related [ text/html, image/png… ] ],
    attachments… ]
    """

    def __init__(self, *args: Any, images: dict[str, bytes] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.images = images or {}

    def _add_bodies(self, msg: Any) -> Any:
        msg = super()._add_bodies(msg)  # type: ignore[misc]
        if self.images:
            partie_html = next(p for p in msg.iter_parts() if p.get_content_type() == "text/html")
            for cid, png in self.images.items():
                partie_html.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>", disposition="inline")
        return msg


def message(
    *,
    synthese: Synthese,
    destinataires: list[str],
    cle: str,
    images: dict[str, bytes] | None = None,
    document: bytes | None = None,
) -> EmailMultiAlternatives:
    """The e-mail: plain text, HTML with the charts inline, the PDF attached; ``cle`` is its Message-ID."""
    organisation = synthese.organisation
    images = images if images is not None else graphiques_png(synthese)
    expediteur = organisation.adresse_expediteur
    courriel = MessageAvecImages(
        subject=sujet(synthese),
        body=texte(synthese),
        from_email=expediteur,
        to=destinataires,
        headers={"Message-ID": f"<{cle}@{settings.RELANCES_DOMAINE_MESSAGE_ID}>", "X-Recouvrement-Synthese": cle},
        images={CID[nom]: png for nom, png in images.items()},
    )
    courriel.attach_alternative(html(synthese, {nom: f"cid:{CID[nom]}" for nom in images}), "text/html")
    courriel.attach(
        f"synthese-{synthese.semaine.code}.pdf",
        document if document is not None else pdf(synthese, images),
        "application/pdf",
    )
    return courriel
