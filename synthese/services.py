"""The writes of the weekly digest: settings, subscriptions, and the outbox that
sends each week's digest exactly once.

A week's digest (``SyntheseHebdo``) moves à envoyer → en cours → envoyée | échec:

- ``synthese_planifier`` creates the row of the past week once the
  organisation's day and hour have come (the unique ``(tenant, semaine)``
  makes a second scheduler, or a second round, create nothing);
- ``synthese_envoyer`` claims it under a row lock (à envoyer → en cours, the
  recipients frozen on the row) and commits, renders the digest, hands it to
  the mailer with a Message-ID derived from the organisation and the week,
  then records "envoyée" (``UPDATE … WHERE statut = 'en_cours'``). Calling it
  again for a sent digest does nothing;
- a worker killed between the hand-over and the record leaves the row "en
  cours": after ``RELANCES_DELAI_RECONCILIATION`` the scheduler's
  reconciliation (``syntheses_a_reprendre``) queues it again, and it goes with
  the same Message-ID, which an idempotent ESP (and the test server) accepts
  once. A row "à envoyer" whose task was lost is queued again the same way.
"""

from __future__ import annotations

import datetime
import smtplib
import uuid
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from recouvrement.core.errors import ApplicationError
from recouvrement.tenancy.models import Membre, Organisation, Role
from relances.services.envoi import ErreurTransitoire
from synthese import rendu
from synthese.models import AbonnementSynthese, ParametresSynthese, StatutSynthese, SyntheseHebdo
from synthese.selectors import Semaine, lundi_de, synthese_calculer

DESTINATAIRES_MAX = 50


# ---------------------------------------------------------------------------
# Settings and subscriptions
# ---------------------------------------------------------------------------


def parametres_get() -> ParametresSynthese:
    """The organisation's settings, or unsaved defaults. Precondition: inside its scope."""
    return ParametresSynthese.objects.first() or ParametresSynthese()


def _adresses_valides(adresses: list[str]) -> list[str]:
    resultat: list[str] = []
    for brute in adresses:
        adresse = brute.strip().lower()
        if not adresse:
            continue
        try:
            validate_email(adresse)
        except ValidationError as error:
            raise ApplicationError(
                _("« %(adresse)s » n'est pas une adresse e-mail valide.") % {"adresse": adresse},
                code="adresse_invalide",
                field="destinataires_supplementaires",
            ) from error
        if adresse not in resultat:
            resultat.append(adresse)
    if len(resultat) > DESTINATAIRES_MAX:
        raise ApplicationError(
            _("Au plus %(n)s adresses.") % {"n": DESTINATAIRES_MAX},
            code="trop_d_adresses",
            field="destinataires_supplementaires",
        )
    return resultat


@transaction.atomic
def parametres_update(
    *, actif: bool, jour_semaine: int, heure: datetime.time, destinataires_supplementaires: list[str]
) -> ParametresSynthese:
    """Save the digest's settings (one row per organisation). Precondition: inside its scope."""
    parametres = ParametresSynthese.objects.select_for_update().first() or ParametresSynthese()
    if not 0 <= jour_semaine <= 6:
        raise ApplicationError(_("Jour de la semaine inconnu."), code="jour_invalide", field="jour_semaine")
    parametres.actif = actif
    parametres.jour_semaine = jour_semaine
    parametres.heure = heure
    parametres.destinataires_supplementaires = _adresses_valides(destinataires_supplementaires)
    parametres.save()
    return parametres


def est_abonne(membre: Membre) -> bool:
    """Whether the member receives the digest: his choice, or by default DAF members only."""
    choix = AbonnementSynthese.objects.filter(membre=membre).values_list("abonne", flat=True).first()
    return bool(choix) if choix is not None else membre.role == Role.DAF


@transaction.atomic
def abonnement_basculer(*, membre: Membre) -> bool:
    """Subscribe the member if he does not receive the digest, unsubscribe him if he does. Returns the new state."""
    Membre.objects.select_for_update().get(pk=membre.pk)  # two clicks at once: one after the other
    abonne = not est_abonne(membre)
    AbonnementSynthese.objects.update_or_create(membre=membre, defaults={"abonne": abonne})
    return abonne


def destinataires_synthese() -> list[str]:
    """Every active DAF member not unsubscribed, every active member subscribed, and the extra addresses.

    Two queries. Lower case, no duplicate, in a stable order. Precondition: inside the organisation's scope.
    """
    choix = AbonnementSynthese.objects.filter(membre=OuterRef("pk")).values("abonne")[:1]
    emails = (
        Membre.objects.filter(actif=True, user__is_active=True)
        .annotate(abonne=Subquery(choix))
        .filter(Q(abonne=True) | Q(role=Role.DAF, abonne__isnull=True))
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )
    resultat: list[str] = []
    for brute in [*emails, *parametres_get().destinataires_supplementaires]:
        adresse = brute.strip().lower()
        if adresse and adresse not in resultat:
            resultat.append(adresse)
    return resultat


# ---------------------------------------------------------------------------
# The weekly outbox
# ---------------------------------------------------------------------------


def moment_envoi(organisation: Organisation, parametres: ParametresSynthese, lundi: datetime.date) -> datetime.datetime:
    """When the digest of the week before ``lundi``'s week is due: that week's day and hour, local time."""
    jour = lundi + datetime.timedelta(days=int(parametres.jour_semaine))
    return datetime.datetime.combine(jour, parametres.heure, tzinfo=zoneinfo.ZoneInfo(organisation.fuseau_horaire))


def semaine_due(
    *, organisation: Organisation, parametres: ParametresSynthese, maintenant: datetime.datetime
) -> datetime.date | None:
    """The Monday of the past week if its digest is due (this week's day and hour have come, local time)."""
    if not parametres.actif:
        return None
    local = organisation.heure_locale(maintenant)
    lundi = lundi_de(local.date())
    if local < moment_envoi(organisation, parametres, lundi):
        return None
    return lundi - datetime.timedelta(days=7)


def synthese_planifier(*, semaine: datetime.date) -> SyntheseHebdo | None:
    """Create the digest row of the week starting ``semaine`` (a Monday), unless it exists.

    Returns the new row (its send is queued by the caller after commit), or None.
    Precondition: inside the organisation's scope. Idempotent by the unique ``(tenant, semaine)``.
    """
    if semaine.weekday() != 0:
        raise ValueError("A digest's week starts on a Monday.")
    try:
        with transaction.atomic():
            return SyntheseHebdo.objects.create(semaine=semaine)
    except IntegrityError:
        return None  # created already (by the other scheduler, or a previous round)


def syntheses_a_reprendre(*, delai: datetime.timedelta, avec_organisation: bool = False) -> list[Any]:
    """Digests left "en cours" longer than ``delai`` (a worker died), or "à envoyer" that long (the task was lost).

    Their ids, or ``(organisation id, id)`` pairs with ``avec_organisation`` (the scheduler, under ``unscoped``).
    """
    limite = timezone.now() - delai
    lignes = SyntheseHebdo.objects.filter(
        Q(statut=StatutSynthese.EN_COURS, en_cours_depuis__lt=limite)
        | Q(statut=StatutSynthese.A_ENVOYER, created_at__lt=limite)
    ).order_by("pk")
    if avec_organisation:
        return list(lignes.values_list("tenant_id", "pk"))
    return list(lignes.values_list("pk", flat=True))


def _reserver(synthese_id: int) -> SyntheseHebdo | None:
    """Claim the digest for this attempt (committed before anything is sent), or None if not to send."""
    with transaction.atomic():
        synthese = SyntheseHebdo.objects.select_for_update().get(pk=synthese_id)
        maintenant = timezone.now()
        if synthese.statut == StatutSynthese.EN_COURS:
            delai = datetime.timedelta(seconds=settings.RELANCES_DELAI_RECONCILIATION)
            if synthese.en_cours_depuis and maintenant - synthese.en_cours_depuis < delai:
                return None  # another attempt is running (or was a moment ago): the reconciliation decides
        elif synthese.statut == StatutSynthese.A_ENVOYER:
            synthese.destinataires = destinataires_synthese()
        else:
            return None
        synthese.statut = StatutSynthese.EN_COURS
        synthese.en_cours_depuis = maintenant
        synthese.tentatives += 1
        synthese.save(update_fields=["statut", "en_cours_depuis", "tentatives", "destinataires"])
    return synthese


def _remettre(courriel: Any) -> None:
    """Hand the message to the mailer; transient failures raise ``ErreurTransitoire``."""
    try:
        courriel.send()
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError, TimeoutError) as error:
        raise ErreurTransitoire(str(error)) from error
    except smtplib.SMTPResponseException as error:
        if 400 <= error.smtp_code < 500:
            raise ErreurTransitoire(f"{error.smtp_code} {error.smtp_error!r}") from error
        raise


def _rendre(organisation: Organisation, semaine: datetime.date, destinataires: list[str], cle: str) -> Any:
    with translation.override(organisation.langue or settings.LANGUAGE_CODE):
        donnees = synthese_calculer(
            organisation=organisation, semaine=Semaine(lundi=semaine, fuseau=organisation.fuseau_horaire)
        )
        return rendu.message(synthese=donnees, destinataires=destinataires, cle=cle)


def synthese_envoyer(*, synthese_id: int) -> SyntheseHebdo:
    """Send one week's digest. Idempotent; raises ``ErreurTransitoire`` to be retried.

    Precondition: inside the organisation's scope. Several transactions: the
    claim is committed before the mailer is called, the record after.
    """
    synthese = _reserver(synthese_id)
    if synthese is None:
        return SyntheseHebdo.objects.get(pk=synthese_id)
    if not synthese.destinataires:
        return _echec(synthese, _("Aucun destinataire : ni DAF, ni abonné, ni adresse supplémentaire."))
    organisation = Organisation.objects.get(pk=synthese.tenant_id)
    cle = synthese.cle_idempotence
    try:
        _remettre(_rendre(organisation, synthese.semaine, list(synthese.destinataires), cle))
    except ErreurTransitoire as error:
        # Not taken by the mailer: back to "à envoyer", so that the task's retry claims it again.
        SyntheseHebdo.objects.filter(pk=synthese.pk, statut=StatutSynthese.EN_COURS).update(
            statut=StatutSynthese.A_ENVOYER, erreur=str(error)[:1000]
        )
        raise
    except Exception as error:  # noqa: BLE001  (a permanent refusal: recorded, not retried)
        return _echec(synthese, str(error))
    message_id = f"<{cle}@{settings.RELANCES_DOMAINE_MESSAGE_ID}>"
    SyntheseHebdo.objects.filter(pk=synthese.pk, statut=StatutSynthese.EN_COURS).update(
        statut=StatutSynthese.ENVOYEE, envoyee_le=timezone.now(), message_id=message_id, erreur=""
    )
    return SyntheseHebdo.objects.get(pk=synthese.pk)


def synthese_echec_definitif(*, synthese_id: int, erreur: str) -> None:
    SyntheseHebdo.objects.filter(pk=synthese_id).exclude(statut=StatutSynthese.ENVOYEE).update(
        statut=StatutSynthese.ECHEC, erreur=erreur[:1000]
    )


def _echec(synthese: SyntheseHebdo, erreur: str) -> SyntheseHebdo:
    SyntheseHebdo.objects.filter(pk=synthese.pk, statut=StatutSynthese.EN_COURS).update(
        statut=StatutSynthese.ECHEC, erreur=erreur[:1000]
    )
    return SyntheseHebdo.objects.get(pk=synthese.pk)


def cle_envoi_a_la_demande(*, organisation: Organisation, semaine: datetime.date) -> str:
    """A fresh key for « envoyer maintenant »: a new send each click, the same across the task's retries."""
    return f"recouvrement-{organisation.pk}-synthese-{semaine:%G-W%V}-demande-{uuid.uuid4().hex[:12]}"


def synthese_envoyer_a_la_demande(*, organisation: Organisation, semaine: datetime.date, cle: str) -> list[str]:
    """Send a week's digest now to the current recipients, outside the weekly outbox. Returns the recipients.

    Not recorded as the week's digest: the weekly one still goes at its hour.
    Precondition: inside the organisation's scope.
    """
    destinataires = destinataires_synthese()
    if not destinataires:
        raise ApplicationError(_("Aucun destinataire pour la synthèse."), code="sans_destinataire")
    _remettre(_rendre(organisation, semaine, destinataires, cle))
    return destinataires
