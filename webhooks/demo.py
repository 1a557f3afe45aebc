"""The demo's webhook: one endpoint (an ERP on this machine) and a few deliveries in its log,
one delivered, one failed with a retry planned (a reminder sent, else a dispute opened), one
abandoned. No network: the rows are
written as the worker would have left them. For ``recouvrement.core.demo`` (call inside the
organisation's scope, after its data is loaded); a second run changes nothing.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.utils import timezone

from factures.models import Facture, Nature, Statut
from litiges.models import Litige
from relances.models import Envoi, StatutEnvoi
from webhooks import payloads, services
from webhooks.models import EVENEMENT_TEST, Endpoint, Livraison, StatutLivraison, Tentative, TypeEvenement

URL_DEMO = "http://127.0.0.1:9000/erp/webhooks"


def _livraison(
    *, endpoint: Endpoint, type: str, donnees: dict[str, Any], le: datetime.datetime, reponses: list[tuple[int, str]]
) -> Livraison:
    evenement_id = uuid.uuid4()
    payload = {
        "id": str(evenement_id),
        "type": type,
        "created_at": payloads.valeur_json(le),
        "organisation_id": endpoint.tenant_id,
        "data": donnees,
    }
    livraison = Livraison.objects.create(
        endpoint=endpoint, evenement_id=evenement_id, type=type, payload=payload, created_at=le
    )
    debut = le
    for numero, (code, texte) in enumerate(reponses, start=1):
        Tentative.objects.create(
            livraison=livraison,
            numero=numero,
            debut=debut,
            duree_ms=140 if code < 500 else 2300,
            code_http=code,
            reponse=texte,
            succes=200 <= code < 300,
        )
        if numero < len(reponses):
            debut += datetime.timedelta(seconds=services.delais()[numero - 1])
    code = reponses[-1][0]
    livree = 200 <= code < 300
    abandon = not livree and len(reponses) >= services.tentatives_max()
    livraison.statut = (
        StatutLivraison.LIVREE if livree else StatutLivraison.ABANDONNEE if abandon else StatutLivraison.EN_ATTENTE
    )
    livraison.tentatives = livraison.tentatives_cycle = len(reponses)
    livraison.derniere_tentative_le = debut
    livraison.dernier_code = code
    livraison.derniere_erreur = "" if livree else f"HTTP {code}"
    livraison.livree_le = debut if livree else None
    livraison.prochaine_tentative = (
        None if livree or abandon else debut + datetime.timedelta(seconds=services.delais()[len(reponses) - 1])
    )
    livraison.save()
    return livraison


def webhooks_demo_creer(*, organisation: object, jour: datetime.date) -> Endpoint:
    """The demo endpoint and its log (a paid invoice delivered, a reminder retried, one abandoned)."""
    existant = Endpoint.objects.filter(url=URL_DEMO).first()
    if existant is not None:
        return existant
    endpoint, _secret = services.endpoint_create(
        url=URL_DEMO, evenements=list(TypeEvenement.values), description="ERP de démonstration (local)"
    )
    maintenant = timezone.now()
    payees = list(
        Facture.objects.filter(nature=Nature.FACTURE, statut=Statut.PAYEE)
        .order_by("-updated_at", "-pk")
        .values_list("pk", flat=True)[:2]
    )
    envoi = Envoi.objects.filter(statut=StatutEnvoi.ENVOYE).order_by("-envoye_le", "-pk").first()
    recu = '{"recu": true}'
    indisponible = "<html><body><h1>503 Service Unavailable</h1></body></html>"
    for i, donnees in enumerate(payloads.factures_payees(payees)):
        reponses = [(200, recu)] if i == 0 else [(503, indisponible)] * services.tentatives_max()
        _livraison(
            endpoint=endpoint,
            type=TypeEvenement.FACTURE_PAYEE,
            donnees=donnees,
            le=maintenant - datetime.timedelta(days=1, hours=i),
            reponses=reponses,
        )
    # The retried one: a reminder sent if the demo has one yet (the worker sends them), else a dispute.
    litige = Litige.objects.order_by("-created_at", "-pk").first()
    type: str
    if envoi is not None:
        type, evenements = TypeEvenement.RELANCE_ENVOYEE, payloads.relance_envoyee(envoi.pk)
    elif litige is not None:
        type, evenements = TypeEvenement.LITIGE_OUVERT, payloads.litige(litige.pk)
    else:
        type, evenements = EVENEMENT_TEST, [{"message": "Événement de test"}]
    _livraison(
        endpoint=endpoint,
        type=type,
        donnees=evenements[0],
        le=maintenant - datetime.timedelta(minutes=3),
        reponses=[(503, indisponible), (503, indisponible)],
    )
    return endpoint
