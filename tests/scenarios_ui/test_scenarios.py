"""Scenario editing pages: scenarios, steps and their recipients, duplication, deletion."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from recouvrement.tenancy.models import Role
from relances.models import Etape, ModeleMessage, RegleAffectation, Scenario
from relances.services.planification import organisation_planifier
from tests.conftest import compter_requetes

J = datetime.timedelta(days=1)


def etape_donnees(**champs):
    donnees = {
        "nom": "Relance amicale",
        "decalage_jours": "7",
        "canal": "email",
        "ton": "aimable",
        "contacts_a": ["comptabilite"],
        "joindre_factures": "on",
        "envoyer_courrier_par_email": "on",
    }
    donnees.update(champs)
    return donnees


def test_creating_renaming_and_describing_a_scenario(client, relances):
    relances.tenant.login(client)
    reponse = client.post(reverse("relances:scenario_creer"), {"nom": "Grands comptes", "actif": "on"})
    with relances.tenant.scope():
        scenario = Scenario.objects.get(nom="Grands comptes")
    assert reponse.url == reverse("relances:scenario", args=[scenario.pk])
    client.post(
        reverse("relances:scenario", args=[scenario.pk]),
        {"nom": "Grands comptes publics", "description": "Mairies et hôpitaux", "actif": "on"},
    )
    with relances.tenant.scope():
        scenario.refresh_from_db()
    assert (scenario.nom, scenario.description, scenario.actif) == (
        "Grands comptes publics",
        "Mairies et hôpitaux",
        True,
    )


def test_a_name_already_taken_is_refused_next_to_the_field(client, relances):
    relances.tenant.login(client)
    reponse = client.post(reverse("relances:scenario_creer"), {"nom": "standard", "actif": "on"})
    assert reponse.status_code == 200
    assert reponse.context["form"].errors["nom"] == ["Un autre scénario porte déjà ce nom."]


def test_making_a_scenario_the_default_unsets_the_previous_one(client, relances):
    relances.tenant.login(client)
    client.post(reverse("relances:scenario_creer"), {"nom": "Nouveau défaut", "actif": "on", "par_defaut": "on"})
    with relances.tenant.scope():
        assert list(Scenario.objects.filter(par_defaut=True).values_list("nom", flat=True)) == ["Nouveau défaut"]


def test_activating_and_deactivating_and_the_default_stays_active(client, relances):
    relances.tenant.login(client)
    with relances.tenant.scope():
        autre = Scenario.objects.create(nom="Autre")
    client.post(reverse("relances:scenario_activer", args=[autre.pk]), {"actif": "0"})
    with relances.tenant.scope():
        autre.refresh_from_db()
    assert not autre.actif
    client.post(reverse("relances:scenario_activer", args=[autre.pk]), {"actif": "1"})
    with relances.tenant.scope():
        autre.refresh_from_db()
    assert autre.actif
    reponse = client.post(
        reverse("relances:scenario_activer", args=[relances.standard.pk]), {"actif": "0"}, follow=True
    )
    assert "Le scénario par défaut doit rester actif" in reponse.content.decode()
    with relances.tenant.scope():
        relances.standard.refresh_from_db()
    assert relances.standard.actif


def test_duplicating_copies_the_steps_and_their_messages(client, relances):
    relances.tenant.login(client)
    reponse = client.post(reverse("relances:scenario_dupliquer", args=[relances.standard.pk]))
    with relances.tenant.scope():
        copie = Scenario.objects.get(nom="Standard (copie)")
        assert reponse.url == reverse("relances:scenario", args=[copie.pk])
        assert (copie.actif, copie.par_defaut) == (False, False)
        originales = list(relances.standard.etapes.order_by("decalage_jours").values_list("nom", "decalage_jours"))
        assert list(copie.etapes.order_by("decalage_jours").values_list("nom", "decalage_jours")) == originales
        assert ModeleMessage.objects.filter(etape__scenario=copie).count() == 2 * len(originales)
        # The copies are the copy's own rows.
        assert not ModeleMessage.objects.filter(
            etape__scenario=copie, etape__in=relances.standard.etapes.all()
        ).exists()
    client.post(reverse("relances:scenario_dupliquer", args=[relances.standard.pk]))
    with relances.tenant.scope():
        assert Scenario.objects.filter(nom="Standard (copie 2)").exists()


def test_an_unused_scenario_is_deleted_a_used_one_is_refused_with_a_message(client, relances):
    relances.tenant.login(client)
    with relances.tenant.scope():
        libre = Scenario.objects.create(nom="Libre")
        Etape.objects.create(scenario=libre, nom="Rappel", decalage_jours=3, contacts_a=["comptabilite"])
        vise = Scenario.objects.create(nom="Visé")
        RegleAffectation.objects.create(ordre=1, nom="Publics", scenario=vise, categories=["secteur_public"])
    assert client.post(reverse("relances:scenario_supprimer", args=[libre.pk])).url == reverse("relances:scenarios")
    reponse = client.post(reverse("relances:scenario_supprimer", args=[vise.pk]), follow=True)
    assert "une règle d&#x27;affectation y mène" in reponse.content.decode()
    reponse = client.post(reverse("relances:scenario_supprimer", args=[relances.standard.pk]), follow=True)
    assert "c&#x27;est le scénario par défaut" in reponse.content.decode()
    with relances.tenant.scope():
        assert set(Scenario.objects.values_list("nom", flat=True)) == {"Standard", "Visé"}


def test_adding_a_step_with_its_recipients(client, relances):
    relances.tenant.login(client)
    url = reverse("relances:etape_creer", args=[relances.standard.pk])
    assert client.get(url).status_code == 200
    donnees = etape_donnees(
        contacts_a=["comptabilite", "signataire"],
        contacts_cc=["achats"],
        internes_cc=["commercial"],
        internes_cci=["daf"],
        necessite_validation="on",
        tache_appel="on",
        script_appel="Rappeler la facture.",
    )
    reponse = client.post(url, donnees)
    assert reponse.status_code == 302
    with relances.tenant.scope():
        etape = relances.standard.etapes.get(nom="Relance amicale")
    assert (etape.decalage_jours, etape.canal, etape.ton) == (7, "email", "aimable")
    assert (etape.contacts_a, etape.contacts_cc, etape.internes_cc, etape.internes_cci) == (
        ["comptabilite", "signataire"],
        ["achats"],
        ["commercial"],
        ["daf"],
    )
    assert etape.necessite_validation
    assert etape.tache_appel
    page = client.get(reverse("relances:etape", args=[etape.pk]))
    assert page.context["form"]["contacts_a"].value() == ["comptabilite", "signataire"]
    assert page.content.decode().count("checked") >= 5


def test_editing_a_step(client, relances):
    relances.tenant.login(client)
    with relances.tenant.scope():
        etape = relances.standard.etapes.get(decalage_jours=15)
    client.post(
        reverse("relances:etape", args=[etape.pk]),
        etape_donnees(nom="Deuxième relance", decalage_jours="20", ton="ferme"),
    )
    with relances.tenant.scope():
        etape.refresh_from_db()
    assert (etape.nom, etape.decalage_jours, etape.ton) == ("Deuxième relance", 20, "ferme")


@pytest.mark.parametrize(
    ("champs", "champ", "message"),
    [
        ({"decalage_jours": "-5", "ton": "ferme"}, "ton", "Une étape préventive (avant l'échéance) garde un ton"),
        ({"decalage_jours": "-5", "ton": "courtois", "canal": "courrier"}, "canal", "Pas de courrier avant l'échéance"),
        ({"decalage_jours": "5", "ton": "courtois"}, "ton", "Le ton préventif est réservé aux étapes avant"),
        ({"decalage_jours": "15"}, "decalage_jours", "Ce scénario a déjà une étape à ce jour."),
        ({"decalage_jours": "-400"}, "decalage_jours", "Entre -60 et 365 jours."),
        ({"contacts_a": []}, "contacts_a", "Choisissez au moins un rôle de contact destinataire."),
        ({"contacts_a": ["inconnu"]}, "contacts_a", "Sélectionnez un choix valide"),
    ],
)
def test_a_wrong_step_is_refused_next_to_the_field(client, relances, champs, champ, message):
    relances.tenant.login(client)
    reponse = client.post(reverse("relances:etape_creer", args=[relances.standard.pk]), etape_donnees(**champs))
    assert reponse.status_code == 200
    assert message in " ".join(reponse.context["form"].errors[champ])
    assert f'id="id_{champ}_erreurs"' in reponse.content.decode()


def test_deleting_a_step_and_refusing_one_already_planned(client, relances):
    relances.tenant.login(client)
    aujourd_hui = timezone.localdate()
    with relances.tenant.scope():
        cible = relances.client()
        relances.facture(cible, echeance=aujourd_hui - 2 * J)
        organisation_planifier(jour=aujourd_hui, forcer=True)
        planifiee = relances.standard.etapes.get(decalage_jours=1)
        libre = relances.standard.etapes.get(decalage_jours=30)
    client.post(reverse("relances:etape_supprimer", args=[libre.pk]))
    reponse = client.post(reverse("relances:etape_supprimer", args=[planifiee.pk]), follow=True)
    assert "elle ne peut plus être supprimée" in reponse.content.decode()
    with relances.tenant.scope():
        assert set(relances.standard.etapes.values_list("decalage_jours", flat=True)) == {-10, 1, 15, 45}
        assert not ModeleMessage.objects.filter(etape_id=libre.pk).exists()


@pytest.mark.parametrize("role", [Role.COMMERCIAL, Role.LECTURE])
def test_only_credit_managers_and_admins_edit_scenarios(client, relances, role):
    relances.tenant.login(client, role=role)
    with relances.tenant.scope():
        etape = relances.standard.etapes.first()
    for url, methode in (
        (reverse("relances:scenarios"), "get"),
        (reverse("relances:scenario_creer"), "get"),
        (reverse("relances:scenario", args=[relances.standard.pk]), "get"),
        (reverse("relances:etape", args=[etape.pk]), "get"),
        (reverse("relances:modele", args=[etape.pk, "fr"]), "get"),
        (reverse("relances:modele_apercu", args=[etape.pk, "fr"]), "post"),
        (reverse("relances:regle_creer"), "get"),
        (reverse("relances:scenario_dupliquer", args=[relances.standard.pk]), "post"),
    ):
        assert getattr(client, methode)(url).status_code == 403, url


def test_a_credit_manager_may_edit_and_sees_the_steps_in_words(client, relances):
    relances.tenant.login(client, role=Role.CHARGE)
    with relances.tenant.scope():
        etape = relances.standard.etapes.get(decalage_jours=30)
    page = client.get(reverse("relances:scenario", args=[relances.standard.pk])).content.decode()
    assert "Comptabilité fournisseurs, Signataire de la commande ; cc Achats ; cc Commercial du client" in page
    assert reverse("relances:modele", args=[etape.pk, "fr"]) in page
    assert reverse("relances:modele", args=[etape.pk, "en"]) in page
    modele = client.get(reverse("relances:modele", args=[etape.pk, "en"])).content.decode()
    assert f'href="{reverse("relances:modele", args=[etape.pk, "fr"])}"' in modele


def _grandir(relances, n):
    from tests.relances.conftest import STANDARD, creer_scenario

    with relances.tenant.scope():
        debut = Scenario.objects.count()
        for i in range(n):
            scenario = creer_scenario(f"Scénario {debut + i}", STANDARD)
            RegleAffectation.objects.create(
                ordre=100 + debut + i, nom=f"Règle {i}", scenario=scenario, categories=["eti"], montant_min=10
            )
            for decalage in range(60, 60 + n):
                Etape.objects.create(
                    scenario=relances.standard,
                    nom="En plus",
                    decalage_jours=decalage + 1000 * (debut + i),
                    contacts_a=["comptabilite"],
                )


@pytest.mark.parametrize("page", ["liste", "scenario", "etape", "modele", "regle"])
def test_scenario_pages_keep_a_fixed_number_of_queries(client, relances, page):
    relances.tenant.login(client)
    with relances.tenant.scope():
        etape = relances.standard.etapes.get(decalage_jours=1)
        regle = RegleAffectation.objects.create(ordre=1, nom="Première", scenario=relances.standard)
    url = {
        "liste": reverse("relances:scenarios"),
        "scenario": reverse("relances:scenario", args=[relances.standard.pk]),
        "etape": reverse("relances:etape", args=[etape.pk]),
        "modele": reverse("relances:modele", args=[etape.pk, "fr"]),
        "regle": reverse("relances:regle", args=[regle.pk]),
    }[page]
    client.get(url)
    _grandir(relances, 2)
    with relances.tenant.scope():
        for _ in range(3):
            relances.client()
    petit = compter_requetes(client, url)
    _grandir(relances, 6)
    with relances.tenant.scope():
        for _ in range(20):
            relances.client()
    assert compter_requetes(client, url) == petit
