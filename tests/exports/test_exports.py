"""Exports of the lists (CSV and XLSX read back), a commercial's scope in them, background
jobs with their progress (through a real worker), downloads, and the letters batch."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from exports.models import Export, StatutExport, TypeExport
from exports.services import export_executer
from relances.models import Envoi, StatutEnvoi
from tests.factories import ClientFactory, scenario_avec_etape
from tests.listes.conftest import J, facture
from tests.worker import Worker, attendre, env_du_worker


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def lire_csv(response) -> list[list[str]]:
    contenu = b"".join(response.streaming_content)
    assert contenu.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    return list(csv.reader(io.StringIO(contenu.decode("utf-8-sig")), delimiter=";"))


def test_the_clients_csv_is_the_list_as_french_excel_reads_it(client, grand_livre):
    grand_livre.tenant.login(client)
    response = client.post(reverse("exports:clients") + "?tri=-encours&retard=1", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lignes = lire_csv(response)
    entete = lignes[0]
    assert entete[:3] == ["Raison sociale", "SIREN", "Identifiant externe"]
    colonnes = {nom: i for i, nom in enumerate(entete)}
    assert [ligne[0] for ligne in lignes[1:]] == ["Alpha", "Charlie"]
    alpha = lignes[1]
    assert alpha[colonnes["Encours"]] == "1700,00"
    assert alpha[colonnes["Échu"]] == "1800,00"
    assert alpha[colonnes["Retard max. (jours)"]] == "50"
    assert alpha[colonnes["Plafond dépassé"]] == "Oui"


def test_the_invoices_xlsx_has_real_numbers_and_dates(client, grand_livre):
    grand_livre.tenant.login(client)
    response = client.post(reverse("exports:factures") + "?statut=impayees&tri=-reste_du", {"format": "xlsx"})
    assert response.status_code == 200
    classeur = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    feuille = classeur.active
    lignes = list(feuille.iter_rows(values_only=True))
    entete = lignes[0]
    colonnes = {nom: i for i, nom in enumerate(entete)}
    assert [ligne[0] for ligne in lignes[1:]] == ["F1", "F2", "F3", "F6", "AV1"]
    f2 = lignes[2]
    assert f2[colonnes["Reste dû"]] == 600
    assert isinstance(f2[colonnes["Reste dû"]], (int, float))
    assert f2[colonnes["Date d'échéance"]] == datetime.datetime.combine(
        grand_livre.aujourd_hui - 50 * J, datetime.time()
    )
    assert f2[colonnes["En litige"]] == "Oui"
    cellule = feuille.cell(row=3, column=colonnes["Date d'échéance"] + 1)
    assert cellule.number_format == "DD/MM/YYYY"
    assert feuille.cell(row=3, column=colonnes["Reste dû"] + 1).number_format == "#,##0.00"


def test_the_invoices_csv_dates_and_amounts(client, grand_livre):
    grand_livre.tenant.login(client)
    response = client.post(reverse("exports:factures") + "?q=F2", {"format": "csv"})
    entete, f2 = lire_csv(response)
    ligne = dict(zip(entete, f2, strict=True))
    assert ligne["Date d'échéance"] == (grand_livre.aujourd_hui - 50 * J).strftime("%d/%m/%Y")
    assert ligne["Montant TTC"] == "1000,00"
    assert ligne["Statut"] == "Partiellement payée"


def test_a_formula_in_a_name_stays_text(client, tenant_a):
    with tenant_a.scope():
        ClientFactory(raison_sociale='=HYPERLINK("http://x")')
    tenant_a.login(client)
    lignes = lire_csv(client.post(reverse("exports:clients"), {"format": "csv"}))
    assert lignes[1][0] == '\'=HYPERLINK("http://x")'
    classeur = openpyxl.load_workbook(
        io.BytesIO(b"".join(client.post(reverse("exports:clients"), {"format": "xlsx"}).streaming_content))
    )
    assert classeur.active.cell(row=2, column=1).data_type == "s"


def test_a_commercials_export_holds_his_clients_only(client, grand_livre):
    client.force_login(grand_livre.rep1.user)
    lignes = lire_csv(client.post(reverse("exports:clients") + f"?commercial={grand_livre.rep2.pk}", {"format": "csv"}))
    assert [ligne[0] for ligne in lignes[1:]] == ["Alpha", "Delta"]
    factures = lire_csv(client.post(reverse("exports:factures") + "?statut=toutes", {"format": "csv"}))
    assert sorted(ligne[0] for ligne in factures[1:]) == ["AV1", "F1", "F2", "F5"]


def test_an_unknown_format_is_404(client, tenant_a):
    tenant_a.login(client)
    assert client.post(reverse("exports:clients"), {"format": "pdf"}).status_code == 404
    assert client.get(reverse("exports:clients")).status_code == 405


def test_a_large_export_goes_to_the_background_and_builds_there(client, grand_livre, settings):
    settings.EXPORTS_SYNCHRONE_MAX = 2
    grand_livre.tenant.login(client)
    response = client.post(reverse("exports:clients") + "?tri=-encours", {"format": "xlsx"})
    with grand_livre.tenant.scope():
        export = Export.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("exports:suivi", args=[export.pk])
    assert export.filtres == {"tri": "-encours"}
    suivi = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in suivi
    assert client.get(reverse("exports:telecharger", args=[export.pk]))["Location"] == response["Location"]
    with grand_livre.tenant.scope():
        export = export_executer(export_id=export.pk)
    assert (export.statut, export.fait, export.total) == (StatutExport.TERMINE, 4, 4)
    fragment = client.get(reverse("exports:progression", args=[export.pk])).content.decode()
    assert "hx-trigger" not in fragment
    assert reverse("exports:telecharger", args=[export.pk]) in fragment
    fichier = client.get(reverse("exports:telecharger", args=[export.pk]))
    feuille = openpyxl.load_workbook(io.BytesIO(b"".join(fichier.streaming_content))).active
    assert [ligne[0] for ligne in feuille.iter_rows(min_row=2, values_only=True)] == [
        "Alpha",
        "Bravo",
        "Charlie",
        "Delta",
    ]


def test_exports_are_not_reachable_from_elsewhere(client, grand_livre, tenant_b):
    with grand_livre.tenant.scope():
        export = Export.objects.create(
            type=TypeExport.CLIENTS, format="csv", jour=grand_livre.aujourd_hui, demande_par=grand_livre.tenant.membre
        )
        export_executer(export_id=export.pk)
    for nom in ("exports:suivi", "exports:progression", "exports:telecharger"):
        url = reverse(nom, args=[export.pk])
        tenant_b.login(client)
        assert client.get(url).status_code == 404, nom
        # A commercial never gets another member's export: it may hold other reps' clients.
        client.force_login(grand_livre.rep1.user)
        assert client.get(url).status_code == 404, nom
        grand_livre.tenant.login(client)
        assert client.get(url).status_code == 200, nom


def test_the_letters_batch_is_built_with_its_progress(client, tenant_a):
    jour = timezone.localdate()
    with tenant_a.scope():
        etape = scenario_avec_etape()
        for i in range(2):
            Envoi.objects.create(
                client=ClientFactory(raison_sociale=f"Destinataire {i}"),
                date_prevue=jour,
                etape=etape,
                canal="courrier",
                statut=StatutEnvoi.ENVOYE,
                courrier_pdf="courriers/x.pdf",
                courrier_html=f"<html><body><p>Lettre {i}</p></body></html>",
            )
    tenant_a.login(client)
    assert client.get(reverse("exports:courriers")).status_code == 200
    response = client.post(reverse("exports:courriers"), {"date": jour.isoformat()})
    with tenant_a.scope():
        export = Export.objects.get()
        assert response["Location"] == reverse("exports:suivi", args=[export.pk])
        export = export_executer(export_id=export.pk)
    assert (export.statut, export.fait, export.total) == (StatutExport.TERMINE, 2, 2)
    pdf = b"".join(client.get(reverse("exports:telecharger", args=[export.pk])).streaming_content)
    assert pdf.startswith(b"%PDF")


def test_a_batch_without_letters_fails_with_a_message(client, tenant_a):
    tenant_a.login(client)
    client.post(reverse("exports:courriers"), {"date": "2026-01-05"})
    with tenant_a.scope():
        export = export_executer(export_id=Export.objects.get().pk)
    assert export.statut == StatutExport.ECHEC
    assert "Aucun courrier pour le 05/01/2026" in export.erreur


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_a_large_export(client, tenant_a, settings, tmp_path, file_isolee):
    settings.EXPORTS_SYNCHRONE_MAX = 100
    with tenant_a.scope():
        for i in range(450):
            facture(ClientFactory(raison_sociale=f"Client {i:03d}"), echeance=timezone.localdate() - i * J, ttc="12.50")
    tenant_a.login(client)
    response = client.post(reverse("exports:factures") + "?tri=-echeance", {"format": "csv"})
    assert response.status_code == 302
    with tenant_a.scope():
        export_id = Export.objects.get().pk
    env = env_du_worker(CELERY_TASK_DEFAULT_QUEUE=file_isolee, MEDIA_ROOT=str(tmp_path))
    with Worker(env=env, journal=tmp_path / "worker.log", queues=file_isolee) as worker:

        def fini() -> bool:
            with tenant_a.scope():
                return Export.objects.get(pk=export_id).est_fini

        attendre(fini, worker=worker, message="the export ends")
    with tenant_a.scope():
        export = Export.objects.get(pk=export_id)
    assert (export.statut, export.fait, export.total) == (StatutExport.TERMINE, 450, 450), export.erreur
    assert export.pourcentage == 100
    lignes = lire_csv(client.get(reverse("exports:telecharger", args=[export_id])))
    assert len(lignes) == 451
    assert {ligne[9] for ligne in lignes[1:]} == {"12,50"}
    assert Decimal(lignes[1][10].replace(",", ".")) == Decimal("12.50")
