"""Two calls writing the same new invoice at the same moment: the second one waits for the first
one's commit, then meets the unique constraint. It must answer a 409 to send again, never a 500."""

from __future__ import annotations

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from factures.masse import factures_upsert
from factures.models import Facture
from recouvrement.tenancy.context import organisation_scope
from tests.factories import ClientFactory

LIGNE_JSON = {
    "numero": "FC-1",
    "client_external_id": "C-1",
    "date_emission": "2026-10-01",
    "date_echeance": "2026-10-31",
    "montant_ht": "100.00",
    "montant_tva": "20.00",
}


def _attendre_un_verrou(delai: float = 20) -> None:
    """Until a session of this database waits on a lock (the second call's insert)."""
    fin = time.monotonic() + delai
    with connections["default"].cursor() as cursor:
        while time.monotonic() < fin:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the second call never waited for the first one")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("url", "corps"), [("/api/v1/factures/bulk/", [LIGNE_JSON]), ("/api/v1/factures/", LIGNE_JSON)]
)
def test_the_same_invoice_created_by_two_calls_at_once_answers_a_conflict_to_send_again(api_a, tenant_a, url, corps):
    with tenant_a.scope():
        ClientFactory(external_id="C-1")
    ecrite, valider = threading.Event(), threading.Event()
    erreurs: list[BaseException] = []

    def premier_appel() -> None:
        try:
            with organisation_scope(tenant_a.organisation), transaction.atomic():
                ligne = {
                    **LIGNE_JSON,
                    "date_emission": datetime.date(2026, 10, 1),
                    "date_echeance": datetime.date(2026, 10, 31),
                    "montant_ht": Decimal("100.00"),
                    "montant_tva": Decimal("20.00"),
                }
                assert factures_upsert(lignes=[ligne]).crees == 1
                ecrite.set()
                assert valider.wait(30)
        except BaseException as e:  # noqa: BLE001  (reported by the main thread)
            erreurs.append(e)
        finally:
            connection.close()

    reponses: list = []

    def second_appel() -> None:
        try:
            reponses.append(api_a.post(url, corps))
        finally:
            connection.close()

    premier = threading.Thread(target=premier_appel)
    premier.start()
    assert ecrite.wait(30)
    second = threading.Thread(target=second_appel)
    second.start()
    _attendre_un_verrou()  # the second call's insert waits for the first call's row
    valider.set()
    premier.join(30)
    second.join(30)
    assert not erreurs
    (reponse,) = reponses
    assert reponse.status_code == 409, reponse.content
    assert reponse["Retry-After"] == "1"
    assert [e["code"] for e in reponse.json()["erreurs"]] == ["ecriture_concurrente"]
    with tenant_a.scope():
        assert Facture.objects.filter(numero="FC-1").count() == 1
    # Sent again, the call finds the invoice.
    reponse = api_a.post("/api/v1/factures/bulk/", [LIGNE_JSON])
    assert reponse.status_code == 200
    assert reponse.json()["inchanges"] == 1
