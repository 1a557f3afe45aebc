"""Event types of the factures app, written with ``clients.events.evenement_record``."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TypeEvenementFacture(models.TextChoices):
    FACTURE_CREEE = "facture.creee", _("Facture enregistrée")
    FACTURE_ANNULEE = "facture.annulee", _("Facture annulée")
    PAIEMENT_RECU = "paiement.recu", _("Paiement reçu")
    LETTRAGE = "lettrage.cree", _("Lettrage")
    LETTRAGE_ANNULE = "lettrage.annule", _("Lettrage annulé")
