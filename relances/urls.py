from django.urls import path

from relances import views, vues_echeanciers, vues_scenarios

app_name = "relances"

urlpatterns = [
    path("", views.envoi_liste, name="envois"),
    path("envois/<int:envoi_id>/", views.envoi_detail, name="envoi"),
    path("envois/<int:envoi_id>/valider/", views.envoi_valider, name="envoi_valider"),
    path("envois/<int:envoi_id>/ecarter/", views.envoi_ignorer, name="envoi_ignorer"),
    path("envois/<int:envoi_id>/modifier/", views.envoi_modifier, name="envoi_modifier"),
    path("envois/<int:envoi_id>/apercu/", views.envoi_apercu, name="envoi_apercu"),
    path("envois/<int:envoi_id>/courrier.pdf", views.envoi_courrier, name="envoi_courrier"),
    path("courriers/lot.pdf", views.courriers_lot, name="courriers_lot"),
    path("scenarios/", vues_scenarios.scenario_liste, name="scenarios"),
    path("scenarios/nouveau/", vues_scenarios.scenario_creer, name="scenario_creer"),
    path("scenarios/revus/", vues_scenarios.scenarios_revus, name="scenarios_revus"),
    path("scenarios/<int:scenario_id>/", vues_scenarios.scenario_modifier, name="scenario"),
    path("scenarios/<int:scenario_id>/activer/", vues_scenarios.scenario_activer, name="scenario_activer"),
    path("scenarios/<int:scenario_id>/dupliquer/", vues_scenarios.scenario_dupliquer, name="scenario_dupliquer"),
    path("scenarios/<int:scenario_id>/supprimer/", vues_scenarios.scenario_supprimer, name="scenario_supprimer"),
    path("scenarios/<int:scenario_id>/etapes/nouvelle/", vues_scenarios.etape_creer, name="etape_creer"),
    path("scenarios/regles/nouvelle/", vues_scenarios.regle_creer, name="regle_creer"),
    path("scenarios/regles/<int:regle_id>/", vues_scenarios.regle_modifier, name="regle"),
    path("scenarios/regles/<int:regle_id>/deplacer/", vues_scenarios.regle_deplacer, name="regle_deplacer"),
    path("scenarios/regles/<int:regle_id>/supprimer/", vues_scenarios.regle_supprimer, name="regle_supprimer"),
    path("etapes/<int:etape_id>/", vues_scenarios.etape_modifier, name="etape"),
    path("etapes/<int:etape_id>/supprimer/", vues_scenarios.etape_supprimer, name="etape_supprimer"),
    path("etapes/<int:etape_id>/modele/<str:langue>/", vues_scenarios.modele_modifier, name="modele"),
    path("etapes/<int:etape_id>/modele/<str:langue>/apercu/", vues_scenarios.modele_apercu_vue, name="modele_apercu"),
    path("taches/", views.tache_liste, name="taches"),
    path("taches/<int:tache_id>/faire/", views.tache_faire, name="tache_faire"),
    path("clients/<int:client_id>/appel/", views.client_appel, name="client_appel"),
    path("clients/<int:client_id>/relancer/", views.client_relancer, name="client_relancer"),
    path("clients/<int:client_id>/pause/", views.pause_poser, name="pause_poser"),
    path("pauses/<int:pause_id>/lever/", views.pause_lever_vue, name="pause_lever"),
    path("clients/<int:client_id>/echeancier/apercu/", vues_echeanciers.echeancier_apercu, name="echeancier_apercu"),
    path("clients/<int:client_id>/echeancier/", vues_echeanciers.echeancier_creer, name="echeancier_creer"),
    path("echeanciers/<int:echeancier_id>/accord.pdf", vues_echeanciers.echeancier_pdf, name="echeancier_pdf"),
    path("echeanciers/<int:echeancier_id>/envoyer/", vues_echeanciers.echeancier_envoyer, name="echeancier_envoyer"),
    path("echeanciers/<int:echeancier_id>/annuler/", vues_echeanciers.echeancier_annuler, name="echeancier_annuler"),
]
