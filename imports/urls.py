from django.urls import path

from imports import views, vues_facturx

app_name = "imports"

urlpatterns: list = [
    path("", views.import_liste, name="liste"),
    path("<int:import_id>/correspondance/", views.import_correspondance, name="correspondance"),
    path("<int:import_id>/apercu/", views.import_apercu, name="apercu"),
    path("<int:import_id>/lancer/", views.import_lancer, name="lancer"),
    path("<int:import_id>/", views.import_suivi, name="suivi"),
    path("<int:import_id>/progression/", views.import_progression, name="progression"),
    path("<int:import_id>/rapport.csv", views.import_rapport, name="rapport"),
    path("modeles/<int:modele_id>/supprimer/", views.modele_supprimer, name="modele_supprimer"),
    path("exemple/factures/", views.import_exemple, {"type": "factures"}, name="exemple_factures"),
    path("exemple/clients/", views.import_exemple, {"type": "clients"}, name="exemple_clients"),
    path("facturx/", vues_facturx.facturx_import, name="facturx"),
]
