"""Risk scores of clients, credit-limit alerts, and the journal of the nightly computation.

The rows are written by the set-based statements of ``risque.services`` (one
``INSERT … ON CONFLICT DO UPDATE`` per organisation), never one client at a
time from Python; ``risque.bareme`` documents how a score is made.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import ClasseRisque, Client
from recouvrement.tenancy.models import TenantModel

MONTANT: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}


class ScoreRisque(TenantModel):
    """The latest risk score of a client: 0 (very risky) to 100 (very safe), its class and why.

    ``facteurs`` is the explanation, a list of objects ``{code, libelle, valeur, points, poids,
    contribution}`` in the order of ``risque.bareme.FACTEURS``; ``points`` and ``contribution``
    are null for a factor that does not apply to the client (no credit limit, no external
    rating, no payment history…). ``encours`` is the outstanding when the score was computed
    (the credit-limit alerts compare it with the limit).
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    score = models.PositiveSmallIntegerField(_("score"))
    classe = models.CharField(_("classe de risque"), max_length=1, choices=ClasseRisque.choices)
    facteurs = models.JSONField(_("facteurs"), default=list)
    encours = models.DecimalField(_("encours au calcul"), **MONTANT)
    calcule_le = models.DateTimeField(_("calculé le"))

    class Meta(TenantModel.Meta):
        verbose_name = _("score de risque")
        verbose_name_plural = _("scores de risque")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "client"], name="score_risque_client_unique"),
            models.CheckConstraint(condition=Q(score__lte=100), name="score_risque_borne"),
        ]
        indexes = [models.Index(fields=["tenant", "classe", "score"], name="score_risque_classe_idx")]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.score} ({self.classe})"


class AlertePlafond(TenantModel):
    """The outstanding of a client went over its credit limit.

    At most one active alert (``terminee_le`` empty) per client, by a partial unique index:
    the nightly computation raises it once and ends it when the outstanding is back under
    the limit. ``notifiee_le`` is the claim of its e-mail (set in the transaction that sends
    it), so that it is sent once whatever the number of tasks queued for it.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    levee_le = models.DateTimeField(_("levée le"), default=timezone.now)
    encours = models.DecimalField(_("encours"), **MONTANT)
    plafond = models.DecimalField(_("plafond de crédit"), **MONTANT)
    terminee_le = models.DateTimeField(_("terminée le"), null=True, blank=True)
    notifiee_le = models.DateTimeField(_("notifiée le"), null=True, blank=True)
    destinataires = models.JSONField(_("destinataires"), default=list, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("alerte de plafond")
        verbose_name_plural = _("alertes de plafond")
        ordering = ["-levee_le", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "client"],
                condition=Q(terminee_le__isnull=True),
                name="alerte_plafond_active_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "client", "-levee_le"], name="alerte_plafond_client_idx"),
            models.Index(
                fields=["tenant", "notifiee_le"],
                condition=Q(notifiee_le__isnull=True),
                name="alerte_plafond_a_notifier_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.encours} > {self.plafond}"

    @property
    def depassement(self) -> Decimal:
        return self.encours - self.plafond

    @property
    def active(self) -> bool:
        return self.terminee_le is None


class CalculRisqueJour(TenantModel):
    """One row per organisation and local day: the nightly computation was claimed that day.

    Created by the scheduler under a unique constraint before it queues the work, so two
    schedulers, or a scheduler restarted, compute an organisation once a day.
    """

    jour = models.DateField(_("jour"))
    demarre_le = models.DateTimeField(default=timezone.now)
    termine_le = models.DateTimeField(null=True, blank=True)
    clients = models.PositiveIntegerField(default=0)
    alertes_levees = models.PositiveIntegerField(default=0)
    alertes_terminees = models.PositiveIntegerField(default=0)

    class Meta(TenantModel.Meta):
        verbose_name = _("calcul du risque")
        verbose_name_plural = _("calculs du risque")
        constraints = [models.UniqueConstraint(fields=["tenant", "jour"], name="calcul_risque_jour_unique")]

    def __str__(self) -> str:
        return str(self.jour)
