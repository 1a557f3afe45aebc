"""Property tests: malformed files, rows and cells never give a server error (the test client
re-raises any exception) and never a partial import."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.models import Client
from factures.models import Facture
from imports.champs import DEFINITIONS
from imports.conversion import ErreurCellule, convertir
from imports.models import Import, StatutImport
from tests.factories import ClientFactory
from tests.imports.outils import deposer, fichier_csv

ENTETES = ["N° facture", "Code client", "Date", "Date échéance", "Montant HT", "TVA", "Montant TTC", "Type", "Bidule"]
CELLULES_PIEGES = [
    "", " ", "-", "€", "oui", "C001", "INCONNU", "F-1", "01/09/2026", "31/02/2026", "31/12/26", "2026-13-01",
    "1 234,56", "1.234,56", "1,2,3", "1e999", "NaN", "-0", "99999999999999999999", "12,345", "(5)", "=1+1",
    '"', '""', "\x00", "\u00a0", "avoir", "facture", "Devis", "x" * 3000,
]  # fmt: skip

cellule = st.one_of(
    st.sampled_from(CELLULES_PIEGES),
    st.text(max_size=20),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: str(f).replace(".", ",")),
)
ligne = st.lists(cellule, min_size=0, max_size=10)


@st.composite
def fichiers(draw) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    entetes = draw(st.lists(st.sampled_from(ENTETES), min_size=1, max_size=9, unique=True))
    sep = draw(st.sampled_from([";", ",", "\t", "|"]))
    lignes = draw(st.lists(ligne, min_size=0, max_size=8))
    texte = "\r\n".join(sep.join(cellules) for cellules in [entetes, *lignes])
    encodage = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return texte.encode(encodage, errors="replace")


@pytest.mark.parametrize("type", list(DEFINITIONS))
@given(valeur=st.one_of(cellule, st.floats(), st.integers(), st.booleans(), st.dates(), st.datetimes()))
@settings(max_examples=60, deadline=None)
def test_a_cell_is_a_typed_value_or_a_cell_error(type, valeur):
    for champ in DEFINITIONS[type].champs:
        erreur = None
        try:
            convertir(champ, valeur)
        except ErreurCellule as exc:
            erreur = exc
        if erreur is not None:
            assert erreur.code
            assert erreur.message


@given(contenu=fichiers(), kind=st.sampled_from(["factures", "clients"]))
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
def test_malformed_files_never_break_a_page_nor_half_import(client, tenant_a, contenu, kind):
    with tenant_a.scope():
        if not Client.objects.filter(external_id="C001").exists():
            ClientFactory(external_id="C001")
        avant = (Facture.objects.count(), Client.objects.count())
    tenant_a.login(client)
    response = deposer(client, type=kind, contenu=contenu)
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        return
    import_id = int(response.url.rstrip("/").split("/")[-2])
    with tenant_a.scope():
        import_ = Import.objects.get(pk=import_id)
    donnees = {f"colonne_{i}": c for i, c in enumerate(import_.correspondance)}
    response = client.post(reverse("imports:correspondance", args=[import_id]), donnees)
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        return
    assert client.get(reverse("imports:apercu", args=[import_id])).status_code == 200
    assert client.post(reverse("imports:lancer", args=[import_id])).status_code == 302
    assert client.get(reverse("imports:suivi", args=[import_id])).status_code == 200
    assert client.get(reverse("imports:rapport", args=[import_id])).status_code == 200
    with tenant_a.scope():
        import_ = Import.objects.get(pk=import_id)
        apres = (Facture.objects.count(), Client.objects.count())
    assert import_.statut in (StatutImport.TERMINE, StatutImport.REJETE), import_.message
    if import_.statut == StatutImport.REJETE:
        assert apres == avant
        assert import_.erreurs
        assert all(isinstance(e["ligne"], int) and e["ligne"] >= 2 for e in import_.erreurs)
    else:
        ecrits = import_.crees
        assert apres == ((avant[0] + ecrits, avant[1]) if kind == "factures" else (avant[0], avant[1] + ecrits))


def test_a_nul_character_in_a_header_or_a_cell_is_reported_not_a_server_error(client, tenant_a):
    """Found by the property test above: PostgreSQL's jsonb refuses NUL, and the report quoted it."""
    tenant_a.login(client)
    contenu = fichier_csv([["Raison\x00sociale", "SIREN"], ["Acme\x00", "123"]])
    response = deposer(client, type="clients", contenu=contenu)
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        return
    import_id = int(response.url.rstrip("/").split("/")[-2])
    donnees = {"colonne_0": "raison_sociale", "colonne_1": "siren"}
    assert client.post(reverse("imports:correspondance", args=[import_id]), donnees).status_code == 302
    assert client.post(reverse("imports:lancer", args=[import_id])).status_code == 302
    with tenant_a.scope():
        import_ = Import.objects.get(pk=import_id)
        assert Client.objects.count() == 0
    assert import_.statut == StatutImport.REJETE
    assert import_.erreurs
    assert all("\x00" not in str(valeur) for erreur in import_.erreurs for valeur in erreur.values())
