"""Exports of issue 6: the aging balance by client (CSV, XLSX, PDF), the reminder history and
the disputes, each for its page's filters and the member's scope; large ones in the background."""

from __future__ import annotations

import csv
import datetime
import io
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from exports.models import Export, StatutExport, TypeExport
from exports.services import export_executer
from litiges.models import Litige, StatutLitige
from recouvrement.tenancy.models import Role
from relances.models import Envoi, Livraison, Relance, StatutEnvoi
from tests.factories import ClientFactory, scenario_avec_etape
from tests.listes.conftest import J, facture


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def lire_csv(response) -> list[list[str]]:
    contenu = b"".join(response.streaming_content)
    assert contenu.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(contenu.decode("utf-8-sig")), delimiter=";"))


def lire_xlsx(response) -> list[tuple]:
    feuille = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return list(feuille.iter_rows(values_only=True))


def texte_pdf(contenu: bytes, tmp_path) -> str:
    chemin = tmp_path / "x.pdf"
    chemin.write_bytes(contenu)
    texte = subprocess.run(
        ["pdftotext", "-layout", str(chemin), "-"], check=True, capture_output=True, text=True
    ).stdout
    return texte.replace("\u00a0", " ").replace("\u202f", " ")


ENTETE_BALANCE = [
    "Client",
    "SIREN",
    "Commercial",
    "Non échu",
    "0–30 jours",
    "30–45 jours",
    "45–60 jours",
    "Plus de 60 jours",
    "Avoirs non imputés",
    "Échu",
    "Encours",
    "Devise",
]


# Aging balance ----------------------------------------------------------------------------------


def test_the_aging_balance_csv_by_client_with_its_total(client, grand_livre):
    """Alpha: F1 1,200 10 days late, F2 600 left 50 days late, credit note 100; Bravo: F3 500
    not due (F4 paid); Charlie: F6 300 70 days late; Delta: only a cancelled invoice → absent."""
    grand_livre.tenant.login(client)
    lignes = lire_csv(client.post(reverse("exports:balance_agee"), {"format": "csv"}))
    assert lignes[0] == ENTETE_BALANCE
    corps = [ligne[:1] + ligne[3:11] for ligne in lignes[1:]]
    assert corps == [
        ["Alpha", "0,00", "1200,00", "0,00", "600,00", "0,00", "100,00", "1800,00", "1700,00"],
        ["Bravo", "500,00", "0,00", "0,00", "0,00", "0,00", "0,00", "0,00", "500,00"],
        ["Charlie", "0,00", "0,00", "0,00", "0,00", "300,00", "0,00", "300,00", "300,00"],
        ["Total", "500,00", "1200,00", "0,00", "600,00", "300,00", "100,00", "2100,00", "2500,00"],
    ]
    alpha = lignes[1]
    assert (alpha[1], alpha[11]) == (grand_livre.alpha.siren, "EUR")
    assert alpha[2] == str(grand_livre.rep1.user)


def test_the_aging_balance_xlsx_has_numbers_and_follows_the_client_filters(client, grand_livre):
    grand_livre.tenant.login(client)
    lignes = lire_xlsx(client.post(reverse("exports:balance_agee") + "?retard=1", {"format": "xlsx"}))
    assert list(lignes[0]) == ENTETE_BALANCE
    assert [ligne[0] for ligne in lignes[1:]] == ["Alpha", "Charlie", "Total"]
    alpha, charlie, total = lignes[1:]
    assert alpha[3:11] == (0, 1200, 0, 600, 0, 100, 1800, 1700)
    assert charlie[3:11] == (0, 0, 0, 0, 300, 0, 300, 300)
    assert total[3:11] == (0, 1200, 0, 600, 300, 100, 2100, 2000)
    # The category filter of the client list: Bravo only.
    lignes = lire_xlsx(client.post(reverse("exports:balance_agee") + "?categorie=tpe_pme", {"format": "xlsx"}))
    assert [ligne[0] for ligne in lignes[1:]] == ["Bravo", "Total"]
    # Over the credit limit: Alpha only (outstanding 1,700 > 1,000).
    lignes = lire_xlsx(client.post(reverse("exports:balance_agee") + "?depassement=1", {"format": "xlsx"}))
    assert [ligne[0] for ligne in lignes[1:]] == ["Alpha", "Total"]


def test_the_aging_balance_follows_the_organisations_buckets(client, grand_livre):
    organisation = grand_livre.tenant.organisation
    organisation.tranches_balance_agee = [60]
    organisation.save()
    grand_livre.tenant.login(client)
    lignes = lire_csv(client.post(reverse("exports:balance_agee"), {"format": "csv"}))
    assert lignes[0][3:6] == ["Non échu", "0–60 jours", "Plus de 60 jours"]
    assert lignes[-1][3:6] == ["500,00", "1800,00", "300,00"]


def test_the_aging_balance_pdf_has_the_header_the_day_and_the_totals(client, grand_livre, tmp_path):
    grand_livre.tenant.login(client)
    response = client.post(reverse("exports:balance_agee"), {"format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"balance-agee-{grand_livre.aujourd_hui.isoformat()}.pdf" in response["Content-Disposition"]
    texte = texte_pdf(b"".join(response.streaming_content), tmp_path)
    organisation = grand_livre.tenant.organisation
    assert "Balance âgée par client" in texte
    assert organisation.raison_sociale in texte
    assert f"SIREN {organisation.siren}" in texte
    assert "Situation au" in texte
    lignes = {ligne.split()[0]: " ".join(ligne.split()) for ligne in texte.splitlines() if ligne.strip()}
    siren = grand_livre.alpha.siren
    assert lignes["Alpha"] == (
        f"Alpha {siren} 0,00 € 1 200,00 € 0,00 € 600,00 € 0,00 € −100,00 € 1 800,00 € 1 700,00 €"
    )
    total = next(ligne for ligne in texte.splitlines() if "Total (3 clients)" in ligne)
    for montant in ("500,00 €", "1 200,00 €", "600,00 €", "300,00 €", "−100,00 €", "2 100,00 €", "2 500,00 €"):
        assert montant in total, (montant, total)
    assert "Alpha Bis" not in texte


def test_a_commercials_aging_balance_holds_his_clients_only(client, grand_livre, tmp_path):
    client.force_login(grand_livre.rep1.user)
    lignes = lire_csv(
        client.post(reverse("exports:balance_agee") + f"?commercial={grand_livre.rep2.pk}", {"format": "csv"})
    )
    assert [ligne[0] for ligne in lignes[1:]] == ["Alpha", "Total"]
    assert lignes[-1][10] == "1700,00"
    texte = texte_pdf(
        b"".join(client.post(reverse("exports:balance_agee"), {"format": "pdf"}).streaming_content), tmp_path
    )
    assert "Alpha" in texte
    assert "Charlie" not in texte
    assert "Bravo" not in texte
    assert f"Clients de {grand_livre.rep1.user}" in texte


def test_a_large_aging_balance_pdf_is_built_in_the_background(client, grand_livre, settings, tmp_path):
    settings.EXPORTS_SYNCHRONE_MAX = 1
    grand_livre.tenant.login(client)
    response = client.post(reverse("exports:balance_agee") + "?retard=1&tri=-echu", {"format": "pdf"})
    assert response.status_code == 302
    with grand_livre.tenant.scope():
        export = Export.objects.get()
        assert (export.type, export.format, export.filtres) == (
            TypeExport.BALANCE_AGEE,
            "pdf",
            {"retard": "1", "tri": "-echu"},
        )
        export = export_executer(export_id=export.pk)
    # Two clients and the total line.
    assert (export.statut, export.total, export.fait) == (StatutExport.TERMINE, 3, 3), export.erreur
    fichier = client.get(reverse("exports:telecharger", args=[export.pk]))
    texte = texte_pdf(b"".join(fichier.streaming_content), tmp_path)
    assert "Alpha" in texte
    assert "Charlie" in texte
    assert "Bravo" not in texte
    assert "En retard : Avec des factures échues" in texte


# Reminder history --------------------------------------------------------------------------------


@pytest.fixture
def historique(grand_livre):
    """Three sends: Alpha (F1, F2) sent by e-mail and delivered; Charlie (F6) bounced;
    Bravo (F3) waiting for approval."""
    j = grand_livre.aujourd_hui
    with grand_livre.tenant.scope():
        etape = scenario_avec_etape(nom="Relance 1")
        envoye = Envoi.objects.create(
            client=grand_livre.alpha,
            date_prevue=j - 3 * J,
            etape=etape,
            canal="email",
            statut=StatutEnvoi.ENVOYE,
            envoye_le=timezone.now() - 3 * J,
            livraison=Livraison.DELIVRE,
            sujet="Factures impayées",
        )
        rebond = Envoi.objects.create(
            client=grand_livre.charlie,
            date_prevue=j - 2 * J,
            etape=etape,
            canal="email",
            statut=StatutEnvoi.ENVOYE,
            livraison=Livraison.REBOND,
        )
        a_valider = Envoi.objects.create(
            client=grand_livre.bravo, date_prevue=j - 1 * J, etape=etape, canal="courrier", statut=StatutEnvoi.A_VALIDER
        )
        for envoi, numeros in ((envoye, ["F2", "F1"]), (rebond, ["F6"]), (a_valider, ["F3"])):
            for numero in numeros:
                f = grand_livre.f[numero]
                Relance.objects.create(
                    facture=f,
                    etape=etape,
                    client=f.client,
                    envoi=envoi,
                    date_prevue=envoi.date_prevue,
                    decalage_jours=1,
                    canal=envoi.canal,
                )
    return grand_livre


def test_the_reminder_history_csv_for_the_pages_filters(client, historique):
    historique.tenant.login(client)
    lignes = lire_csv(client.post(reverse("exports:relances") + "?statut=", {"format": "csv"}))
    entete = lignes[0]
    assert entete[:11] == [
        "Date prévue",
        "Envoyée le",
        "Client",
        "SIREN du client",
        "Factures",
        "Scénario",
        "Étape",
        "Canal",
        "Statut",
        "Livraison",
        "Livraison le",
    ]
    j = historique.aujourd_hui
    assert [
        (ligne[0], ligne[2], ligne[4], ligne[5], ligne[6], ligne[7], ligne[8], ligne[9]) for ligne in lignes[1:]
    ] == [
        ((j - J).strftime("%d/%m/%Y"), "Bravo", "F3", "Relance 1", "Rappel", "Courrier (PDF)", "À valider", ""),
        (
            (j - 2 * J).strftime("%d/%m/%Y"),
            "Charlie",
            "F6",
            "Relance 1",
            "Rappel",
            "E-mail",
            "Envoyé",
            "Rejeté (bounce)",
        ),
        ((j - 3 * J).strftime("%d/%m/%Y"), "Alpha", "F1, F2", "Relance 1", "Rappel", "E-mail", "Envoyé", "Délivré"),
    ]
    assert lignes[3][1] == (j - 3 * J).strftime("%d/%m/%Y")
    assert lignes[3][11] == "Factures impayées"
    # Without a status the page shows those to approve; the bounce link: sent and bounced.
    assert [ligne[2] for ligne in lire_csv(client.post(reverse("exports:relances"), {"format": "csv"}))[1:]] == [
        "Bravo"
    ]
    rebonds = lire_csv(client.post(reverse("exports:relances") + "?statut=envoye&livraison=rebond", {"format": "csv"}))
    assert [ligne[2] for ligne in rebonds[1:]] == ["Charlie"]


def test_a_commercials_reminder_history_holds_his_clients_only(client, historique):
    client.force_login(historique.rep1.user)
    lignes = lire_xlsx(client.post(reverse("exports:relances") + "?statut=", {"format": "xlsx"}))
    assert [ligne[2] for ligne in lignes[1:]] == ["Alpha"]
    assert lignes[1][0] == datetime.datetime.combine(historique.aujourd_hui - 3 * J, datetime.time())


def test_a_large_reminder_history_goes_to_the_background(client, historique, settings):
    settings.EXPORTS_SYNCHRONE_MAX = 1
    historique.tenant.login(client)
    response = client.post(reverse("exports:relances") + "?statut=envoye", {"format": "csv"})
    assert response.status_code == 302
    with historique.tenant.scope():
        export = export_executer(export_id=Export.objects.get().pk)
    assert (export.statut, export.total, export.fait, export.filtres) == (
        StatutExport.TERMINE,
        2,
        2,
        {"statut": "envoye"},
    )
    lignes = lire_csv(client.get(reverse("exports:telecharger", args=[export.pk])))
    assert [ligne[2] for ligne in lignes[1:]] == ["Charlie", "Alpha"]


# Disputes ---------------------------------------------------------------------------------------


@pytest.fixture
def litiges(grand_livre):
    """Alpha's dispute on F2 (600 left, open, from the ledger) and a resolved one on Charlie's F6."""
    from litiges.services import litige_ouvrir

    with grand_livre.tenant.scope():
        alpha = Litige.objects.get()
        Litige.objects.filter(pk=alpha.pk).update(echeance=grand_livre.aujourd_hui - 2 * J, souleve_par="M. Durand")
        resolu = litige_ouvrir(
            client=grand_livre.charlie,
            factures=[(grand_livre.f["F6"], Decimal("120.00"))],
            type="qualite",
            description="Livraison abîmée",
            auteur=None,
            responsable=grand_livre.rep1,
        )
        Litige.objects.filter(pk=resolu.pk).update(statut=StatutLitige.RESOLU_AVOIR, resolution="Avoir accordé")
    return grand_livre


def test_the_disputes_export_for_the_pages_filters(client, litiges):
    litiges.tenant.login(client)
    # Default: the active ones.
    lignes = lire_csv(client.post(reverse("exports:litiges"), {"format": "csv"}))
    entete = lignes[0]
    assert entete[:11] == [
        "Ouvert le",
        "Client",
        "SIREN du client",
        "Type",
        "Factures",
        "Montant contesté",
        "Soulevé par",
        "Responsable",
        "À résoudre avant le",
        "En retard",
        "Statut",
    ]
    assert len(lignes) == 2
    alpha = dict(zip(entete, lignes[1], strict=True))
    assert (alpha["Client"], alpha["Factures"], alpha["Montant contesté"], alpha["Soulevé par"]) == (
        "Alpha",
        "F2",
        "600,00",
        "M. Durand",
    )
    assert (alpha["En retard"], alpha["Statut"], alpha["Description"]) == ("Oui", "Ouvert", "Prix contesté")
    assert alpha["À résoudre avant le"] == (litiges.aujourd_hui - 2 * J).strftime("%d/%m/%Y")
    tous = lire_xlsx(client.post(reverse("exports:litiges") + "?statut=tous", {"format": "xlsx"}))
    assert sorted(ligne[1] for ligne in tous[1:]) == ["Alpha", "Charlie"]
    charlie = next(ligne for ligne in tous[1:] if ligne[1] == "Charlie")
    assert (charlie[4], charlie[5], charlie[9], charlie[10], charlie[13]) == (
        "F6",
        120,
        "Non",
        "Résolu : avoir émis",
        "Avoir accordé",
    )
    resolus = lire_csv(client.post(reverse("exports:litiges") + "?statut=resolu_avoir&type=qualite", {"format": "csv"}))
    assert [ligne[1] for ligne in resolus[1:]] == ["Charlie"]
    en_retard = lire_csv(client.post(reverse("exports:litiges") + "?statut=tous&en_retard=on", {"format": "csv"}))
    assert [ligne[1] for ligne in en_retard[1:]] == ["Alpha"]


def test_a_commercials_disputes_export_and_the_background_path(client, litiges, settings):
    client.force_login(litiges.rep2.user)  # Bravo's rep: no dispute
    assert len(lire_csv(client.post(reverse("exports:litiges") + "?statut=tous", {"format": "csv"}))) == 1
    settings.EXPORTS_SYNCHRONE_MAX = 1
    litiges.tenant.login(client)
    response = client.post(reverse("exports:litiges") + "?statut=tous&page=2", {"format": "xlsx"})
    assert response.status_code == 302
    with litiges.tenant.scope():
        export = export_executer(export_id=Export.objects.get().pk)
    assert (export.statut, export.total, export.filtres) == (StatutExport.TERMINE, 2, {"statut": "tous"})


# Isolation, roles, formats ---------------------------------------------------------------------


def test_another_organisation_exports_only_its_own(client, grand_livre, tenant_b):
    tenant_b.login(client)
    lignes = lire_csv(client.post(reverse("exports:balance_agee"), {"format": "csv"}))
    assert [ligne[0] for ligne in lignes[1:]] == ["Alpha Bis", "Total"]
    assert lignes[-1][7] == "99999,00"
    assert len(lire_csv(client.post(reverse("exports:relances") + "?statut=", {"format": "csv"}))) == 1
    assert len(lire_csv(client.post(reverse("exports:litiges") + "?statut=tous", {"format": "csv"}))) == 1


@pytest.mark.parametrize("role", [Role.LECTURE, Role.DAF, Role.COMMERCIAL])
def test_every_role_exports_what_it_sees(client, grand_livre, role):
    grand_livre.tenant.login(client, role=role)
    for nom in ("exports:balance_agee", "exports:relances", "exports:litiges"):
        assert client.post(reverse(nom), {"format": "csv"}).status_code == 200, nom


def test_formats_and_methods(client, tenant_a):
    tenant_a.login(client)
    assert client.post(reverse("exports:relances"), {"format": "pdf"}).status_code == 404
    assert client.post(reverse("exports:litiges"), {"format": "pdf"}).status_code == 404
    assert client.get(reverse("exports:balance_agee")).status_code == 405
    # An empty organisation: the header and a zero total.
    lignes = lire_csv(client.post(reverse("exports:balance_agee"), {"format": "csv"}))
    assert [ligne[0] for ligne in lignes[1:]] == ["Total"]


def test_the_pages_carry_their_filters_to_the_export_buttons(client, grand_livre):
    grand_livre.tenant.login(client)
    page = client.get(reverse("clients:liste") + "?categorie=eti").content.decode()
    assert f'action="{reverse("exports:balance_agee")}?categorie=eti"' in page
    page = client.get(reverse("relances:envois") + "?statut=envoye&livraison=rebond").content.decode()
    assert f'action="{reverse("exports:relances")}?statut=envoye&amp;livraison=rebond"' in page
    page = client.get(reverse("litiges:liste") + "?statut=tous&type=prix").content.decode()
    assert f'action="{reverse("exports:litiges")}?statut=tous&amp;type=prix"' in page
    page = client.get(reverse("tableau:index")).content.decode()
    assert f'action="{reverse("exports:balance_agee")}"' in page


def _requetes(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as requetes:
        response = client.post(url, {"format": "csv"})
        b"".join(response.streaming_content)
    return len(requetes)


def test_the_number_of_queries_does_not_grow_with_the_rows(client, historique, litiges):
    """Set-based: a few queries per 1,000 rows, never one per row."""
    from litiges.services import litige_ouvrir

    historique.tenant.login(client)
    urls = [
        reverse("exports:balance_agee"),
        reverse("exports:relances") + "?statut=",
        reverse("exports:litiges") + "?statut=tous",
    ]
    _requetes(client, urls[0])  # the first request saves the session
    avant = [_requetes(client, url) for url in urls]
    with historique.tenant.scope():
        etape = scenario_avec_etape(nom="Autre")
        for i in range(20):
            nouveau = ClientFactory(raison_sociale=f"Nouveau {i:02d}", commercial=historique.rep2)
            f = facture(nouveau, echeance=historique.aujourd_hui - i * J, ttc="10.00", numero=f"N{i}")
            envoi = Envoi.objects.create(
                client=nouveau,
                date_prevue=historique.aujourd_hui,
                etape=etape,
                canal="email",
                statut=StatutEnvoi.ENVOYE,
            )
            Relance.objects.create(
                facture=f,
                etape=etape,
                client=nouveau,
                envoi=envoi,
                date_prevue=envoi.date_prevue,
                decalage_jours=1,
                canal="email",
            )
            litige_ouvrir(client=nouveau, factures=[(f, None)], type="prix", description="x", auteur=None)
    apres = [_requetes(client, url) for url in urls]
    assert apres == avant
