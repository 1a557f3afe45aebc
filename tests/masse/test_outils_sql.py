"""The building blocks of the bulk writes (``recouvrement.core.masse``, ``recouvrement.core.formats``),
checked against PostgreSQL itself and against the slower code they stand for."""

from __future__ import annotations

import datetime
import gc
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from factures.masse import factures_upsert
from factures.models import Facture
from recouvrement.core.formats import formateur_montants, montant_texte
from recouvrement.core.masse import PEU_DE_CLES, parmi, sans_ramasse_miettes, tableau_pg
from tests.factories import ClientFactory


def _relu(valeurs: list, type_pg: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT %s::{type_pg}[]", [tableau_pg(valeurs)])
        return cursor.fetchone()[0]


TEXTES_DIFFICILES = [
    "",
    " espaces autour ",
    'guillemet " au milieu',
    "barre \\ oblique",
    '\\"',
    "virgule, accolades {}",
    "NULL",
    "é€ — 日本",
    "retour\nà la ligne",
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("valeurs", "type_pg"),
    [
        (["F-1", "F-2", "sans souci"], "varchar"),  # one type, nothing to escape: the fast path
        (TEXTES_DIFFICILES, "varchar"),  # one type, something to escape: value by value
        (["a", None, "b"], "varchar"),  # NULL among texts
        ([1, 2, 3_000_000_000], "bigint"),
        ([Decimal("12.50"), Decimal("-0.01"), Decimal("1E+3")], "numeric"),
        ([datetime.date(2026, 1, 31), datetime.date(1999, 12, 1)], "date"),
        ([True, False], "boolean"),  # bool is not taken for int
        ([1, None], "bigint"),
        ([], "varchar"),
    ],
)
def test_an_array_literal_reads_back_as_the_same_values(valeurs, type_pg):
    assert _relu(valeurs, type_pg) == valeurs


@pytest.mark.django_db
@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"])), max_size=8))
def test_any_text_column_reads_back_unchanged(valeurs):
    assert _relu(valeurs, "text") == valeurs


def test_the_fast_amount_formatter_writes_what_montant_texte_writes():
    montants = [
        Decimal("0.00"),
        Decimal("-0.00"),
        Decimal("0.01"),
        Decimal("999.99"),
        Decimal("1000.00"),
        Decimal("-1234567.89"),
        Decimal("123456789012.34"),
        Decimal("12.5"),  # not in cents: handed to montant_texte
        Decimal("7"),
        Decimal("0.001"),
        None,
        "",
    ]
    for langue in ("fr", "en"):
        with translation.override(langue):
            formater = formateur_montants()
            for montant in montants:
                for devise in ("EUR", "USD", "CHF", ""):
                    assert formater(montant, devise) == montant_texte(montant, devise), (langue, montant, devise)
    with translation.override("fr"):
        assert formateur_montants()(Decimal("-1234567.80"), "EUR") == montant_texte(Decimal("-1234567.80"))


def test_the_garbage_collector_is_paused_during_a_bulk_write_and_restored_after():
    assert gc.isenabled()
    with sans_ramasse_miettes():
        assert not gc.isenabled()
        with sans_ramasse_miettes():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner use keeps the outer pause
    assert gc.isenabled()
    with pytest.raises(RuntimeError), sans_ramasse_miettes():
        raise RuntimeError
    assert gc.isenabled()


def _lignes(nombre: int) -> list[dict]:
    return [
        {
            "numero": f"FP-{n:05d}",
            "client_external_id": "C-1",
            "date_emission": datetime.date(2026, 10, 1),
            "montant_ht": Decimal("100.00"),
            "montant_tva": Decimal("20.00"),
        }
        for n in range(nombre)
    ]


@pytest.mark.django_db
def test_a_few_keys_are_probed_in_the_unique_index_and_many_are_hashed(tenant_a):
    """One invoice upserted (the API's PUT) must not read the organisation's invoices: its key is
    probed in the unique index; thousands of keys are looked up with one array and hash joins."""
    with tenant_a.scope():
        ClientFactory(external_id="C-1")
        assert factures_upsert(lignes=_lignes(PEU_DE_CLES + 50)).crees == PEU_DE_CLES + 50
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE factures_facture")
        with CaptureQueriesContext(connection) as peu:
            assert factures_upsert(lignes=_lignes(1)).inchanges == 1
        with CaptureQueriesContext(connection) as beaucoup:
            assert factures_upsert(lignes=_lignes(PEU_DE_CLES + 1)).inchanges == PEU_DE_CLES + 1
        plan = Facture.objects.filter(parmi(Facture, "numero", ["FP-00007"])).explain()
    sql_peu = " ".join(q["sql"] for q in peu.captured_queries)
    sql_beaucoup = " ".join(q["sql"] for q in beaucoup.captured_queries)
    assert "unnest" not in sql_peu
    assert "enable_nestloop" not in sql_peu
    assert "unnest" in sql_beaucoup
    assert "enable_nestloop" in sql_beaucoup
    assert "facture_numero_unique" in plan, plan
