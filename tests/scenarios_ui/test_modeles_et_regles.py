"""The template editor's live preview and test send; assignment rules and their order."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from relances.models import RegleAffectation, Scenario
from relances.services import regles as regles_service
from tests.factories import ClientFactory


@pytest.fixture
def etape(relances):
    with relances.tenant.scope():
        return relances.standard.etapes.get(decalage_jours=1)


def htmx(client, url, donnees):
    return client.post(url, donnees, headers={"HX-Request": "true"})


def test_the_editor_page_loads_the_live_preview_with_htmx(client, relances, etape):
    relances.tenant.login(client)
    page = client.get(reverse("relances:modele", args=[etape.pk, "fr"])).content.decode()
    url = reverse("relances:modele_apercu", args=[etape.pk, "fr"])
    assert f'hx-post="{url}"' in page
    assert 'hx-target="#apercu"' in page
    assert 'id="erreurs-corps"' in page


def test_the_live_preview_renders_the_template_with_sample_data(client, relances, etape):
    relances.tenant.login(client)
    reponse = htmx(
        client,
        reverse("relances:modele_apercu", args=[etape.pk, "fr"]),
        {
            "sujet": "Relance {{ client.raison_sociale }}",
            "corps": "Bonjour {{ contact.prenom }},\n\n{{ tableau_factures }}",
        },
    )
    assert reponse.status_code == 200
    contenu = reponse.content.decode()
    assert "<html" not in contenu.split("srcdoc")[0]  # a partial, not a page
    assert "Relance Boulangeries Dupré SAS" in contenu
    assert "Bonjour Sophie" in contenu
    assert "F2026-0412" in contenu
    assert reponse.context["apercu"].texte.startswith("Bonjour Sophie,")


def test_the_live_preview_shows_the_error_with_the_line_and_the_name_next_to_the_field(client, relances, etape):
    relances.tenant.login(client)
    reponse = htmx(
        client,
        reverse("relances:modele_apercu", args=[etape.pk, "fr"]),
        {"sujet": "Relance", "corps": "Bonjour,\n\n{{ client.inconnu }}"},
    )
    contenu = reponse.content.decode()
    assert reponse.context["apercu"] is None
    assert (
        '<ul class="erreurs" id="erreurs-corps" hx-swap-oob="true"><li>Ligne 3 : variable inconnue « client.inconnu »'
        in contenu
    )
    assert '<ul class="erreurs" id="erreurs-sujet" hx-swap-oob="true"></ul>' in contenu


def test_the_live_preview_with_a_real_client(client, relances, etape, tenant_b):
    from django.utils import timezone

    relances.tenant.login(client)
    with relances.tenant.scope():
        cible = relances.client(raison_sociale="Menuiserie Vidal")
        facture = relances.facture(cible, echeance=timezone.localdate())
    with tenant_b.scope():
        etranger = ClientFactory()
    url = reverse("relances:modele_apercu", args=[etape.pk, "fr"])
    donnees = {"sujet": "Relance {{ client.raison_sociale }}", "corps": "{{ tableau_factures }}", "client": cible.pk}
    contenu = htmx(client, url, donnees).content.decode()
    assert "Relance Menuiserie Vidal" in contenu
    assert facture.numero in contenu
    assert htmx(client, url, {**donnees, "client": etranger.pk}).status_code == 404


def test_sending_a_test_to_myself(client, relances, etape):
    user = relances.tenant.login(client)
    reponse = client.post(
        reverse("relances:modele", args=[etape.pk, "en"]),
        {"sujet": "Reminder {{ client.raison_sociale }}", "corps": "Dear {{ contact.prenom }}", "action": "tester"},
    )
    assert reponse.status_code == 200
    (message,) = mail.outbox
    assert message.to == [user.email]
    assert message.subject == "[TEST] Reminder Boulangeries Dupré SAS"


def test_saving_a_template_in_english(client, relances, etape):
    relances.tenant.login(client)
    url = reverse("relances:modele", args=[etape.pk, "en"])
    client.post(url, {"sujet": "Reminder", "corps": "Dear customer,\n{{ tableau_factures }}", "action": "enregistrer"})
    with relances.tenant.scope():
        assert etape.modeles.get(langue="en").corps == "Dear customer,\n{{ tableau_factures }}"
    assert client.get(reverse("relances:modele", args=[etape.pk, "de"])).status_code == 404


def regle_donnees(nom, scenario, **champs):
    return {
        "nom": nom,
        "scenario": scenario.pk,
        "affacturage": "unknown",
        "depassement_agrement": "unknown",
        "depassement_plafond": "unknown",
        **champs,
    }


def ordre(tenant):
    with tenant.scope():
        return list(RegleAffectation.objects.order_by("ordre").values_list("nom", "ordre"))


def test_creating_editing_and_deleting_rules(client, relances):
    relances.tenant.login(client)
    with relances.tenant.scope():
        public = Scenario.objects.create(nom="Public")
    reponse = client.post(
        reverse("relances:regle_creer"),
        regle_donnees(
            "Secteur public",
            public,
            categories=["secteur_public"],
            classes_risque=["D", "E"],
            montant_min="1 000,00",
            affacturage="false",
            anciennete_min_mois="6",
        ),
    )
    assert reponse.status_code == 302
    client.post(reverse("relances:regle_creer"), regle_donnees("Le reste", relances.standard))
    assert ordre(relances.tenant) == [("Secteur public", 1), ("Le reste", 2)]
    with relances.tenant.scope():
        regle = RegleAffectation.objects.get(nom="Secteur public")
    assert (regle.categories, regle.classes_risque, str(regle.montant_min), regle.affacturage) == (
        ["secteur_public"],
        ["D", "E"],
        "1000.00",
        False,
    )
    liste = client.get(reverse("relances:scenarios")).content.decode()
    assert "Secteur public" in liste
    assert "non affacturées" in liste
    client.post(reverse("relances:regle", args=[regle.pk]), regle_donnees("Publics", public, affacturage="true"))
    with relances.tenant.scope():
        regle.refresh_from_db()
    assert (regle.nom, regle.affacturage, regle.categories) == ("Publics", True, [])
    client.post(reverse("relances:regle_supprimer", args=[regle.pk]))
    assert ordre(relances.tenant) == [("Le reste", 1)]


def test_a_maximum_under_its_minimum_is_refused_next_to_the_field(client, relances):
    relances.tenant.login(client)
    reponse = client.post(
        reverse("relances:regle_creer"),
        regle_donnees("Bornes", relances.standard, montant_min="500", montant_max="100"),
    )
    assert reponse.status_code == 200
    assert reponse.context["form"].errors["montant_max"] == ["Le maximum est inférieur au minimum."]


def test_moving_rules_up_and_down_keeps_ranks_unique(client, relances):
    relances.tenant.login(client)
    with relances.tenant.scope():
        a, b, c = (
            RegleAffectation.objects.create(ordre=ordre_, nom=nom, scenario=relances.standard)
            for nom, ordre_ in (("A", 1), ("B", 2), ("C", 5))
        )
    client.post(reverse("relances:regle_deplacer", args=[c.pk]), {"sens": "haut"})
    assert ordre(relances.tenant) == [("A", 1), ("C", 2), ("B", 3)]
    client.post(reverse("relances:regle_deplacer", args=[a.pk]), {"sens": "bas"})
    assert ordre(relances.tenant) == [("C", 1), ("A", 2), ("B", 3)]
    client.post(reverse("relances:regle_deplacer", args=[c.pk]), {"sens": "haut"})  # at the top already
    client.post(reverse("relances:regle_deplacer", args=[b.pk]), {"sens": "bas"})  # at the bottom already
    assert ordre(relances.tenant) == [("C", 1), ("A", 2), ("B", 3)]
    reponse = client.post(reverse("relances:regle_deplacer", args=[b.pk]), {"sens": "ailleurs"}, follow=True)
    assert "Sens inconnu." in reponse.content.decode()


def test_the_reorder_is_set_based(relances, django_assert_max_num_queries):
    with relances.tenant.scope():
        regles = [
            RegleAffectation.objects.create(ordre=i, nom=f"R{i}", scenario=relances.standard) for i in range(1, 41)
        ]
        with django_assert_max_num_queries(8):
            nouvel_ordre = regles_service.regle_deplacer(regle=regles[-1], sens=regles_service.HAUT)
        assert nouvel_ordre[-2:] == [regles[-1].pk, regles[-2].pk]
        assert list(RegleAffectation.objects.order_by("ordre").values_list("ordre", flat=True)) == list(range(1, 41))
