"""A 100,000-line invoices CSV through a real Celery worker: the page does not block, the
progress is seen increasing (while the write transaction is open too), the counts at the end."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse

from factures.models import Facture
from imports.models import Import, StatutImport
from tests.factories import ClientFactory
from tests.imports.outils import deposer, id_de
from tests.worker import Worker, env_du_worker

LIGNES = 100_000


def gros_fichier() -> bytes:
    entete = "N° facture;Code client;Date facture;Date échéance;Montant HT;TVA;Montant TTC\r\n"
    lignes = [
        f"F{i:06d};C{i % 50:03d};{1 + i % 28:02d}/09/2026;{1 + i % 28:02d}/10/2026;"
        f"{i % 1000} {100 + i % 900:03d},00;0,00;{i % 1000} {100 + i % 900:03d},00\r\n"
        for i in range(LIGNES)
    ]
    return (entete + "".join(lignes)).encode("utf-8")


def total_attendu() -> Decimal:
    return sum((Decimal((i % 1000) * 1000 + 100 + i % 900) for i in range(LIGNES)), Decimal("0.00"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_100k_line_file_through_a_real_worker(client, tenant_a, tmp_path, file_isolee):
    with tenant_a.scope():
        for n in range(50):
            ClientFactory(external_id=f"C{n:03d}")
    tenant_a.login(client)
    import_id = id_de(deposer(client, type="factures", contenu=gros_fichier(), nom="grand-livre.csv"))
    with tenant_a.scope():
        assert Import.objects.get(pk=import_id).total == LIGNES
    page = client.get(reverse("imports:apercu", args=[import_id])).content.decode()
    assert "F000001" in page
    response = client.post(
        reverse("imports:correspondance", args=[import_id]),
        {
            f"colonne_{i}": c
            for i, c in enumerate(
                [
                    "numero",
                    "client_external_id",
                    "date_emission",
                    "date_echeance",
                    "montant_ht",
                    "montant_tva",
                    "montant_ttc",
                ]
            )
        },
    )
    assert response.status_code == 302
    debut = time.monotonic()
    response = client.post(reverse("imports:lancer", args=[import_id]))
    # Queued, not run in the request.
    assert response.status_code == 302
    assert time.monotonic() - debut < 5
    with tenant_a.scope():
        assert Import.objects.get(pk=import_id).statut == StatutImport.EN_ATTENTE

    env = env_du_worker(CELERY_TASK_DEFAULT_QUEUE=file_isolee, MEDIA_ROOT=str(tmp_path))
    vus: list[tuple[str, int, int, int]] = []
    with Worker(env=env, journal=tmp_path / "worker.log", queues=file_isolee) as worker:
        # The bulk upsert's speed decides the length (bench/README.md); the poll gives it room.
        fin = time.monotonic() + 300
        while time.monotonic() < fin:
            fragment = client.get(reverse("imports:progression", args=[import_id]))
            assert fragment.status_code == 200
            with tenant_a.scope():
                import_ = Import.objects.get(pk=import_id)
            vus.append((import_.statut, import_.lues, import_.ecrites, import_.pourcentage))
            if import_.est_fini:
                break
            assert worker.vivant(), worker.journal.read_text()[-3000:]
            time.sleep(0.25)
    assert import_.statut == StatutImport.TERMINE, (
        import_.message,
        import_.erreurs[:5],
        worker.journal.read_text()[-3000:],
    )
    assert (import_.total, import_.lues, import_.ecrites, import_.crees, import_.lignes_en_erreur) == (
        LIGNES, LIGNES, LIGNES, LIGNES, 0,
    )  # fmt: skip
    pourcentages = [p for _s, _l, _e, p in vus]
    assert pourcentages == sorted(pourcentages)
    assert len({p for p in pourcentages if 0 < p < 100}) >= 3, vus
    # Lines checked, then lines written seen while the write transaction was open.
    assert any(s == StatutImport.VALIDATION and 0 < lues < LIGNES for s, lues, _e, _p in vus), vus
    assert any(s == StatutImport.ECRITURE and 0 < ecrites < LIGNES for s, _l, ecrites, _p in vus), vus
    with tenant_a.scope():
        assert Facture.objects.count() == LIGNES
        assert Facture.objects.aggregate(total=Sum("montant_ttc"))["total"] == total_attendu()
