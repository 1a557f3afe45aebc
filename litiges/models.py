"""Disputes: an invoice (or part of it) the customer contests. While a dispute is
open, dunning pauses on the disputed invoices (a ``relances.Pause`` each)."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from factures.models import Facture
from recouvrement.tenancy.models import Membre, TenantModel


class TypeLitige(models.TextChoices):
    PRIX = "prix", _("Prix")
    QUANTITE = "quantite", _("Quantité")
    QUALITE = "qualite", _("Qualité")
    LIVRAISON = "livraison", _("Livraison")
    ADMINISTRATIF = "administratif", _("Administratif (bon de commande manquant…)")
    DEJA_PAYE = "deja_paye", _("Déjà payé selon le client")
    AUTRE = "autre", _("Autre")


class StatutLitige(models.TextChoices):
    OUVERT = "ouvert", _("Ouvert")
    EN_COURS = "en_cours", _("En cours")
    RESOLU_AVOIR = "resolu_avoir", _("Résolu : avoir émis")
    RESOLU_REJETE = "resolu_rejete", _("Résolu : rejeté")
    RESOLU_ACCORD = "resolu_accord", _("Résolu : accord commercial")
    CLOS = "clos", _("Clos")


STATUTS_LITIGE_ACTIFS = (StatutLitige.OUVERT, StatutLitige.EN_COURS)


class Litige(TenantModel):
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="litiges", db_index=False)
    type = models.CharField(_("type"), max_length=20, choices=TypeLitige.choices)
    description = models.TextField(_("description"))
    statut = models.CharField(_("statut"), max_length=20, choices=StatutLitige.choices, default=StatutLitige.OUVERT)
    souleve_par = models.CharField(
        _("soulevé par"), max_length=200, blank=True, help_text=_("La personne, chez le client, qui conteste.")
    )
    responsable = models.ForeignKey(
        Membre,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="litiges",
        db_index=False,
        verbose_name=_("responsable"),
    )
    echeance = models.DateField(_("à résoudre avant le"), null=True, blank=True)
    resolution = models.TextField(_("résolution"), blank=True)
    ouvert_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    resolu_le = models.DateTimeField(null=True, blank=True)
    # Claims of the owner's e-mails (``UPDATE … WHERE … IS NULL``): each goes once; a new
    # owner or a new due date clears the matching ones.
    affectation_notifiee_le = models.DateTimeField(null=True, blank=True, editable=False)
    rappel_proche_envoye_le = models.DateTimeField(null=True, blank=True, editable=False)
    rappel_depasse_envoye_le = models.DateTimeField(null=True, blank=True, editable=False)
    external_id = models.CharField(_("identifiant externe"), max_length=100, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("litige")
        verbose_name_plural = _("litiges")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "external_id"], condition=~Q(external_id=""), name="litige_external_id_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "client", "statut"], name="litige_client_idx"),
            models.Index(fields=["tenant", "statut", "echeance"], name="litige_statut_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} — {self.client}"

    @property
    def est_actif(self) -> bool:
        return self.statut in STATUTS_LITIGE_ACTIFS

    @property
    def statuts_suivants(self) -> tuple[str, ...]:
        return TRANSITIONS.get(self.statut, ())

    def en_retard(self, aujourd_hui: datetime.date) -> bool:
        return self.est_actif and self.echeance is not None and self.echeance < aujourd_hui


class LigneLitige(TenantModel):
    """A disputed invoice, for its whole amount or a part (``montant``)."""

    litige = models.ForeignKey(Litige, on_delete=models.CASCADE, related_name="lignes", db_index=False)
    facture = models.ForeignKey(Facture, on_delete=models.PROTECT, related_name="+", db_index=False)
    montant = models.DecimalField(_("montant contesté"), max_digits=14, decimal_places=2)

    class Meta(TenantModel.Meta):
        verbose_name = _("facture en litige")
        verbose_name_plural = _("factures en litige")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "litige", "facture"], name="ligne_litige_unique"),
            models.CheckConstraint(condition=Q(montant__gt=0), name="ligne_litige_montant_positif"),
        ]
        indexes = [models.Index(fields=["tenant", "facture"], name="ligne_litige_facture_idx")]


# Which status may follow which (``litige_statut_changer`` refuses the others).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    StatutLitige.OUVERT: (
        StatutLitige.EN_COURS,
        StatutLitige.RESOLU_AVOIR,
        StatutLitige.RESOLU_REJETE,
        StatutLitige.RESOLU_ACCORD,
    ),
    StatutLitige.EN_COURS: (StatutLitige.RESOLU_AVOIR, StatutLitige.RESOLU_REJETE, StatutLitige.RESOLU_ACCORD),
    StatutLitige.RESOLU_AVOIR: (StatutLitige.CLOS,),
    StatutLitige.RESOLU_REJETE: (StatutLitige.CLOS,),
    StatutLitige.RESOLU_ACCORD: (StatutLitige.CLOS,),
    StatutLitige.CLOS: (),
}

# The time to settle a dispute when the organisation set none for its type (days).
DELAIS_PAR_DEFAUT: dict[str, int] = {
    TypeLitige.PRIX: 15,
    TypeLitige.QUANTITE: 15,
    TypeLitige.QUALITE: 20,
    TypeLitige.LIVRAISON: 10,
    TypeLitige.ADMINISTRATIF: 10,
    TypeLitige.DEJA_PAYE: 10,
    TypeLitige.AUTRE: 30,
}
RAPPEL_JOURS_AVANT_DEFAUT = 2

EXTENSIONS_PIECES = ("pdf", "png", "jpg", "jpeg", "gif", "docx", "xlsx", "odt", "ods", "eml", "msg", "txt", "csv")
TAILLE_MAX_PIECE = 10 * 1024 * 1024


def chemin_piece(instance: PieceJointeLitige, filename: str) -> str:
    """``litiges/<year>/<month>/<random>.<ext>``: the stored name is not guessable nor the
    client's; the original name is kept in ``nom_original`` for the download."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    maintenant = timezone.now()
    return f"litiges/{maintenant:%Y}/{maintenant:%m}/{uuid.uuid4().hex}.{extension}"


class CommentaireLitige(TenantModel):
    """One message of a dispute's thread (append-only)."""

    litige = models.ForeignKey(Litige, on_delete=models.CASCADE, related_name="commentaires", db_index=False)
    auteur = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    texte = models.TextField(_("commentaire"), max_length=5000)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = _("commentaire de litige")
        verbose_name_plural = _("commentaires de litige")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "litige", "created_at"], name="commentaire_litige_idx")]

    def __str__(self) -> str:
        return self.texte[:50]


class PieceJointeLitige(TenantModel):
    """A file attached to a dispute (the customer's complaint, a delivery note, photos…)."""

    litige = models.ForeignKey(Litige, on_delete=models.CASCADE, related_name="pieces", db_index=False)
    fichier = models.FileField(_("fichier"), upload_to=chemin_piece, max_length=200)
    nom_original = models.CharField(_("nom du fichier"), max_length=255)
    taille = models.PositiveBigIntegerField(_("taille (octets)"))
    depose_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = _("pièce jointe de litige")
        verbose_name_plural = _("pièces jointes de litige")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "litige"], name="piece_litige_idx")]

    def __str__(self) -> str:
        return self.nom_original


class DelaiLitige(TenantModel):
    """The organisation's time to settle one type of dispute (its SLA), in days."""

    type = models.CharField(_("type"), max_length=20, choices=TypeLitige.choices)
    jours = models.PositiveSmallIntegerField(_("délai de résolution (jours)"))

    class Meta(TenantModel.Meta):
        verbose_name = _("délai de résolution")
        verbose_name_plural = _("délais de résolution")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "type"], name="delai_litige_unique"),
            models.CheckConstraint(condition=Q(jours__gte=1, jours__lte=365), name="delai_litige_borne"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} : {self.jours}"


class ParametresLitige(TenantModel):
    """The organisation's dispute settings (one row at most; defaults when absent)."""

    rappel_jours_avant = models.PositiveSmallIntegerField(
        _("rappel N jours avant l'échéance"), default=RAPPEL_JOURS_AVANT_DEFAUT
    )

    class Meta(TenantModel.Meta):
        verbose_name = _("paramètres des litiges")
        verbose_name_plural = _("paramètres des litiges")
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="parametres_litige_unique"),
            models.CheckConstraint(condition=Q(rappel_jours_avant__lte=60), name="parametres_litige_rappel_borne"),
        ]
