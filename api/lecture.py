"""JSON rows to typed Python values for the bulk upserts (``clients.masse``, ``factures.masse``).

Plain functions, no serializer per row: the bulk endpoints take thousands of rows per call.
The body is parsed with ``parse_float=Decimal`` so that amounts never pass through a float.
A value of the wrong type becomes an error on its field; a key this module does not know is
passed on untouched, and the upsert reports it (``champ_inconnu``).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from recouvrement.core.masse import ErreurLigne


class ErreurType(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def texte(valeur: Any) -> str:
    if valeur is None:
        return ""
    if not isinstance(valeur, str):
        raise ErreurType(_("Une chaîne de caractères est attendue."))
    return valeur


def entier(valeur: Any) -> int:
    if isinstance(valeur, bool) or not isinstance(valeur, int):
        if isinstance(valeur, Decimal) and valeur == valeur.to_integral_value():
            return int(valeur)
        raise ErreurType(_("Un nombre entier est attendu."))
    return valeur


def booleen(valeur: Any) -> bool:
    if not isinstance(valeur, bool):
        raise ErreurType(_("true ou false est attendu."))
    return valeur


def decimal(valeur: Any) -> Decimal:
    if isinstance(valeur, bool):
        raise ErreurType(_("Un montant est attendu (nombre ou chaîne « 1234.56 »)."))
    if isinstance(valeur, Decimal):
        resultat = valeur
    elif isinstance(valeur, int):
        resultat = Decimal(valeur)
    elif isinstance(valeur, str):
        try:
            resultat = Decimal(valeur.strip())
        except InvalidOperation:
            raise ErreurType(_("Un montant est attendu (nombre ou chaîne « 1234.56 »).")) from None
    else:
        raise ErreurType(_("Un montant est attendu (nombre ou chaîne « 1234.56 »)."))
    if not resultat.is_finite():
        raise ErreurType(_("Un montant est attendu (nombre ou chaîne « 1234.56 »)."))
    return resultat


def date(valeur: Any) -> datetime.date:
    if not isinstance(valeur, str) or len(valeur) != 10:
        raise ErreurType(_("Une date AAAA-MM-JJ est attendue."))
    try:
        return datetime.date.fromisoformat(valeur)
    except ValueError:
        raise ErreurType(_("Une date AAAA-MM-JJ est attendue.")) from None


def ou_nul(conversion: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convertir(valeur: Any) -> Any:
        return None if valeur is None else conversion(valeur)

    return convertir


Schema = dict[str, Callable[[Any], Any]]

CHAMPS_CLIENT: Schema = {
    **dict.fromkeys(
        (
            "raison_sociale",
            "siren",
            "siret",
            "tva_intracom",
            "adresse",
            "adresse_complement",
            "code_postal",
            "ville",
            "pays",
            "categorie",
            "classe_risque",
            "commercial_email",
            "chef_projet_email",
            "affactureur",
            "langue",
            "devise",
            "external_id",
            "notes",
            "note_externe_source",
        ),
        texte,
    ),
    "delai_paiement_jours": entier,
    "fin_de_mois": booleen,
    "plafond_credit": ou_nul(decimal),
    "agrement_affacturage": ou_nul(decimal),
    "date_debut_relation": ou_nul(date),
    "note_externe": ou_nul(entier),
    "note_externe_date": ou_nul(date),
}

CHAMPS_CONTACT: Schema = {
    **dict.fromkeys(
        ("civilite", "prenom", "nom", "fonction", "email", "telephone", "langue", "external_id", "client_external_id"),
        texte,
    ),
    **dict.fromkeys(("role_comptabilite", "role_achats", "role_signataire", "role_direction", "opt_out"), booleen),
    "client_id": entier,
}

CHAMPS_FACTURE: Schema = {
    **dict.fromkeys(
        (
            "numero",
            "nature",
            "client_external_id",
            "client_siret",
            "devise",
            "support_paiement",
            "affactureur",
            "numero_commande",
            "external_id",
            "facture_origine_numero",
        ),
        texte,
    ),
    "client_id": entier,
    "date_emission": date,
    "date_echeance": ou_nul(date),
    "montant_ht": decimal,
    "montant_tva": decimal,
    "montant_ttc": ou_nul(decimal),
}

CHAMPS_LETTRAGE: Schema = {"facture_numero": texte, "facture_external_id": texte, "montant": decimal}


def _lettrages(valeur: Any) -> list[dict[str, Any]]:
    if not isinstance(valeur, list):
        raise ErreurType(_("Une liste est attendue."))
    return valeur  # each item is converted by ``ligne_convertir`` (nested paths)


CHAMPS_PAIEMENT: Schema = {
    **dict.fromkeys(("external_id", "client_external_id", "devise", "moyen", "reference", "libelle"), texte),
    "client_id": ou_nul(entier),
    "date_paiement": date,
    "montant": decimal,
    "lettrages": _lettrages,
}


def _convertir(
    item: Mapping[str, Any], schema: Schema, index: int, prefixe: str, erreurs: list[ErreurLigne]
) -> dict[str, Any]:
    ligne: dict[str, Any] = {}
    for cle, valeur in item.items():
        conversion = schema.get(cle)
        if conversion is None:
            ligne[cle] = valeur
            continue
        try:
            ligne[cle] = conversion(valeur)
        except ErreurType as e:
            erreurs.append(ErreurLigne(index=index, champ=prefixe + cle, code="type_invalide", message=e.message))
    return ligne


def ligne_convertir(item: Any, schema: Schema, index: int) -> tuple[dict[str, Any], list[ErreurLigne]]:
    """One JSON object → (typed row, type errors)."""
    erreurs: list[ErreurLigne] = []
    if not isinstance(item, dict):
        message = _("Un objet JSON est attendu.")
        return {}, [ErreurLigne(index=index, champ="", code="type_invalide", message=message)]
    ligne = _convertir(item, schema, index, "", erreurs)
    lettrages = ligne.get("lettrages")
    if schema is CHAMPS_PAIEMENT and isinstance(lettrages, list):
        convertis = []
        for i, sous in enumerate(lettrages):
            if not isinstance(sous, dict):
                erreurs.append(
                    ErreurLigne(
                        index=index,
                        champ=f"lettrages.{i}",
                        code="type_invalide",
                        message=_("Un objet JSON est attendu."),
                    )
                )
                continue
            convertis.append(_convertir(sous, CHAMPS_LETTRAGE, index, f"lettrages.{i}.", erreurs))
        ligne["lettrages"] = convertis
    return ligne, erreurs


def corps_json(corps: bytes) -> Any:
    """The body, with decimals as ``Decimal``. Raises ``ValueError`` on malformed JSON."""
    return json.loads(corps, parse_float=Decimal)
