"""A task used only by tests/tenancy/test_tasks.py, loaded by the worker with ``-I tests.celery_probe``."""

from __future__ import annotations

import json
import os

import redis
from django.db import connection

from clients.models import Client
from recouvrement.celery import app
from recouvrement.tenancy.tasks import TenantTask


@app.task(base=TenantTask, name="tests.probe_clients")
def probe_clients(*, organisation_id: int, key: str) -> None:
    """Report what the task sees of the clients, through the ORM and through raw SQL."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tenant_id FROM clients_client")
        raw = sorted(row[0] for row in cursor.fetchall())
    seen = {"orm": sorted(Client.objects.values_list("raison_sociale", flat=True)), "raw_tenants": raw}
    redis.Redis.from_url(os.environ["REDIS_URL"]).set(key, json.dumps(seen), ex=60)
