"""Event types of the disputes, written with ``clients.events.evenement_record``."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TypeEvenementLitige(models.TextChoices):
    LITIGE_OUVERT = "litige.ouvert", _("Litige ouvert")
    LITIGE_STATUT = "litige.statut", _("Litige mis à jour")
    LITIGE_SUIVI = "litige.suivi", _("Responsable ou échéance du litige modifiés")
    LITIGE_PIECE = "litige.piece", _("Pièce jointe à un litige")
