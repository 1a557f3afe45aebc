"""Outgoing webhooks: the organisation's endpoints (``Endpoint``), one delivery per event and
endpoint (``Livraison``) and each attempt to deliver it (``Tentative``)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recouvrement.tenancy.models import TenantModel


class TypeEvenement(models.TextChoices):
    RELANCE_ENVOYEE = "relance.envoyee", _("Relance envoyée")
    LITIGE_OUVERT = "litige.ouvert", _("Litige ouvert")
    LITIGE_RESOLU = "litige.resolu", _("Litige résolu")
    PROMESSE_ENREGISTREE = "promesse.enregistree", _("Promesse de paiement enregistrée")
    FACTURE_PAYEE = "facture.payee", _("Facture payée")


# The event sent by « Envoyer un événement de test »: never subscribed, always delivered on demand.
EVENEMENT_TEST = "webhook.test"


class StatutLivraison(models.TextChoices):
    EN_ATTENTE = "en_attente", _("En attente")
    EN_COURS = "en_cours", _("En cours")
    LIVREE = "livree", _("Livrée")
    ABANDONNEE = "abandonnee", _("Abandonnée")


class Endpoint(TenantModel):
    """An address of the organisation's ERP that receives the events it subscribed to, signed
    with ``secret`` (HMAC-SHA256). The secret is stored encrypted (``webhooks.secrets``)."""

    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    evenements = models.JSONField(_("événements"), default=list)
    actif = models.BooleanField(_("actif"), default=True)
    secret_chiffre = models.TextField(editable=False)
    # The first characters of the secret, to recognise it in the ERP's configuration.
    secret_debut = models.CharField(max_length=20, editable=False)
    secret_genere_le = models.DateTimeField(default=timezone.now, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["created_at", "id"]
        # The receivers' one query (on every reminder sent): the active endpoints of one organisation.
        indexes = [models.Index(fields=["tenant", "actif"], name="webhook_endpoint_actif_idx")]

    def __str__(self) -> str:
        return self.description or self.url

    def libelles_evenements(self) -> list[str]:
        libelles = dict(TypeEvenement.choices)
        return [str(libelles.get(e, e)) for e in self.evenements]


class Livraison(TenantModel):
    """One event for one endpoint: the JSON body sent, where its delivery stands.

    ``tentatives_cycle`` counts the attempts since the delivery was created or sent again by
    hand: the backoff and the abandon read it; ``tentatives`` counts them all.
    A delivery being sent is ``en_cours`` since ``en_cours_depuis``: a worker that died
    mid-send leaves it so, and it is taken again once the lease has passed.
    """

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="livraisons", db_index=False)
    evenement_id = models.UUIDField(_("identifiant de l'événement"))
    type = models.CharField(_("événement"), max_length=40)
    payload = models.JSONField(_("contenu"))
    statut = models.CharField(
        _("statut"), max_length=12, choices=StatutLivraison.choices, default=StatutLivraison.EN_ATTENTE
    )
    tentatives = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    tentatives_cycle = models.PositiveSmallIntegerField(default=0)
    prochaine_tentative = models.DateTimeField(_("prochaine tentative"), null=True, blank=True)
    en_cours_depuis = models.DateTimeField(null=True, blank=True)
    mise_en_file_le = models.DateTimeField(null=True, blank=True)
    derniere_tentative_le = models.DateTimeField(_("dernière tentative"), null=True, blank=True)
    dernier_code = models.PositiveSmallIntegerField(_("dernier code HTTP"), null=True, blank=True)
    derniere_erreur = models.CharField(_("dernière erreur"), max_length=500, blank=True)
    livree_le = models.DateTimeField(_("livrée le"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = _("livraison de webhook")
        verbose_name_plural = _("livraisons de webhooks")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "endpoint", "evenement_id"], name="webhook_livraison_unique_par_evenement"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="webhook_livraison_journal_idx"),
            models.Index(fields=["tenant", "endpoint", "-created_at"], name="webhook_livraison_endpoint_idx"),
            # The scheduler's platform query: what is due (a small partial index).
            models.Index(
                fields=["prochaine_tentative"],
                name="webhook_livraison_due_idx",
                condition=Q(statut__in=["en_attente", "en_cours"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} → {self.endpoint_id}"

    @property
    def renvoyable(self) -> bool:
        return self.statut != StatutLivraison.EN_COURS

    @property
    def badge(self) -> str:
        """The CSS class of the status badge (the existing colours: green, blue, orange, red)."""
        return {
            StatutLivraison.LIVREE: "payee",
            StatutLivraison.EN_ATTENTE: "ouverte",
            StatutLivraison.EN_COURS: "partiellement_payee",
        }.get(StatutLivraison(self.statut), "retard")

    def libelle_type(self) -> str:
        if self.type == EVENEMENT_TEST:
            return str(_("Événement de test"))
        return str(dict(TypeEvenement.choices).get(self.type, self.type))


class Tentative(TenantModel):
    """One POST of a delivery: what the endpoint answered, or why it could not be reached."""

    livraison = models.ForeignKey(Livraison, on_delete=models.CASCADE, related_name="tentative_set", db_index=False)
    numero = models.PositiveSmallIntegerField(_("n°"))
    debut = models.DateTimeField(_("début"))
    duree_ms = models.PositiveIntegerField(_("durée (ms)"))
    code_http = models.PositiveSmallIntegerField(_("code HTTP"), null=True, blank=True)
    reponse = models.TextField(_("réponse (extrait)"), blank=True)
    erreur = models.CharField(_("erreur"), max_length=500, blank=True)
    succes = models.BooleanField(_("réussie"), default=False)

    class Meta(TenantModel.Meta):
        verbose_name = _("tentative de livraison")
        verbose_name_plural = _("tentatives de livraison")
        ordering = ["livraison", "numero"]
        indexes = [models.Index(fields=["tenant", "livraison", "numero"], name="webhook_tentative_idx")]

    def __str__(self) -> str:
        return f"{self.livraison_id} #{self.numero}"
