"""Writes of the webhooks: endpoints (create, change, new secret, delete, test), events made
into deliveries, attempts to deliver them, and the scheduler's pick-up of what is due.

Every function runs inside the organisation's scope, except ``livraisons_a_reprendre``
(a platform job). Delivery is at least once: a receiver deduplicates with the event id
(``id`` of the body) or the delivery id (``X-Recouvrement-Livraison``).
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.context import current_organisation_id
from webhooks import payloads, transport
from webhooks.models import EVENEMENT_TEST, Endpoint, Livraison, StatutLivraison, Tentative, TypeEvenement
from webhooks.secrets import SecretIllisible, secret_chiffrer, secret_dechiffrer, secret_generer, signature

logger = logging.getLogger(__name__)

# Deliveries per task message: a task sends them one after the other.
LIVRAISONS_PAR_TACHE = 20
TAILLE_INSERTION = 1000


def delais() -> list[int]:
    """Seconds before each retry; the delivery is abandoned after ``len(delais()) + 1`` attempts."""
    return [int(d) for d in settings.WEBHOOKS_DELAIS_SECONDES]


def tentatives_max() -> int:
    return len(delais()) + 1


def _dt(valeur: datetime.datetime) -> Any:
    """A datetime as a raw SQL parameter, as the ORM would write it (SQLite stores text)."""
    return connection.ops.adapt_datetimefield_value(valeur)


def corps(livraison: Livraison) -> bytes:
    """The raw body: the same bytes at every attempt (keys sorted, compact, UTF-8)."""
    return json.dumps(livraison.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def corps_lisible(livraison: Livraison) -> str:
    """The body indented, for the delivery page."""
    return json.dumps(livraison.payload, ensure_ascii=False, indent=2, sort_keys=True)


# --- Endpoints -------------------------------------------------------------------------------


def _valider(*, url: str, evenements: Iterable[str]) -> list[str]:
    try:
        transport.verifier_url(url)
    except transport.CibleRefusee as error:
        message = (
            _("L'URL doit commencer par https:// et viser une adresse publique.")
            if not settings.WEBHOOKS_HTTP_AUTORISE
            else _("L'URL doit commencer par https:// ou http:// et viser une adresse autorisée.")
        )
        raise ApplicationError(message, code="url_refusee", field="url", extra={"detail": str(error)}) from error
    choisis = [e for e in TypeEvenement.values if e in set(evenements)]
    inconnus = set(evenements) - set(TypeEvenement.values)
    if inconnus or not choisis:
        raise ApplicationError(_("Choisissez au moins un événement."), code="evenements_requis", field="evenements")
    return choisis


@transaction.atomic
def endpoint_create(
    *, url: str, evenements: Iterable[str], description: str = "", actif: bool = True
) -> tuple[Endpoint, str]:
    """A new endpoint and its secret, returned in clear this once (only its encryption is kept)."""
    choisis = _valider(url=url, evenements=evenements)
    secret = secret_generer()
    endpoint = Endpoint.objects.create(
        url=url,
        description=description,
        evenements=choisis,
        actif=actif,
        secret_chiffre=secret_chiffrer(secret),
        secret_debut=secret[:10],
    )
    return endpoint, secret


@transaction.atomic
def endpoint_update(
    *, endpoint: Endpoint, url: str, evenements: Iterable[str], description: str = "", actif: bool = True
) -> Endpoint:
    endpoint.evenements = _valider(url=url, evenements=evenements)
    endpoint.url, endpoint.description, endpoint.actif = url, description, actif
    endpoint.save(update_fields=["url", "evenements", "description", "actif"])
    return endpoint


@transaction.atomic
def endpoint_secret_regenerer(*, endpoint: Endpoint) -> str:
    """A new secret, effective at once (the next attempt is signed with it); returned in clear once."""
    secret = secret_generer()
    endpoint.secret_chiffre = secret_chiffrer(secret)
    endpoint.secret_debut = secret[:10]
    endpoint.secret_genere_le = timezone.now()
    endpoint.save(update_fields=["secret_chiffre", "secret_debut", "secret_genere_le"])
    return secret


@transaction.atomic
def endpoint_delete(*, endpoint: Endpoint) -> None:
    """The endpoint and its delivery log."""
    Tentative.objects.filter(livraison__endpoint=endpoint).delete()
    Livraison.objects.filter(endpoint=endpoint).delete()
    endpoint.delete()


@transaction.atomic
def endpoint_tester(*, endpoint: Endpoint) -> Livraison:
    """A ``webhook.test`` event for this endpoint only, sent now (even if it is inactive)."""
    maintenant = timezone.now()
    evenement_id = uuid.uuid4()
    livraison = Livraison.objects.create(
        endpoint=endpoint,
        evenement_id=evenement_id,
        type=EVENEMENT_TEST,
        payload=_enveloppe(
            evenement_id=evenement_id,
            type=EVENEMENT_TEST,
            maintenant=maintenant,
            donnees={"message": "Événement de test", "webhook": {"id": endpoint.pk, "url": endpoint.url}},
        ),
        prochaine_tentative=maintenant,
        mise_en_file_le=maintenant,
    )
    _mettre_en_file(endpoint.tenant_id, [livraison.pk])
    return livraison


# --- Events ----------------------------------------------------------------------------------


def _enveloppe(
    *, evenement_id: uuid.UUID, type: str, maintenant: datetime.datetime, donnees: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": str(evenement_id),
        "type": type,
        "created_at": payloads.valeur_json(maintenant),
        "organisation_id": current_organisation_id(),
        "data": donnees,
    }


def evenement_publier(*, type: str, **ids: Any) -> list[Livraison]:
    """Make the deliveries of an event (several events for ``facture.payee``, one per invoice).

    Costs one indexed query when no active endpoint of the organisation subscribes to
    ``type`` (the case of nearly every reminder sent). Otherwise: the payload queries of
    ``payloads`` (a fixed number), one bulk insert (per 1,000 rows), and one task message
    per 20 deliveries, sent after the commit.
    Precondition: inside the organisation's scope, outside any transaction of the caller's
    that might still roll back (the signals are sent after the commit).
    """
    abonnes = [
        pk
        for pk, evenements in Endpoint.objects.filter(actif=True).values_list("pk", "evenements")
        if type in evenements
    ]
    if not abonnes:
        return []
    maintenant = timezone.now()
    livraisons: list[Livraison] = []
    for donnees in payloads.donnees(type, **ids):
        evenement_id = uuid.uuid4()
        payload = _enveloppe(evenement_id=evenement_id, type=type, maintenant=maintenant, donnees=donnees)
        livraisons.extend(
            Livraison(
                endpoint_id=endpoint_id,
                evenement_id=evenement_id,
                type=type,
                payload=payload,
                prochaine_tentative=maintenant,
                mise_en_file_le=maintenant,
                created_at=maintenant,
            )
            for endpoint_id in abonnes
        )
    if not livraisons:
        return []
    with transaction.atomic():
        creees = Livraison.objects.bulk_create(livraisons, batch_size=TAILLE_INSERTION)
        _mettre_en_file(current_organisation_id(), [livraison.pk for livraison in creees])
    return creees


def _mettre_en_file(organisation_id: int | None, livraison_ids: list[int]) -> None:
    """After the commit, one task message per ``LIVRAISONS_PAR_TACHE`` deliveries. A broker
    that fails is logged only: the scheduler takes the deliveries again a few minutes later."""
    from webhooks.tasks import livraisons_envoyer_tache

    def envoyer(lot: list[int]) -> None:
        try:
            livraisons_envoyer_tache.delay(organisation_id=organisation_id, livraison_ids=lot)
        except Exception:
            logger.exception("webhooks: task not queued; the scheduler will take it again")

    for debut in range(0, len(livraison_ids), LIVRAISONS_PAR_TACHE):
        lot = livraison_ids[debut : debut + LIVRAISONS_PAR_TACHE]
        transaction.on_commit(lambda lot=lot: envoyer(lot), robust=True)  # type: ignore[misc]


# --- Delivery --------------------------------------------------------------------------------


def _reclamer(*, livraison_id: int, maintenant: datetime.datetime) -> bool:
    """Take the delivery for one attempt if it is due (or its last taker's lease has passed).

    One ``UPDATE … WHERE … RETURNING``: of two workers holding the same id, one only gets it.
    """
    bail = maintenant - datetime.timedelta(seconds=settings.WEBHOOKS_BAIL_SECONDES)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE webhooks_livraison SET statut = %s, en_cours_depuis = %s, "
            "tentatives = tentatives + 1, tentatives_cycle = tentatives_cycle + 1 "
            "WHERE tenant_id = %s AND id = %s AND prochaine_tentative <= %s "
            "AND (statut = %s OR (statut = %s AND en_cours_depuis < %s)) RETURNING id",
            [
                StatutLivraison.EN_COURS,
                _dt(maintenant),
                current_organisation_id(),
                livraison_id,
                _dt(maintenant),
                StatutLivraison.EN_ATTENTE,
                StatutLivraison.EN_COURS,
                _dt(bail),
            ],
        )
        return cursor.fetchone() is not None


def livraison_tenter(*, livraison_id: int) -> Livraison | None:
    """One attempt of a delivery if it is due; ``None`` when another worker has it or it is not due.

    The POST happens outside any transaction; the outcome is recorded in one transaction,
    only if the delivery is still ours (same claim).
    """
    maintenant = timezone.now()
    if not _reclamer(livraison_id=livraison_id, maintenant=maintenant):
        return None
    livraison = Livraison.objects.select_related("endpoint").get(pk=livraison_id)
    endpoint = livraison.endpoint
    if not endpoint.actif and livraison.type != EVENEMENT_TEST:
        reponse = transport.Reponse(
            code=None, extrait="", erreur=_("Webhook désactivé : livraison abandonnée."), duree_ms=0
        )
        return _enregistrer(livraison, maintenant, reponse, abandon=True)
    brut = corps(livraison)
    try:
        secret = secret_dechiffrer(endpoint.secret_chiffre)
    except SecretIllisible:
        reponse = transport.Reponse(
            code=None, extrait="", erreur=_("Secret illisible (clé du serveur changée) : régénérez-le."), duree_ms=0
        )
        return _enregistrer(livraison, maintenant, reponse)
    horodatage = int(timezone.now().timestamp())
    entetes = {
        "Content-Type": "application/json",
        "User-Agent": "Recouvrement-Webhooks/1",
        "X-Recouvrement-Evenement": livraison.type,
        "X-Recouvrement-Livraison": str(livraison.pk),
        "X-Recouvrement-Signature": signature(secret=secret, horodatage=horodatage, corps=brut),
    }
    reponse = transport.poster(endpoint.url, corps=brut, entetes=entetes)
    return _enregistrer(livraison, maintenant, reponse)


def _enregistrer(
    livraison: Livraison, claim: datetime.datetime, reponse: transport.Reponse, *, abandon: bool = False
) -> Livraison:
    fin = timezone.now()
    succes = reponse.code is not None and 200 <= reponse.code < 300
    changements: dict[str, Any] = {
        "derniere_tentative_le": claim,
        "dernier_code": reponse.code,
        "derniere_erreur": reponse.erreur[:500] if reponse.erreur else ("" if succes else f"HTTP {reponse.code}"),
        "en_cours_depuis": None,
    }
    if succes:
        changements |= {"statut": StatutLivraison.LIVREE, "livree_le": fin, "prochaine_tentative": None}
    elif abandon or livraison.tentatives_cycle >= tentatives_max():
        changements |= {"statut": StatutLivraison.ABANDONNEE, "prochaine_tentative": None}
    else:
        attente = delais()[livraison.tentatives_cycle - 1]
        changements |= {
            "statut": StatutLivraison.EN_ATTENTE,
            "prochaine_tentative": fin + datetime.timedelta(seconds=attente),
            "mise_en_file_le": None,
        }
    with transaction.atomic():
        a_nous = Livraison.objects.filter(
            pk=livraison.pk, statut=StatutLivraison.EN_COURS, en_cours_depuis=claim
        ).update(**changements)
        if a_nous:
            Tentative.objects.create(
                livraison=livraison,
                numero=livraison.tentatives,
                debut=claim,
                duree_ms=reponse.duree_ms,
                code_http=reponse.code,
                reponse=reponse.extrait,
                erreur=reponse.erreur[:500],
                succes=succes,
            )
    for champ, valeur in changements.items():
        setattr(livraison, champ, valeur)
    if not a_nous:
        logger.warning("webhooks: delivery %s was taken again during its attempt", livraison.pk)
    return livraison


def livraisons_envoyer(*, livraison_ids: list[int]) -> int:
    """Attempt each delivery of the list that is due; how many were delivered."""
    livrees = 0
    for livraison_id in livraison_ids:
        livraison = livraison_tenter(livraison_id=livraison_id)
        livrees += livraison is not None and livraison.statut == StatutLivraison.LIVREE
    return livrees


@transaction.atomic
def livraison_renvoyer(*, livraison: Livraison) -> Livraison:
    """Send again now (« renvoyer »), with a new round of retries; not while an attempt runs."""
    if livraison.statut == StatutLivraison.EN_COURS:
        raise ApplicationError(_("Une tentative est en cours : réessayez dans un instant."), code="livraison_en_cours")
    if not livraison.endpoint.actif and livraison.type != EVENEMENT_TEST:
        raise ApplicationError(_("Ce webhook est désactivé : réactivez-le d'abord."), code="webhook_inactif")
    maintenant = timezone.now()
    Livraison.objects.filter(pk=livraison.pk).exclude(statut=StatutLivraison.EN_COURS).update(
        statut=StatutLivraison.EN_ATTENTE,
        prochaine_tentative=maintenant,
        mise_en_file_le=maintenant,
        tentatives_cycle=0,
    )
    _mettre_en_file(livraison.tenant_id, [livraison.pk])
    livraison.refresh_from_db()
    return livraison


def livraisons_a_reprendre(*, maintenant: datetime.datetime | None = None, limite: int = 1000) -> list[tuple[int, int]]:
    """Platform job (inside ``unscoped()``): ``(organisation_id, livraison_id)`` of the deliveries
    that are due and not queued lately: retries whose time has come, messages lost by the
    broker, attempts of a worker that died. Marks them queued (one ``UPDATE … RETURNING``)
    so that a slow queue is not flooded with the same ids every minute; the claim of each
    attempt (``_reclamer``) keeps two workers from sending the same one.
    """
    maintenant = maintenant or timezone.now()
    remise = maintenant - datetime.timedelta(seconds=settings.WEBHOOKS_REMISE_EN_FILE_SECONDES)
    bail = maintenant - datetime.timedelta(seconds=settings.WEBHOOKS_BAIL_SECONDES)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE webhooks_livraison SET mise_en_file_le = %s WHERE id IN ("
            " SELECT id FROM webhooks_livraison WHERE statut IN (%s, %s) AND prochaine_tentative <= %s"
            " AND (mise_en_file_le IS NULL OR mise_en_file_le < %s)"
            " AND (statut = %s OR en_cours_depuis < %s)"
            " ORDER BY prochaine_tentative LIMIT %s"
            ") RETURNING tenant_id, id",
            [
                _dt(maintenant),
                StatutLivraison.EN_ATTENTE,
                StatutLivraison.EN_COURS,
                _dt(maintenant),
                _dt(remise),
                StatutLivraison.EN_ATTENTE,
                _dt(bail),
                limite,
            ],
        )
        return sorted((int(t), int(i)) for t, i in cursor.fetchall())
