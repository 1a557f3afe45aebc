from django.contrib import admin

from factures.models import Facture, Lettrage, Paiement, statut_pour
from recouvrement.core.admin_site import TenantAdmin


@admin.register(Facture)
class FactureAdmin(TenantAdmin):
    list_display = ("numero", "tenant", "client", "nature", "date_echeance", "montant_ttc", "reste_du", "statut")
    list_filter = ("nature", "statut", "support_paiement")
    search_fields = ("numero", "external_id", "client__raison_sociale")
    raw_id_fields = ("client", "facture_origine")
    # reste_du and statut change only through lettrages (factures.services).
    readonly_fields = ("reste_du", "statut")

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if not change:
            obj.reste_du = obj.montant_ttc
            obj.statut = statut_pour(reste_du=obj.reste_du, montant_ttc=obj.montant_ttc)
        super().save_model(request, obj, form, change)


@admin.register(Paiement)
class PaiementAdmin(TenantAdmin):
    list_display = ("date_paiement", "tenant", "client", "montant", "montant_non_affecte", "moyen", "reference")
    search_fields = ("reference", "libelle")
    raw_id_fields = ("client",)
    readonly_fields = ("montant_non_affecte",)


@admin.register(Lettrage)
class LettrageAdmin(TenantAdmin):
    list_display = ("facture", "tenant", "paiement", "avoir", "montant", "date_lettrage", "annule_le")
    raw_id_fields = ("facture", "paiement", "avoir", "cree_par", "annule_par")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
