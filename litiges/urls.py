from django.urls import path

from litiges import views

app_name = "litiges"

urlpatterns = [
    path("", views.litige_liste, name="liste"),
    path("clients/<int:client_id>/nouveau/", views.litige_ouvrir, name="ouvrir"),
    path("<int:litige_id>/", views.litige_detail, name="detail"),
    path("<int:litige_id>/statut/", views.litige_statut, name="statut"),
]
