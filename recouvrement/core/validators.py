"""Validators for French and European identifiers, with French messages.

Each takes the raw value, refuses it with a ``ValidationError`` naming what is
wrong, and is paired with a ``normaliser_*`` that gives the stored form
(compact, upper case), so that forms, imports and the API store the same thing.
"""

from __future__ import annotations

import re
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import bic as std_bic
from stdnum import iban as std_iban
from stdnum.eu import vat as std_vat
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren as std_siren
from stdnum.fr import siret as std_siret


def _raise(error: StdnumError, label: str, code: str) -> None:
    if isinstance(error, InvalidLength):
        reason = _("longueur incorrecte")
    elif isinstance(error, InvalidChecksum):
        reason = _("clé de contrôle incorrecte")
    elif isinstance(error, InvalidFormat):
        reason = _("format incorrect")
    else:
        reason = _("valeur incorrecte")
    raise ValidationError(
        _("%(label)s invalide : %(reason)s."),
        code=code,
        params={"label": label, "reason": reason},
    )


def _compact(value: str | None) -> str:
    """Remove the separators people type (spaces, dots, dashes, slashes) and upper-case.

    Never raises: validation is the validators' job, with a message.
    """
    return re.sub(r"[\s.\-/]", "", value or "").upper()


def normaliser_siren(value: str | None) -> str:
    return _compact(value)


def normaliser_siret(value: str | None) -> str:
    return _compact(value)


def normaliser_tva(value: str | None) -> str:
    return _compact(value)


def normaliser_iban(value: str | None) -> str:
    return _compact(value)


def normaliser_bic(value: str | None) -> str:
    return _compact(value)


def valider_siren(value: str) -> None:
    try:
        std_siren.validate(value)
    except StdnumError as error:
        _raise(error, str(_("SIREN")), "siren_invalide")


def valider_siret(value: str) -> None:
    try:
        std_siret.validate(value)
    except StdnumError as error:
        _raise(error, str(_("SIRET")), "siret_invalide")


def valider_tva(value: str) -> None:
    """An EU VAT number (the French one has a key computed from the SIREN)."""
    try:
        std_vat.validate(value)
    except StdnumError as error:
        _raise(error, str(_("Numéro de TVA intracommunautaire")), "tva_invalide")


def valider_iban(value: str) -> None:
    try:
        std_iban.validate(value)
    except StdnumError as error:
        _raise(error, str(_("IBAN")), "iban_invalide")


def valider_bic(value: str) -> None:
    try:
        std_bic.validate(value)
    except StdnumError as error:
        _raise(error, str(_("BIC")), "bic_invalide")


def valider_fuseau_horaire(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(_("Fuseau horaire inconnu : %(value)s."), code="fuseau_invalide", params={"value": value})


def siren_du_siret(siret: str) -> str:
    return std_siret.to_siren(siret)


def siren_de_la_tva(tva: str) -> str | None:
    """The SIREN inside a French VAT number, None for another country's."""
    compact = normaliser_tva(tva)
    if compact.startswith("FR") and len(compact) == 13:
        return compact[4:]
    return None
