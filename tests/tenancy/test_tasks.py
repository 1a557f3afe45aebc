"""Celery tasks carry the organisation id and run inside its scope, in a real worker on Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.db import connection

from recouvrement.core.errors import TenantScopeError
from tests.celery_probe import probe_clients
from tests.factories import ClientFactory

ROOT = Path(__file__).resolve().parents[2]


def test_a_tenant_task_without_organisation_refuses_to_run(db):
    with pytest.raises(TenantScopeError):
        probe_clients.apply(kwargs={"key": "x"}).get()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_each_task_in_its_organisation(tenant_a, tenant_b, tmp_path):
    with tenant_a.scope():
        ClientFactory(raison_sociale="Client d'Alpha")
    with tenant_b.scope():
        ClientFactory(raison_sociale="Client de Bêta")
    queue = f"probe-{uuid.uuid4().hex[:8]}"
    settings = connection.settings_dict
    database_url = (
        f"postgres://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    )
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="recouvrement.settings.test", DATABASE_URL=database_url)
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "recouvrement",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "-I",
            "tests.celery_probe",
            "--loglevel=WARNING",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    store = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    tenants = {"a": tenant_a, "b": tenant_b}
    keys = {name: f"{queue}:{name}" for name in tenants}
    try:
        for name, key in keys.items():
            organisation_id = tenants[name].organisation.pk
            probe_clients.apply_async(kwargs={"organisation_id": organisation_id, "key": key}, queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(store.exists(k) for k in keys.values()):
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(0.2)
        seen = {name: json.loads(store.get(key)) for name, key in keys.items()}
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
    assert seen["a"] == {"orm": ["Client d'Alpha"], "raw_tenants": [tenant_a.organisation.pk]}
    assert seen["b"] == {"orm": ["Client de Bêta"], "raw_tenants": [tenant_b.organisation.pk]}
