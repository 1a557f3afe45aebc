"""API fixtures: a write key and a read key per organisation, and a JSON client."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client as HttpClient

from api.models import Portee
from api.services import cle_create


@dataclass
class Api:
    """Django's test client with a key (or the session), JSON in and out."""

    client: HttpClient
    jeton: str | None = None
    langue: str | None = None

    def _en_tetes(self, extra: dict[str, str]) -> dict[str, str]:
        en_tetes = {}
        if self.jeton:
            en_tetes["HTTP_AUTHORIZATION"] = f"Bearer {self.jeton}"
        if self.langue:
            en_tetes["HTTP_ACCEPT_LANGUAGE"] = self.langue
        return {**en_tetes, **extra}

    def get(self, url: str, params: dict[str, Any] | None = None, **extra: str) -> Any:
        return self.client.get(url, params or {}, **self._en_tetes(extra))

    def envoyer(self, methode: str, url: str, donnees: Any = None, **extra: str) -> Any:
        corps = "" if donnees is None else json.dumps(donnees)
        return getattr(self.client, methode)(url, corps, content_type="application/json", **self._en_tetes(extra))

    def post(self, url: str, donnees: Any = None, **extra: str) -> Any:
        return self.envoyer("post", url, donnees, **extra)

    def put(self, url: str, donnees: Any = None, **extra: str) -> Any:
        return self.envoyer("put", url, donnees, **extra)

    def patch(self, url: str, donnees: Any = None, **extra: str) -> Any:
        return self.envoyer("patch", url, donnees, **extra)


@pytest.fixture(autouse=True)
def _compteurs_vides(settings) -> None:
    settings.API_DEBIT = "10000/min"
    caches["api"].clear()


def _cle(tenant, portee: str) -> str:
    with tenant.scope():
        return cle_create(nom=f"Clé {portee}", portee=portee, auteur=tenant.admin)[1]


@pytest.fixture
def jeton_a(tenant_a) -> str:
    return _cle(tenant_a, Portee.ECRITURE)


@pytest.fixture
def jeton_b(tenant_b) -> str:
    return _cle(tenant_b, Portee.ECRITURE)


@pytest.fixture
def api_a(jeton_a) -> Api:
    return Api(HttpClient(), jeton_a)


@pytest.fixture
def api_b(jeton_b) -> Api:
    return Api(HttpClient(), jeton_b)


@pytest.fixture
def api_lecture_a(tenant_a) -> Api:
    return Api(HttpClient(), _cle(tenant_a, Portee.LECTURE))
