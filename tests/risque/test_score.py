"""The risk score on hand-built payment histories (tests/risque/conftest.py): every figure
below is computed by hand from the invoices, payments, disputes and promises of the fixture
and the grid of ``risque.bareme``."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from clients.models import Client
from recouvrement.tenancy.context import organisation_scope
from relances.models import ParametresRelance, RegleAffectation
from relances.services.planification import organisation_planifier
from risque.models import ScoreRisque
from risque.services import client_risque_recalculer, date_moins_mois, scores_calculer
from tests.factories import ClientFactory, FactureFactory, scenario_avec_etape
from tests.risque.conftest import AUJOURD_HUI, facture

pytestmark = pytest.mark.django_db


def criteres(score: ScoreRisque) -> dict[str, tuple]:
    """code → (value, points, weight, contribution)."""
    return {f["code"]: (f["valeur"], f["points"], f["poids"], f["contribution"]) for f in score.facteurs}


def score_de(client: Client) -> ScoreRisque:
    return ScoreRisque.objects.get(client=client)


@pytest.fixture
def calcule(histoires):
    with histoires.tenant.scope():
        resultat = scores_calculer(aujourd_hui=AUJOURD_HUI)
    assert resultat.clients == 6
    return histoires


def test_always_on_time_is_a(calcule):
    with calcule.tenant.scope():
        score = score_de(calcule.ponctuel)
        # 4 invoices observed (the one settled before the 12 months and the cancelled one are not),
        # none late. Seniority: 2022-01-01 → 2026-11-27 = 1791 days = 58 months.
        assert criteres(score) == {
            "retard_pondere": (0.0, 100.0, 25, 33.3),
            "part_retard": (0.0, 100.0, 15, 20.0),
            "tendance": (0.0, 100, 10, 13.3),
            "litiges": (0, 100, 10, 13.3),
            "promesses_rompues": (0, 100, 10, 13.3),
            "plafond": (None, None, 10, None),
            "anciennete": (58, 100, 5, 6.7),
            "note_externe": (None, None, 15, None),
            "sans_historique": (4, None, 75, None),
        }
        assert (score.score, score.classe) == (100, "A")
        assert Client.objects.get(pk=calcule.ponctuel.pk).classe_risque == "A"


def test_often_late_by_big_amounts_is_d(calcule):
    with calcule.tenant.scope():
        score = score_de(calcule.retardataire)
        # Days late weighted by amount: (10000×60 + 2000×20 + 10000×60 + 2000×0) / 24000 = 51.67 → 0 point (≥ 45).
        # Late: 3 of 4 = 75 % → 25 points. Trend: last 3 months (10000×60)/12000 = 50, the 9 before
        # (10000×60 + 2000×20)/12000 = 53.33: −3.3, not worse → 100. Seniority 24 months → 66.7.
        # Score: (0×25 + 25×15 + 100×10 + 100×10 + 100×10 + 66.7×5) / 75 = 3708.5 / 75 = 49.4 → 49.
        assert criteres(score) == {
            "retard_pondere": (51.7, 0, 25, 0.0),
            "part_retard": (75.0, 25.0, 15, 5.0),
            "tendance": (-3.3, 100, 10, 13.3),
            "litiges": (0, 100, 10, 13.3),
            "promesses_rompues": (0, 100, 10, 13.3),
            "plafond": (None, None, 10, None),
            "anciennete": (24, 66.7, 5, 4.4),
            "note_externe": (None, None, 15, None),
            "sans_historique": (4, None, 75, None),
        }
        assert (score.score, score.classe) == (49, "D")
        assert Client.objects.get(pk=calcule.retardataire.pk).classe_risque == "D"


def test_a_worsening_trend_costs_the_trend_points(calcule):
    with calcule.tenant.scope():
        score = score_de(calcule.degradation)
        # (5000×0 + 5000×5 + 5000×40 + 5000×43 [open since 15 Oct]) / 20000 = 22 days → 100 − 22×100/45 = 51.1.
        # Late 3 of 4 → 25. Trend: (200000 + 215000)/10000 = 41.5 against 25000/10000 = 2.5: +39 days → 0.
        # (51.1×25 + 25×15 + 0 + 1000 + 1000 + 100×5) / 75 = 4152.5 / 75 = 55.4 → 55, C (68.7, B, if it were stable).
        c = criteres(score)
        assert c["retard_pondere"] == (22.0, 51.1, 25, 17.0)
        assert c["part_retard"] == (75.0, 25.0, 15, 5.0)
        assert c["tendance"] == (39.0, 0, 10, 0.0)
        assert c["anciennete"] == (82, 100, 5, 6.7)
        assert (score.score, score.classe, score.encours) == (55, "C", Decimal("5000.00"))


def test_disputes_and_broken_promises(calcule):
    with calcule.tenant.scope():
        score = score_de(calcule.litigieux)
        # Two disputes in the 12 months (the 2025 one is older) → 100 − 2×25 = 50.
        # Broken: the one marked "rompue" in October, and the one of 10 November still "en cours"
        # past its 3 days of grace with its invoice open; not the one of 25 November (grace runs
        # to the 28th), the kept one, nor the 2025 one → 2 → 100 − 2×40 = 20.
        # (3000×10 + 0 + 3000×58) / 9000 = 22.67 → 22.7 → 49.6; late 2 of 3 = 66.7 % → 33.3;
        # trend 58 − 5 = +53 → 0. (49.6×25 + 33.3×15 + 0 + 50×10 + 20×10 + 100×5) / 75 = 2939.5 / 75 = 39.2.
        assert criteres(score) == {
            "retard_pondere": (22.7, 49.6, 25, 16.5),
            "part_retard": (66.7, 33.3, 15, 6.7),
            "tendance": (53.0, 0, 10, 0.0),
            "litiges": (2, 50, 10, 6.7),
            "promesses_rompues": (2, 20, 10, 2.7),
            "plafond": (None, None, 10, None),
            "anciennete": (41, 100, 5, 6.7),
            "note_externe": (None, None, 15, None),
            "sans_historique": (3, None, 75, None),
        }
        assert (score.score, score.classe) == (39, "D")


def test_the_grace_period_is_the_organisations(histoires):
    with histoires.tenant.scope():
        ParametresRelance.objects.create(delai_grace_promesse_jours=20)
        scores_calculer(aujourd_hui=AUJOURD_HUI)
        # 10 Nov + 20 days is not past: only the promise marked "rompue" counts.
        assert criteres(score_de(histoires.litigieux))["promesses_rompues"][:2] == (1, 60)


def test_over_its_limit(calcule):
    with calcule.tenant.scope():
        score = score_de(calcule.au_dela)
        # 12000 outstanding (not yet due) for a 10000 limit: 120 % → 100 × (150 − 120) / 100 = 30.
        # One invoice paid early; no trend (nothing due in the last 3 months). Seniority 12 months → 33.3.
        # (100×25 + 100×15 + 100×10 + 100×10 + 30×10 + 33.3×5) / 75 = 6466.5 / 75 = 86.2 → 86.
        c = criteres(score)
        assert c["plafond"] == (120.0, 30.0, 10, 4.0)
        assert c["tendance"] == (None, None, 10, None)
        assert c["anciennete"] == (12, 33.3, 5, 2.2)
        assert (score.score, score.classe, score.encours) == (86, "A", Decimal("12000.00"))


def test_a_client_without_history_is_neutral_c(calcule):
    with calcule.tenant.scope():
        score = score_de(calcule.nouveau)
        c = criteres(score)
        assert c["sans_historique"] == (0, 55, 75, 55.0)
        assert all(c[code][1] is None for code in c if code != "sans_historique")
        assert (score.score, score.classe) == (55, "C")


def test_the_external_rating_moves_the_score(calcule):
    with calcule.tenant.scope():
        Client.objects.filter(pk=calcule.nouveau.pk).update(note_externe=90)
        Client.objects.filter(pk=calcule.ponctuel.pk).update(note_externe=20)
        scores_calculer(aujourd_hui=AUJOURD_HUI)
        nouveau, ponctuel = score_de(calcule.nouveau), score_de(calcule.ponctuel)
        # (55×75 + 90×15) / 90 = 60.8 → 61; (100×75 + 20×15) / 90 = 86.7 → 87.
        assert criteres(nouveau)["note_externe"] == (90, 90, 15, 15.0)
        assert (nouveau.score, nouveau.classe) == (61, "C")
        assert (ponctuel.score, ponctuel.classe) == (87, "A")
        Client.objects.filter(pk=calcule.nouveau.pk).update(note_externe=10)
        scores_calculer(aujourd_hui=AUJOURD_HUI)
        # (4125 + 150) / 90 = 47.5 → 48: class D.
        assert (score_de(calcule.nouveau).score, score_de(calcule.nouveau).classe) == (48, "D")
        assert Client.objects.get(pk=calcule.nouveau.pk).classe_risque == "D"


def test_recomputing_is_idempotent(calcule):
    with calcule.tenant.scope():
        avant = {s.client_id: (s.score, s.classe, s.facteurs, s.encours) for s in ScoreRisque.objects.all()}
        resultat = scores_calculer(aujourd_hui=AUJOURD_HUI)
        apres = {s.client_id: (s.score, s.classe, s.facteurs, s.encours) for s in ScoreRisque.objects.all()}
        assert apres == avant
        assert (resultat.clients, resultat.classes_changees, resultat.alertes_levees) == (6, 0, 0)
        assert ScoreRisque.objects.count() == 6


def test_recomputing_one_client_touches_only_it(calcule):
    with calcule.tenant.scope():
        ScoreRisque.objects.update(score=1, classe="E")
        facture(calcule.ponctuel, echeance=datetime.date(2026, 11, 7), montant="1000.00")  # 20 days late now
        resultat = client_risque_recalculer(client=calcule.ponctuel, aujourd_hui=AUJOURD_HUI)
        assert resultat.clients == 1
        ponctuel = score_de(calcule.ponctuel)
        # 5 observed, one 20 days late: 1000×20/5000 = 4 days → 91.1; 20 % late → 80; trend 20×1000/3000
        # = 6.7 days worse → 100 − 6.7×100/30 = 77.7. (2277.5 + 1200 + 777 + 1000 + 1000 + 500) / 75 = 90.06.
        assert criteres(ponctuel)["retard_pondere"][:2] == (4.0, 91.1)
        assert criteres(ponctuel)["tendance"][:2] == (6.7, 77.7)
        assert (ponctuel.score, ponctuel.classe) == (90, "A")
        assert set(ScoreRisque.objects.exclude(client=calcule.ponctuel).values_list("score", flat=True)) == {1}


def test_the_assignment_rules_use_the_class(calcule):
    """The class written by the computation is the one the planning's rules read."""
    with calcule.tenant.scope():
        etape_risque = scenario_avec_etape(decalage=1, nom="Risque élevé")
        defaut = scenario_avec_etape(decalage=1, nom="Standard")
        defaut.scenario.par_defaut = True
        defaut.scenario.save()
        RegleAffectation.objects.create(
            ordre=1, nom="D et E", scenario=etape_risque.scenario, classes_risque=["D", "E"]
        )
        ouverte = calcule.litigieux.factures.get(date_echeance=datetime.date(2026, 9, 30))
        organisation_planifier(jour=AUJOURD_HUI)
        from relances.models import Relance

        assert Relance.objects.get(facture=ouverte).etape_id == etape_risque.pk
        assert Relance.objects.get(facture__client=calcule.degradation).etape_id == defaut.pk


def test_an_organisation_computes_only_its_clients(calcule, tenant_b):
    with organisation_scope(tenant_b.organisation):
        client_b = ClientFactory(raison_sociale="Client de B")
        FactureFactory(
            client=client_b, date_echeance=datetime.date(2026, 10, 1), date_emission=datetime.date(2026, 9, 1)
        )
        resultat = scores_calculer(aujourd_hui=AUJOURD_HUI)
        assert resultat.clients == 1
        assert list(ScoreRisque.objects.values_list("client_id", flat=True)) == [client_b.pk]
    with calcule.tenant.scope():
        assert client_b.pk not in set(ScoreRisque.objects.values_list("client_id", flat=True))
        assert ScoreRisque.objects.count() == 6


def test_twelve_months_back():
    assert date_moins_mois(datetime.date(2026, 11, 27), 12) == datetime.date(2025, 11, 27)
    assert date_moins_mois(datetime.date(2026, 5, 31), 3) == datetime.date(2026, 2, 28)
    assert date_moins_mois(datetime.date(2024, 5, 31), 3) == datetime.date(2024, 2, 29)
    assert date_moins_mois(datetime.date(2026, 1, 15), 1) == datetime.date(2025, 12, 15)
