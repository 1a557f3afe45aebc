"""Onboarding: the checklist computed from the data, the banner, and the dry run that keeps nothing."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients.models import Contact
from recouvrement.core.demarrage import demarrage_etat, planification_simuler
from recouvrement.tenancy.models import Organisation, Role
from relances.models import Envoi, ParametresRelance, PlanificationJour, Relance, Tache
from relances.services.planification import organisation_planifier
from tests.factories import ClientFactory, FactureFactory

J = datetime.timedelta(days=1)


def etat(tenant):
    organisation = Organisation.objects.get(pk=tenant.organisation.pk)
    with tenant.scope():
        return demarrage_etat(organisation=organisation)


def faites(tenant):
    return {e.cle for e in etat(tenant).etapes if e.faite}


def test_the_checklist_follows_the_data(client, tenant_a, relances):
    assert faites(tenant_a) == set()
    Organisation.objects.filter(pk=tenant_a.organisation.pk).update(
        adresse="12 rue Garibaldi",
        code_postal="69006",
        ville="Lyon",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
    )
    assert faites(tenant_a) == {"profil"}
    Organisation.objects.filter(pk=tenant_a.organisation.pk).update(
        expediteur_nom="Alpha", expediteur_email="relances@alpha.example", signature="Le service client"
    )
    with tenant_a.scope():
        client_ = ClientFactory()
    assert faites(tenant_a) == {"profil", "expediteur", "clients"}
    with tenant_a.scope():
        FactureFactory(client=client_)
    assert faites(tenant_a) == {"profil", "expediteur", "clients", "factures"}
    tenant_a.login(client)
    client.post(reverse("relances:scenarios_revus"))
    assert etat(tenant_a).terminee


def test_the_scenarios_step_needs_an_active_default_scenario_or_a_rule(client, tenant_a):
    Organisation.objects.filter(pk=tenant_a.organisation.pk).update(scenarios_revus_le=timezone.now())
    assert "scenarios" not in faites(tenant_a)  # reviewed, but nothing to follow


def test_the_page_lists_the_steps_and_the_banner_shows_until_dismissed(client, tenant_a):
    tenant_a.login(client)
    page = client.get(reverse("demarrage")).content.decode()
    assert "Compléter le profil de l&#x27;organisation" in page
    assert "Simuler la planification d'aujourd'hui" in page
    autre = client.get(reverse("membres")).content.decode()
    assert f'hx-get="{reverse("demarrage_banniere")}"' in autre  # placeholder, filled after the page loads
    bandeau = client.get(
        reverse("demarrage_banniere"),
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/organisation/membres/"},
    )
    assert "0 étape(s) sur 5 terminée(s)" in bandeau.content.decode()
    reponse = client.post(reverse("demarrage"), {"action": "masquer", "suivant": "/organisation/membres/"})
    assert reponse.url == "/organisation/membres/"
    assert "demarrage_banniere" not in client.get(reverse("membres")).content.decode()
    assert 'hx-get="/demarrage/bandeau/"' not in client.get(reverse("membres")).content.decode()
    assert client.get(reverse("demarrage")).status_code == 200  # the page stays


def test_the_banner_is_empty_once_the_checklist_is_complete(client, tenant_a, relances):
    Organisation.objects.filter(pk=tenant_a.organisation.pk).update(
        adresse="1 rue",
        code_postal="69001",
        ville="Lyon",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        expediteur_nom="Alpha",
        expediteur_email="a@alpha.example",
        signature="Alpha",
        scenarios_revus_le=timezone.now(),
    )
    with tenant_a.scope():
        FactureFactory()
    tenant_a.login(client)
    assert "banniere-demarrage" not in client.get(reverse("demarrage_banniere")).content.decode()


def test_the_banner_adds_no_query_to_the_page(client, tenant_a):
    tenant_a.login(client)
    url = reverse("membres")
    client.get(url)
    with CaptureQueriesContext(connection) as avec:
        client.get(url)
    Organisation.objects.filter(pk=tenant_a.organisation.pk).update(demarrage_masque_le=timezone.now())
    with CaptureQueriesContext(connection) as sans:
        client.get(url)
    assert len(avec) == len(sans)


@pytest.mark.parametrize("role", [Role.COMMERCIAL, Role.LECTURE])
def test_the_onboarding_is_for_those_who_manage_receivables(client, tenant_a, role):
    tenant_a.login(client, role=role)
    assert client.get(reverse("demarrage")).status_code == 403
    assert client.get(reverse("demarrage_banniere")).status_code == 403
    assert 'hx-get="/demarrage/bandeau/"' not in client.get(reverse("factures:liste")).content.decode()


def _comptes():
    return {
        modele.__name__: modele.objects.count()
        for modele in (Relance, Envoi, Tache, PlanificationJour, ParametresRelance, Contact)
    }


def test_the_dry_run_shows_what_the_planning_would_do_and_keeps_nothing(relances):
    r = relances
    aujourd_hui = timezone.localdate()
    with r.tenant.scope():
        joignable = r.client(raison_sociale="Atelier Joignable")
        r.facture(joignable, echeance=aujourd_hui - 2 * J)
        r.facture(joignable, echeance=aujourd_hui - 16 * J)
        injoignable = ClientFactory(raison_sociale="Société Muette", commercial=r.commercial)
        r.facture(injoignable, echeance=aujourd_hui - 2 * J)
        r.facture(r.client(raison_sociale="Client Préventif"), echeance=aujourd_hui + 10 * J)
        avant = _comptes()
        simulation = planification_simuler(jour=aujourd_hui)
        assert _comptes() == avant
        assert mail.outbox == []

        assert (simulation.relances, simulation.envois, simulation.taches) == (4, 2, 1)
        assert {(ligne.etape, ligne.canal, ligne.relances) for ligne in simulation.par_etape} == {
            ("Préventive", "E-mail", 1),
            ("Rappel", "E-mail", 2),
            ("Relance ferme", "E-mail", 1),
        }
        envois = {(e.client, e.etape, e.factures, e.a_valider) for e in simulation.envoi_list}
        assert envois == {
            ("Atelier Joignable", "Relance ferme", 2, False),
            ("Client Préventif", "Préventive", 1, False),
        }
        assert [t.client for t in simulation.tache_list] == ["Société Muette"]

        # The real planning afterwards finds everything still to do.
        reel = organisation_planifier(jour=aujourd_hui, forcer=True)
        assert (reel.relances, reel.envois, reel.taches) == (4, 2, 1)


def test_the_dry_run_from_the_page(client, relances):
    r = relances
    with r.tenant.scope():
        r.facture(r.client(raison_sociale="Atelier Joignable"), echeance=timezone.localdate() - 2 * J)
        avant = _comptes()
    r.tenant.login(client)
    reponse = client.post(reverse("demarrage"), {"action": "simuler"})
    page = reponse.content.decode()
    assert "Atelier Joignable" in page
    assert "Rien n'est enregistré, rien n'est envoyé." in page
    assert reponse.context["simulation"].envois == 1
    with r.tenant.scope():
        assert _comptes() == avant


def test_the_dry_run_keeps_a_fixed_number_of_queries(relances):
    r = relances
    aujourd_hui = timezone.localdate()

    def compter():
        with r.tenant.scope(), CaptureQueriesContext(connection) as requetes:
            planification_simuler(jour=aujourd_hui)
        return len(requetes)

    with r.tenant.scope():
        for _ in range(2):
            r.facture(r.client(), echeance=aujourd_hui - 2 * J)
    petit = compter()
    with r.tenant.scope():
        for _ in range(15):
            r.facture(r.client(), echeance=aujourd_hui - 16 * J)
            r.facture(ClientFactory(), echeance=aujourd_hui - 2 * J)
    assert compter() == petit
