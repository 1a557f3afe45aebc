"""The dunning engine's data: scenarios and their steps, message templates,
assignment rules, pauses, the reminders planned for each invoice, the grouped
sends (one per client and day), tasks for people, promises, and the reference
rates of late-payment interest."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Categorie, Client, Contact
from factures.models import Facture
from recouvrement.tenancy.models import Langue, Membre, TenantModel

TAUX: dict[str, Any] = {"max_digits": 6, "decimal_places": 3}


class Canal(models.TextChoices):
    EMAIL = "email", _("E-mail")
    COURRIER = "courrier", _("Courrier (PDF)")
    APPEL = "appel", _("Appel")
    TACHE = "tache", _("Tâche manuelle")


# The channels whose steps have a written message (a template per language).
CANAUX_REDIGES = (Canal.EMAIL, Canal.COURRIER)


class Ton(models.TextChoices):
    COURTOIS = "courtois", _("Courtois (préventif)")
    AIMABLE = "aimable", _("Rappel aimable")
    FERME = "ferme", _("Ferme")
    TRES_FERME = "tres_ferme", _("Très ferme")
    MISE_EN_DEMEURE = "mise_en_demeure", _("Mise en demeure")


class RoleContact(models.TextChoices):
    """Client contacts by role; the field of ``Contact`` that carries each."""

    COMPTABILITE = "comptabilite", _("Comptabilité fournisseurs")
    ACHATS = "achats", _("Achats")
    SIGNATAIRE = "signataire", _("Signataire de la commande")
    DIRECTION = "direction", _("Direction")


CHAMP_DU_ROLE_CONTACT: dict[str, str] = {
    RoleContact.COMPTABILITE: "role_comptabilite",
    RoleContact.ACHATS: "role_achats",
    RoleContact.SIGNATAIRE: "role_signataire",
    RoleContact.DIRECTION: "role_direction",
}


class RoleInterne(models.TextChoices):
    """Our own people, relative to the client."""

    COMMERCIAL = "commercial", _("Commercial du client")
    CHEF_PROJET = "chef_projet", _("Chef de projet du client")
    DAF = "daf", _("DAF")
    CHARGE = "charge", _("Chargé de recouvrement")


class Calendrier(models.TextChoices):
    """Public holidays of the ``holidays`` package (France and its subdivisions)."""

    FRANCE = "FR", _("France métropolitaine")
    ALSACE = "FR-6AE", _("Alsace")
    MOSELLE = "FR-57", _("Moselle")
    GUADELOUPE = "FR-971", _("Guadeloupe")
    MARTINIQUE = "FR-972", _("Martinique")
    GUYANE = "FR-973", _("Guyane")
    REUNION = "FR-974", _("La Réunion")
    MAYOTTE = "FR-976", _("Mayotte")
    AUCUN = "", _("Aucun jour férié (week-ends seulement)")


class ParametresRelance(TenantModel):
    """The organisation's dunning settings (one row per organisation)."""

    heure_envoi = models.TimeField(_("heure d'envoi"), default="09:00")
    calendrier = models.CharField(
        _("calendrier des jours fériés"),
        max_length=10,
        choices=Calendrier.choices,
        default=Calendrier.FRANCE,
        blank=True,
    )
    taux_contractuel = models.DecimalField(
        _("taux contractuel des pénalités (%)"),
        null=True,
        blank=True,
        help_text=_("Vide : taux de refinancement de la BCE majoré de 10 points (taux légal par défaut)."),
        **TAUX,
    )
    indemnite_forfaitaire = models.DecimalField(
        _("indemnité forfaitaire de recouvrement"), max_digits=8, decimal_places=2, default=Decimal("40.00")
    )
    delai_grace_promesse_jours = models.PositiveSmallIntegerField(
        _("délai de grâce après une promesse (jours)"), default=3
    )
    delai_grace_versement_jours = models.PositiveSmallIntegerField(
        _("délai de grâce après l'échéance d'un versement (jours)"),
        default=3,
        help_text=_("Un versement d'échéancier impayé passé ce délai est relancé."),
    )
    charge_par_defaut = models.ForeignKey(
        Membre,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("chargé de recouvrement par défaut"),
        help_text=_("Reçoit les réponses (Reply-To) et les tâches quand le client n'a pas de chargé attitré."),
    )

    class Meta(TenantModel.Meta):
        verbose_name = _("paramètres de relance")
        verbose_name_plural = _("paramètres de relance")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="parametres_relance_unique")]

    def clean(self) -> None:
        if self.taux_contractuel is not None:
            from relances.penalites import taux_contractuel_valider

            # A contractual rate may not be under three times the legal rate (L441-10).
            taux_contractuel_valider(taux=self.taux_contractuel, au=timezone.localdate())


class Scenario(TenantModel):
    """An ordered list of steps; each invoice follows one scenario."""

    nom = models.CharField(_("nom"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    par_defaut = models.BooleanField(_("scénario par défaut"), default=False)
    actif = models.BooleanField(_("actif"), default=True)
    mention_affacturage = models.TextField(
        _("mention d'affacturage"),
        blank=True,
        help_text=_("Imprimée sur les relances des factures cédées : à qui payer, et sur quel compte."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = _("scénario")
        verbose_name_plural = _("scénarios")
        ordering = ["nom"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "nom"], name="scenario_nom_unique"),
            models.UniqueConstraint(fields=["tenant"], condition=Q(par_defaut=True), name="scenario_un_par_defaut"),
        ]

    def __str__(self) -> str:
        return self.nom


class Etape(TenantModel):
    """One step of a scenario, ``decalage_jours`` days from the due date (negative: preventive)."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="etapes", db_index=False)
    nom = models.CharField(_("nom"), max_length=100)
    decalage_jours = models.SmallIntegerField(_("jours après l'échéance"))
    canal = models.CharField(_("canal"), max_length=10, choices=Canal.choices, default=Canal.EMAIL)
    ton = models.CharField(_("ton"), max_length=20, choices=Ton.choices, default=Ton.AIMABLE)
    necessite_validation = models.BooleanField(_("à valider avant envoi"), default=False)
    contacts_a = models.JSONField(_("contacts du client en destinataires"), default=list, blank=True)
    contacts_cc = models.JSONField(_("contacts du client en copie"), default=list, blank=True)
    internes_cc = models.JSONField(_("membres en copie"), default=list, blank=True)
    internes_cci = models.JSONField(_("membres en copie cachée"), default=list, blank=True)
    joindre_factures = models.BooleanField(_("joindre les PDF des factures"), default=True)
    envoyer_courrier_par_email = models.BooleanField(_("joindre le courrier à un e-mail"), default=True)
    tache_appel = models.BooleanField(_("créer aussi une tâche d'appel"), default=False)
    script_appel = models.TextField(_("script d'appel"), blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("étape")
        verbose_name_plural = _("étapes")
        ordering = ["scenario", "decalage_jours"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "scenario", "decalage_jours"], name="etape_decalage_unique"),
        ]

    def __str__(self) -> str:
        signe = "+" if self.decalage_jours >= 0 else ""
        return f"{self.scenario} J{signe}{self.decalage_jours} ({self.get_canal_display()})"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        for field, allowed in (
            ("contacts_a", RoleContact.values),
            ("contacts_cc", RoleContact.values),
            ("internes_cc", RoleInterne.values),
            ("internes_cci", RoleInterne.values),
        ):
            value = getattr(self, field)
            if not isinstance(value, list) or any(v not in allowed for v in value):
                errors[field] = _("Rôles inconnus : %(valeur)s.") % {"valeur": value}
        if self.canal in (Canal.EMAIL, Canal.COURRIER) and not self.contacts_a:
            errors["contacts_a"] = _("Choisissez au moins un rôle de contact destinataire.")
        if errors:
            raise ValidationError(errors)

    @property
    def est_preventive(self) -> bool:
        return self.decalage_jours < 0

    @property
    def a_un_message(self) -> bool:
        """Whether the step sends a written message, edited per language (``CANAUX_REDIGES``)."""
        return self.canal in CANAUX_REDIGES


class ModeleMessage(TenantModel):
    """The subject and body of a step in one language (Django template syntax, restricted context)."""

    etape = models.ForeignKey(Etape, on_delete=models.CASCADE, related_name="modeles", db_index=False)
    langue = models.CharField(_("langue"), max_length=2, choices=Langue.choices)
    sujet = models.CharField(_("objet"), max_length=300)
    corps = models.TextField(_("message"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("modèle de message")
        verbose_name_plural = _("modèles de message")
        constraints = [models.UniqueConstraint(fields=["tenant", "etape", "langue"], name="modele_langue_unique")]

    def __str__(self) -> str:
        return f"{self.etape} [{self.langue}]"


class RegleAffectation(TenantModel):
    """The first rule (by ``ordre``) whose criteria all hold gives an invoice its scenario.

    An empty criterion matches everything. Evaluated in SQL by the planning.
    """

    ordre = models.PositiveSmallIntegerField(_("ordre"))
    nom = models.CharField(_("nom"), max_length=100)
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="regles", db_index=False)
    categories = models.JSONField(_("catégories de client"), default=list, blank=True)
    classes_risque = models.JSONField(_("classes de risque"), default=list, blank=True)
    montant_min = models.DecimalField(_("montant TTC minimum"), max_digits=14, decimal_places=2, null=True, blank=True)
    montant_max = models.DecimalField(_("montant TTC maximum"), max_digits=14, decimal_places=2, null=True, blank=True)
    encours_min = models.DecimalField(_("encours minimum"), max_digits=14, decimal_places=2, null=True, blank=True)
    encours_max = models.DecimalField(_("encours maximum"), max_digits=14, decimal_places=2, null=True, blank=True)
    affacturage = models.BooleanField(
        _("factures affacturées"),
        null=True,
        blank=True,
        help_text=_("Vide : toutes ; oui : affacturées seulement ; non : les autres."),
    )
    depassement_agrement = models.BooleanField(
        _("encours au-delà de l'agrément de l'affactureur"), null=True, blank=True
    )
    depassement_plafond = models.BooleanField(_("encours au-delà du plafond de crédit"), null=True, blank=True)
    anciennete_min_mois = models.PositiveSmallIntegerField(_("ancienneté minimum (mois)"), null=True, blank=True)
    anciennete_max_mois = models.PositiveSmallIntegerField(_("ancienneté maximum (mois)"), null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("règle d'affectation")
        verbose_name_plural = _("règles d'affectation")
        ordering = ["ordre"]
        constraints = [models.UniqueConstraint(fields=["tenant", "ordre"], name="regle_ordre_unique")]

    def __str__(self) -> str:
        return f"{self.ordre}. {self.nom} → {self.scenario}"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if not isinstance(self.categories, list) or any(c not in Categorie.values for c in self.categories):
            errors["categories"] = _("Catégories inconnues : %(valeur)s.") % {"valeur": self.categories}
        if not isinstance(self.classes_risque, list) or any(c not in "ABCDE" or not c for c in self.classes_risque):
            errors["classes_risque"] = _("Classes de risque : A à E.")
        for bas, haut in (
            ("montant_min", "montant_max"),
            ("encours_min", "encours_max"),
            ("anciennete_min_mois", "anciennete_max_mois"),
        ):
            if (
                getattr(self, bas) is not None
                and getattr(self, haut) is not None
                and getattr(self, bas) > getattr(self, haut)
            ):
                errors[haut] = _("Le maximum est inférieur au minimum.")
        if errors:
            raise ValidationError(errors)


class ScenarioImpose(TenantModel):
    """A scenario forced on a client or on one invoice, before any rule."""

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    facture = models.ForeignKey(
        Facture, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta(TenantModel.Meta):
        verbose_name = _("scénario imposé")
        verbose_name_plural = _("scénarios imposés")
        constraints = [
            models.CheckConstraint(
                condition=Q(client__isnull=False, facture__isnull=True) | Q(client__isnull=True, facture__isnull=False),
                name="scenario_impose_une_cible",
            ),
            models.UniqueConstraint(
                fields=["tenant", "client"], condition=Q(client__isnull=False), name="scenario_impose_client_unique"
            ),
            models.UniqueConstraint(
                fields=["tenant", "facture"], condition=Q(facture__isnull=False), name="scenario_impose_facture_unique"
            ),
        ]


class MotifPause(models.TextChoices):
    MANUELLE = "manuelle", _("Suspension manuelle")
    LITIGE = "litige", _("Litige")
    ECHEANCIER = "echeancier", _("Échéancier")
    PROMESSE = "promesse", _("Promesse de paiement")
    CONTENTIEUX = "contentieux", _("Contentieux")


# The pauses a credit manager may lift by hand; the others (a dispute, a payment plan,
# litigation) end with what created them.
MOTIFS_LEVABLES_A_LA_MAIN = (MotifPause.MANUELLE, MotifPause.PROMESSE)


class Pause(TenantModel):
    """Dunning stops for an invoice or a whole client while a pause is active.

    The one table the planning reads to know what not to chase: disputes,
    payment plans, promises and manual holds write here through
    ``relances.services`` (``pause_create`` / ``pause_lever``).
    """

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    facture = models.ForeignKey(
        Facture, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    motif = models.CharField(_("motif"), max_length=20, choices=MotifPause.choices)
    jusqu_au = models.DateField(_("jusqu'au"), null=True, blank=True, help_text=_("Vide : jusqu'à levée."))
    commentaire = models.CharField(_("commentaire"), max_length=500, blank=True)
    origine = models.CharField(
        _("origine"), max_length=60, blank=True, help_text=_("Ce qui a créé la pause, par exemple « litige:12 ».")
    )
    cree_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    levee_le = models.DateTimeField(null=True, blank=True)
    levee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta(TenantModel.Meta):
        verbose_name = _("pause des relances")
        verbose_name_plural = _("pauses des relances")
        constraints = [
            models.CheckConstraint(
                condition=Q(client__isnull=False, facture__isnull=True) | Q(client__isnull=True, facture__isnull=False),
                name="pause_une_cible",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "facture"], condition=Q(levee_le__isnull=True), name="pause_facture_idx"),
            models.Index(fields=["tenant", "client"], condition=Q(levee_le__isnull=True), name="pause_client_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_motif_display()} ({self.facture or self.client})"

    @property
    def levable_a_la_main(self) -> bool:
        """Whether a credit manager may lift it (``MOTIFS_LEVABLES_A_LA_MAIN``)."""
        return self.motif in MOTIFS_LEVABLES_A_LA_MAIN


class StatutEnvoi(models.TextChoices):
    A_VALIDER = "a_valider", _("À valider")
    PRET = "pret", _("Prêt à partir")
    EN_COURS = "en_cours", _("Envoi en cours")
    ENVOYE = "envoye", _("Envoyé")
    ECHEC = "echec", _("Échec")
    ANNULE = "annule", _("Annulé")


STATUTS_ENVOI_ACTIFS = (StatutEnvoi.A_VALIDER, StatutEnvoi.PRET, StatutEnvoi.EN_COURS)


class Livraison(models.TextChoices):
    """What the ESP's tracking webhooks said last."""

    INCONNUE = "", _("—")
    ACCEPTE = "accepte", _("Accepté par le serveur")
    DELIVRE = "delivre", _("Délivré")
    OUVERT = "ouvert", _("Ouvert")
    CLIQUE = "clique", _("Lien cliqué")
    DIFFERE = "differe", _("Différé")
    REBOND = "rebond", _("Rejeté (bounce)")
    PLAINTE = "plainte", _("Signalé comme spam")


class Envoi(TenantModel):
    """One grouped dunning action for a client on a day: one e-mail (or letter, call,
    task) that lists every invoice whose reminder falls that day, at the highest
    step among them. The outbox: it moves à valider → prêt → en cours → envoyé | échec.
    """

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+", db_index=False)
    date_prevue = models.DateField(_("date prévue"))
    etape = models.ForeignKey(Etape, on_delete=models.PROTECT, related_name="+", db_index=False)
    canal = models.CharField(_("canal"), max_length=10, choices=Canal.choices)
    statut = models.CharField(_("statut"), max_length=10, choices=StatutEnvoi.choices, default=StatutEnvoi.PRET)
    langue = models.CharField(_("langue"), max_length=2, choices=Langue.choices, default=Langue.FR)
    destinataires = models.JSONField(default=dict, blank=True)
    sujet = models.CharField(_("objet"), max_length=300, blank=True)
    corps_texte = models.TextField(blank=True)
    corps_html = models.TextField(blank=True)
    courrier_pdf = models.FileField(upload_to="courriers/%Y/%m/", blank=True)
    courrier_html = models.TextField(blank=True, help_text=_("Le courrier tel qu'imprimé, pour le lot à imprimer."))
    message_id = models.CharField(_("identifiant du message"), max_length=255, blank=True)
    tentatives = models.PositiveSmallIntegerField(default=0)
    erreur = models.TextField(blank=True)
    valide_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    valide_le = models.DateTimeField(null=True, blank=True)
    en_cours_depuis = models.DateTimeField(null=True, blank=True)
    envoye_le = models.DateTimeField(null=True, blank=True)
    livraison = models.CharField(_("livraison"), max_length=10, choices=Livraison.choices, blank=True, default="")
    livraison_le = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = _("envoi")
        verbose_name_plural = _("envois")
        ordering = ["-date_prevue", "-id"]
        constraints = [
            # One grouped action per client and day: at most one reminder a day.
            models.UniqueConstraint(fields=["tenant", "client", "date_prevue"], name="envoi_client_jour_unique"),
        ]
        indexes = [
            models.Index(fields=["tenant", "statut", "date_prevue"], name="envoi_statut_idx"),
            models.Index(fields=["tenant", "message_id"], condition=~Q(message_id=""), name="envoi_message_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client} — {self.date_prevue} ({self.get_canal_display()})"

    @property
    def cle_idempotence(self) -> str:
        """Stable across retries: the ESP (and the Message-ID) see the same key for the same send."""
        return f"recouvrement-{self.tenant_id}-envoi-{self.pk}"


class StatutRelance(models.TextChoices):
    PLANIFIEE = "planifiee", _("Planifiée")
    ENVOYEE = "envoyee", _("Envoyée")
    ECHEC = "echec", _("Échec")
    ANNULEE = "annulee", _("Annulée")


class Relance(TenantModel):
    """One step of one invoice's scenario, due on ``date_prevue``; sent through its ``Envoi``.

    Unique per (organisation, invoice, step) among the rows not cancelled:
    planning twice, or on two workers, never creates it twice; a step
    cancelled before it went (the invoice was paused) can be planned again.
    """

    facture = models.ForeignKey(Facture, on_delete=models.CASCADE, related_name="+", db_index=False)
    etape = models.ForeignKey(Etape, on_delete=models.PROTECT, related_name="+", db_index=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    envoi = models.ForeignKey(
        Envoi, on_delete=models.SET_NULL, null=True, blank=True, related_name="relances", db_index=False
    )
    date_prevue = models.DateField(_("date prévue"))
    decalage_jours = models.SmallIntegerField()
    canal = models.CharField(_("canal"), max_length=10, choices=Canal.choices)
    statut = models.CharField(
        _("statut"), max_length=10, choices=StatutRelance.choices, default=StatutRelance.PLANIFIEE
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = _("relance")
        verbose_name_plural = _("relances")
        ordering = ["-date_prevue", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "facture", "etape"],
                condition=~Q(statut="annulee"),
                name="relance_facture_etape_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "facture", "-date_prevue"], name="relance_facture_idx"),
            models.Index(fields=["tenant", "envoi"], name="relance_envoi_idx"),
            models.Index(fields=["tenant", "client", "date_prevue"], name="relance_client_jour_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.facture} J{self.decalage_jours:+d}"


class PlanificationJour(TenantModel):
    """The journal of the daily planning: one row per organisation and day, taken
    by the first scheduler that gets there (unique), so two beats plan once."""

    jour = models.DateField(_("jour"))
    demarree_le = models.DateTimeField(default=timezone.now)
    terminee_le = models.DateTimeField(null=True, blank=True)
    relances = models.PositiveIntegerField(default=0)
    envois = models.PositiveIntegerField(default=0)
    taches = models.PositiveIntegerField(default=0)

    class Meta(TenantModel.Meta):
        verbose_name = _("planification du jour")
        verbose_name_plural = _("planifications du jour")
        constraints = [models.UniqueConstraint(fields=["tenant", "jour"], name="planification_jour_unique")]


class TypeTache(models.TextChoices):
    APPEL = "appel", _("Appel")
    MANUELLE = "manuelle", _("Action manuelle")
    SANS_CONTACT = "sans_contact", _("Trouver un contact joignable")
    REBOND = "rebond", _("Adresse en échec : trouver un autre contact")
    ECHEC_ENVOI = "echec_envoi", _("Relance non envoyée")
    COURRIER = "courrier", _("Courrier à imprimer et poster")
    PROMESSE_ROMPUE = "promesse_rompue", _("Promesse non tenue")


class StatutTache(models.TextChoices):
    A_FAIRE = "a_faire", _("À faire")
    FAITE = "faite", _("Faite")
    ANNULEE = "annulee", _("Annulée")


class ResultatAppel(models.TextChoices):
    PROMESSE = "promesse", _("Promesse de paiement")
    LITIGE = "litige", _("Litige soulevé")
    PAS_DE_REPONSE = "pas_de_reponse", _("Pas de réponse")
    MAUVAIS_CONTACT = "mauvais_contact", _("Mauvais interlocuteur")
    DEJA_PAYE = "deja_paye", _("Déjà payé selon le client")


class Tache(TenantModel):
    """Something a person must do: a call (with its script), a manual action, a
    contact to find. ``cle`` makes creation idempotent (one per client and day)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    facture = models.ForeignKey(
        Facture, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    envoi = models.ForeignKey(
        Envoi, on_delete=models.SET_NULL, null=True, blank=True, related_name="taches", db_index=False
    )
    type = models.CharField(_("type"), max_length=20, choices=TypeTache.choices)
    titre = models.CharField(_("titre"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    assigne_a = models.ForeignKey(
        Membre, on_delete=models.SET_NULL, null=True, blank=True, related_name="taches", db_index=False
    )
    echeance = models.DateField(_("échéance"))
    statut = models.CharField(_("statut"), max_length=10, choices=StatutTache.choices, default=StatutTache.A_FAIRE)
    resultat = models.CharField(_("résultat"), max_length=20, choices=ResultatAppel.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    cle = models.CharField(max_length=120, blank=True)
    fait_le = models.DateTimeField(null=True, blank=True)
    fait_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = _("tâche")
        verbose_name_plural = _("tâches")
        ordering = ["echeance", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "cle"], condition=~Q(cle=""), name="tache_cle_unique"),
        ]
        indexes = [
            models.Index(fields=["tenant", "statut", "echeance"], name="tache_statut_idx"),
            models.Index(fields=["tenant", "client"], name="tache_client_idx"),
            models.Index(fields=["tenant", "assigne_a", "statut"], name="tache_assigne_idx"),
        ]

    def __str__(self) -> str:
        return self.titre


class StatutPromesse(models.TextChoices):
    EN_COURS = "en_cours", _("En cours")
    TENUE = "tenue", _("Tenue")
    ROMPUE = "rompue", _("Rompue")
    ANNULEE = "annulee", _("Annulée")


class Promesse(TenantModel):
    """A dated promise to pay, taken by a member; it pauses dunning until the date plus a grace period."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    facture = models.ForeignKey(
        Facture, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    montant = models.DecimalField(_("montant promis"), max_digits=14, decimal_places=2)
    date_promise = models.DateField(_("date promise"))
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    prise_par = models.ForeignKey(
        Membre, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    statut = models.CharField(
        _("statut"), max_length=10, choices=StatutPromesse.choices, default=StatutPromesse.EN_COURS
    )
    note = models.TextField(_("note"), blank=True)
    external_id = models.CharField(_("identifiant externe"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(TenantModel.Meta):
        verbose_name = _("promesse de paiement")
        verbose_name_plural = _("promesses de paiement")
        ordering = ["-date_promise", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(montant__gt=0), name="promesse_montant_positif"),
            models.UniqueConstraint(
                fields=["tenant", "external_id"], condition=~Q(external_id=""), name="promesse_external_id_unique"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "client", "statut"], name="promesse_client_idx")]


class TauxReference(models.Model):
    """Reference rates of a half-year, in percent (platform data, extended by an operator).

    ``taux_bce``: the ECB main refinancing rate in force on 1 January / 1 July,
    the base of the statutory late-payment interest (plus 10 points).
    ``taux_legal``: the legal interest rate for professional creditors; a
    contractual penalty rate may not be under three times it.
    """

    semestre_debut = models.DateField(_("début du semestre"), unique=True)
    taux_bce = models.DecimalField(_("taux de refinancement BCE (%)"), **TAUX)
    taux_legal = models.DecimalField(_("taux d'intérêt légal, créanciers professionnels (%)"), **TAUX)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("taux de référence")
        verbose_name_plural = _("taux de référence")
        ordering = ["-semestre_debut"]

    def __str__(self) -> str:
        semestre = 1 if self.semestre_debut.month == 1 else 2
        return f"{self.semestre_debut.year}-S{semestre} : BCE {self.taux_bce} %, légal {self.taux_legal} %"

    def clean(self) -> None:
        if self.semestre_debut and (self.semestre_debut.day != 1 or self.semestre_debut.month not in (1, 7)):
            raise ValidationError({"semestre_debut": _("Un semestre commence le 1er janvier ou le 1er juillet.")})


class StatutEcheancier(models.TextChoices):
    ACTIF = "actif", _("En cours")
    TERMINE = "termine", _("Terminé")
    ROMPU = "rompu", _("Rompu")
    ANNULE = "annule", _("Annulé")


class Frequence(models.TextChoices):
    """The interval between two installments of a payment plan."""

    MENSUELLE = "mensuelle", _("Mensuelle")
    BIMESTRIELLE = "bimestrielle", _("Tous les deux mois")
    TRIMESTRIELLE = "trimestrielle", _("Trimestrielle")
    HEBDOMADAIRE = "hebdomadaire", _("Hebdomadaire")
    QUINZAINE = "quinzaine", _("Tous les quinze jours")


class Echeancier(TenantModel):
    """A payment plan: the remaining due of one or several invoices of a client,
    split into dated installments (``Versement``). While it is "en cours" its
    invoices are paused (``Pause`` with the origin « echeancier:<id> »)."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+", db_index=False)
    statut = models.CharField(
        _("statut"), max_length=10, choices=StatutEcheancier.choices, default=StatutEcheancier.ACTIF
    )
    montant_principal = models.DecimalField(_("montant dû mis en échéancier"), max_digits=14, decimal_places=2)
    montant_interets = models.DecimalField(_("intérêts"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    taux_annuel = models.DecimalField(_("taux d'intérêt annuel (%)"), null=True, blank=True, **TAUX)
    frequence = models.CharField(_("fréquence"), max_length=15, choices=Frequence.choices, default=Frequence.MENSUELLE)
    note = models.TextField(_("note"), blank=True)
    cree_par = models.ForeignKey(
        Membre, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    envoye_le = models.DateTimeField(_("envoyé au client le"), null=True, blank=True)
    clos_le = models.DateTimeField(_("clos le"), null=True, blank=True)
    external_id = models.CharField(_("identifiant externe"), max_length=100, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("échéancier")
        verbose_name_plural = _("échéanciers")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(montant_principal__gt=0), name="echeancier_principal_positif"),
            models.CheckConstraint(condition=Q(montant_interets__gte=0), name="echeancier_interets_positifs"),
            models.UniqueConstraint(
                fields=["tenant", "external_id"], condition=~Q(external_id=""), name="echeancier_external_id_unique"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "client", "statut"], name="echeancier_client_idx")]

    def __str__(self) -> str:
        return str(_("Échéancier n° %(id)s") % {"id": self.pk})

    @property
    def origine(self) -> str:
        """The ``Pause.origine`` of the pauses this plan created."""
        return f"echeancier:{self.pk}"

    @property
    def montant_total(self) -> Decimal:
        return self.montant_principal + self.montant_interets


class LigneEcheancier(TenantModel):
    """One invoice of a payment plan, with the amount of its remaining due put in the plan."""

    echeancier = models.ForeignKey(Echeancier, on_delete=models.CASCADE, related_name="lignes", db_index=False)
    facture = models.ForeignKey(Facture, on_delete=models.PROTECT, related_name="+", db_index=False)
    montant = models.DecimalField(_("montant"), max_digits=14, decimal_places=2)

    class Meta(TenantModel.Meta):
        verbose_name = _("facture d'un échéancier")
        verbose_name_plural = _("factures d'un échéancier")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "echeancier", "facture"], name="ligne_echeancier_unique"),
            models.CheckConstraint(condition=Q(montant__gt=0), name="ligne_echeancier_montant_positif"),
        ]
        indexes = [models.Index(fields=["tenant", "facture"], name="ligne_echeancier_facture_idx")]


class StatutVersement(models.TextChoices):
    A_VENIR = "a_venir", _("À venir")
    PAYE = "paye", _("Payé")
    EN_RETARD = "en_retard", _("En retard")


class Versement(TenantModel):
    """One installment of a payment plan. ``montant_paye`` is the part of its principal
    covered by what was allocated to the plan's invoices since the plan began
    (in due-date order: ``relances.services.echeanciers.echeanciers_imputer``)."""

    echeancier = models.ForeignKey(Echeancier, on_delete=models.CASCADE, related_name="versements", db_index=False)
    numero = models.PositiveSmallIntegerField(_("n°"))
    date_echeance = models.DateField(_("échéance"))
    principal = models.DecimalField(_("principal"), max_digits=14, decimal_places=2)
    interets = models.DecimalField(_("intérêts"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    montant = models.DecimalField(_("montant"), max_digits=14, decimal_places=2)
    montant_paye = models.DecimalField(_("payé"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    statut = models.CharField(
        _("statut"), max_length=10, choices=StatutVersement.choices, default=StatutVersement.A_VENIR
    )
    paye_le = models.DateField(_("payé le"), null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("versement")
        verbose_name_plural = _("versements")
        ordering = ["echeancier", "numero"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "echeancier", "numero"], name="versement_numero_unique"),
            models.CheckConstraint(condition=Q(principal__gt=0, interets__gte=0), name="versement_montants_positifs"),
            models.CheckConstraint(condition=Q(montant=F("principal") + F("interets")), name="versement_montant_total"),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "date_echeance"],
                condition=~Q(statut="paye"),
                name="versement_impaye_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.echeancier} — {self.numero}"

    @property
    def reste(self) -> Decimal:
        return self.principal - self.montant_paye


class TypeMessageEcheancier(models.TextChoices):
    ACCORD = "accord", _("Accord envoyé au client")
    RAPPEL_1 = "rappel_1", _("Versement manqué : rappel aimable")
    RAPPEL_2 = "rappel_2", _("Versement manqué : rappel ferme")


class StatutMessageEcheancier(models.TextChoices):
    A_ENVOYER = "a_envoyer", _("À envoyer")
    ENVOYE = "envoye", _("Envoyé")
    ANNULE = "annule", _("Sans objet")
    ECHEC = "echec", _("Échec")


class MessageEcheancier(TenantModel):
    """An e-mail about a payment plan: the agreement sent on a click, or a reminder of a
    missed installment. ``cle`` is unique: one row per click (its token) and one per
    installment and level, so each goes at most once; the row is also the message's
    idempotency key (its ``Message-ID``)."""

    echeancier = models.ForeignKey(Echeancier, on_delete=models.CASCADE, related_name="messages", db_index=False)
    versement = models.ForeignKey(
        Versement, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    type = models.CharField(_("type"), max_length=10, choices=TypeMessageEcheancier.choices)
    cle = models.CharField(max_length=120)
    statut = models.CharField(
        _("statut"), max_length=10, choices=StatutMessageEcheancier.choices, default=StatutMessageEcheancier.A_ENVOYER
    )
    demande_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    destinataires = models.JSONField(default=list, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    erreur = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    envoye_le = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("message d'échéancier")
        verbose_name_plural = _("messages d'échéancier")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "cle"], name="message_echeancier_cle_unique")]
        indexes = [models.Index(fields=["tenant", "echeancier"], name="message_echeancier_idx")]

    @property
    def cle_idempotence(self) -> str:
        return f"recouvrement-{self.tenant_id}-echeancier-{self.pk}"
