from django.urls import path

from risque import views

app_name = "risque"

urlpatterns = [
    path("clients-a-risque/", views.clients_a_risque, name="clients_a_risque"),
    path("factures-impayees/", views.factures_impayees, name="factures_impayees"),
    path("impayes-par-commercial/", views.impayes_par_commercial, name="impayes_par_commercial"),
    path("bareme/", views.bareme_page, name="bareme"),
    path("clients/<int:client_id>/recalculer/", views.client_recalculer, name="recalculer"),
]
