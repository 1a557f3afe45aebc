"""What each event says about its object, as JSON: ids and external ids, numbers, amounts as
strings, dates in ISO 8601, the client's external id. A fixed number of queries per event
type, whatever the number of objects (``facture.payee`` comes by thousands from bulk writes).

Precondition: inside the organisation's scope.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from typing import Any

from clients.models import Client
from factures.models import Facture
from litiges.models import LigneLitige, Litige
from relances.models import Envoi, Promesse, Relance
from webhooks.models import TypeEvenement

CHAMPS_FACTURE = (
    "id",
    "external_id",
    "numero",
    "nature",
    "statut",
    "devise",
    "montant_ht",
    "montant_tva",
    "montant_ttc",
    "reste_du",
    "date_emission",
    "date_echeance",
    "numero_commande",
    "client_id",
)
CHAMPS_CLIENT = ("id", "external_id", "raison_sociale", "siren")


def valeur_json(valeur: Any) -> Any:
    if isinstance(valeur, Decimal):
        return f"{valeur:.2f}"
    if isinstance(valeur, datetime.datetime):
        return valeur.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(valeur, datetime.date):
        return valeur.isoformat()
    return valeur


def _ligne(valeurs: dict[str, Any], sans: tuple[str, ...] = ()) -> dict[str, Any]:
    return {k: valeur_json(v) for k, v in valeurs.items() if k not in sans}


def _clients(ids: set[int]) -> dict[int, dict[str, Any]]:
    return {c["id"]: _ligne(c) for c in Client.objects.filter(pk__in=ids).values(*CHAMPS_CLIENT)}


def _factures(ids: list[int]) -> dict[int, dict[str, Any]]:
    return {f["id"]: f for f in Facture.objects.filter(pk__in=ids).values(*CHAMPS_FACTURE)}


def factures_payees(facture_ids: list[int]) -> list[dict[str, Any]]:
    """One payload per invoice (two queries in all)."""
    factures = _factures(facture_ids)
    clients = _clients({f["client_id"] for f in factures.values()})
    return [
        {"facture": _ligne(f, sans=("client_id",)), "client": clients.get(f["client_id"])}
        for f in (factures[i] for i in facture_ids if i in factures)
    ]


def relance_envoyee(envoi_id: int) -> list[dict[str, Any]]:
    envoi = Envoi.objects.select_related("client", "etape").filter(pk=envoi_id).first()
    if envoi is None:
        return []
    facture_ids = list(
        Relance.objects.filter(envoi_id=envoi_id).order_by("facture_id").values_list("facture_id", flat=True)
    )
    factures = _factures(facture_ids)
    client = envoi.client
    return [
        {
            "relance": {
                "id": envoi.pk,
                "canal": envoi.canal,
                "etape": envoi.etape.nom,
                "decalage_jours": envoi.etape.decalage_jours,
                "ton": envoi.etape.ton,
                "langue": envoi.langue,
                "sujet": envoi.sujet,
                "envoyee_le": valeur_json(envoi.envoye_le),
                "date_prevue": valeur_json(envoi.date_prevue),
            },
            "client": _ligne({c: getattr(client, c) for c in CHAMPS_CLIENT}),
            "factures": [_ligne(factures[i], sans=("client_id",)) for i in facture_ids if i in factures],
        }
    ]


def promesse_enregistree(promesse_id: int) -> list[dict[str, Any]]:
    promesse = Promesse.objects.select_related("client", "facture").filter(pk=promesse_id).first()
    if promesse is None:
        return []
    facture = None
    if promesse.facture is not None:
        facture = _ligne({c: getattr(promesse.facture, c) for c in CHAMPS_FACTURE}, sans=("client_id",))
    return [
        {
            "promesse": {
                "id": promesse.pk,
                "external_id": promesse.external_id,
                "montant": valeur_json(promesse.montant),
                "date_promise": valeur_json(promesse.date_promise),
                "statut": promesse.statut,
                "note": promesse.note,
                "created_at": valeur_json(promesse.created_at),
            },
            "client": _ligne({c: getattr(promesse.client, c) for c in CHAMPS_CLIENT}),
            "facture": facture,
        }
    ]


def litige(litige_id: int) -> list[dict[str, Any]]:
    objet = Litige.objects.select_related("client").filter(pk=litige_id).first()
    if objet is None:
        return []
    lignes = list(
        LigneLitige.objects.filter(litige_id=litige_id).order_by("facture_id").values_list("facture_id", "montant")
    )
    factures = _factures([f for f, _m in lignes])
    contestees: dict[int, Decimal] = defaultdict(Decimal)
    for facture_id, montant in lignes:
        contestees[facture_id] += montant
    return [
        {
            "litige": {
                "id": objet.pk,
                "external_id": objet.external_id,
                "type": objet.type,
                "statut": objet.statut,
                "description": objet.description,
                "resolution": objet.resolution,
                "echeance": valeur_json(objet.echeance),
                "created_at": valeur_json(objet.created_at),
                "resolu_le": valeur_json(objet.resolu_le),
                "montant_conteste": valeur_json(sum(contestees.values(), Decimal("0"))),
            },
            "client": _ligne({c: getattr(objet.client, c) for c in CHAMPS_CLIENT}),
            "factures": [
                {**_ligne(factures[i], sans=("client_id",)), "montant_conteste": valeur_json(contestees[i])}
                for i in contestees
                if i in factures
            ],
        }
    ]


def donnees(type: str, **ids: Any) -> list[dict[str, Any]]:
    """The ``data`` of each event to publish (several for ``facture.payee``)."""
    if type == TypeEvenement.FACTURE_PAYEE:
        return factures_payees(list(ids["facture_ids"]))
    if type == TypeEvenement.RELANCE_ENVOYEE:
        return relance_envoyee(ids["envoi_id"])
    if type == TypeEvenement.PROMESSE_ENREGISTREE:
        return promesse_enregistree(ids["promesse_id"])
    return litige(ids["litige_id"])
