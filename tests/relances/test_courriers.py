"""Dunning letters as PDF: content, address in the envelope window, batches, offline rendering.

The PDFs are read back with poppler-utils (``pdftotext``, ``pdfinfo``,
``pdfimages``), as a person or a printer would see them.
"""

from __future__ import annotations

import datetime
import html
import io
import re
import socket
import subprocess
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import translation
from PIL import Image

from relances.courriers import courrier_html, courrier_pdf, courriers_lot_pdf, facture_pour_courrier
from relances.penalites import LigneFacture, penalites_calculer
from tests.factories import ClientFactory, FactureFactory

D = Decimal
AU = datetime.date(2025, 7, 20)
MM_PAR_POINT = 25.4 / 72
# The part of an A4 sheet, folded in three, that a French DL window envelope always
# shows: window 100 × 45 mm, 20 mm from the right and 15 mm from the bottom of a
# 220 × 110 mm envelope; the sheet may rest at the top or the bottom of the envelope
# (11 mm of play) and slide 10 mm sideways. (x0, y0, x1, y1) in mm from the top left.
FENETRE_MM = (100.0, 50.0, 190.0, 84.0)


@pytest.fixture(autouse=True)
def _francais():
    with translation.override("fr"):
        yield


@pytest.fixture
def organisation(scope_a, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    organisation = scope_a.organisation
    organisation.raison_sociale = "Alpha Industrie SAS"
    organisation.adresse = "12 rue de la République"
    organisation.code_postal = "69002"
    organisation.ville = "Lyon"
    organisation.entete = "Capital social 50 000 €\nTVA FR12345678901"
    organisation.titulaire_compte = "Alpha Industrie SAS"
    organisation.banque = "Banque Populaire Auvergne Rhône Alpes"
    organisation.iban = "FR7630006000011234567890189"
    organisation.bic = "AGRIFRPP"
    organisation.clause_penalites = (
        "Tout retard de paiement entraîne des pénalités au taux de la BCE majoré de 10 points "
        "et une indemnité forfaitaire de 40 € pour frais de recouvrement."
    )
    organisation.clause_reserve_propriete = "Les marchandises restent notre propriété jusqu'au paiement intégral."
    logo = io.BytesIO()
    Image.new("RGB", (120, 40), (200, 30, 30)).save(logo, format="PNG")
    organisation.logo.save("logo.png", ContentFile(logo.getvalue()), save=False)
    organisation.save()
    return organisation


@pytest.fixture
def client_gauthier(organisation):
    return ClientFactory(
        raison_sociale="Gauthier & Fils SARL",
        adresse="8 avenue des Frères Lumière",
        adresse_complement="Bâtiment B",
        code_postal="69008",
        ville="Lyon",
    )


def _factures(client):
    # Same invoices as test_penalites.test_several_invoices_one_rate_query (F-A and F-B):
    # interest 16.64 + 0.95 = 17.59, indemnities 2 × 40 = 80.00, principal 1 350.00,
    # total claimed 1 350 + 17.59 + 80 = 1 447.59.
    return [
        FactureFactory(
            client=client,
            numero="F2025-0101",
            date_emission=datetime.date(2025, 5, 11),
            date_echeance=datetime.date(2025, 6, 10),
        ),
        FactureFactory(
            client=client,
            numero="F2025-0102",
            date_emission=datetime.date(2025, 6, 1),
            date_echeance=datetime.date(2025, 7, 1),
            montant_ht=D("125.00"),
            montant_tva=D("25.00"),
            montant_ttc=D("150.00"),
        ),
    ]


def _arguments(organisation, client, en_base, **extra):
    """The arguments of a letter about the invoices ``en_base`` (saved ``Facture`` rows)."""
    penalites = penalites_calculer(lignes=[LigneFacture(f.numero, f.date_echeance, f.reste_du) for f in en_base], au=AU)
    arguments = {
        "organisation": organisation,
        "client": client,
        "destinataire": {"nom": "Mme Claire Gauthier", "fonction": "Comptabilité fournisseurs"},
        "objet": "Mise en demeure de payer",
        "corps_html": "<p>Madame, malgré nos relances, les factures ci-dessous restent impayées.</p>",
        "factures": [facture_pour_courrier(f, au=AU) for f in en_base],
        "penalites": penalites,
        "date_courrier": AU,
        "lieu": "Lyon",
        "signataire": {
            "nom": "Camille Martin",
            "fonction": "Chargée de recouvrement",
            "email": "recouvrement@alpha.fr",
            "telephone": "04 72 00 00 00",
        },
        "recommande": True,
    }
    return arguments | extra


def _ecrire(tmp_path: Path, pdf: bytes, nom: str = "courrier.pdf") -> Path:
    chemin = tmp_path / nom
    chemin.write_bytes(pdf)
    return chemin


def _texte(chemin: Path) -> str:
    sortie = subprocess.run(["pdftotext", "-layout", str(chemin), "-"], capture_output=True, check=True, text=True)
    # Non-breaking and narrow non-breaking spaces (amounts, « % ») read as spaces.
    return re.sub(r"[ \u00a0\u202f]+", " ", sortie.stdout)


def _pages(chemin: Path) -> int:
    sortie = subprocess.run(["pdfinfo", str(chemin)], capture_output=True, check=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", sortie, re.MULTILINE).group(1))


def _mots_page_1(chemin: Path) -> list[tuple[str, float, float, float, float]]:
    """Words of page 1 with their box in mm: (word, x0, y0, x1, y1)."""
    sortie = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(chemin), "-"], capture_output=True, check=True, text=True
    ).stdout
    mots = []
    for x0, y0, x1, y1, mot in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', sortie
    ):
        mots.append((html.unescape(mot), *(float(v) * MM_PAR_POINT for v in (x0, y0, x1, y1))))
    return mots


def test_letter_with_penalties(organisation, client_gauthier, tmp_path):
    factures = _factures(client_gauthier)

    pdf = courrier_pdf(**_arguments(organisation, client_gauthier, factures))

    assert pdf.startswith(b"%PDF")
    chemin = _ecrire(tmp_path, pdf)
    texte = _texte(chemin)
    for attendu in (
        "Alpha Industrie SAS",
        "Gauthier & Fils SARL",
        "Mme Claire Gauthier",
        "Comptabilité fournisseurs",
        "8 avenue des Frères Lumière",
        "Bâtiment B",
        "69008 LYON",
        "Lyon, le 20 juillet 2025",
        "Objet : Mise en demeure de payer",
        "malgré nos relances",
        "F2025-0101",
        "F2025-0102",
        "Échéance",
        "10/06/2025",
        "Pénalités de retard et indemnité forfaitaire",
        "1 200,00 € × 13,15 % × 20 j / 365 = 8,65 €",
        "1 200,00 € × 12,15 % × 20 j / 365 = 7,99 €",
        "17,59 €",  # total interest
        "40,00 €",  # indemnity per invoice
        "80,00 €",  # indemnities
        "1 447,59 €",  # total claimed
        "Art. L441-10 et D441-5 du Code de commerce ; indemnité forfaitaire non soumise à la TVA.",
        "FR76 3000 6000 0112 3456 7890 189",
        "AGRIFRPP",
        "Camille Martin",
        "Capital social 50 000 €",
        "SIREN " + organisation.siren,
        "Les marchandises restent notre propriété",
    ):
        assert attendu in texte, attendu
    pages = _pages(chemin)
    assert all(f"Page {n} / {pages}" in texte for n in range(1, pages + 1))
    assert "lettre recommandée avec accusé de réception" in texte.lower()
    assert "affactureur" not in texte


def test_the_logo_is_embedded(organisation, client_gauthier, tmp_path):
    chemin = _ecrire(tmp_path, courrier_pdf(**_arguments(organisation, client_gauthier, _factures(client_gauthier))))

    images = subprocess.run(["pdfimages", "-list", str(chemin)], capture_output=True, check=True, text=True).stdout
    assert "120    40" in images


def test_address_block_lies_in_the_envelope_window(organisation, client_gauthier, tmp_path):
    chemin = _ecrire(tmp_path, courrier_pdf(**_arguments(organisation, client_gauthier, _factures(client_gauthier))))

    mots = _mots_page_1(chemin)
    adresse = {"Gauthier", "&", "Fils", "SARL", "Mme", "Claire", "Frères", "Lumière", "Bâtiment", "69008", "LYON"}
    x0, y0, x1, y1 = FENETRE_MM
    dans_la_fenetre = [m for m in mots if x0 <= m[1] and m[3] <= x1 and y0 <= m[2] and m[4] <= y1]
    assert adresse <= {m[0] for m in dans_la_fenetre}
    # Nothing else shows through the window: the letterhead stays to its left.
    assert {m[0] for m in dans_la_fenetre} <= adresse | {"Comptabilité", "fournisseurs", "8", "avenue", "des", "B"}
    (raison_sociale,) = [m for m in mots if m[0] == "Industrie"][:1]
    assert raison_sociale[3] < x0


def test_without_recipient_and_factored(organisation, client_gauthier, tmp_path):
    arguments = _arguments(
        organisation,
        client_gauthier,
        _factures(client_gauthier),
        destinataire=None,
        penalites=None,
        recommande=False,
        mention_affacturage="Eurofactor — IBAN FR76 1111 2222 3333 4444 5555 666",
    )

    texte = _texte(_ecrire(tmp_path, courrier_pdf(**arguments)))

    assert "Service comptabilité fournisseurs" in texte
    assert "Eurofactor — IBAN FR76 1111 2222 3333 4444 5555 666" in texte
    assert "affactureur" in texte
    assert "FR76 3000 6000" not in texte  # our own account is not printed
    assert "Pénalités de retard et indemnité forfaitaire" not in texte
    assert "recommandée" not in texte.lower()


def test_a_long_letter_numbers_its_pages(organisation, client_gauthier, tmp_path):
    factures = [
        {
            "numero": f"F2025-{n:04d}",
            "date_emission": datetime.date(2025, 5, 1),
            "date_echeance": datetime.date(2025, 6, 1),
            "montant_ttc": D("100.00"),
            "reste_du": D("100.00"),
            "jours_retard": 49,
            "devise": "EUR",
        }
        for n in range(1, 61)
    ]
    arguments = _arguments(organisation, client_gauthier, [], factures=factures, penalites=None)

    chemin = _ecrire(tmp_path, courrier_pdf(**arguments))

    pages = _pages(chemin)
    assert pages >= 2
    texte = _texte(chemin)
    assert all(f"Page {n} / {pages}" in texte for n in range(1, pages + 1))
    assert "6 000,00 €" in texte  # 60 × 100.00
    assert "F2025-0060" in texte


def test_a_batch_holds_the_pages_of_every_letter(organisation, client_gauthier, tmp_path):
    autre = ClientFactory(raison_sociale="Société Bérard", code_postal="75011", ville="Paris")
    arguments = [
        _arguments(organisation, client_gauthier, _factures(client_gauthier)),
        _arguments(organisation, autre, [], penalites=None, destinataire=None),
    ]
    pages_seules = [_pages(_ecrire(tmp_path, courrier_pdf(**a), f"seul{n}.pdf")) for n, a in enumerate(arguments)]

    lot = courriers_lot_pdf([courrier_html(**a) for a in arguments])

    assert lot.startswith(b"%PDF")
    chemin = _ecrire(tmp_path, lot, "lot.pdf")
    assert _pages(chemin) == sum(pages_seules)
    texte = _texte(chemin)
    assert texte.index("Gauthier & Fils SARL") < texte.index("Société Bérard")
    assert "75011 PARIS" in texte
    # Each letter keeps its own page numbers.
    pages_premiere, pages_seconde = pages_seules
    assert texte.count(f"Page 1 / {pages_premiere}") == 1 + (pages_seconde == pages_premiere)
    assert f"Page 1 / {pages_seconde}" in texte


def test_an_empty_batch_is_refused():
    with pytest.raises(ValueError, match="at least one letter"):
        courriers_lot_pdf([])


class _Espion(BaseHTTPRequestHandler):
    requetes: list[str] = []

    def do_GET(self):
        self.requetes.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def serveur_espion():
    serveur = HTTPServer(("127.0.0.1", 0), _Espion)
    _Espion.requetes = []
    fil = threading.Thread(target=serveur.serve_forever, daemon=True)
    fil.start()
    yield f"http://127.0.0.1:{serveur.server_address[1]}"
    serveur.shutdown()
    serveur.server_close()


def test_rendering_fetches_nothing(organisation, client_gauthier, tmp_path, serveur_espion, monkeypatch):
    resolutions = []
    getaddrinfo = socket.getaddrinfo

    def espion_getaddrinfo(host, *args, **kwargs):
        resolutions.append(host)
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", espion_getaddrinfo)
    corps = (
        f'<p>Bonjour.</p><img src="{serveur_espion}/espion.png">'
        f'<link rel="stylesheet" href="{serveur_espion}/espion.css">'
        '<img src="https://tracker.example.com/pixel.gif">'
        '<img src="file:///etc/hostname"><img src="relatif.png">'
    )

    pdf = courrier_pdf(**_arguments(organisation, client_gauthier, _factures(client_gauthier), corps_html=corps))

    assert pdf.startswith(b"%PDF")
    assert _Espion.requetes == []
    assert resolutions == []
    assert "Bonjour." in _texte(_ecrire(tmp_path, pdf))
