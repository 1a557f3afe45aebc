"""Statutory late-payment interest and indemnity (Code de commerce L441-10, D441-5).

Every expected amount is computed by hand in the comments, with the rates of
migration 0003 (ECB + 10 points: 2024-H1 14.50, 2024-H2 14.25, 2025-H1 13.15,
2025-H2 12.15, 2026-H1 12.15; taux légal 2026-H1 2.62, 2025-H2 2.76) and the
day count of the module: days of the segment / days of its calendar year.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from relances.models import TauxReference
from relances.penalites import (
    LigneFacture,
    TauxManquant,
    penalites_calculer,
    semestre_libelle,
    taux_contractuel_valider,
)

D = Decimal
NBSP = "\u00a0"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _francais():
    with translation.override("fr"):
        yield


def _une(numero: str, echeance: datetime.date, base: str, au: datetime.date, **options):
    penalites = penalites_calculer(lignes=[LigneFacture(numero, echeance, D(base))], au=au, **options)
    assert len(penalites.factures) == 1
    return penalites, penalites.factures[0]


def test_across_a_half_year_boundary():
    # Due 2025-06-10, computed 2025-07-20: 40 days late.
    #   2025-06-11 → 06-30: 20 days at 3.15 + 10 = 13.15 %:
    #     1 200 × 13.15 % × 20 / 365 = 3 156 / 365 = 8.6465… → 8.65
    #   2025-07-01 → 07-20: 20 days at 2.15 + 10 = 12.15 %:
    #     1 200 × 12.15 % × 20 / 365 = 2 916 / 365 = 7.9890… → 7.99
    #   interest 8.65 + 7.99 = 16.64; indemnity 40.00; total 1 200 + 16.64 + 40 = 1 256.64
    penalites, facture = _une("F-1", datetime.date(2025, 6, 10), "1200.00", datetime.date(2025, 7, 20))

    assert facture.jours_retard == 40
    assert [(s.debut, s.fin, s.jours, s.taux, s.interets) for s in facture.segments] == [
        (datetime.date(2025, 6, 11), datetime.date(2025, 6, 30), 20, D("13.15"), D("8.65")),
        (datetime.date(2025, 7, 1), datetime.date(2025, 7, 20), 20, D("12.15"), D("7.99")),
    ]
    assert [s.semestre for s in facture.segments] == ["1er semestre 2025", "2e semestre 2025"]
    assert facture.interets == D("16.64")
    assert facture.indemnite == D("40.00")
    assert penalites.total_principal == D("1200.00")
    assert penalites.total_interets == D("16.64")
    assert penalites.total_indemnites == D("40.00")
    assert penalites.total == D("1256.64")
    assert penalites.taux_contractuel is None
    assert facture.segments[0].formule == (f"1{NBSP}200,00{NBSP}€ × 13,15{NBSP}% × 20{NBSP}j / 365 = 8,65{NBSP}€")


def test_formula_line():
    # Due 2025-07-31, computed 2025-08-31: 31 days in 2025-H2 at 12.15 %:
    #   1 200 × 12.15 % × 31 / 365 = 4 519.80 / 365 = 12.3830… → 12.38
    _penalites, facture = _une("F-1", datetime.date(2025, 7, 31), "1200.00", datetime.date(2025, 8, 31))

    (segment,) = facture.segments
    assert segment.formule == f"1{NBSP}200,00{NBSP}€ × 12,15{NBSP}% × 31{NBSP}j / 365 = 12,38{NBSP}€"
    assert facture.interets == D("12.38")


def test_across_a_year_boundary():
    # Due 2024-12-15, computed 2025-01-31: 47 days late.
    #   2024-12-16 → 12-31: 16 days at 4.25 + 10 = 14.25 %, 2024 has 366 days:
    #     2 500 × 14.25 % × 16 / 366 = 5 700 / 366 = 15.5737… → 15.57
    #   2025-01-01 → 01-31: 31 days at 3.15 + 10 = 13.15 %, 2025 has 365 days:
    #     2 500 × 13.15 % × 31 / 365 = 10 191.25 / 365 = 27.9212… → 27.92
    #   interest 15.57 + 27.92 = 43.49; total 2 500 + 43.49 + 40 = 2 583.49
    penalites, facture = _une("F-2", datetime.date(2024, 12, 15), "2500.00", datetime.date(2025, 1, 31))

    assert facture.jours_retard == 47
    assert [(s.jours, s.taux, s.interets) for s in facture.segments] == [
        (16, D("14.25"), D("15.57")),
        (31, D("13.15"), D("27.92")),
    ]
    assert "/ 366 =" in facture.segments[0].formule
    assert "/ 365 =" in facture.segments[1].formule
    assert facture.interets == D("43.49")
    assert penalites.total == D("2583.49")


def test_leap_year_counts_366_days_and_29_february():
    # Due 2024-02-01, computed 2024-03-01: 02-02 → 02-29 (28 days) + 03-01 = 29 days,
    # in 2024-H1 at 4.50 + 10 = 14.50 %, over 366 days:
    #   1 000 × 14.50 % × 29 / 366 = 4 205 / 366 = 11.4890… → 11.49   (over 365 it would be 11.52)
    _penalites, facture = _une("F-3", datetime.date(2024, 2, 1), "1000.00", datetime.date(2024, 3, 1))

    assert facture.jours_retard == 29
    assert facture.interets == D("11.49")


def test_each_segment_is_rounded_half_up_to_the_cent():
    # Due 2025-07-01, computed 2025-09-12: 07-02 → 07-31 (30) + August (31) + 09-01 → 09-12 (12) = 73 days
    # at 12.15 %: 150 × 12.15 % × 73 / 365 = 150 × 12.15 / 500 = 3.645 exactly → 3.65 (half up, not 3.64)
    _penalites, facture = _une("F-4", datetime.date(2025, 7, 1), "150.00", datetime.date(2025, 9, 12))

    assert facture.jours_retard == 73
    assert facture.interets == D("3.65")


@pytest.mark.parametrize("au", [datetime.date(2025, 7, 20), datetime.date(2025, 7, 1)])
def test_an_invoice_not_late_has_no_interest_nor_indemnity(au):
    # Due 2025-07-20: on the due date itself, or before, nothing is late.
    penalites, facture = _une("F-5", datetime.date(2025, 7, 20), "800.00", au)

    assert facture.jours_retard == 0
    assert facture.segments == ()
    assert facture.interets == D("0.00")
    assert facture.indemnite == D("0.00")
    assert penalites.total == D("800.00")


def test_several_invoices_one_rate_query(django_assert_num_queries):
    # Computed 2025-07-20:
    #   F-A 1 200, due 2025-06-10: 8.65 + 7.99 = 16.64 (first test), indemnity 40
    #   F-B 150, due 2025-07-01: 07-02 → 07-20 = 19 days at 12.15 %:
    #     150 × 12.15 % × 19 / 365 = 346.275 / 365 = 0.9486… → 0.95, indemnity 40
    #   F-C 800, due 2025-07-25: not late, nothing
    #   principal 1 200 + 150 + 800 = 2 150.00; interest 16.64 + 0.95 = 17.59;
    #   indemnities 80.00; total 2 150 + 17.59 + 80 = 2 247.59
    lignes = [
        LigneFacture("F-A", datetime.date(2025, 6, 10), D("1200.00")),
        LigneFacture("F-B", datetime.date(2025, 7, 1), D("150.00")),
        LigneFacture("F-C", datetime.date(2025, 7, 25), D("800.00")),
    ]

    with django_assert_num_queries(1):
        penalites = penalites_calculer(lignes=lignes, au=datetime.date(2025, 7, 20))

    assert [(f.numero, f.interets, f.indemnite) for f in penalites.factures] == [
        ("F-A", D("16.64"), D("40.00")),
        ("F-B", D("0.95"), D("40.00")),
        ("F-C", D("0.00"), D("0.00")),
    ]
    assert penalites.total_principal == D("2150.00")
    assert penalites.total_interets == D("17.59")
    assert penalites.total_indemnites == D("80.00")
    assert penalites.total == D("2247.59")


def test_indemnity_comes_from_the_settings():
    # ParametresRelance.indemnite_forfaitaire passed as indemnite: 1 200 + 16.64 + 100 = 1 316.64
    penalites, facture = _une(
        "F-1", datetime.date(2025, 6, 10), "1200.00", datetime.date(2025, 7, 20), indemnite=D("100.00")
    )

    assert facture.indemnite == D("100.00")
    assert penalites.total == D("1316.64")


def test_contractual_rate_applies_to_every_day_without_reading_rates(django_assert_num_queries):
    # 10 % contractual, due 2026-06-20, computed 2026-08-15 (2026-H2 has no reference row: not needed):
    #   2026-06-21 → 06-30: 10 days: 1 200 × 10 % × 10 / 365 = 1 200 / 365 = 3.2876… → 3.29
    #   2026-07-01 → 08-15: 46 days: 1 200 × 10 % × 46 / 365 = 5 520 / 365 = 15.1232… → 15.12
    #   interest 3.29 + 15.12 = 18.41; total 1 200 + 18.41 + 40 = 1 258.41
    with django_assert_num_queries(0):
        penalites, facture = _une(
            "F-6",
            datetime.date(2026, 6, 20),
            "1200.00",
            datetime.date(2026, 8, 15),
            taux_contractuel=D("10.00"),
        )

    assert [(s.jours, s.taux, s.interets) for s in facture.segments] == [
        (10, D("10.00"), D("3.29")),
        (46, D("10.00"), D("15.12")),
    ]
    assert facture.interets == D("18.41")
    assert penalites.total == D("1258.41")
    assert penalites.taux_contractuel == D("10.00")


def test_contractual_rate_under_the_floor_is_refused():
    # 2026-H1: taux légal 2.62 %, floor 3 × 2.62 = 7.86 %.
    with pytest.raises(ValidationError) as error:
        taux_contractuel_valider(taux=D("7.50"), au=datetime.date(2026, 3, 1))

    assert error.value.message_dict == {
        "taux_contractuel": [
            f"Le taux contractuel (7,50{NBSP}%) est inférieur au plancher légal de 7,86{NBSP}% "
            f"(3 × 2,62{NBSP}%, 1er semestre 2026)."
        ]
    }
    assert error.value.error_dict["taux_contractuel"][0].code == "taux_contractuel_plancher"


def test_contractual_rate_at_the_floor_is_accepted():
    # Exactly 3 × 2.62 = 7.86 % in 2026-H1; 3 × 2.76 = 8.28 % in 2025-H2.
    taux_contractuel_valider(taux=D("7.86"), au=datetime.date(2026, 6, 30))
    taux_contractuel_valider(taux=D("8.28"), au=datetime.date(2025, 12, 31))
    with pytest.raises(ValidationError):
        taux_contractuel_valider(taux=D("8.27"), au=datetime.date(2025, 7, 1))


def test_contractual_rate_without_the_reference_of_the_half_year_is_refused():
    with pytest.raises(ValidationError) as error:
        taux_contractuel_valider(taux=D("12.00"), au=datetime.date(2026, 8, 15))

    assert "2e semestre 2026" in error.value.message_dict["taux_contractuel"][0]


def test_missing_half_year_names_it():
    # Due 2026-06-20, computed 2026-08-15: needs 2026-H1 (present) and 2026-H2 (absent).
    with pytest.raises(TauxManquant) as error:
        penalites_calculer(
            lignes=[LigneFacture("F-7", datetime.date(2026, 6, 20), D("1200.00"))], au=datetime.date(2026, 8, 15)
        )

    assert error.value.code == "taux_manquant"
    assert error.value.message == (
        "Taux de référence manquant pour le 2e semestre 2026 : ajoutez-le dans l'administration "
        "(Relances › Taux de référence)."
    )
    assert error.value.extra == {"semestres": ["2026-07-01"]}


def test_several_missing_half_years_are_all_named():
    with pytest.raises(TauxManquant) as error:
        penalites_calculer(
            lignes=[LigneFacture("F-8", datetime.date(2026, 6, 20), D("1200.00"))], au=datetime.date(2027, 2, 1)
        )

    assert "2e semestre 2026, 1er semestre 2027" in error.value.message


def test_a_rate_added_by_an_operator_is_used():
    # The operator adds 2026-H2 (ECB 2.15 % in this test). Due 2026-06-20, computed 2026-08-15:
    #   2026-06-21 → 06-30: 10 days at 12.15 %: 1 200 × 12.15 % × 10 / 365 = 1 458 / 365 = 3.9945… → 3.99
    #   2026-07-01 → 08-15: 46 days at 12.15 %: 1 200 × 12.15 % × 46 / 365 = 6 706.80 / 365 = 18.3748… → 18.37
    #   interest 3.99 + 18.37 = 22.36
    TauxReference.objects.create(
        semestre_debut=datetime.date(2026, 7, 1), taux_bce=D("2.15"), taux_legal=D("2.50"), source="test"
    )

    _penalites, facture = _une("F-7", datetime.date(2026, 6, 20), "1200.00", datetime.date(2026, 8, 15))

    assert [s.interets for s in facture.segments] == [D("3.99"), D("18.37")]
    assert facture.interets == D("22.36")


def test_semestre_libelle():
    assert semestre_libelle(datetime.date(2026, 1, 1)) == "1er semestre 2026"
    assert semestre_libelle(datetime.date(2026, 6, 30)) == "1er semestre 2026"
    assert semestre_libelle(datetime.date(2025, 7, 1)) == "2e semestre 2025"
