"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives.

It plays the part of an idempotent ESP: a message whose Message-ID it has
already accepted is acknowledged again but not delivered twice (``doublons``
counts them), which is what the dunning outbox relies on after a crash.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def port_libre() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Boite:
    messages: list[EmailMessage] = field(default_factory=list)
    enveloppes: list[list[str]] = field(default_factory=list)
    doublons: int = 0
    refuser: set[str] = field(default_factory=set)  # addresses answered 550
    verrou: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list):
        if address.lower() in self.refuser:
            return "550 5.1.1 Adresse inconnue"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.verrou:
            if any(m["Message-ID"] == message["Message-ID"] for m in self.messages if message["Message-ID"]):
                self.doublons += 1
            else:
                self.messages.append(message)  # type: ignore[arg-type]
                self.enveloppes.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def par_sujet(self, fragment: str) -> list[EmailMessage]:
        return [m for m in self.messages if fragment in str(m["Subject"])]


class ServeurSMTP:
    # Starting may be slow when the suite runs on every core (pytest-xdist).
    DELAI_DEMARRAGE = 30.0

    def __init__(self, port: int | None = None) -> None:
        self.port_impose = port is not None
        self.port = port or port_libre()
        self.boite = Boite()
        self.controller = self._controller()

    def _controller(self) -> Controller:
        return Controller(self.boite, hostname="127.0.0.1", port=self.port, ready_timeout=self.DELAI_DEMARRAGE)

    def __enter__(self) -> ServeurSMTP:
        for essai in range(5):
            try:
                self.controller.start()
                return self
            except OSError:
                # Another process (a parallel test worker) took the free port between port_libre() and the bind.
                if self.port_impose or essai == 4:
                    raise
                self.port = port_libre()
                self.controller = self._controller()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def mailers(self) -> dict:
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 10},
            }
        }


def texte(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def pieces_jointes(message: EmailMessage) -> list[tuple[str, bytes]]:
    return [(part.get_filename(), part.get_content()) for part in message.iter_attachments()]
