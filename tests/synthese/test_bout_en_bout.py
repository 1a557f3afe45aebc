"""End to end: the beat job and a real Celery worker send the week's digest to a real
SMTP server exactly once, through scheduler rounds, a worker restart, and a crash
between the hand-over and the record (the same Message-ID goes again; the server
keeps one)."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.utils import timezone

from recouvrement.tenancy.models import Role
from synthese.models import ParametresSynthese, StatutSynthese, SyntheseHebdo
from synthese.tasks import synthese_ordonnancer
from tests.factories import ClientFactory, MembreFactory, UserFactory
from tests.smtp import ServeurSMTP, html, texte
from tests.synthese.donnees import LUNDI, facture, payer
from tests.worker import Worker, attendre, env_du_worker

UTC = zoneinfo.ZoneInfo("UTC")
D = datetime.date
# Monday 23 November 2026, 08:05 in Paris.
LUNDI_8H05 = datetime.datetime(2026, 11, 23, 7, 5, tzinfo=UTC)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_sent_once_per_week_through_a_real_worker_and_smtp_server(tenant_a, tenant_b, tmp_path, file_isolee):
    with tenant_a.scope():
        MembreFactory(role=Role.DAF, user=UserFactory(email="daf@alpha.fr"))
        ParametresSynthese.objects.create(destinataires_supplementaires=["expert@cabinet.fr"])
        client = ClientFactory(raison_sociale="Dupont Frères")
        payer(
            facture(client, emission=D(2026, 10, 1), echeance=D(2026, 10, 31), ttc="1000.00"),
            "400.00",
            le=D(2026, 11, 18),
        )
    with tenant_b.scope():  # B has no recipient: its digest fails, and sends nothing
        ClientFactory(raison_sociale="Client de Bêta")
    with ServeurSMTP() as smtp:
        env = env_du_worker(SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port), CELERY_TASK_DEFAULT_QUEUE=file_isolee)
        # Two scheduler rounds before any worker runs (two beats, or a beat restarted): one row, one task.
        with time_machine.travel(LUNDI_8H05, tick=False):
            assert synthese_ordonnancer() == 2
            assert synthese_ordonnancer() == 0
        with Worker(env=env, journal=tmp_path / "worker-1.log", queues=file_isolee) as worker:
            attendre(lambda: len(smtp.boite.messages) == 1, worker=worker, message="the digest")
            attendre(lambda: _statut(tenant_a) == StatutSynthese.ENVOYEE, worker=worker, message="recorded")
            attendre(lambda: _statut(tenant_b) == StatutSynthese.ECHEC, worker=worker, message="B: no recipient")
            worker.tuer()
        # A new worker, and more rounds later that day: nothing more.
        with Worker(env=env, journal=tmp_path / "worker-2.log", queues=file_isolee) as worker:
            with time_machine.travel(LUNDI_8H05 + datetime.timedelta(hours=3), tick=False):
                assert synthese_ordonnancer() == 0
            # A crash after the server took the message but before "envoyée" was recorded:
            # the row is left "en cours"; the reconciliation queues it again after the delay.
            with tenant_a.scope():
                SyntheseHebdo.objects.filter(semaine=LUNDI).update(
                    statut=StatutSynthese.EN_COURS, en_cours_depuis=timezone.now() - datetime.timedelta(hours=1)
                )
            assert synthese_ordonnancer() == 0
            attendre(lambda: smtp.boite.doublons == 1, worker=worker, message="the same message again")
            attendre(lambda: _statut(tenant_a) == StatutSynthese.ENVOYEE, worker=worker, message="recorded again")
            assert synthese_ordonnancer() == 0
    assert len(smtp.boite.messages) == 1
    assert sorted(smtp.boite.enveloppes[0]) == ["daf@alpha.fr", "expert@cabinet.fr"]
    message = smtp.boite.messages[0]
    assert (
        message["Message-ID"] == f"<recouvrement-{tenant_a.organisation.pk}-synthese-2026-W47@recouvrement.localhost>"
    )
    assert "Dupont Frères" in texte(message)
    assert "Client de Bêta" not in texte(message) + html(message)
    with tenant_b.scope():
        assert SyntheseHebdo.objects.get().statut == StatutSynthese.ECHEC


def _statut(tenant) -> str:
    with tenant.scope():
        return SyntheseHebdo.objects.get(semaine=LUNDI).statut
