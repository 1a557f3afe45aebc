"""Event types of litigation, written on the client timeline with ``clients.events.evenement_record``."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TypeEvenementContentieux(models.TextChoices):
    OUVERT = "contentieux.ouvert", _("Passage en contentieux")
    TRANSMIS = "contentieux.transmis", _("Dossier contentieux transmis")
    CLOS = "contentieux.clos", _("Dossier contentieux clos")
    RELANCES_REPRISES = "contentieux.reprise", _("Relances reprises après contentieux")
