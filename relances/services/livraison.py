"""What the ESP says happened to a reminder (django-anymail's normalized tracking events).

The webhook is platform-level (authenticated by anymail with the shared
secret); the event carries the organisation and the send in its metadata, so
the update runs inside that organisation's scope.
"""

from __future__ import annotations

import logging
from email.utils import parseaddr
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.events import evenement_record
from clients.models import Client, Contact
from recouvrement.tenancy.context import organisation_scope, unscoped
from relances.events import TypeEvenementRelance
from relances.models import Envoi, Livraison, Relance, StatutEnvoi, StatutRelance, StatutTache, Tache, TypeTache

logger = logging.getLogger(__name__)

LIVRAISON_DE_L_EVENEMENT = {
    "queued": Livraison.ACCEPTE,
    "sent": Livraison.ACCEPTE,
    "delivered": Livraison.DELIVRE,
    "opened": Livraison.OUVERT,
    "clicked": Livraison.CLIQUE,
    "deferred": Livraison.DIFFERE,
    "bounced": Livraison.REBOND,
    "rejected": Livraison.REBOND,
    "failed": Livraison.REBOND,
    "complained": Livraison.PLAINTE,
}
# A later, weaker event never hides a stronger one (an "opened" after a "clicked").
FORCE: list[str] = [
    Livraison.INCONNUE,
    Livraison.DIFFERE,
    Livraison.ACCEPTE,
    Livraison.DELIVRE,
    Livraison.OUVERT,
    Livraison.CLIQUE,
    Livraison.REBOND,
    Livraison.PLAINTE,
]
PREUVES_D_ENVOI = {Livraison.ACCEPTE, Livraison.DELIVRE, Livraison.OUVERT, Livraison.CLIQUE, Livraison.DIFFERE}


def _organisation_et_envoi(evenement: Any) -> tuple[int, int] | None:
    metadata = getattr(evenement, "metadata", None) or {}
    try:
        return int(metadata["organisation_id"]), int(metadata["envoi_id"])
    except (KeyError, TypeError, ValueError):
        pass
    message_id = getattr(evenement, "message_id", None)
    if not message_id:
        return None
    with unscoped(reason="webhook ESP sans métadonnées : retrouver l'envoi par son identifiant de message"):
        trouve = Envoi.objects.filter(message_id=message_id).values_list("tenant_id", "pk").first()
    return (int(trouve[0]), int(trouve[1])) if trouve else None


def evenement_esp_enregistrer(*, evenement: Any, esp: str) -> None:
    cible = _organisation_et_envoi(evenement)
    livraison = LIVRAISON_DE_L_EVENEMENT.get(getattr(evenement, "event_type", ""))
    if cible is None or livraison is None:
        logger.info("ESP event ignored (%s, %s)", esp, getattr(evenement, "event_type", "?"))
        return
    organisation_id, envoi_id = cible
    with organisation_scope(organisation_id):
        _enregistrer(envoi_id=envoi_id, livraison=livraison, evenement=evenement)


@transaction.atomic
def _enregistrer(*, envoi_id: int, livraison: str, evenement: Any) -> None:
    envoi = Envoi.objects.select_for_update().filter(pk=envoi_id).first()
    if envoi is None:
        return
    quand = getattr(evenement, "timestamp", None) or timezone.now()
    if envoi.statut == StatutEnvoi.EN_COURS and livraison in PREUVES_D_ENVOI:
        # The ESP has it: the send we could not record (worker killed) is done.
        envoi.statut = StatutEnvoi.ENVOYE
        envoi.envoye_le = envoi.envoye_le or quand
        envoi.message_id = envoi.message_id or (getattr(evenement, "message_id", "") or "")
        Relance.objects.filter(envoi=envoi, statut=StatutRelance.PLANIFIEE).update(statut=StatutRelance.ENVOYEE)
    if FORCE.index(livraison) >= FORCE.index(envoi.livraison or Livraison.INCONNUE):
        envoi.livraison = livraison
        envoi.livraison_le = quand
    envoi.save(update_fields=["statut", "envoye_le", "message_id", "livraison", "livraison_le"])
    client = Client.objects.get(pk=envoi.client_id)
    destinataire = parseaddr(getattr(evenement, "recipient", "") or "")[1].lower()
    if livraison in (Livraison.REBOND, Livraison.PLAINTE) and destinataire:
        _contact_en_echec(
            envoi=envoi,
            client=client,
            email=destinataire,
            livraison=livraison,
            raison=getattr(evenement, "description", "") or getattr(evenement, "reject_reason", "") or "",
        )
    if livraison in (Livraison.REBOND, Livraison.PLAINTE, Livraison.OUVERT):
        evenement_record(
            client=client,
            type=TypeEvenementRelance.LIVRAISON,
            message=_("Relance du %(date)s : %(etat)s%(qui)s")
            % {
                "date": envoi.date_prevue.strftime("%d/%m/%Y"),
                "etat": Livraison(livraison).label,
                "qui": f" ({destinataire})" if destinataire else "",
            },
            donnees={"envoi_id": envoi.pk, "livraison": livraison},
        )


def _contact_en_echec(*, envoi: Envoi, client: Client, email: str, livraison: str, raison: str) -> None:
    """A hard bounce flags the address; a complaint stops e-mails to that person. Either way,
    the credit manager gets a task to find another contact."""
    contacts = Contact.objects.filter(client=client, email__iexact=email)
    if livraison == Livraison.REBOND:
        contacts.update(email_invalide=True, email_invalide_le=timezone.now())
    else:
        contacts.update(opt_out=True)
    if not contacts.exists():
        return
    from relances.services.envoi import charge_du_client

    Tache.objects.get_or_create(
        cle=f"{TypeTache.REBOND}:{envoi.pk}:{email}",
        defaults={
            "client": client,
            "envoi": envoi,
            "type": TypeTache.REBOND,
            "titre": (
                _("Adresse en échec chez %(client)s : %(email)s") % {"client": client.raison_sociale, "email": email}
            )[:200],
            "description": raison or _("Trouvez une autre adresse ou un autre interlocuteur."),
            "assigne_a": charge_du_client(client),
            "echeance": timezone.localdate(),
            "statut": StatutTache.A_FAIRE,
        },
    )
