"""Editing scenarios' messages: save (refused with the line and the name when wrong),
preview with sample or real data, and "send a test to myself"."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clients.models import Client
from factures.models import STATUTS_OUVERTS, Nature
from recouvrement.tenancy.models import Organisation, User
from relances.gabarits import MessageRendu, contexte_construire, contexte_exemple, gabarit_rendre, gabarit_valider
from relances.models import Etape, ModeleMessage


@transaction.atomic
def modele_enregistrer(*, etape: Etape, langue: str, sujet: str, corps: str) -> ModeleMessage:
    """Save a step's template in one language. Raises ``ValidationError`` naming the field,
    the line and the unknown variable or tag: a broken template never reaches send time."""
    gabarit_valider(sujet=sujet, corps=corps)
    modele, _created = ModeleMessage.objects.update_or_create(
        etape=etape, langue=langue, defaults={"sujet": sujet, "corps": corps}
    )
    return modele


def modele_apercu(
    *, organisation: Organisation, sujet: str, corps: str, langue: str = "fr", client: Client | None = None
) -> MessageRendu:
    """Render a template (maybe unsaved) with the sample data, or with a real client's open invoices."""
    with translation.override(langue):
        if client is None:
            contexte = contexte_exemple(organisation=organisation, langue=langue)
        else:
            factures = list(
                client.factures.filter(nature=Nature.FACTURE, statut__in=STATUTS_OUVERTS).order_by("date_echeance")[:50]
            )
            contact = next((c for c in client.contacts.all() if c.joignable_par_email), None)
            contexte = contexte_construire(
                organisation=organisation,
                client=client,
                contact=contact,
                factures=factures,
                penalites=None,
                signataire=None,
                liens=None,
                aujourd_hui=timezone.localdate(),
            )
        return gabarit_rendre(sujet=sujet, corps=corps, contexte=contexte)


def modele_test_envoyer(
    *, organisation: Organisation, user: User, sujet: str, corps: str, langue: str = "fr", client: Client | None = None
) -> MessageRendu:
    """ "Send a test to myself": the preview, mailed to the member asking, marked as a test."""
    rendu = modele_apercu(organisation=organisation, sujet=sujet, corps=corps, langue=langue, client=client)
    message = EmailMultiAlternatives(
        subject=_("[TEST] %(sujet)s") % {"sujet": rendu.sujet},
        body=rendu.texte,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(rendu.html, "text/html")
    message.send()
    return rendu
