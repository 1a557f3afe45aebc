"""Rate limit per API key (or per member for browser sessions): a fixed-window counter in the
``api`` cache (Redis in production, atomic ``INCR``; local memory for the demo)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from api.models import CleApi

DUREES = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "heure": 3600, "j": 86400, "d": 86400}


def debit() -> tuple[int, int]:
    """``API_DEBIT`` (e.g. « 600/min ») as (requests, seconds)."""
    nombre, _barre, unite = str(settings.API_DEBIT).partition("/")
    return int(nombre), DUREES.get(unite.strip().lower(), 60)


class DebitParCle(BaseThrottle):
    def allow_request(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, CleApi):
            qui = f"cle:{request.auth.pk}"
        elif request.user.is_authenticated:
            qui = f"user:{request.user.pk}"
        else:
            return True  # refused anyway (401)
        limite, fenetre = debit()
        maintenant = time.time()
        debut = int(maintenant // fenetre) * fenetre
        cle = f"api:debit:{qui}:{fenetre}:{debut}"
        cache = caches[settings.API_CACHE]
        # add() then incr(): atomic on Redis; the key expires with its window.
        if cache.add(cle, 1, timeout=fenetre + 1):
            compte = 1
        else:
            try:
                compte = cache.incr(cle)
            except ValueError:  # expired between add() and incr()
                cache.add(cle, 1, timeout=fenetre + 1)
                compte = 1
        self._attente = max(1, int(debut + fenetre - maintenant + 0.999))
        return compte <= limite

    def wait(self) -> float | None:
        return getattr(self, "_attente", None)
