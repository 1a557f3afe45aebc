"""Celery tasks carry the organisation id and run inside its scope, in a real worker on Redis."""

from __future__ import annotations

import json
import os
import uuid

import pytest
import redis

from recouvrement.core.errors import TenantScopeError
from tests.celery_probe import probe_clients
from tests.factories import ClientFactory
from tests.worker import Worker, attendre, env_du_worker


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
    store = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    tenants = {"a": tenant_a, "b": tenant_b}
    keys = {name: f"{queue}:{name}" for name in tenants}
    with Worker(
        env=env_du_worker(), journal=tmp_path / "worker.log", queues=queue, include="tests.celery_probe"
    ) as worker:
        for name, key in keys.items():
            organisation_id = tenants[name].organisation.pk
            probe_clients.apply_async(kwargs={"organisation_id": organisation_id, "key": key}, queue=queue)
        attendre(lambda: all(store.exists(k) for k in keys.values()), worker=worker, message="both probes")
    seen = {name: json.loads(store.get(key)) for name, key in keys.items()}
    assert seen["a"] == {"orm": ["Client d'Alpha"], "raw_tenants": [tenant_a.organisation.pk]}
    assert seen["b"] == {"orm": ["Client de Bêta"], "raw_tenants": [tenant_b.organisation.pk]}
