"""What the API answers (read serializers) and the inputs that are not bulk rows
(disputes, payment plans, promises, allocations, pauses). Bulk rows and upserts by external id
are parsed by ``api.lecture`` and checked by the bulk upserts, not here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clients.models import ClasseRisque, Client, Contact
from factures.models import Facture, Lettrage, Paiement
from litiges.models import Litige, StatutLitige, TypeLitige
from relances.models import Echeancier, Frequence, Pause, Promesse, Relance, Versement


class ErreurSerializer(serializers.Serializer):
    code = serializers.CharField()
    champ = serializers.CharField(allow_null=True, help_text=_("Chemin du champ, par exemple lettrages.0.montant."))
    message = serializers.CharField()


class ErreursSerializer(serializers.Serializer):
    erreurs = ErreurSerializer(many=True)


class ResultatLigneSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    statut = serializers.ChoiceField(choices=["cree", "mis_a_jour", "inchange", "erreur", "non_ecrit"])
    id = serializers.IntegerField(allow_null=True)
    erreurs = ErreurSerializer(many=True)


class ResultatMasseSerializer(serializers.Serializer):
    ecrit = serializers.BooleanField()
    total = serializers.IntegerField()
    crees = serializers.IntegerField()
    mis_a_jour = serializers.IntegerField()
    inchanges = serializers.IntegerField()
    en_erreur = serializers.IntegerField()
    non_ecrits = serializers.IntegerField()
    resultats = ResultatLigneSerializer(many=True)


class ClientSerializer(serializers.ModelSerializer):
    commercial_email = serializers.SerializerMethodField()
    chef_projet_email = serializers.SerializerMethodField()
    classe_risque = serializers.ChoiceField(choices=ClasseRisque.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Client
        fields = (
            "id",
            "raison_sociale",
            "siren",
            "siret",
            "tva_intracom",
            "adresse",
            "adresse_complement",
            "code_postal",
            "ville",
            "pays",
            "delai_paiement_jours",
            "fin_de_mois",
            "plafond_credit",
            "categorie",
            "classe_risque",
            "date_debut_relation",
            "commercial_email",
            "chef_projet_email",
            "affactureur",
            "agrement_affacturage",
            "langue",
            "devise",
            "notes",
            "note_externe",
            "note_externe_source",
            "note_externe_date",
            "external_id",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_commercial_email(self, client: Client) -> str | None:
        return client.commercial.user.email if client.commercial_id else None  # type: ignore[union-attr]

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_chef_projet_email(self, client: Client) -> str | None:
        return client.chef_projet.user.email if client.chef_projet_id else None  # type: ignore[union-attr]


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = (
            "id",
            "client",
            "civilite",
            "prenom",
            "nom",
            "fonction",
            "email",
            "telephone",
            "langue",
            "role_comptabilite",
            "role_achats",
            "role_signataire",
            "role_direction",
            "opt_out",
            "email_invalide",
            "external_id",
            "created_at",
        )
        read_only_fields = fields


class FactureSerializer(serializers.ModelSerializer):
    pdf = serializers.SerializerMethodField(help_text=_("Un PDF est-il joint (à téléverser sur /pdf/) ?"))

    class Meta:
        model = Facture
        fields = (
            "id",
            "numero",
            "nature",
            "client",
            "facture_origine",
            "date_emission",
            "date_echeance",
            "montant_ht",
            "montant_tva",
            "montant_ttc",
            "devise",
            "reste_du",
            "statut",
            "support_paiement",
            "affactureur",
            "numero_commande",
            "pdf",
            "external_id",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_pdf(self, facture: Facture) -> bool:
        return bool(facture.pdf)


class PaiementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Paiement
        fields = (
            "id",
            "client",
            "date_paiement",
            "montant",
            "devise",
            "montant_non_affecte",
            "moyen",
            "reference",
            "libelle",
            "external_id",
            "created_at",
        )
        read_only_fields = fields


class LettrageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lettrage
        fields = ("id", "facture", "paiement", "avoir", "montant", "date_lettrage", "created_at", "annule_le")
        read_only_fields = fields


class LettrageCreationSerializer(serializers.Serializer):
    facture = serializers.IntegerField()
    paiement = serializers.IntegerField(required=False, allow_null=True)
    avoir = serializers.IntegerField(required=False, allow_null=True)
    montant = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    date_lettrage = serializers.DateField(required=False, allow_null=True)


class EnvoiResumeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    statut = serializers.CharField()
    envoye_le = serializers.DateTimeField(allow_null=True)
    livraison = serializers.CharField()


class RelanceSerializer(serializers.ModelSerializer):
    etape_nom = serializers.CharField(source="etape.nom", read_only=True)
    envoi = serializers.SerializerMethodField()

    class Meta:
        model = Relance
        fields = (
            "id",
            "facture",
            "client",
            "etape",
            "etape_nom",
            "decalage_jours",
            "canal",
            "date_prevue",
            "statut",
            "envoi",
            "created_at",
        )
        read_only_fields = fields

    @extend_schema_field(EnvoiResumeSerializer(allow_null=True))
    def get_envoi(self, relance: Relance) -> dict[str, Any] | None:
        envoi = relance.envoi
        if envoi is None:
            return None
        return {
            "id": envoi.pk,
            "statut": envoi.statut,
            "envoye_le": serializers.DateTimeField().to_representation(envoi.envoye_le) if envoi.envoye_le else None,
            "livraison": envoi.livraison,
        }


class PauseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Pause
        fields = ("id", "client", "facture", "motif", "jusqu_au", "commentaire", "origine", "created_at", "levee_le")
        read_only_fields = fields


class PauseCreationSerializer(serializers.Serializer):
    jusqu_au = serializers.DateField(required=False, allow_null=True)
    commentaire = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class EtatRelancesSerializer(serializers.Serializer):
    suspendues = serializers.BooleanField()
    pauses = PauseSerializer(many=True)


class LigneLitigeSerializer(serializers.Serializer):
    facture = serializers.IntegerField()
    montant = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, min_value=Decimal("0.01")
    )


class LitigeSerializer(serializers.ModelSerializer):
    factures = serializers.SerializerMethodField()

    class Meta:
        model = Litige
        fields = (
            "id",
            "client",
            "type",
            "description",
            "statut",
            "souleve_par",
            "responsable",
            "echeance",
            "resolution",
            "factures",
            "external_id",
            "created_at",
            "resolu_le",
        )
        read_only_fields = fields

    @extend_schema_field(LigneLitigeSerializer(many=True))
    def get_factures(self, litige: Litige) -> list[dict[str, Any]]:
        return [
            {"facture": ligne.facture_id, "montant": f"{ligne.montant:.2f}"}
            for ligne in sorted(litige.lignes.all(), key=lambda x: x.pk)
        ]


class LitigeCreationSerializer(serializers.Serializer):
    client = serializers.IntegerField()
    factures = LigneLitigeSerializer(many=True, allow_empty=False)
    type = serializers.ChoiceField(choices=TypeLitige.choices)
    description = serializers.CharField(max_length=5000)
    souleve_par = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    responsable = serializers.IntegerField(required=False, allow_null=True)
    echeance = serializers.DateField(required=False, allow_null=True)
    external_id = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


class LitigeStatutSerializer(serializers.Serializer):
    statut = serializers.ChoiceField(choices=StatutLitige.choices)
    resolution = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class VersementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Versement
        fields = ("numero", "date_echeance", "principal", "interets", "montant", "montant_paye", "statut", "paye_le")
        read_only_fields = fields


class EcheancierSerializer(serializers.ModelSerializer):
    factures = serializers.SerializerMethodField()
    versements = VersementSerializer(many=True, read_only=True)

    class Meta:
        model = Echeancier
        fields = (
            "id",
            "client",
            "statut",
            "montant_principal",
            "montant_interets",
            "taux_annuel",
            "frequence",
            "note",
            "factures",
            "versements",
            "external_id",
            "created_at",
            "clos_le",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_factures(self, echeancier: Echeancier) -> list[int]:
        return sorted(ligne.facture_id for ligne in echeancier.lignes.all())


class EcheancierCreationSerializer(serializers.Serializer):
    client = serializers.IntegerField()
    factures = serializers.ListField(child=serializers.IntegerField(), allow_empty=False, max_length=1000)
    nombre = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=120)
    premiere_date = serializers.DateField(required=False, allow_null=True)
    frequence = serializers.ChoiceField(choices=Frequence.choices, required=False, default=Frequence.MENSUELLE)
    taux_annuel = serializers.DecimalField(
        max_digits=6, decimal_places=3, required=False, allow_null=True, min_value=Decimal("0")
    )
    dates = serializers.ListField(child=serializers.DateField(), required=False, allow_null=True, max_length=120)
    montants = serializers.ListField(
        child=serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01")),
        required=False,
        allow_null=True,
        max_length=120,
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    external_id = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


class PromesseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Promesse
        fields = (
            "id",
            "client",
            "facture",
            "montant",
            "date_promise",
            "contact",
            "statut",
            "note",
            "external_id",
            "created_at",
        )
        read_only_fields = fields


class PromesseCreationSerializer(serializers.Serializer):
    client = serializers.IntegerField()
    facture = serializers.IntegerField(required=False, allow_null=True)
    contact = serializers.IntegerField(required=False, allow_null=True)
    montant = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    date_promise = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    external_id = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


class PdfSerializer(serializers.Serializer):
    fichier = serializers.FileField(help_text=_("Le PDF de la facture (multipart/form-data)."))
