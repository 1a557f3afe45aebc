"""The endpoints' signing secrets: generated here, shown once, stored encrypted, and the
signature of a delivery.

We must keep the secret itself (an HMAC is computed with it at every delivery), so it
cannot be hashed like an API key. It is encrypted with a key derived from ``SECRET_KEY``
so that a copy of the database alone does not give the secrets away:
HMAC-SHA256 in counter mode as the key stream (a PRF used as a stream cipher), then
HMAC-SHA256 over the nonce and the ciphertext (encrypt-then-MAC), with two different
keys derived from ``SECRET_KEY``. The standard library is enough for that; no extra
package. ``SECRET_KEY_FALLBACKS`` still decrypt after a key rotation; a secret that
no key decrypts any more must be regenerated (the delivery then fails with a message).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterator

from django.conf import settings

PREFIXE = "whsec_"
VERSION = "v1"


class SecretIllisible(Exception):
    """No current or fallback ``SECRET_KEY`` decrypts this secret."""


def secret_generer() -> str:
    return PREFIXE + secrets.token_urlsafe(32)


def _cles(secret_key: str) -> tuple[bytes, bytes]:
    racine = hashlib.sha256(("recouvrement.webhooks.secret:" + secret_key).encode()).digest()
    return (
        hmac.new(racine, b"chiffrement", hashlib.sha256).digest(),
        hmac.new(racine, b"authentification", hashlib.sha256).digest(),
    )


def _flux(cle: bytes, nonce: bytes, longueur: int) -> bytes:
    blocs = bytearray()
    compteur = 0
    while len(blocs) < longueur:
        blocs += hmac.new(cle, nonce + compteur.to_bytes(4, "big"), hashlib.sha256).digest()
        compteur += 1
    return bytes(blocs[:longueur])


def _secret_keys() -> Iterator[str]:
    yield settings.SECRET_KEY
    yield from getattr(settings, "SECRET_KEY_FALLBACKS", [])


def secret_chiffrer(secret: str) -> str:
    cle_chiffrement, cle_mac = _cles(settings.SECRET_KEY)
    clair = secret.encode()
    nonce = secrets.token_bytes(16)
    chiffre = bytes(a ^ b for a, b in zip(clair, _flux(cle_chiffrement, nonce, len(clair)), strict=True))
    tag = hmac.new(cle_mac, nonce + chiffre, hashlib.sha256).digest()
    return VERSION + ":" + base64.urlsafe_b64encode(nonce + tag + chiffre).decode()


def secret_dechiffrer(valeur: str) -> str:
    version, _sep, donnees = valeur.partition(":")
    if version != VERSION:
        raise SecretIllisible(valeur[:8])
    brut = base64.urlsafe_b64decode(donnees.encode())
    nonce, tag, chiffre = brut[:16], brut[16:48], brut[48:]
    for secret_key in _secret_keys():
        cle_chiffrement, cle_mac = _cles(secret_key)
        if hmac.compare_digest(tag, hmac.new(cle_mac, nonce + chiffre, hashlib.sha256).digest()):
            flux = _flux(cle_chiffrement, nonce, len(chiffre))
            return bytes(a ^ b for a, b in zip(chiffre, flux, strict=True)).decode()
    raise SecretIllisible("no key decrypts the secret")


def signature(*, secret: str, horodatage: int, corps: bytes) -> str:
    """The ``X-Recouvrement-Signature`` header: ``t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``."""
    mac = hmac.new(secret.encode(), str(horodatage).encode() + b"." + corps, hashlib.sha256).hexdigest()
    return f"t={horodatage},v1={mac}"
