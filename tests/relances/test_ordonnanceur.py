"""The scheduler plans each organisation once a business day, at its hour, in its time zone."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine

from recouvrement.tenancy.context import organisation_scope
from relances.models import Envoi, PlanificationJour
from relances.tasks import relances_ordonnancer

UTC = zoneinfo.ZoneInfo("UTC")


@pytest.fixture
def sans_celery(monkeypatch):
    """Record the tasks the scheduler queues instead of sending them to the broker."""
    envoyees = []
    from relances import tasks

    monkeypatch.setattr(tasks.relances_planifier, "delay", lambda **kw: envoyees.append(("planifier", kw)))
    monkeypatch.setattr(tasks.relances_envoyer, "delay", lambda **kw: envoyees.append(("envoyer", kw)))
    monkeypatch.setattr(tasks.envoi_envoyer, "delay", lambda **kw: envoyees.append(("envoi", kw)))
    # The reconciliation queued at every round is tested on its own below.
    monkeypatch.setattr(tasks.relances_reconcilier, "delay", lambda **kw: None)
    return envoyees


def test_each_organisation_at_its_own_hour_and_time_zone(relances, tenant_b, sans_celery):
    # A: Paris, 09:00. B: Martinique (UTC-4), 08:00.
    from relances.models import ParametresRelance

    tenant_b.organisation.fuseau_horaire = "America/Martinique"
    tenant_b.organisation.save()
    with tenant_b.scope():
        ParametresRelance.objects.create(heure_envoi=datetime.time(8), calendrier="FR-972")
    # 08:30 UTC = 09:30 in Paris, 04:30 in Martinique.
    with time_machine.travel(datetime.datetime(2026, 11, 26, 8, 30, tzinfo=UTC), tick=False):
        assert relances_ordonnancer() == 1
    assert sans_celery == [("planifier", {"organisation_id": relances.tenant.organisation.pk, "jour": "2026-11-26"})]
    # 12:30 UTC = 08:30 in Martinique: B's turn; A is not planned a second time.
    sans_celery.clear()
    with time_machine.travel(datetime.datetime(2026, 11, 26, 12, 30, tzinfo=UTC), tick=False):
        assert relances_ordonnancer() == 1
    assert ("planifier", {"organisation_id": tenant_b.organisation.pk, "jour": "2026-11-26"}) in sans_celery
    assert ("envoyer", {"organisation_id": relances.tenant.organisation.pk}) in sans_celery


def test_the_local_date_is_the_organisations(relances, sans_celery):
    with relances.tenant.scope():
        relances.parametres.heure_envoi = datetime.time(0, 15)
        relances.parametres.save()
    # 23:30 UTC on Thursday 26 is 00:30 on Friday 27 in Paris.
    with time_machine.travel(datetime.datetime(2026, 11, 26, 23, 30, tzinfo=UTC), tick=False):
        relances_ordonnancer()
    assert sans_celery[0][1]["jour"] == "2026-11-27"


def test_not_before_the_hour_nor_on_a_holiday(relances, sans_celery):
    with time_machine.travel(datetime.datetime(2026, 11, 26, 7, 59, tzinfo=UTC), tick=False):  # 08:59 Paris
        assert relances_ordonnancer() == 0
    with time_machine.travel(datetime.datetime(2026, 11, 11, 12, 0, tzinfo=UTC), tick=False):  # Armistice
        assert relances_ordonnancer() == 0
    with time_machine.travel(datetime.datetime(2026, 11, 28, 12, 0, tzinfo=UTC), tick=False):  # Saturday
        assert relances_ordonnancer() == 0
    assert sans_celery == []


def test_two_schedulers_at_once_plan_once(relances, sans_celery):
    with time_machine.travel(datetime.datetime(2026, 11, 26, 9, 0, tzinfo=UTC), tick=False):
        assert relances_ordonnancer() + relances_ordonnancer() == 1
    with organisation_scope(relances.tenant.organisation):
        assert PlanificationJour.objects.filter(jour=datetime.date(2026, 11, 26)).count() == 1
        assert not Envoi.objects.exists()


def test_the_reconciliation_queues_again_the_sends_stuck_in_progress(relances, monkeypatch):
    from relances import tasks
    from relances.models import Envoi, StatutEnvoi
    from tests.factories import scenario_avec_etape

    queued = []
    monkeypatch.setattr(tasks.envoi_envoyer, "delay", lambda **kw: queued.append(kw))
    with relances.tenant.scope():
        etape = scenario_avec_etape()
        vieux = Envoi.objects.create(
            client=relances.client(),
            date_prevue=datetime.date(2026, 11, 26),
            etape=etape,
            canal="email",
            statut=StatutEnvoi.EN_COURS,
            en_cours_depuis=datetime.datetime(2026, 11, 26, 8, tzinfo=UTC),
        )
        Envoi.objects.create(
            client=relances.client(),
            date_prevue=datetime.date(2026, 11, 26),
            etape=etape,
            canal="email",
            statut=StatutEnvoi.EN_COURS,
            en_cours_depuis=datetime.datetime(2026, 11, 26, 9, 58, tzinfo=UTC),
        )
    with time_machine.travel(datetime.datetime(2026, 11, 26, 10, 0, tzinfo=UTC), tick=False):
        assert tasks.relances_reconcilier() == 1
    assert queued == [{"organisation_id": relances.tenant.organisation.pk, "envoi_id": vieux.pk}]
