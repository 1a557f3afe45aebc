from django.urls import path

from relances import views

app_name = "relances"

urlpatterns = [
    path("", views.envoi_liste, name="envois"),
    path("envois/<int:envoi_id>/", views.envoi_detail, name="envoi"),
    path("envois/<int:envoi_id>/valider/", views.envoi_valider, name="envoi_valider"),
    path("envois/<int:envoi_id>/ecarter/", views.envoi_ignorer, name="envoi_ignorer"),
    path("envois/<int:envoi_id>/courrier.pdf", views.envoi_courrier, name="envoi_courrier"),
    path("courriers/lot.pdf", views.courriers_lot, name="courriers_lot"),
    path("scenarios/", views.scenario_liste, name="scenarios"),
    path("etapes/<int:etape_id>/modele/<str:langue>/", views.modele_modifier, name="modele"),
    path("taches/", views.tache_liste, name="taches"),
    path("taches/<int:tache_id>/faire/", views.tache_faire, name="tache_faire"),
    path("clients/<int:client_id>/appel/", views.client_appel, name="client_appel"),
    path("clients/<int:client_id>/relancer/", views.client_relancer, name="client_relancer"),
    path("clients/<int:client_id>/pause/", views.pause_poser, name="pause_poser"),
    path("pauses/<int:pause_id>/lever/", views.pause_lever_vue, name="pause_lever"),
]
