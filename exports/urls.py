from django.urls import path

from exports import views

app_name = "exports"

urlpatterns = [
    path("", views.export_liste, name="liste"),
    path("clients/", views.export_clients, name="clients"),
    path("factures/", views.export_factures, name="factures"),
    path("balance-agee/", views.export_balance_agee, name="balance_agee"),
    path("relances/", views.export_relances, name="relances"),
    path("litiges/", views.export_litiges, name="litiges"),
    path("courriers/", views.export_courriers, name="courriers"),
    path("<int:export_id>/", views.export_suivi, name="suivi"),
    path("<int:export_id>/progression/", views.export_progression, name="progression"),
    path("<int:export_id>/fichier/", views.export_telecharger, name="telecharger"),
]
