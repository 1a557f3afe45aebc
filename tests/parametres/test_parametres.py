"""The settings page: organisation profile and dunning settings in one form, in sections."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from recouvrement.tenancy.models import Organisation, Role
from relances.models import ParametresRelance
from tests.conftest import compter_requetes
from tests.factories import MembreFactory

URL = reverse("parametres")
IBAN = "FR76 3000 6000 0112 3456 7890 189"


def donnees(tenant, **champs):
    """A complete, valid form (both prefixes), with ``champs`` overriding it (short names)."""
    with tenant.scope():
        charge = MembreFactory(role=Role.CHARGE)
    valeurs = {
        "organisation-raison_sociale": "Alpha Industrie SAS",
        "organisation-siren": tenant.organisation.siren,
        "organisation-adresse": "12 rue Garibaldi",
        "organisation-code_postal": "69006",
        "organisation-ville": "Lyon",
        "organisation-pays": "FR",
        "organisation-fuseau_horaire": "Europe/Paris",
        "organisation-langue": "fr",
        "organisation-expediteur_nom": "Alpha Industrie — Recouvrement",
        "organisation-expediteur_email": "recouvrement@alpha.example",
        "organisation-signature": "Le service recouvrement",
        "organisation-iban": IBAN,
        "organisation-bic": "AGRIFRPP",
        "organisation-tranches_balance_agee": "30, 60, 90, 120",
        "relances-heure_envoi": "08:30",
        "relances-calendrier": "FR-6AE",
        "relances-taux_contractuel": "",
        "relances-indemnite_forfaitaire": "40,00",
        "relances-delai_grace_promesse_jours": "5",
        "relances-delai_grace_versement_jours": "4",
        "relances-charge_par_defaut": str(charge.pk),
    }
    for nom, valeur in champs.items():
        cle = f"relances-{nom}" if f"relances-{nom}" in valeurs else f"organisation-{nom}"
        valeurs[cle] = valeur
    return valeurs, charge


def test_the_page_shows_every_section(client, tenant_a):
    tenant_a.login(client)
    page = client.get(URL).content.decode()
    for ancre in ("identite", "expedition", "banque", "relances", "penalites", "balance"):
        assert f'id="{ancre}"' in page
    assert 'value="30, 45, 60"' in page
    assert 'name="relances-heure_envoi"' in page


def test_saving_the_profile_the_dunning_settings_and_the_aging_buckets(client, tenant_a):
    tenant_a.login(client)
    valeurs, charge = donnees(tenant_a)
    reponse = client.post(URL, valeurs)
    assert reponse.status_code == 302, reponse.context and (
        reponse.context["form"].errors,
        reponse.context["relances_form"].errors,
    )
    organisation = Organisation.objects.get(pk=tenant_a.organisation.pk)
    assert organisation.iban == "FR7630006000011234567890189"
    assert organisation.tranches_balance_agee == [30, 60, 90, 120]
    assert organisation.expediteur_email == "recouvrement@alpha.example"
    with tenant_a.scope():
        parametres = ParametresRelance.objects.get()
    assert parametres.heure_envoi == datetime.time(8, 30)
    assert parametres.calendrier == "FR-6AE"
    assert parametres.indemnite_forfaitaire == Decimal("40.00")
    assert parametres.delai_grace_promesse_jours == 5
    assert parametres.delai_grace_versement_jours == 4
    assert parametres.charge_par_defaut_id == charge.pk


@pytest.mark.parametrize(
    ("champ", "valeur", "cle", "message"),
    [
        (
            "iban",
            "FR76 3000 6000 0112 3456 7890 188",
            "organisation-iban",
            "IBAN invalide : clé de contrôle incorrecte.",
        ),
        ("tranches_balance_agee", "60, 30", "organisation-tranches_balance_agee", "strictement croissantes"),
        ("tranches_balance_agee", "30, 30", "organisation-tranches_balance_agee", "strictement croissantes"),
        ("tranches_balance_agee", "0, 30", "organisation-tranches_balance_agee", "supérieur à zéro"),
        (
            "tranches_balance_agee",
            "10, 20, 30, 40, 50, 60, 70",
            "organisation-tranches_balance_agee",
            "Entre 1 et 6 bornes.",
        ),
        ("tranches_balance_agee", "30, quarante", "organisation-tranches_balance_agee", "Des nombres entiers de jours"),
        ("tranches_balance_agee", "", "organisation-tranches_balance_agee", "Ce champ est obligatoire."),
        ("heure_envoi", "23:00", "relances-heure_envoi", "entre 7 h et 20 h"),
        ("heure_envoi", "9h", "relances-heure_envoi", "Saisissez une heure"),
        ("calendrier", "XX", "relances-calendrier", "Sélectionnez un choix valide"),
        ("indemnite_forfaitaire", "20", "relances-indemnite_forfaitaire", "supérieure ou égale à 40"),
        ("taux_contractuel", "1,5", "relances-taux_contractuel", "inférieur au plancher légal"),
        ("fuseau_horaire", "Europe/Lyon", "organisation-fuseau_horaire", "Fuseau horaire inconnu"),
    ],
)
def test_a_wrong_setting_is_refused_next_to_its_field_and_nothing_is_saved(
    client, tenant_a, taux_2026_s2, champ, valeur, cle, message
):
    tenant_a.login(client)
    valeurs, _charge = donnees(tenant_a, **{champ: valeur})
    reponse = client.post(URL, valeurs)
    assert reponse.status_code == 200
    forme = reponse.context["relances_form"] if cle.startswith("relances-") else reponse.context["form"]
    erreurs = " ".join(forme.errors[champ])
    assert message in erreurs, erreurs
    assert f'id="id_{cle}_erreurs"' in reponse.content.decode()
    organisation = Organisation.objects.get(pk=tenant_a.organisation.pk)
    assert organisation.adresse == ""  # nothing saved, neither part
    with tenant_a.scope():
        assert not ParametresRelance.objects.filter(calendrier="FR-6AE").exists()


def test_a_contractual_rate_above_the_floor_is_kept(client, tenant_a, taux_2026_s2):
    tenant_a.login(client)
    valeurs, _charge = donnees(tenant_a, taux_contractuel="15,5")
    assert client.post(URL, valeurs).status_code == 302
    with tenant_a.scope():
        assert ParametresRelance.objects.get().taux_contractuel == Decimal("15.500")


def test_the_default_credit_manager_must_be_an_active_member_of_this_organisation(client, tenant_a, tenant_b):
    tenant_a.login(client)
    with tenant_b.scope():
        etranger = MembreFactory(role=Role.CHARGE)
    valeurs, _charge = donnees(tenant_a, charge_par_defaut=str(etranger.pk))
    reponse = client.post(URL, valeurs)
    assert "Sélectionnez un choix valide" in " ".join(reponse.context["relances_form"].errors["charge_par_defaut"])


@pytest.mark.parametrize("role", [Role.CHARGE, Role.COMMERCIAL, Role.DAF, Role.LECTURE])
def test_only_admins_change_the_settings(client, tenant_a, role):
    tenant_a.login(client, role=role)
    assert client.get(URL).status_code == 403


def test_the_settings_page_keeps_a_fixed_number_of_queries(client, tenant_a):
    tenant_a.login(client)
    client.get(URL)
    with tenant_a.scope():
        for _ in range(2):
            MembreFactory(role=Role.CHARGE)
    petit = compter_requetes(client, URL)
    with tenant_a.scope():
        for _ in range(20):
            MembreFactory(role=Role.DAF)
    assert compter_requetes(client, URL) == petit
