"""The dashboard's two organisation-wide aggregates, side by side on two connections.

The outstanding summary and the DSO history each read every open piece or
every issue of the organisation (tens of milliseconds each on 200,000
invoices, bench/README.md). They are independent, so the DSO runs in a
worker thread, on that thread's own connection, while the request's thread
computes the summary: the page waits for the longer of the two, not for both.

Tenancy is unchanged: the thread runs in a copy of the request's context
(``contextvars``), so the organisation scope, the RLS settings sent before each
statement, and the fail-closed managers apply there as in the request.

Sequential instead when the two connections could not see the same data or
there is no second connection worth having: inside a transaction (the other
connection would not see what it has not committed: tests, or a caller's
atomic block), on SQLite (the demo), or when ``TABLEAU_REQUETES_PARALLELES``
is off. The two statements then run one after the other, as they would
anyway in separate transactions: two reads a few milliseconds apart, each
consistent in itself.
"""

from __future__ import annotations

import contextvars
import datetime
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, connection

from factures.rapports import HistoriqueDso, SyntheseEncours, dso_historique, encours_synthese
from recouvrement.tenancy.models import Organisation

# One thread per process, kept with its connection between requests (CONN_MAX_AGE).
_FIL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tableau-dso")


def _dso_dans_le_fil(organisation: Organisation, aujourd_hui: datetime.date) -> HistoriqueDso:
    close_old_connections()  # the thread's connection, if obsolete or unusable
    return dso_historique(organisation=organisation, aujourd_hui=aujourd_hui)


def en_parallele_possible() -> bool:
    return (
        getattr(settings, "TABLEAU_REQUETES_PARALLELES", True)
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    )


def chiffres_organisation(
    *, organisation: Organisation, aujourd_hui: datetime.date
) -> tuple[SyntheseEncours, HistoriqueDso]:
    """The outstanding summary and the DSO history of ``organisation`` (in its scope)."""
    if not en_parallele_possible():
        return (
            encours_synthese(organisation=organisation, aujourd_hui=aujourd_hui),
            dso_historique(organisation=organisation, aujourd_hui=aujourd_hui),
        )
    contexte = contextvars.copy_context()
    dso = _FIL.submit(contexte.run, _dso_dans_le_fil, organisation, aujourd_hui)
    try:
        synthese = encours_synthese(organisation=organisation, aujourd_hui=aujourd_hui)
    finally:
        historique = dso.result()
    return synthese, historique
