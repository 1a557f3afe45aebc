"""The demo's API key, with a known token so that the README's curl example works as printed.
For ``recouvrement.core.demo`` (call inside the organisation's scope, after its data is loaded)."""

from __future__ import annotations

import datetime

from api.models import CleApi, Portee
from api.services import cle_create, empreinte

# Known on purpose (demo only, SQLite, local): « curl -H "Authorization: Bearer <ce jeton>" ».
JETON_DEMO = "rcv_demo0000_cle-de-demonstration-ne-pas-utiliser-en-production"


def api_demo_creer(*, organisation: object, jour: datetime.date) -> str:
    """Create the demo key (read and write) once; returns its token. A second run changes nothing."""
    if not CleApi.objects.filter(empreinte=empreinte(JETON_DEMO)).exists():
        cle_create(nom="Démo ERP", portee=Portee.ECRITURE, jeton=JETON_DEMO)
    return JETON_DEMO
