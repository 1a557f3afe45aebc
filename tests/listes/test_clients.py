"""The clients list: every filter and sort against known figures, a commercial's scope,
the other organisation never, and a fixed number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.conftest import compter_requetes
from tests.factories import ClientFactory
from tests.listes.conftest import J, facture

URL = reverse("clients:liste")


def noms(response):
    assert response.status_code == 200
    return [c.raison_sociale for c in response.context["page"]]


def test_the_default_list_is_by_name_with_balances(client, grand_livre):
    grand_livre.tenant.login(client)
    response = client.get(URL)
    assert noms(response) == ["Alpha", "Bravo", "Charlie", "Delta"]
    alpha, bravo, charlie, delta = response.context["page"]
    assert (alpha.encours, alpha.echu, alpha.retard_jours, alpha.depasse_plafond) == (
        Decimal("1700.00"),
        Decimal("1800.00"),
        50,
        True,
    )
    assert (bravo.encours, bravo.echu, bravo.retard_jours) == (Decimal("500.00"), Decimal("0.00"), 0)
    assert (charlie.encours, charlie.retard_jours) == (Decimal("300.00"), 70)
    assert delta.encours == Decimal("0.00")
    assert "Alpha Bis" not in response.content.decode()


@pytest.mark.parametrize(
    ("parametres", "attendus"),
    [
        ({"q": "alph"}, ["Alpha"]),
        ({"q": "EXT-9"}, ["Delta"]),
        ({"q": "ext-9"}, ["Delta"]),
        ({"q": "732 829"}, ["Delta"]),
        ({"categorie": "eti"}, ["Alpha"]),
        ({"classe": "E"}, ["Charlie"]),
        ({"retard": "1"}, ["Alpha", "Charlie"]),
        ({"retard": "0"}, ["Bravo", "Delta"]),
        ({"depassement": "1"}, ["Alpha"]),
        ({"affacturage": "1"}, ["Bravo", "Charlie"]),
        ({"affacturage": "0"}, ["Alpha", "Delta"]),
        ({"retard": "1", "affacturage": "1"}, ["Charlie"]),
        ({"categorie": "nimporte"}, ["Alpha", "Bravo", "Charlie", "Delta"]),  # an invalid value is ignored
    ],
)
def test_each_filter(client, grand_livre, parametres, attendus):
    grand_livre.tenant.login(client)
    assert noms(client.get(URL, parametres)) == attendus


def test_the_commercial_filter(client, grand_livre):
    grand_livre.tenant.login(client)
    assert noms(client.get(URL, {"commercial": grand_livre.rep1.pk})) == ["Alpha", "Delta"]
    assert noms(client.get(URL, {"commercial": grand_livre.rep2.pk})) == ["Bravo"]


@pytest.mark.parametrize(
    ("tri", "attendus"),
    [
        ("raison_sociale", ["Alpha", "Bravo", "Charlie", "Delta"]),
        ("-raison_sociale", ["Delta", "Charlie", "Bravo", "Alpha"]),
        ("-encours", ["Alpha", "Bravo", "Charlie", "Delta"]),
        ("encours", ["Delta", "Charlie", "Bravo", "Alpha"]),
        ("-echu", ["Alpha", "Charlie", "Bravo", "Delta"]),
        ("-retard", ["Charlie", "Alpha", "Bravo", "Delta"]),
    ],
)
def test_each_sort(client, grand_livre, tri, attendus):
    grand_livre.tenant.login(client)
    response = client.get(URL, {"tri": tri})
    assert noms(response) == attendus
    # The balances are the same whichever way they were computed.
    alpha = next(c for c in response.context["page"] if c.raison_sociale == "Alpha")
    assert (alpha.encours, alpha.echu, alpha.retard_jours) == (Decimal("1700.00"), Decimal("1800.00"), 50)


def test_a_commercial_sees_only_his_clients_whatever_he_asks(client, grand_livre):
    client.force_login(grand_livre.rep1.user)
    response = client.get(URL)
    assert "Mes clients" in response.content.decode()
    assert noms(response) == ["Alpha", "Delta"]
    assert noms(client.get(URL, {"commercial": grand_livre.rep2.pk})) == ["Alpha", "Delta"]
    assert noms(client.get(URL, {"tri": "-encours"})) == ["Alpha", "Delta"]
    assert noms(client.get(URL, {"affacturage": "1"})) == []
    assert noms(client.get(URL, {"depassement": "1", "tri": "-retard"})) == ["Alpha"]


def test_pages_sorted_by_balance_hold_the_right_rows(client, grand_livre):
    with grand_livre.tenant.scope():
        for i in range(55):
            petit = ClientFactory(raison_sociale=f"Zulu {i:02d}")
            facture(petit, echeance=grand_livre.aujourd_hui + J, ttc=f"{i + 1}.00")
    grand_livre.tenant.login(client)
    premiere = client.get(URL, {"tri": "-encours"})
    assert premiere.context["page"].paginator.count == 59
    assert noms(premiere)[:5] == ["Alpha", "Bravo", "Charlie", "Zulu 54", "Zulu 53"]
    seconde = client.get(URL, {"tri": "-encours", "page": 2})
    assert noms(seconde) == [f"Zulu {i:02d}" for i in range(7, -1, -1)] + ["Delta"]
    # Past the end: the last page, as Django's paginator does.
    assert noms(client.get(URL, {"tri": "-encours", "page": 99})) == noms(seconde)
    assert noms(client.get(URL, {"page": 99}))[-1] == "Zulu 54"


@pytest.mark.parametrize(
    "parametres", [{}, {"tri": "-encours"}, {"depassement": "1", "tri": "-retard"}, {"retard": "1", "q": "a"}]
)
def test_the_query_count_does_not_grow_with_the_data(client, grand_livre, parametres):
    grand_livre.tenant.login(client)
    client.get(URL)
    petit = compter_requetes(client, URL, parametres)
    with grand_livre.tenant.scope():
        for i in range(30):
            autre = ClientFactory(raison_sociale=f"Client {i}", commercial=grand_livre.rep1)
            for jours in (5, 40, -3):
                facture(autre, echeance=grand_livre.aujourd_hui - jours * J, ttc="10.00")
    assert compter_requetes(client, URL, parametres) == petit
    assert petit <= 10
