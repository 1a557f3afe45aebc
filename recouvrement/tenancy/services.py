"""Writes on organisations, members and invitations."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from recouvrement.core.errors import ApplicationError
from recouvrement.core.validators import normaliser_bic, normaliser_iban, normaliser_siren
from recouvrement.tenancy.context import current_organisation_id, organisation_scope
from recouvrement.tenancy.models import Invitation, Membre, Organisation, Role, User
from recouvrement.tenancy.signals import organisation_creee

INVITATION_SALT = "recouvrement.invitation"

ORGANISATION_FIELDS = (
    "raison_sociale",
    "siren",
    "adresse",
    "adresse_complement",
    "code_postal",
    "ville",
    "pays",
    "fuseau_horaire",
    "langue",
    "expediteur_nom",
    "expediteur_email",
    "signature",
    "entete",
    "logo",
    "banque",
    "titulaire_compte",
    "iban",
    "bic",
    "clause_penalites",
    "clause_reserve_propriete",
    "tranches_balance_agee",
)

# Printed on letters unless the organisation writes its own (Code de commerce L441-10).
CLAUSE_PENALITES_DEFAUT = (
    "En cas de retard de paiement, des pénalités de retard sont exigibles le jour suivant la date "
    "d'échéance, au taux de refinancement de la BCE majoré de 10 points, ainsi qu'une indemnité "
    "forfaitaire pour frais de recouvrement de 40 € (art. L441-10 et D441-5 du Code de commerce)."
)


def normaliser_identifiants(organisation: Organisation) -> None:
    organisation.siren = normaliser_siren(organisation.siren)
    organisation.iban = normaliser_iban(organisation.iban)
    organisation.bic = normaliser_bic(organisation.bic)


@transaction.atomic
def organisation_signup(
    *, email: str, password: str, first_name: str, last_name: str, raison_sociale: str, siren: str
) -> tuple[User, Organisation]:
    """Sign-up: a new user, a new organisation, and the user as its admin."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ApplicationError(
            _("Un compte existe déjà avec cette adresse ; connectez-vous."), code="email_pris", field="email"
        )
    organisation = Organisation(
        raison_sociale=raison_sociale.strip(),
        siren=siren,
        expediteur_nom=raison_sociale.strip(),
        clause_penalites=CLAUSE_PENALITES_DEFAUT,
    )
    normaliser_identifiants(organisation)
    organisation.full_clean()
    organisation.save()
    user = User.objects.create_user(email=email, password=password, first_name=first_name, last_name=last_name)
    with organisation_scope(organisation, user_id=user.pk):
        Membre.objects.create(user=user, role=Role.ADMIN)
        organisation_creee.send(sender=Organisation, organisation=organisation)
    return user, organisation


@transaction.atomic
def organisation_update(*, organisation: Organisation, **fields: Any) -> Organisation:
    """Precondition: ``organisation`` is the active one (the caller checked the admin role)."""
    if organisation.pk != current_organisation_id():
        raise ApplicationError(_("Organisation inconnue."), code="organisation_inconnue")
    unknown = set(fields) - set(ORGANISATION_FIELDS)
    if unknown:
        raise ApplicationError(_("Champ inconnu : %(champ)s.") % {"champ": ", ".join(sorted(unknown))})
    for name, value in fields.items():
        setattr(organisation, name, value)
    normaliser_identifiants(organisation)
    organisation.full_clean()
    organisation.save()
    return organisation


def invitation_token(invitation: Invitation) -> str:
    """The secret part of the invitation link: it names the organisation, so that the
    acceptance can look the invitation up inside that organisation's scope."""
    return signing.dumps({"o": invitation.tenant_id, "i": invitation.pk}, salt=INVITATION_SALT, compress=True)


def _lire_token(token: str) -> tuple[int, int]:
    max_age = datetime.timedelta(days=settings.INVITATION_VALIDITE_JOURS)
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=max_age)
        return int(data["o"]), int(data["i"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ApplicationError(
            _("Ce lien d'invitation n'est pas valide ou a expiré."), code="invitation_invalide"
        ) from None


@transaction.atomic
def invitation_create(*, organisation: Organisation, email: str, role: str, invite_par: User, lien: Any) -> Invitation:
    """Invite ``email`` with ``role`` and send the link. ``lien(token)`` builds the absolute URL."""
    email = email.strip().lower()
    if role not in Role.values:
        raise ApplicationError(_("Rôle inconnu."), code="role_inconnu", field="role")
    if Membre.objects.filter(user__email__iexact=email, actif=True).exists():
        raise ApplicationError(
            _("Cette personne est déjà membre de l'organisation."), code="deja_membre", field="email"
        )
    Invitation.objects.filter(email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    invitation = Invitation(
        email=email,
        role=role,
        invite_par=invite_par,
        expires_at=timezone.now() + datetime.timedelta(days=settings.INVITATION_VALIDITE_JOURS),
    )
    invitation.full_clean()
    invitation.save()
    url = lien(invitation_token(invitation))
    context = {"organisation": organisation, "invitation": invitation, "url": url, "invite_par": invite_par}
    message = EmailMultiAlternatives(
        subject=_("%(qui)s vous invite sur Recouvrement (%(organisation)s)")
        % {"qui": invite_par, "organisation": organisation.raison_sociale},
        body=render_to_string("emails/invitation.txt", context),
        to=[email],
    )
    message.attach_alternative(render_to_string("emails/invitation.html", context), "text/html")
    transaction.on_commit(message.send)
    return invitation


def invitation_from_token(token: str) -> Invitation:
    """The open invitation behind a link, looked up inside its own organisation."""
    organisation_id, invitation_id = _lire_token(token)
    with organisation_scope(organisation_id):
        invitation = Invitation.objects.select_related("tenant").filter(pk=invitation_id).first()
    if invitation is None or not invitation.est_ouverte:
        raise ApplicationError(_("Ce lien d'invitation n'est pas valide ou a expiré."), code="invitation_invalide")
    return invitation


@transaction.atomic
def invitation_accept(
    *, token: str, user: User | None = None, password: str = "", first_name: str = "", last_name: str = ""
) -> Membre:
    """Join the organisation of the invitation.

    A logged-in ``user`` must be the invited address; without one, a new
    account is created with ``password``.
    """
    invitation = invitation_from_token(token)
    if user is None:
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise ApplicationError(
                _("Un compte existe déjà pour %(email)s : connectez-vous pour accepter.") % {"email": invitation.email},
                code="compte_existant",
            )
        user = User.objects.create_user(
            email=invitation.email, password=password, first_name=first_name, last_name=last_name
        )
    elif user.email.lower() != invitation.email.lower():
        raise ApplicationError(
            _("Cette invitation est adressée à %(email)s.") % {"email": invitation.email}, code="autre_destinataire"
        )
    with organisation_scope(invitation.tenant_id, user_id=user.pk):
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not invitation.est_ouverte:
            raise ApplicationError(_("Cette invitation a déjà servi."), code="invitation_invalide")
        membre, _created = Membre.objects.update_or_create(user=user, defaults={"role": invitation.role, "actif": True})
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
    return membre


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> Invitation:
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def _reste_un_admin(membre: Membre, nouveau_role: str | None, actif: bool) -> None:
    if membre.role == Role.ADMIN and (nouveau_role != Role.ADMIN or not actif):
        autres = Membre.objects.filter(role=Role.ADMIN, actif=True).exclude(pk=membre.pk)
        if not autres.exists():
            raise ApplicationError(
                _("L'organisation doit garder au moins un administrateur."), code="dernier_admin", field="role"
            )


@transaction.atomic
def membre_update(*, membre: Membre, role: str, actif: bool) -> Membre:
    if role not in Role.values:
        raise ApplicationError(_("Rôle inconnu."), code="role_inconnu", field="role")
    membre = Membre.objects.select_for_update().get(pk=membre.pk)
    _reste_un_admin(membre, role, actif)
    membre.role = role
    membre.actif = actif
    membre.save(update_fields=["role", "actif"])
    return membre


def valider_mot_de_passe(password: str, user: User | None = None) -> None:
    """Django's password validators, raised as a field error on ``password``."""
    from django.contrib.auth.password_validation import validate_password

    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
