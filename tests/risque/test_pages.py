"""Risk pages: the client sheet's panel and "Recalculer", the sales reps' clients at risk and
unpaid invoices, the unpaid amounts per commercial; who sees what; fixed query counts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from clients.forms import ClientForm
from clients.models import Client
from litiges.services import litige_ouvrir
from relances.models import Envoi, Relance, StatutEnvoi, StatutRelance
from risque.models import ScoreRisque
from risque.services import scores_calculer
from tests.conftest import compter_requetes
from tests.factories import ClientFactory, scenario_avec_etape
from tests.risque.conftest import AUJOURD_HUI, PARIS, facture

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"


@pytest.fixture
def calcule(histoires):
    with histoires.tenant.scope():
        scores_calculer(aujourd_hui=AUJOURD_HUI)
    return histoires


def relance_envoyee(client: Client, facture_, le: datetime.datetime) -> Envoi:
    etape = scenario_avec_etape()
    envoi = Envoi.objects.create(
        client=client, date_prevue=le.date(), etape=etape, canal="email", statut=StatutEnvoi.ENVOYE, envoye_le=le
    )
    Relance.objects.create(
        facture=facture_,
        client=client,
        etape=etape,
        envoi=envoi,
        date_prevue=le.date(),
        decalage_jours=1,
        canal="email",
        statut=StatutRelance.ENVOYEE,
    )
    return envoi


# The client sheet -------------------------------------------------------------------------------


def test_the_sheet_explains_the_score_and_the_limit(client, calcule):
    calcule.tenant.login(client)
    response = client.get(reverse("clients:detail", args=[calcule.au_dela.pk]))
    assert response.status_code == 200
    risque = response.context["risque"]
    assert (risque.score.score, risque.score.classe) == (86, "A")
    lignes = {f.code: (f.valeur_texte, f.points, f.poids_effectif, f.contribution) for f in risque.facteurs}
    # Applicable weights: 25 + 15 + 10 + 10 + 10 + 5 = 75; the limit's 10 is 13.3 % of them.
    assert lignes["plafond"] == (f"120,0{NBSP}%", 30.0, Decimal("13.3"), 4.0)
    assert lignes["retard_pondere"] == ("0,0 j", 100.0, Decimal("33.3"), 33.3)
    assert lignes["anciennete"] == ("12 mois", 33.3, Decimal("6.7"), 2.2)
    assert lignes["tendance"][1] is None  # no invoice due in the last 3 months
    assert "sans_historique" not in lignes
    assert (risque.plafond.taux, risque.plafond.depassement) == (Decimal("120"), Decimal("2000.00"))
    assert risque.alerte is not None
    html = response.content.decode()
    assert "86/100" in html
    assert f"2{NBSP}000,00{NBSP}€ au-delà du plafond" in html
    assert "Plafond dépassé depuis le" in html
    assert reverse("risque:recalculer", args=[calcule.au_dela.pk]) in html
    assert 'data-facteur="plafond"' in html


def test_the_commercial_sees_the_panel_but_cannot_recompute(client, calcule):
    client.force_login(calcule.commercial.user)
    response = client.get(reverse("clients:detail", args=[calcule.nouveau.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "55/100" in html
    assert "Aucune facture échue depuis 12 mois" in html
    assert reverse("risque:recalculer", args=[calcule.nouveau.pk]) not in html
    assert client.post(reverse("risque:recalculer", args=[calcule.nouveau.pk])).status_code == 403


def test_recompute_one_client_from_the_sheet(client, calcule):
    with calcule.tenant.scope():
        Client.objects.filter(pk=calcule.nouveau.pk).update(note_externe=10)
    calcule.tenant.login(client)
    response = client.post(reverse("risque:recalculer", args=[calcule.nouveau.pk]))
    assert response.status_code == 302
    with calcule.tenant.scope():
        assert ScoreRisque.objects.get(client=calcule.nouveau).score == 48
        assert Client.objects.get(pk=calcule.nouveau.pk).classe_risque == "D"
    assert client.get(reverse("risque:recalculer", args=[calcule.nouveau.pk])).status_code == 405


def test_the_client_form_takes_the_external_rating(client, calcule):
    calcule.tenant.login(client)
    with calcule.tenant.scope():
        form = ClientForm(instance=Client.objects.get(pk=calcule.nouveau.pk))
        data = {k: ("" if v is None else getattr(v, "pk", v)) for k, v in form.initial.items() if k in form.fields}
    assert "classe_risque" not in form.fields  # computed, not typed
    data.update(note_externe="72", note_externe_source="Banque de France", date_debut_relation="2026-11-01")
    data = {k: v for k, v in data.items() if v is not False}
    response = client.post(reverse("clients:modifier", args=[calcule.nouveau.pk]), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    with calcule.tenant.scope():
        nouveau = Client.objects.get(pk=calcule.nouveau.pk)
        assert (nouveau.note_externe, nouveau.note_externe_source, nouveau.note_externe_date) == (
            72,
            "Banque de France",
            AUJOURD_HUI,
        )
    data["note_externe"] = "101"
    response = client.post(reverse("clients:modifier", args=[calcule.nouveau.pk]), data)
    assert response.status_code == 200
    assert "note_externe" in response.context["form"].errors


# "Mes clients à risque" ---------------------------------------------------------------------------


def test_a_commercial_sees_only_his_clients_at_risk(client, calcule):
    with calcule.tenant.scope():
        # Dégradation (another rep's) goes over a limit: at risk, but not his.
        Client.objects.filter(pk=calcule.degradation.pk).update(plafond_credit=Decimal("1000.00"))
        ouverte = calcule.litigieux.factures.get(date_echeance=datetime.date(2026, 9, 30))
        relance_envoyee(calcule.litigieux, ouverte, datetime.datetime(2026, 11, 2, 9, 0, tzinfo=PARIS))
    client.force_login(calcule.commercial.user)
    response = client.get(reverse("risque:clients_a_risque"))
    lignes = [
        (c.raison_sociale, c.classe_risque, c.score, c.encours, c.echu, c.depassement)
        for c in response.context["client_list"]
    ]
    assert lignes == [
        ("Litigieux", "D", 39, Decimal("3000.00"), Decimal("3000.00"), Decimal("0.00")),
        ("Retardataire", "D", 49, Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),
        ("Au-delà", "A", 86, Decimal("12000.00"), Decimal("0.00"), Decimal("2000.00")),
    ]
    assert response.context["client_list"][0].derniere_relance_le == datetime.datetime(2026, 11, 2, 9, 0, tzinfo=PARIS)
    assert "Dégradation" not in response.content.decode()
    assert client.get(reverse("clients:detail", args=[calcule.degradation.pk])).status_code == 404

    client.force_login(calcule.autre_commercial.user)
    autres = client.get(reverse("risque:clients_a_risque")).context["client_list"]
    assert [c.raison_sociale for c in autres] == ["Dégradation"]

    calcule.tenant.login(client)
    tous = client.get(reverse("risque:clients_a_risque")).context["client_list"]
    assert [c.raison_sociale for c in tous] == ["Litigieux", "Retardataire", "Dégradation", "Au-delà"]


def test_clients_at_risk_in_a_fixed_number_of_queries(client, calcule):
    client.force_login(calcule.commercial.user)
    url = reverse("risque:clients_a_risque")
    compter_requetes(client, url)  # warm-up: the session's first queries
    peu = compter_requetes(client, url)
    with calcule.tenant.scope():
        etape = scenario_avec_etape()
        for n in range(6):
            autre = ClientFactory(commercial=calcule.commercial, classe_risque="E", plafond_credit=Decimal("10.00"))
            piece = facture(autre, echeance=datetime.date(2026, 10, 1), montant="500.00")
            envoi = Envoi.objects.create(
                client=autre,
                date_prevue=datetime.date(2026, 10, 2 + n),
                etape=etape,
                canal="email",
                statut=StatutEnvoi.ENVOYE,
                envoye_le=datetime.datetime(2026, 10, 2 + n, 9, 0, tzinfo=PARIS),
            )
            assert piece.pk
            assert envoi.pk
    assert len(client.get(url).context["client_list"]) == 9
    assert compter_requetes(client, url) == peu


# "Mes factures impayées" ---------------------------------------------------------------------------


def test_a_commercial_sees_his_unpaid_invoices(client, calcule):
    with calcule.tenant.scope():
        ouverte = calcule.litigieux.factures.get(date_echeance=datetime.date(2026, 9, 30))
        relance_envoyee(calcule.litigieux, ouverte, datetime.datetime(2026, 11, 2, 9, 0, tzinfo=PARIS))
        litige_ouvrir(
            client=calcule.litigieux, factures=[(ouverte, None)], type="prix", description="Prix", auteur=None
        )
    client.force_login(calcule.commercial.user)
    response = client.get(reverse("risque:factures_impayees"))
    factures = response.context["facture_list"]
    assert [(f.client.raison_sociale, f.reste_du, f.date_echeance) for f in factures] == [
        ("Litigieux", Decimal("3000.00"), datetime.date(2026, 9, 30)),
        ("Au-delà", Decimal("12000.00"), datetime.date(2026, 12, 15)),
        ("Nouveau", Decimal("5000.00"), datetime.date(2026, 12, 31)),
    ]
    premiere = factures[0]
    assert premiere.en_litige is True
    assert premiere.derniere_relance_le == datetime.datetime(2026, 11, 2, 9, 0, tzinfo=PARIS)
    assert premiere.derniere_relance_canal == "email"
    assert response.context["total"] == {"nombre": 3, "du": Decimal("20000.00"), "echu": Decimal("3000.00")}
    html = response.content.decode()
    assert "58 j" in html
    assert "en litige" in html
    assert "Dégradation" not in html  # another rep's client


def test_unpaid_invoices_are_paginated_in_a_fixed_number_of_queries(client, calcule):
    client.force_login(calcule.commercial.user)
    url = reverse("risque:factures_impayees")
    compter_requetes(client, url)
    peu = compter_requetes(client, url)
    with calcule.tenant.scope():
        for n in range(60):
            facture(calcule.nouveau, echeance=datetime.date(2026, 10, 1) + datetime.timedelta(days=n), montant="10.00")
    response = client.get(url)
    assert len(response.context["facture_list"]) == 50
    assert response.context["page"].paginator.count == 63
    assert compter_requetes(client, url) == peu
    assert len(client.get(url, {"page": 2}).context["facture_list"]) == 13


# "Impayés par commercial" --------------------------------------------------------------------------


def test_unpaid_amounts_per_commercial(client, calcule):
    with calcule.tenant.scope():
        sans = ClientFactory(raison_sociale="Orphelin", commercial=None)
        facture(sans, echeance=AUJOURD_HUI - datetime.timedelta(days=70), montant="1000.00")
    calcule.tenant.login(client)
    response = client.get(reverse("risque:impayes_par_commercial"))
    impayes = response.context["impayes"]
    lignes = [
        (
            ligne.commercial_id,
            ligne.clients,
            ligne.clients_en_retard,
            ligne.encours,
            ligne.echu,
            ligne.echu_plus_60,
            ligne.part_echu,
        )
        for ligne in impayes.lignes
    ]
    # Overdue: Dégradation 5000 (43 days), Litigieux 3000 (58 days), Orphelin 1000 (70 days): 9000.
    assert lignes == [
        (calcule.autre_commercial.pk, 1, 1, Decimal("5000.00"), Decimal("5000.00"), Decimal("0.00"), Decimal("55.6")),
        (calcule.commercial.pk, 5, 1, Decimal("20000.00"), Decimal("3000.00"), Decimal("0.00"), Decimal("33.3")),
        (None, 1, 1, Decimal("1000.00"), Decimal("1000.00"), Decimal("1000.00"), Decimal("11.1")),
    ]
    assert impayes.lignes[1].part_echue_encours == Decimal("15.0")
    assert (impayes.clients, impayes.encours, impayes.echu, impayes.echu_plus_60) == (
        7,
        Decimal("26000.00"),
        Decimal("9000.00"),
        Decimal("1000.00"),
    )
    assert "Sans commercial" in response.content.decode()


def test_unpaid_per_commercial_is_for_managers_and_in_a_fixed_number_of_queries(client, calcule):
    client.force_login(calcule.commercial.user)
    assert client.get(reverse("risque:impayes_par_commercial")).status_code == 403
    calcule.tenant.login(client)
    url = reverse("risque:impayes_par_commercial")
    compter_requetes(client, url)
    peu = compter_requetes(client, url)
    with calcule.tenant.scope():
        for _ in range(4):
            autre = ClientFactory(commercial=calcule.tenant.member("commercial"))
            facture(autre, echeance=datetime.date(2026, 9, 1), montant="100.00")
    assert len(client.get(url).context["impayes"].lignes) == 6
    assert compter_requetes(client, url) == peu


def test_the_grid_page(client, calcule):
    client.force_login(calcule.commercial.user)
    response = client.get(reverse("risque:bareme"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-critere="retard_pondere"' in html
    assert "45 jours" in html
    assert "classe C" in html
