from django.urls import path

from litiges import views

app_name = "litiges"

urlpatterns = [
    path("", views.litige_liste, name="liste"),
    path("parametres/", views.litige_parametres, name="parametres"),
    path("clients/<int:client_id>/nouveau/", views.litige_ouvrir, name="ouvrir"),
    path("<int:litige_id>/", views.litige_detail, name="detail"),
    path("<int:litige_id>/statut/", views.litige_statut, name="statut"),
    path("<int:litige_id>/suivi/", views.litige_suivi, name="suivi"),
    path("<int:litige_id>/commentaires/", views.litige_commenter, name="commenter"),
    path("<int:litige_id>/pieces/", views.litige_piece_ajouter, name="piece_ajouter"),
    path("pieces/<int:piece_id>/", views.litige_piece, name="piece"),
]
