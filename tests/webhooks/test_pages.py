"""The settings pages of the webhooks (admins) and the delivery log (admins, credit managers,
finance directors): secret shown once, test event, resend, roles, tenants, query counts."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from recouvrement.tenancy.models import Role
from tests.conftest import compter_requetes
from tests.factories import FactureFactory
from webhooks import services
from webhooks.models import Endpoint, Livraison, StatutLivraison
from webhooks.secrets import secret_dechiffrer


def _endpoint(tenant, url, evenements=("facture.payee",)):
    with tenant.scope():
        return services.endpoint_create(url=url, evenements=list(evenements))


def _livraisons(tenant, n: int, url: str) -> list[Livraison]:
    with tenant.scope():
        services.endpoint_create(url=url, evenements=["facture.payee"])
        ids = [FactureFactory().pk for _ in range(n)]
        return services.evenement_publier(type="facture.payee", facture_ids=ids)


def test_the_settings_page_links_to_the_webhooks(client, tenant_a):
    tenant_a.login(client)
    assert reverse("webhooks:liste") in client.get(reverse("parametres")).content.decode()


def test_an_admin_creates_an_endpoint_and_sees_its_secret_once(client, tenant_a, recepteur):
    tenant_a.login(client)
    assert client.get(reverse("webhooks:creer")).status_code == 200
    response = client.post(
        reverse("webhooks:creer"),
        {
            "url": recepteur.url,
            "description": "ERP Sage",
            "evenements": ["facture.payee", "litige.ouvert"],
            "actif": "on",
        },
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = re.search(r'<code id="secret-webhook">(whsec_[\w-]+)</code>', response.content.decode()).group(1)
    with tenant_a.scope():
        endpoint = Endpoint.objects.get()
    assert (endpoint.url, endpoint.description, endpoint.evenements, endpoint.actif) == (
        recepteur.url,
        "ERP Sage",
        ["litige.ouvert", "facture.payee"],
        True,
    )
    assert secret not in endpoint.secret_chiffre
    assert secret_dechiffrer(endpoint.secret_chiffre) == secret
    liste = client.get(reverse("webhooks:liste")).content.decode()
    assert secret not in liste
    assert endpoint.secret_debut in liste
    assert "hmac.compare_digest" in liste  # how to verify, with a Python snippet


def test_an_http_or_private_url_is_refused_when_not_allowed(client, tenant_a, settings):
    settings.WEBHOOKS_HTTP_AUTORISE = False
    settings.WEBHOOKS_CIBLES_PRIVEES = False
    tenant_a.login(client)
    for url in ("http://erp.example.com/hook", "https://10.1.2.3/hook"):
        response = client.post(reverse("webhooks:creer"), {"url": url, "evenements": ["facture.payee"]})
        assert response.status_code == 200
        assert "L&#x27;URL doit commencer par https:// et viser une adresse publique." in response.content.decode()
    response = client.post(reverse("webhooks:creer"), {"url": "https://erp.example.com/hook"})
    assert "Ce champ est obligatoire." in response.content.decode()
    with tenant_a.scope():
        assert not Endpoint.objects.exists()


def test_change_regenerate_test_and_delete(client, tenant_a, recepteur, immediat, django_capture_on_commit_callbacks):
    endpoint, ancien = _endpoint(tenant_a, recepteur.url)
    tenant_a.login(client)
    url = reverse("webhooks:modifier", args=[endpoint.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"url": recepteur.url + "/v2", "evenements": ["litige.resolu"]})
    assert response.status_code == 302
    with tenant_a.scope():
        endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.evenements, endpoint.actif) == (recepteur.url + "/v2", ["litige.resolu"], False)

    response = client.post(reverse("webhooks:secret", args=[endpoint.pk]))
    nouveau = re.search(r"(whsec_[\w-]+)</code>", response.content.decode()).group(1)
    assert nouveau != ancien

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("webhooks:tester", args=[endpoint.pk]))
    with tenant_a.scope():
        livraison = Livraison.objects.get()
    assert response.url == reverse("webhooks:livraison", args=[livraison.pk])
    (requete,) = recepteur.requetes  # sent even though the endpoint is inactive: it is a test
    assert requete.chemin == "/erp/webhooks/v2"
    assert requete.entetes["X-Recouvrement-Evenement"] == "webhook.test"
    assert requete.signature_valide(nouveau)
    page = client.get(response.url).content.decode()
    assert "Événement de test" in page
    assert "Livrée" in page

    assert client.post(reverse("webhooks:supprimer", args=[endpoint.pk])).status_code == 302
    with tenant_a.scope():
        assert Endpoint.objects.exists()  # not without the form's confirmation
    assert client.post(reverse("webhooks:supprimer", args=[endpoint.pk]), {"confirmer": "oui"}).status_code == 302
    with tenant_a.scope():
        assert not Endpoint.objects.exists()
        assert not Livraison.objects.exists()


@pytest.mark.parametrize(
    ("role", "config", "journal"),
    [
        (Role.CHARGE, 403, 200),
        (Role.DAF, 403, 200),
        (Role.COMMERCIAL, 403, 403),
        (Role.LECTURE, 403, 403),
    ],
)
def test_roles(client, tenant_a, role, config, journal):
    tenant_a.login(client, role=role)
    assert client.get(reverse("webhooks:liste")).status_code == config
    assert client.get(reverse("webhooks:creer")).status_code == config
    assert client.get(reverse("webhooks:journal")).status_code == journal


def test_a_credit_manager_resends_from_the_log(
    client, tenant_a, recepteur, immediat, django_capture_on_commit_callbacks
):
    (livraison,) = _livraisons(tenant_a, 1, recepteur.url)
    tenant_a.login(client, role=Role.CHARGE)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("webhooks:renvoyer", args=[livraison.pk]))
    assert response.status_code == 302
    with tenant_a.scope():
        livraison.refresh_from_db()
    assert (livraison.statut, livraison.tentatives) == (StatutLivraison.LIVREE, 1)
    assert len(recepteur.requetes) == 1


def test_the_log_and_its_filters(client, tenant_a, recepteur):
    livraisons = _livraisons(tenant_a, 3, recepteur.url)
    with tenant_a.scope():
        Livraison.objects.filter(pk=livraisons[0].pk).update(statut=StatutLivraison.ABANDONNEE, tentatives=6)
    tenant_a.login(client)
    page = client.get(reverse("webhooks:journal")).content.decode()
    assert page.count(reverse("webhooks:livraison", args=[livraisons[0].pk]) + '"') == 1
    assert page.count("Facture payée") >= 3
    response = client.get(reverse("webhooks:journal"), {"statut": "abandonnee"}, headers={"HX-Request": "true"})
    fragment = response.content.decode()
    assert "<html" not in fragment
    assert [int(i) for i in re.findall(r"/livraisons/(\d+)/", fragment)] == [livraisons[0].pk]
    detail = client.get(reverse("webhooks:livraison", args=[livraisons[1].pk])).content.decode()
    assert "&quot;facture.payee&quot;" in detail  # the body, indented
    assert "Pas encore de tentative." in detail


def test_the_pages_keep_a_fixed_number_of_queries(client, tenant_a, recepteur):
    tenant_a.login(client)
    _livraisons(tenant_a, 1, recepteur.url)
    with tenant_a.scope():
        (une,) = Livraison.objects.all()
        services.livraison_tenter(livraison_id=une.pk)
    pages = [reverse("webhooks:liste"), reverse("webhooks:journal"), reverse("webhooks:livraison", args=[une.pk])]
    for url in pages:  # the first request of a session saves the organisation in it
        client.get(url)
    avant = [compter_requetes(client, url) for url in pages]
    _livraisons(tenant_a, 12, recepteur.url + "/b")
    with tenant_a.scope():
        for livraison in Livraison.objects.exclude(pk=une.pk)[:5]:
            services.livraison_tenter(livraison_id=livraison.pk)
        Livraison.objects.filter(pk=une.pk).update(statut=StatutLivraison.EN_ATTENTE, tentatives_cycle=0)
        services.livraison_renvoyer(livraison=Livraison.objects.get(pk=une.pk))
        services.livraison_tenter(livraison_id=une.pk)
    apres = [compter_requetes(client, url) for url in pages]
    assert avant == apres
    assert apres[1] <= 8, apres


def test_another_organisations_webhooks_are_404(client, tenant_a, tenant_b, recepteur):
    (livraison,) = _livraisons(tenant_a, 1, recepteur.url)
    tenant_b.login(client)
    for url in (
        reverse("webhooks:modifier", args=[livraison.endpoint_id]),
        reverse("webhooks:livraison", args=[livraison.pk]),
    ):
        assert client.get(url).status_code == 404
    for url in (
        reverse("webhooks:secret", args=[livraison.endpoint_id]),
        reverse("webhooks:tester", args=[livraison.endpoint_id]),
        reverse("webhooks:supprimer", args=[livraison.endpoint_id]),
        reverse("webhooks:renvoyer", args=[livraison.pk]),
    ):
        assert client.post(url).status_code == 404
    assert "/livraisons/" not in client.get(reverse("webhooks:journal")).content.decode().replace(
        reverse("webhooks:journal"), ""
    )
    assert recepteur.url not in client.get(reverse("webhooks:liste")).content.decode()
    with tenant_a.scope():
        assert Endpoint.objects.count() == 1
