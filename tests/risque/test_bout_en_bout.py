"""End to end: a real Celery worker computes the organisation's scores, raises the alert and
sends its e-mail to a real SMTP server once, however many times the e-mail task is queued."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from recouvrement.tenancy.models import Role
from relances.models import ParametresRelance
from risque.models import AlertePlafond, CalculRisqueJour, ScoreRisque
from risque.tasks import alerte_notifier_tache, risque_calculer
from tests.factories import ClientFactory, FactureFactory, MembreFactory
from tests.smtp import ServeurSMTP
from tests.worker import Worker, attendre, env_du_worker

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def smtp():
    with ServeurSMTP() as serveur:
        yield serveur


def test_a_worker_computes_and_the_alert_is_emailed_once(tenant_a, smtp, tmp_path, file_isolee):
    with tenant_a.scope():
        commercial = MembreFactory(role=Role.COMMERCIAL)
        charge = MembreFactory(role=Role.CHARGE)
        ParametresRelance.objects.create(charge_par_defaut=charge)
        client = ClientFactory(raison_sociale="Gros Client", plafond_credit=Decimal("1000.00"), commercial=commercial)
        FactureFactory(
            client=client, date_emission=datetime.date(2026, 11, 1), date_echeance=datetime.date(2026, 12, 1)
        )
    organisation_id = tenant_a.organisation.pk
    env = env_du_worker(SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port), CELERY_TASK_DEFAULT_QUEUE=file_isolee)
    with Worker(env=env, journal=tmp_path / "worker.log", queues=file_isolee) as worker:
        risque_calculer.delay(organisation_id=organisation_id, jour="2026-11-27")
        attendre(lambda: len(smtp.boite.messages) == 1, worker=worker, message="the alert e-mail")
        with tenant_a.scope():
            alerte = AlertePlafond.objects.get()
            assert ScoreRisque.objects.get(client=client).encours == Decimal("1200.00")
            assert CalculRisqueJour.objects.get(jour=datetime.date(2026, 11, 27)).termine_le is not None
        # The e-mail task queued again (a retry, a second scheduler): nothing more leaves.
        for _ in range(2):
            alerte_notifier_tache.delay(organisation_id=organisation_id, alerte_id=alerte.pk)
        risque_calculer.delay(organisation_id=organisation_id, jour="2026-11-28")  # runs after them (one worker)

        def fini() -> bool:
            with tenant_a.scope():
                return CalculRisqueJour.objects.filter(
                    jour=datetime.date(2026, 11, 28), termine_le__isnull=False
                ).exists()

        attendre(fini, worker=worker, message="the second computation")
    assert len(smtp.boite.messages) == 1
    assert smtp.boite.doublons == 0
    assert sorted(smtp.boite.enveloppes[0]) == sorted([commercial.user.email, charge.user.email])
    assert "Gros Client" in smtp.boite.messages[0]["Subject"]
