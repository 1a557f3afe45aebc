"""The bulk upserts the API calls (``clients.masse``, ``factures.masse``), imported when called:
the API's URLs load even where those modules fail to import, and only the write answers 500."""

from __future__ import annotations

from typing import Any

from recouvrement.core.masse import ResultatMasse


def clients_upsert(**kwargs: Any) -> ResultatMasse:
    from clients.masse import clients_upsert as upsert

    return upsert(**kwargs)


def contacts_upsert(**kwargs: Any) -> ResultatMasse:
    from clients.masse import contacts_upsert as upsert

    return upsert(**kwargs)


def factures_upsert(**kwargs: Any) -> ResultatMasse:
    from factures.masse import factures_upsert as upsert

    return upsert(**kwargs)


def paiements_upsert(**kwargs: Any) -> ResultatMasse:
    from factures.masse import paiements_upsert as upsert

    return upsert(**kwargs)
