"""The nightly job: each organisation once a day, from 02:00 in its own time zone."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine

from recouvrement.tenancy.context import organisation_scope
from risque import tasks
from risque.models import CalculRisqueJour
from risque.tasks import risque_ordonnancer

pytestmark = pytest.mark.django_db
UTC = zoneinfo.ZoneInfo("UTC")


@pytest.fixture
def file_risque(monkeypatch):
    envoyees: list[dict] = []
    monkeypatch.setattr(tasks.risque_calculer, "delay", lambda **kw: envoyees.append(kw))
    return envoyees


def test_once_a_day_per_organisation_at_its_local_hour(tenant_a, tenant_b, file_risque):
    tenant_b.organisation.fuseau_horaire = "America/Martinique"  # UTC−4
    tenant_b.organisation.save()
    a, b = tenant_a.organisation.pk, tenant_b.organisation.pk
    # 01:30 in Paris: not yet for A; 20:30 on the 26th in Martinique: B's 26th, not computed yet.
    with time_machine.travel(datetime.datetime(2026, 11, 27, 0, 30, tzinfo=UTC), tick=False):
        assert risque_ordonnancer() == 1
    assert file_risque == [{"organisation_id": b, "jour": "2026-11-26"}]
    with time_machine.travel(datetime.datetime(2026, 11, 27, 1, 30, tzinfo=UTC), tick=False):  # 02:30 Paris
        assert risque_ordonnancer() == 1
        assert risque_ordonnancer() == 0  # a second round, or a second scheduler
    assert file_risque[1:] == [{"organisation_id": a, "jour": "2026-11-27"}]
    for tenant in (tenant_a, tenant_b):  # the workers finished them
        with organisation_scope(tenant.organisation):
            CalculRisqueJour.objects.update(termine_le=datetime.datetime(2026, 11, 27, 1, 35, tzinfo=UTC))
    with time_machine.travel(datetime.datetime(2026, 11, 27, 6, 30, tzinfo=UTC), tick=False):  # 02:30 Martinique
        assert risque_ordonnancer() == 1
    assert file_risque[-1] == {"organisation_id": b, "jour": "2026-11-27"}
    with organisation_scope(tenant_a.organisation):
        assert list(CalculRisqueJour.objects.values_list("jour", flat=True)) == [datetime.date(2026, 11, 27)]


def test_a_day_claimed_but_never_finished_is_queued_again(tenant_a, file_risque):
    with time_machine.travel(datetime.datetime(2026, 11, 27, 1, 30, tzinfo=UTC), tick=False):
        assert risque_ordonnancer() == 1
    with time_machine.travel(datetime.datetime(2026, 11, 27, 2, 0, tzinfo=UTC), tick=False):
        assert risque_ordonnancer() == 0  # within the hour: maybe still running
    with time_machine.travel(datetime.datetime(2026, 11, 27, 2, 45, tzinfo=UTC), tick=False):
        assert risque_ordonnancer() == 1  # lost: queued again
        assert risque_ordonnancer() == 0
    with organisation_scope(tenant_a.organisation):
        CalculRisqueJour.objects.update(termine_le=datetime.datetime(2026, 11, 27, 2, 50, tzinfo=UTC))
    with time_machine.travel(datetime.datetime(2026, 11, 27, 5, 0, tzinfo=UTC), tick=False):
        assert risque_ordonnancer() == 0  # finished: done for the day
    assert len(file_risque) == 2


def test_the_task_runs_in_the_organisations_scope_and_records_the_day(histoires):
    resultat = tasks.risque_calculer.apply(
        kwargs={"organisation_id": histoires.tenant.organisation.pk, "jour": "2026-11-27"}
    ).get()
    assert resultat == {"clients": 6, "classes_changees": 6, "alertes_levees": 1, "alertes_terminees": 0}
    with histoires.tenant.scope():
        journal = CalculRisqueJour.objects.get()
        assert (journal.jour, journal.clients, journal.alertes_levees) == (datetime.date(2026, 11, 27), 6, 1)
        assert journal.termine_le is not None
