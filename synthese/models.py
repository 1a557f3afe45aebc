"""The weekly digest for finance directors: its settings per organisation, the
members' subscriptions, and one row per organisation and ISO week (the outbox
that makes the weekly send happen exactly once)."""

from __future__ import annotations

import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recouvrement.tenancy.models import Membre, TenantModel


class JourSemaine(models.IntegerChoices):
    """ISO weekday minus one, as ``date.weekday()`` gives it."""

    LUNDI = 0, _("Lundi")
    MARDI = 1, _("Mardi")
    MERCREDI = 2, _("Mercredi")
    JEUDI = 3, _("Jeudi")
    VENDREDI = 4, _("Vendredi")
    SAMEDI = 5, _("Samedi")
    DIMANCHE = 6, _("Dimanche")


def heure_par_defaut() -> datetime.time:
    return datetime.time(8, 0)


class ParametresSynthese(TenantModel):
    """When the digest goes out (in the organisation's time zone) and to whom besides the members.

    One row per organisation, created on first save of the settings page; until
    then the defaults apply (Monday 08:00, active, no extra address).
    """

    actif = models.BooleanField(_("envoi hebdomadaire actif"), default=True)
    jour_semaine = models.PositiveSmallIntegerField(
        _("jour d'envoi"), choices=JourSemaine.choices, default=JourSemaine.LUNDI
    )
    heure = models.TimeField(_("heure d'envoi"), default=heure_par_defaut)
    destinataires_supplementaires = models.JSONField(
        _("autres destinataires"), default=list, blank=True, help_text=_("Adresses e-mail hors membres.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("paramètres de la synthèse hebdomadaire")
        verbose_name_plural = _("paramètres de la synthèse hebdomadaire")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="parametres_synthese_unique")]


class AbonnementSynthese(TenantModel):
    """A member's choice: ``abonne`` True subscribes a non-DAF member, False unsubscribes a DAF.

    No row: the default of the role (DAF members receive it, the others do not).
    """

    membre = models.ForeignKey(Membre, on_delete=models.CASCADE, related_name="+", db_index=False)
    abonne = models.BooleanField(_("abonné"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("abonnement à la synthèse")
        verbose_name_plural = _("abonnements à la synthèse")
        constraints = [models.UniqueConstraint(fields=["tenant", "membre"], name="abonnement_synthese_unique")]


class StatutSynthese(models.TextChoices):
    A_ENVOYER = "a_envoyer", _("À envoyer")
    EN_COURS = "en_cours", _("Envoi en cours")
    ENVOYEE = "envoyee", _("Envoyée")
    ECHEC = "echec", _("Échec")


class SyntheseHebdo(TenantModel):
    """The weekly digest of one ISO week (``semaine``: its Monday), sent once.

    Moves à envoyer → en cours → envoyée | échec. The unique constraint on
    ``(tenant, semaine)`` makes the scheduler create it once, whatever the number
    of schedulers or rounds; the claim (``synthese_reserver``) and the stable
    Message-ID make the send happen once.
    """

    semaine = models.DateField(_("semaine du"))
    statut = models.CharField(
        _("statut"), max_length=10, choices=StatutSynthese.choices, default=StatutSynthese.A_ENVOYER
    )
    destinataires = models.JSONField(default=list, blank=True)
    message_id = models.CharField(_("identifiant du message"), max_length=255, blank=True)
    tentatives = models.PositiveSmallIntegerField(default=0)
    erreur = models.TextField(blank=True)
    en_cours_depuis = models.DateTimeField(null=True, blank=True)
    envoyee_le = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = _("synthèse hebdomadaire")
        verbose_name_plural = _("synthèses hebdomadaires")
        ordering = ["-semaine"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "semaine"], name="synthese_semaine_unique"),
        ]
        indexes = [models.Index(fields=["tenant", "statut"], name="synthese_statut_idx")]

    def __str__(self) -> str:
        return f"{self.semaine:%G-W%V}"

    @property
    def cle_idempotence(self) -> str:
        """Stable for the organisation and the week: the Message-ID of every attempt."""
        return f"recouvrement-{self.tenant_id}-synthese-{self.semaine:%G-W%V}"
