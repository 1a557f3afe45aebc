"""A real HTTP server on loopback receiving the deliveries, and the settings that let the
webhooks call it (http:// and a loopback address are refused in production)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from recouvrement.celery import app


@dataclass
class Requete:
    chemin: str
    entetes: dict[str, str]
    corps: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.corps)

    def signature_valide(self, secret: str) -> bool:
        """What the settings page tells an ERP to do, from the raw body."""
        elements = dict(partie.split("=", 1) for partie in self.entetes["X-Recouvrement-Signature"].split(","))
        attendue = hmac.new(secret.encode(), f"{elements['t']}.".encode() + self.corps, hashlib.sha256).hexdigest()
        return hmac.compare_digest(attendue, elements["v1"])


@dataclass
class Recepteur:
    """``codes``: the status of the next answers (then 200); ``requetes``: what arrived."""

    url: str
    requetes: list[Requete] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)
    entetes_reponse: dict[str, str] = field(default_factory=dict)
    verrou: threading.Lock = field(default_factory=threading.Lock)

    def repondre(self, *codes: int) -> None:
        with self.verrou:
            self.codes.extend(codes)


def _handler(recepteur: Recepteur) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            longueur = int(self.headers.get("Content-Length", "0"))
            corps = self.rfile.read(longueur)
            with recepteur.verrou:
                recepteur.requetes.append(Requete(self.path, dict(self.headers.items()), corps))
                code = recepteur.codes.pop(0) if recepteur.codes else 200
            reponse = json.dumps({"recu": code < 300, "code": code}).encode()
            self.send_response(code)
            for nom, valeur in recepteur.entetes_reponse.items():
                self.send_header(nom, valeur)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reponse)))
            self.end_headers()
            self.wfile.write(reponse)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def recepteur() -> Iterator[Recepteur]:
    recepteur = Recepteur(url="")
    serveur = ThreadingHTTPServer(("127.0.0.1", 0), _handler(recepteur))
    recepteur.url = f"http://127.0.0.1:{serveur.server_address[1]}/erp/webhooks"
    fil = threading.Thread(target=serveur.serve_forever, daemon=True)
    fil.start()
    yield recepteur
    serveur.shutdown()
    serveur.server_close()


@pytest.fixture(autouse=True)
def _webhooks_locaux(settings) -> None:
    settings.WEBHOOKS_HTTP_AUTORISE = True
    settings.WEBHOOKS_CIBLES_PRIVEES = True
    settings.WEBHOOKS_TIMEOUT_SECONDES = 2


@pytest.fixture
def immediat() -> Iterator[None]:
    """Tasks run in this process when queued (after the commit), as a worker would."""
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False


# The dunning fixtures (an organisation with the Standard scenario, published rates).
from tests.relances.conftest import _taux_publies, relances, taux_2026_s2  # noqa: E402, F401
