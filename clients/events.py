"""The event timeline: who did what, when, on a client or one of its invoices.

Every app records its events through ``evenement_record``; the types of this
app are below, the others live in each app's ``events.py``.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from clients.models import Client, Evenement


class TypeEvenementClient(models.TextChoices):
    CLIENT_CREE = "client.cree", _("Client créé")
    CLIENT_MODIFIE = "client.modifie", _("Client modifié")
    CONTACT_AJOUTE = "contact.ajoute", _("Contact ajouté")
    CONTACT_MODIFIE = "contact.modifie", _("Contact modifié")
    NOTE_AJOUTEE = "note.ajoutee", _("Note ajoutée")


def evenement_record(
    *,
    client: Client,
    type: str,
    message: str,
    auteur: Any | None = None,
    facture_id: int | None = None,
    donnees: dict[str, Any] | None = None,
) -> Evenement:
    """Append one event. Call inside the transaction of the change it describes."""
    return Evenement.objects.create(
        client=client,
        type=type,
        message=message[:500],
        auteur=auteur if auteur is not None and getattr(auteur, "is_authenticated", False) else None,
        facture_id=facture_id,
        donnees=donnees or {},
    )
