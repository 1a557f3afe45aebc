"""One HTTP POST to an endpoint: no redirect followed, a timeout, no proxy, and (unless a
setting allows it) no private, loopback or link-local target (SSRF).

The host name is resolved once, every address is checked, and the connection goes to the
checked address (TLS still verifies the certificate against the host name): a DNS answer
that changes between the check and the connection cannot point the request inside.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

EXTRAIT_MAX = 1000


class CibleRefusee(Exception):
    """The URL may not be called (scheme, host, or a private address)."""


@dataclass(frozen=True)
class Reponse:
    code: int | None
    extrait: str
    erreur: str
    duree_ms: int


def adresse_autorisee(adresse: str) -> bool:
    ip = ipaddress.ip_address(adresse)
    if getattr(settings, "WEBHOOKS_CIBLES_PRIVEES", False):
        return True
    return ip.is_global and not ip.is_multicast


def _resoudre(hote: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(hote, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise CibleRefusee(f"DNS : {error}") from error
    adresses = [str(info[4][0]) for info in infos]
    if not adresses:
        raise CibleRefusee(_("DNS : aucune adresse"))
    refusees = [a for a in adresses if not adresse_autorisee(a)]
    if refusees:
        raise CibleRefusee(_("adresse privée ou réservée refusée : %(ip)s") % {"ip": refusees[0]})
    return adresses[0]


class _Http(http.client.HTTPConnection):
    def __init__(self, hote: str, port: int, *, ip: str, timeout: float) -> None:
        super().__init__(hote, port, timeout=timeout)
        self._ip = ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


class _Https(http.client.HTTPSConnection):
    def __init__(self, hote: str, port: int, *, ip: str, timeout: float, contexte: ssl.SSLContext) -> None:
        super().__init__(hote, port, timeout=timeout, context=contexte)
        self._ip = ip
        self._contexte = contexte

    def connect(self) -> None:
        brut = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._contexte.wrap_socket(brut, server_hostname=self.host)


def verifier_url(url: str) -> None:
    """The scheme and the host, without resolving (forms): https, or http when allowed."""
    parties = urlsplit(url)
    schemes = ("https", "http") if getattr(settings, "WEBHOOKS_HTTP_AUTORISE", False) else ("https",)
    if parties.scheme not in schemes:
        raise CibleRefusee(_("schéma refusé"))
    if not parties.hostname or parties.username or parties.password:
        raise CibleRefusee(_("hôte invalide"))
    try:
        ip = ipaddress.ip_address(parties.hostname)
    except ValueError:
        return
    if not adresse_autorisee(str(ip)):
        raise CibleRefusee(_("adresse privée ou réservée refusée : %(ip)s") % {"ip": ip})


def poster(url: str, *, corps: bytes, entetes: dict[str, str]) -> Reponse:
    """POST ``corps``; never raises for network trouble: the outcome says what happened."""
    debut = time.monotonic()
    timeout = float(getattr(settings, "WEBHOOKS_TIMEOUT_SECONDES", 10))

    def duree() -> int:
        return int((time.monotonic() - debut) * 1000)

    try:
        verifier_url(url)
        parties = urlsplit(url)
        hote = parties.hostname or ""
        port = parties.port or (443 if parties.scheme == "https" else 80)
        ip = _resoudre(hote, port)
    except CibleRefusee as error:
        return Reponse(
            code=None, extrait="", erreur=_("Cible refusée : %(raison)s") % {"raison": error}, duree_ms=duree()
        )
    chemin = parties.path or "/"
    if parties.query:
        chemin += "?" + parties.query
    connexion: Any
    if parties.scheme == "https":
        connexion = _Https(hote, port, ip=ip, timeout=timeout, contexte=ssl.create_default_context())
    else:
        connexion = _Http(hote, port, ip=ip, timeout=timeout)
    try:
        connexion.request("POST", chemin, body=corps, headers=entetes)
        reponse = connexion.getresponse()
        extrait = reponse.read(EXTRAIT_MAX).decode("utf-8", errors="replace")
        return Reponse(code=reponse.status, extrait=extrait, erreur="", duree_ms=duree())
    except (OSError, http.client.HTTPException) as error:
        nom = _("Délai dépassé") if isinstance(error, TimeoutError | socket.timeout) else type(error).__name__
        return Reponse(code=None, extrait="", erreur=f"{nom} : {error}"[:500], duree_ms=duree())
    finally:
        connexion.close()
