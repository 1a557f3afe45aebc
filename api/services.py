"""Writes of the API app: keys (create, revoke, authenticate), and attaching an invoice's PDF."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from api.models import CleApi, Portee
from factures.models import Facture
from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.context import unscoped

PREFIXE_CLE = "rcv"
# The last-use date is written at most this often per key, not on every request.
ECART_DERNIERE_UTILISATION = datetime.timedelta(minutes=1)
PDF_TAILLE_MAX = 10 * 1024 * 1024


def empreinte(jeton: str) -> str:
    return hashlib.sha256(jeton.encode()).hexdigest()


def _decouper(jeton: str) -> tuple[str, str] | None:
    """``rcv_<prefixe>_<secret>`` → (prefixe, secret), else None."""
    parties = jeton.split("_", 2)
    if len(parties) != 3 or parties[0] != PREFIXE_CLE or not parties[1] or not parties[2]:
        return None
    return parties[1], parties[2]


@transaction.atomic
def cle_create(*, nom: str, portee: str, auteur: Any = None, jeton: str | None = None) -> tuple[CleApi, str]:
    """Create a key in the active organisation; returns it with the full token, to show once.

    ``jeton`` is for the demo only (a known token); otherwise 32 random bytes.
    """
    nom = nom.strip()
    if not nom:
        raise ApplicationError(_("Donnez un nom à la clé."), code="requis", field="nom")
    if portee not in Portee.values:
        raise ApplicationError(_("Portée inconnue."), code="choix_invalide", field="portee")
    if jeton is None:
        jeton = f"{PREFIXE_CLE}_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
    parties = _decouper(jeton)
    if parties is None:
        raise ApplicationError(_("Clé mal formée."), code="cle_invalide", field="jeton")
    cle = CleApi(
        nom=nom[:100],
        prefixe=parties[0],
        empreinte=empreinte(jeton),
        portee=portee,
        cree_par=auteur if getattr(auteur, "is_authenticated", False) else None,
    )
    cle.full_clean()
    cle.save()
    return cle, jeton


@transaction.atomic
def cle_revoquer(*, cle: CleApi, auteur: Any = None) -> CleApi:
    """Revoke a key: every later call with it answers 401. Revoking twice does nothing."""
    cle = CleApi.objects.select_for_update().get(pk=cle.pk)
    if cle.revoquee_le is None:
        cle.revoquee_le = timezone.now()
        cle.revoquee_par = auteur if getattr(auteur, "is_authenticated", False) else None
        cle.save(update_fields=["revoquee_le", "revoquee_par"])
    return cle


def cle_authentifier(jeton: str) -> CleApi | None:
    """The active key whose token is ``jeton``, with its organisation; None otherwise.

    Runs before any organisation is known, so the lookup by prefix is ``unscoped`` (the one
    place the API needs it: the key decides the organisation); the hash is compared in
    constant time. Records the last use (at most once a minute per key).
    """
    parties = _decouper(jeton.strip())
    if parties is None:
        return None
    attendue = empreinte(jeton.strip())
    with unscoped(reason="API key lookup by its prefix: the key decides the organisation"):
        candidates = list(CleApi.objects.filter(prefixe=parties[0], revoquee_le__isnull=True).select_related("tenant"))
        cle = next((c for c in candidates if hmac.compare_digest(c.empreinte, attendue)), None)
        if cle is None:
            return None
        maintenant = timezone.now()
        if cle.derniere_utilisation is None or maintenant - cle.derniere_utilisation > ECART_DERNIERE_UTILISATION:
            CleApi.objects.filter(pk=cle.pk).update(derniere_utilisation=maintenant)
            cle.derniere_utilisation = maintenant
    return cle


@transaction.atomic
def facture_pdf_attacher(*, facture: Facture, fichier: UploadedFile) -> Facture:
    """Attach (or replace) the PDF of an invoice. Refuses what is not a PDF or is too large."""
    if fichier.size is not None and fichier.size > PDF_TAILLE_MAX:
        raise ApplicationError(
            _("Le fichier dépasse %(max)s Mo.") % {"max": PDF_TAILLE_MAX // (1024 * 1024)},
            code="fichier_trop_gros",
            field="fichier",
        )
    debut = fichier.read(5)
    fichier.seek(0)
    if debut != b"%PDF-":
        raise ApplicationError(_("Le fichier n'est pas un PDF."), code="pdf_invalide", field="fichier")
    facture = Facture.objects.select_for_update().get(pk=facture.pk)
    ancien = facture.pdf.name if facture.pdf else ""
    facture.pdf.save(get_valid_filename(f"{facture.numero}.pdf"), fichier, save=False)
    facture.save(update_fields=["pdf", "updated_at"])
    if ancien and ancien != facture.pdf.name:
        storage, nom = facture.pdf.storage, ancien
        transaction.on_commit(lambda: storage.delete(nom))
    return facture
