"""Helpers of the bulk upsert tests."""

from stdnum import luhn


def siret_valide(siren: str, etablissement: int = 1) -> str:
    base = f"{siren}{etablissement:04d}"
    return base + luhn.calc_check_digit(base)
