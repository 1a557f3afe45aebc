"""Editing one send waiting for approval: validated, kept as the send's content, sent as edited."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from recouvrement.tenancy.models import Role
from relances.models import Envoi, StatutEnvoi
from relances.services.envoi import envoi_executer
from relances.services.planification import organisation_planifier
from tests.smtp import texte

J = datetime.timedelta(days=1)
SUJET = "Dernier délai pour {{ client.raison_sociale }}"
CORPS = "Bonjour {{ contact.prenom }},\n\nSauf erreur, {{ total_du|montant }} restent dus.\n\n{{ tableau_factures }}"


@pytest.fixture
def a_valider(relances):
    """A reminder e-mail of the J+15 step, which now needs approval."""
    aujourd_hui = timezone.localdate()
    with relances.tenant.scope():
        relances.standard.etapes.filter(decalage_jours=15).update(necessite_validation=True)
        cible = relances.client(raison_sociale="Garage Martin")
        facture = relances.facture(cible, echeance=aujourd_hui - 16 * J)
        organisation_planifier(jour=aujourd_hui, forcer=True)
        envoi = Envoi.objects.get()
    assert envoi.statut == StatutEnvoi.A_VALIDER
    return envoi, facture


def test_the_edited_message_is_the_one_sent_after_approval(client, relances, a_valider, smtp, monkeypatch):
    from relances import views

    envoi, facture = a_valider
    partis = []
    monkeypatch.setattr(views.envoi_envoyer, "delay", lambda **kw: partis.append(kw))
    relances.tenant.login(client)
    url = reverse("relances:envoi_modifier", args=[envoi.pk])
    assert "Modifier le message" in client.get(reverse("relances:envoi", args=[envoi.pk])).content.decode()
    page = client.get(url)
    assert page.context["form"]["sujet"].value().startswith("[fr] Relance ferme")  # the step's template to start from

    apercu = client.post(
        reverse("relances:envoi_apercu", args=[envoi.pk]),
        {"sujet": SUJET, "corps": CORPS},
        headers={"HX-Request": "true"},
    )
    assert apercu.context["apercu"].sujet == "Dernier délai pour Garage Martin"
    assert facture.numero in apercu.content.decode()

    assert client.post(url, {"sujet": SUJET, "corps": CORPS}).url == reverse("relances:envoi", args=[envoi.pk])
    with relances.tenant.scope():
        envoi.refresh_from_db()
    assert envoi.statut == StatutEnvoi.A_VALIDER
    assert envoi.sujet == "Dernier délai pour Garage Martin"
    assert "Bonjour Claire," in envoi.corps_texte
    assert "restent dus." in envoi.corps_texte
    with relances.tenant.scope():
        trace = envoi.client.evenements.get(type="relance.modifiee")
    assert trace.auteur == relances.tenant.admin
    assert "Dernier délai pour Garage Martin" in trace.message

    client.post(reverse("relances:envoi_valider", args=[envoi.pk]))
    assert partis == [{"organisation_id": relances.tenant.organisation.pk, "envoi_id": envoi.pk}]
    with relances.tenant.scope():
        envoye = envoi_executer(envoi_id=envoi.pk, jour=timezone.localdate())
    assert envoye.statut == StatutEnvoi.ENVOYE
    (message,) = smtp.boite.messages
    assert message["Subject"] == "Dernier délai pour Garage Martin"
    corps = texte(message)
    assert corps.startswith("Bonjour Claire,")
    assert "restent dus." in corps
    assert facture.numero in corps
    assert "[fr] Relance ferme" not in corps


def test_a_wrong_template_is_refused_with_the_line_and_nothing_is_kept(client, relances, a_valider):
    envoi, _facture = a_valider
    relances.tenant.login(client)
    reponse = client.post(
        reverse("relances:envoi_modifier", args=[envoi.pk]), {"sujet": "Relance", "corps": "Bonjour\n{% if %}"}
    )
    assert reponse.status_code == 200
    assert reponse.context["form"].errors["corps"][0].startswith("Ligne 2 :")
    apercu = client.post(
        reverse("relances:envoi_apercu", args=[envoi.pk]),
        {"sujet": "Relance {{ client.nom }}", "corps": "Bonjour"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "Ligne 1 : variable inconnue « client.nom »" in apercu
    with relances.tenant.scope():
        envoi.refresh_from_db()
    assert envoi.sujet == ""


def test_only_a_send_waiting_for_approval_can_be_edited(client, relances):
    aujourd_hui = timezone.localdate()
    with relances.tenant.scope():
        relances.facture(relances.client(), echeance=aujourd_hui - 2 * J)
        organisation_planifier(jour=aujourd_hui, forcer=True)
        envoi = Envoi.objects.get()
    assert envoi.statut == StatutEnvoi.PRET
    relances.tenant.login(client)
    reponse = client.post(
        reverse("relances:envoi_modifier", args=[envoi.pk]), {"sujet": "A", "corps": "B"}, follow=True
    )
    assert "Seul un e-mail ou un courrier qui attend une validation peut être modifié." in reponse.content.decode()
    with relances.tenant.scope():
        envoi.refresh_from_db()
    assert envoi.sujet == ""


def test_a_commercial_cannot_edit_a_send(client, relances, a_valider):
    envoi, _facture = a_valider
    client.force_login(relances.commercial.user)
    assert client.get(reverse("relances:envoi_modifier", args=[envoi.pk])).status_code == 403
    relances.tenant.login(client, role=Role.LECTURE)
    assert client.get(reverse("relances:envoi_modifier", args=[envoi.pk])).status_code == 403
