"""The dispute owner's e-mails: on assignment, and when the SLA is near or past.

Each is sent once per dispute and kind: a claim column of ``Litige`` is set by an
``UPDATE … WHERE <column> IS NULL`` committed before the message leaves, so a job
run twice, or on two workers, finds nothing left to claim. A new owner clears the
assignment claim, a new due date the reminder claims (``litige_suivi_modifier``).
The price of claiming first: a message the mail server refuses is not retried
(at most once rather than at least once).

Called by ``litiges.tasks`` inside the organisation's scope.
"""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from litiges.models import STATUTS_LITIGE_ACTIFS, Litige
from litiges.selectors import rappel_jours_avant
from recouvrement.core.formats import montant_texte, url_absolue
from recouvrement.tenancy.models import Membre, Organisation, Role
from relances.models import ParametresRelance

logger = logging.getLogger(__name__)

AFFECTATION = "affectation"
RAPPEL_PROCHE = "proche"
RAPPEL_DEPASSE = "depasse"
CHAMP_RAPPEL = {RAPPEL_PROCHE: "rappel_proche_envoye_le", RAPPEL_DEPASSE: "rappel_depasse_envoye_le"}


def destinataires_par_defaut() -> list[str]:
    """Who hears of a dispute without an owner: the default credit manager, else the admins."""
    parametres = ParametresRelance.objects.select_related("charge_par_defaut__user").first()
    charge = parametres.charge_par_defaut if parametres else None
    if charge is not None and charge.actif and charge.user.email:
        return [charge.user.email]
    admins = Membre.objects.filter(role=Role.ADMIN, actif=True).select_related("user").order_by("pk")
    return [m.user.email for m in admins if m.user.email]


def _destinataires(litige: Litige) -> list[str]:
    responsable = litige.responsable
    if responsable is not None and responsable.actif and responsable.user.email:
        return [responsable.user.email]
    return destinataires_par_defaut()


def _charger(litige_id: int) -> Litige:
    return (
        Litige.objects.select_related("client", "responsable__user", "tenant")
        .prefetch_related("lignes__facture")
        .get(pk=litige_id)
    )


def _message(
    litige: Litige, nature: str, destinataires: list[str], aujourd_hui: datetime.date
) -> EmailMultiAlternatives:
    """The e-mail of ``nature``, in the organisation's language."""
    with translation.override(litige.tenant.langue):
        return _message_traduit(litige, nature, destinataires, aujourd_hui)


def _message_traduit(
    litige: Litige, nature: str, destinataires: list[str], aujourd_hui: datetime.date
) -> EmailMultiAlternatives:
    organisation: Organisation = litige.tenant
    lignes = sorted(litige.lignes.all(), key=lambda ligne: (ligne.facture.date_echeance, ligne.pk))
    devise = lignes[0].facture.devise if lignes else "EUR"
    total = sum((ligne.montant for ligne in lignes), Decimal("0.00"))
    contexte: dict[str, Any] = {
        "organisation": organisation,
        "litige": litige,
        "client": litige.client,
        "nature": nature,
        "lignes": [
            {
                "numero": ligne.facture.numero,
                "echeance": ligne.facture.date_echeance,
                "reste_du": montant_texte(ligne.facture.reste_du, ligne.facture.devise),
                "conteste": montant_texte(ligne.montant, ligne.facture.devise),
            }
            for ligne in lignes
        ],
        "total": montant_texte(total, devise),
        "echeance": litige.echeance,
        "jours": abs((litige.echeance - aujourd_hui).days) if litige.echeance else None,
        "url": url_absolue(reverse("litiges:detail", args=[litige.pk])),
    }
    client = litige.client.raison_sociale
    if nature == AFFECTATION:
        sujet = _("Litige à traiter : %(client)s — %(type)s") % {
            "client": client,
            "type": litige.get_type_display(),
        }
        gabarit = "emails/litige_affectation"
    elif nature == RAPPEL_PROCHE:
        sujet = _("Rappel : litige %(client)s à résoudre avant le %(date)s") % {
            "client": client,
            "date": litige.echeance.strftime("%d/%m/%Y") if litige.echeance else "",
        }
        gabarit = "emails/litige_rappel"
    else:
        sujet = _("Litige en retard : %(client)s (échéance du %(date)s dépassée)") % {
            "client": client,
            "date": litige.echeance.strftime("%d/%m/%Y") if litige.echeance else "",
        }
        gabarit = "emails/litige_rappel"
    texte = render_to_string(f"{gabarit}.txt", contexte)
    html = render_to_string(f"{gabarit}.html", contexte)
    expediteur = organisation.adresse_expediteur
    message = EmailMultiAlternatives(subject=sujet, body=texte, from_email=expediteur, to=destinataires)
    message.attach_alternative(html, "text/html")
    return message


def affectation_notifier(*, litige_id: int, aujourd_hui: datetime.date | None = None) -> bool:
    """Tell the owner of an active dispute that it is his, once per assignment."""
    with transaction.atomic():
        reserve = Litige.objects.filter(
            pk=litige_id,
            responsable__isnull=False,
            statut__in=STATUTS_LITIGE_ACTIFS,
            affectation_notifiee_le__isnull=True,
        ).update(affectation_notifiee_le=timezone.now())
    if not reserve:
        return False
    litige = _charger(litige_id)
    destinataires = _destinataires(litige)
    if not destinataires:
        return False
    _message(litige, AFFECTATION, destinataires, aujourd_hui or timezone.localdate()).send()
    return True


def rappels_reserver(*, aujourd_hui: datetime.date) -> dict[str, list[int]]:
    """Claim the SLA reminders due today, set-based: « proche » from ``echeance - N`` days to
    the due date, « dépassé » after it. Two runs at once claim each one once (the rows are
    locked, and the second run's ``IS NULL`` is checked again on the committed row)."""
    avance = datetime.timedelta(days=rappel_jours_avant())
    actifs = Q(statut__in=STATUTS_LITIGE_ACTIFS, echeance__isnull=False)
    conditions = {
        RAPPEL_PROCHE: actifs & Q(echeance__gte=aujourd_hui, echeance__lte=aujourd_hui + avance),
        RAPPEL_DEPASSE: actifs & Q(echeance__lt=aujourd_hui),
    }
    reserves: dict[str, list[int]] = {}
    maintenant = timezone.now()
    with transaction.atomic():
        for nature, condition in conditions.items():
            champ = CHAMP_RAPPEL[nature]
            ids = list(
                Litige.objects.filter(condition, **{f"{champ}__isnull": True})
                .select_for_update()
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            if ids:
                Litige.objects.filter(pk__in=ids).update(**{champ: maintenant})
            reserves[nature] = ids
    return reserves


def rappels_envoyer(*, aujourd_hui: datetime.date) -> dict[str, int]:
    """Claim the reminders due today, then send each claimed one."""
    reserves = rappels_reserver(aujourd_hui=aujourd_hui)
    envoyes = {RAPPEL_PROCHE: 0, RAPPEL_DEPASSE: 0}
    for nature, ids in reserves.items():
        for litige_id in ids:
            litige = _charger(litige_id)
            destinataires = _destinataires(litige)
            if not destinataires:
                logger.warning("litige %s: personne à prévenir", litige_id)
                continue
            try:
                _message(litige, nature, destinataires, aujourd_hui).send()
            except Exception:
                # Claimed already: logged, not retried (see the module's docstring).
                logger.exception("litige %s: rappel %s non envoyé", litige_id, nature)
                continue
            envoyes[nature] += 1
    return envoyes
