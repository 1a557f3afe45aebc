"""Event types of the dunning engine, written with ``clients.events.evenement_record``."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TypeEvenementRelance(models.TextChoices):
    RELANCE_ENVOYEE = "relance.envoyee", _("Relance envoyée")
    RELANCE_ECHEC = "relance.echec", _("Relance en échec")
    RELANCE_VALIDEE = "relance.validee", _("Relance validée")
    RELANCE_MODIFIEE = "relance.modifiee", _("Relance modifiée avant validation")
    RELANCE_ANNULEE = "relance.annulee", _("Relance annulée")
    COURRIER = "relance.courrier", _("Courrier produit")
    LIVRAISON = "relance.livraison", _("Suivi de livraison")
    PAUSE = "relance.pause", _("Relances suspendues")
    REPRISE = "relance.reprise", _("Relances reprises")
    APPEL = "relance.appel", _("Appel")
    TACHE = "relance.tache", _("Tâche")
    PROMESSE = "relance.promesse", _("Promesse de paiement")
