"""Writes on invoices, payments and allocations (lettrage).

``reste_du`` of an invoice, the unused part of a credit note and the
unallocated part of a payment change only here, with the rows locked in
primary-key order (``lock_factures``), so that concurrent allocations can
neither over-allocate nor deadlock.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Set as AbstractSet
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.events import evenement_record
from clients.models import Client
from factures import error_codes
from factures.events import TypeEvenementFacture
from factures.models import (
    STATUTS_OUVERTS,
    Facture,
    Lettrage,
    Nature,
    Paiement,
    Statut,
    SupportPaiement,
    statut_pour,
)
from factures.signals import facture_payee, reglement_enregistre
from recouvrement.core.errors import ApplicationError
from recouvrement.core.formats import montant_texte

CENTIME = Decimal("0.01")


def date_echeance_calculee(*, date_emission: datetime.date, delai_jours: int, fin_de_mois: bool) -> datetime.date:
    """Due date from payment terms. "45 jours fin de mois" counts the days, then goes to the month's end."""
    echeance = date_emission + datetime.timedelta(days=delai_jours)
    if fin_de_mois:
        dernier_jour = calendar.monthrange(echeance.year, echeance.month)[1]
        echeance = echeance.replace(day=dernier_jour)
    return echeance


def libelle_nature(nature: str) -> str:
    """« Facture » or « Avoir », as the timeline writes it."""
    return _("Avoir") if nature == Nature.AVOIR else _("Facture")


def lock_factures(ids: list[int]) -> dict[int, Facture]:
    """Lock invoices in primary-key order and return them fresh. Call inside a transaction."""
    rows = Facture.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk")
    return {f.pk: f for f in rows}


def _montant(value: Any, field: str) -> Decimal:
    try:
        montant = Decimal(value)
    except (ArithmeticError, TypeError, ValueError):
        raise ApplicationError(_("Montant invalide."), code=error_codes.MONTANT_INVALIDE, field=field) from None
    if not montant.is_finite() or montant != montant.quantize(CENTIME):
        raise ApplicationError(
            _("Un montant s'exprime en euros et centimes."), code=error_codes.MONTANT_INVALIDE, field=field
        )
    return montant


@transaction.atomic
def facture_create(
    *,
    client: Client,
    numero: str,
    date_emission: datetime.date,
    montant_ht: Decimal,
    montant_tva: Decimal,
    montant_ttc: Decimal | None = None,
    date_echeance: datetime.date | None = None,
    nature: str = Nature.FACTURE,
    facture_origine: Facture | None = None,
    devise: str = "EUR",
    support_paiement: str = SupportPaiement.VIREMENT,
    affactureur: str = "",
    numero_commande: str = "",
    pdf: Any = None,
    external_id: str = "",
    auteur: Any = None,
) -> Facture:
    """Record an invoice or a credit note of ``client``; it starts fully unpaid.

    Without a due date, the client's payment terms give it. For a factored
    invoice with no factor named, the client's factor is used.
    """
    montant_ht = _montant(montant_ht, "montant_ht")
    montant_tva = _montant(montant_tva, "montant_tva")
    ttc = montant_ht + montant_tva if montant_ttc is None else _montant(montant_ttc, "montant_ttc")
    if date_echeance is None:
        date_echeance = date_echeance_calculee(
            date_emission=date_emission, delai_jours=client.delai_paiement_jours, fin_de_mois=client.fin_de_mois
        )
    if support_paiement == SupportPaiement.AFFACTURAGE and not affactureur:
        affactureur = client.affactureur
    facture = Facture(
        client=client,
        numero=numero.strip(),
        nature=nature,
        facture_origine=facture_origine,
        date_emission=date_emission,
        date_echeance=date_echeance,
        montant_ht=montant_ht,
        montant_tva=montant_tva,
        montant_ttc=ttc,
        devise=devise,
        reste_du=ttc,
        statut=statut_pour(reste_du=ttc, montant_ttc=ttc),
        support_paiement=support_paiement,
        affactureur=affactureur,
        numero_commande=numero_commande,
        external_id=external_id,
    )
    if pdf:
        facture.pdf = pdf
    facture.full_clean()
    facture.save()
    libelle = libelle_nature(nature)
    evenement_record(
        client=client,
        facture_id=facture.pk,
        type=TypeEvenementFacture.FACTURE_CREEE,
        message=_("%(libelle)s %(numero)s enregistrée : %(montant)s")
        % {"libelle": libelle, "numero": facture.numero, "montant": montant_texte(ttc, devise)},
        auteur=auteur,
    )
    return facture


@transaction.atomic
def facture_annuler(*, facture: Facture, auteur: Any = None) -> Facture:
    facture = lock_factures([facture.pk])[facture.pk]
    if facture.statut == Statut.ANNULEE:
        return facture
    if (
        facture.lettrages.filter(annule_le__isnull=True).exists()
        or facture.lettrages_avoir.filter(annule_le__isnull=True).exists()
    ):
        raise ApplicationError(_("Annulez d'abord les lettrages de cette facture."), code=error_codes.FACTURE_LETTREE)
    facture.statut = Statut.ANNULEE
    facture.save(update_fields=["statut", "updated_at"])
    evenement_record(
        client=facture.client,
        facture_id=facture.pk,
        type=TypeEvenementFacture.FACTURE_ANNULEE,
        message=_("Facture %(numero)s annulée") % {"numero": facture.numero},
        auteur=auteur,
    )
    return facture


@transaction.atomic
def paiement_create(
    *,
    montant: Decimal,
    date_paiement: datetime.date,
    client: Client | None = None,
    devise: str = "EUR",
    moyen: str = "virement",
    reference: str = "",
    libelle: str = "",
    external_id: str = "",
    auteur: Any = None,
) -> Paiement:
    montant = _montant(montant, "montant")
    paiement = Paiement(
        client=client,
        montant=montant,
        montant_non_affecte=montant,
        date_paiement=date_paiement,
        devise=devise,
        moyen=moyen,
        reference=reference,
        libelle=libelle,
        external_id=external_id,
    )
    paiement.full_clean()
    paiement.save()
    if client is not None:
        evenement_record(
            client=client,
            type=TypeEvenementFacture.PAIEMENT_RECU,
            message=_("Paiement reçu : %(montant)s (%(reference)s)")
            % {"montant": montant_texte(montant, devise), "reference": reference or moyen},
            auteur=auteur,
        )
    return paiement


@transaction.atomic
def lettrage_create(
    *,
    facture: Facture,
    montant: Decimal,
    paiement: Paiement | None = None,
    avoir: Facture | None = None,
    date_lettrage: datetime.date | None = None,
    auteur: Any = None,
) -> Lettrage:
    """Allocate ``montant`` of a payment, or of a credit note, to an invoice.

    Locks the invoice, the credit note and the payment, then checks against
    their fresh amounts: a concurrent allocation that got there first is
    seen, and this one is refused if nothing is left to allocate.
    """
    if (paiement is None) == (avoir is None):
        raise ApplicationError(
            _("Un lettrage part d'un paiement ou d'un avoir."), code=error_codes.SOURCE_LETTRAGE, field="paiement"
        )
    montant = _montant(montant, "montant")
    if montant <= 0:
        raise ApplicationError(_("Le montant doit être positif."), code=error_codes.MONTANT_INVALIDE, field="montant")

    factures = lock_factures([facture.pk] + ([avoir.pk] if avoir else []))
    facture = factures[facture.pk]
    if facture.nature != Nature.FACTURE:
        raise ApplicationError(
            _("On lettre une facture, pas un avoir."), code=error_codes.NATURE_INVALIDE, field="facture"
        )
    if facture.statut not in STATUTS_OUVERTS:
        raise ApplicationError(
            _("La facture %(numero)s n'est plus ouverte.") % {"numero": facture.numero},
            code=error_codes.FACTURE_FERMEE,
            field="facture",
        )
    if montant > facture.reste_du:
        raise ApplicationError(
            _("Le montant dépasse le reste dû de la facture (%(reste)s).")
            % {"reste": montant_texte(facture.reste_du, facture.devise)},
            code=error_codes.DEPASSE_RESTE_DU,
            field="montant",
        )

    if paiement is not None:
        paiement = Paiement.objects.select_for_update().get(pk=paiement.pk)
        if paiement.client_id is not None and paiement.client_id != facture.client_id:
            raise ApplicationError(
                _("Le paiement vient d'un autre client."), code=error_codes.AUTRE_CLIENT, field="paiement"
            )
        if paiement.devise != facture.devise:
            raise ApplicationError(
                _("Le paiement et la facture ne sont pas dans la même devise."),
                code=error_codes.DEVISE_DIFFERENTE,
                field="paiement",
            )
        if montant > paiement.montant_non_affecte:
            raise ApplicationError(
                _("Le montant dépasse la part non affectée du paiement (%(reste)s).")
                % {"reste": montant_texte(paiement.montant_non_affecte, paiement.devise)},
                code=error_codes.DEPASSE_PAIEMENT,
                field="montant",
            )
        paiement.montant_non_affecte -= montant
        if paiement.client_id is None:
            paiement.client_id = facture.client_id
        paiement.save(update_fields=["montant_non_affecte", "client"])
    else:
        assert avoir is not None
        avoir = factures[avoir.pk]
        if avoir.nature != Nature.AVOIR or avoir.statut not in STATUTS_OUVERTS:
            raise ApplicationError(
                _("Cet avoir n'est pas disponible."), code=error_codes.AVOIR_INDISPONIBLE, field="avoir"
            )
        if avoir.client_id != facture.client_id:
            raise ApplicationError(_("L'avoir est d'un autre client."), code=error_codes.AUTRE_CLIENT, field="avoir")
        if montant > avoir.reste_du:
            raise ApplicationError(
                _("Le montant dépasse le solde de l'avoir (%(reste)s).")
                % {"reste": montant_texte(avoir.reste_du, avoir.devise)},
                code=error_codes.DEPASSE_AVOIR,
                field="montant",
            )
        _set_reste_du(avoir, avoir.reste_du - montant)

    lettrage = Lettrage.objects.create(
        facture=facture,
        paiement=paiement,
        avoir=avoir,
        montant=montant,
        date_lettrage=date_lettrage or timezone.localdate(),
        cree_par=auteur if getattr(auteur, "is_authenticated", False) else None,
    )
    _set_reste_du(facture, facture.reste_du - montant)
    source = (
        _("paiement %(ref)s") % {"ref": paiement.reference or paiement.date_paiement}
        if paiement
        else _("avoir %(numero)s") % {"numero": avoir.numero}  # type: ignore[union-attr]
    )
    evenement_record(
        client=facture.client,
        facture_id=facture.pk,
        type=TypeEvenementFacture.LETTRAGE,
        message=_("%(montant)s lettrés sur %(numero)s depuis %(source)s ; reste dû %(reste)s")
        % {
            "montant": montant_texte(montant, facture.devise),
            "numero": facture.numero,
            "source": source,
            "reste": montant_texte(facture.reste_du, facture.devise),
        },
        auteur=auteur,
        donnees={"lettrage_id": lettrage.pk, "montant": str(montant)},
    )
    _reglement_signaler(facture)
    return lettrage


@transaction.atomic
def lettrage_annuler(*, lettrage: Lettrage, auteur: Any = None) -> Lettrage:
    """Undo an allocation: the invoice owes it again, the payment or credit note gets it back."""
    lettrage = Lettrage.objects.select_for_update().get(pk=lettrage.pk)
    if lettrage.annule_le is not None:
        return lettrage
    factures = lock_factures([lettrage.facture_id] + ([lettrage.avoir_id] if lettrage.avoir_id else []))
    facture = factures[lettrage.facture_id]
    if facture.statut == Statut.ANNULEE:
        raise ApplicationError(_("La facture est annulée."), code=error_codes.FACTURE_FERMEE, field="facture")
    _set_reste_du(facture, facture.reste_du + lettrage.montant)
    if lettrage.paiement_id:
        paiement = Paiement.objects.select_for_update().get(pk=lettrage.paiement_id)
        paiement.montant_non_affecte += lettrage.montant
        paiement.save(update_fields=["montant_non_affecte"])
    else:
        avoir = factures[lettrage.avoir_id]  # type: ignore[index]
        _set_reste_du(avoir, avoir.reste_du + lettrage.montant)
    lettrage.annule_le = timezone.now()
    lettrage.annule_par = auteur if getattr(auteur, "is_authenticated", False) else None
    lettrage.save(update_fields=["annule_le", "annule_par"])
    evenement_record(
        client=facture.client,
        facture_id=facture.pk,
        type=TypeEvenementFacture.LETTRAGE_ANNULE,
        message=_("Lettrage de %(montant)s annulé sur %(numero)s ; reste dû %(reste)s")
        % {
            "montant": montant_texte(lettrage.montant, facture.devise),
            "numero": facture.numero,
            "reste": montant_texte(facture.reste_du, facture.devise),
        },
        auteur=auteur,
        donnees={"lettrage_id": lettrage.pk},
    )
    _reglement_signaler(facture)
    return lettrage


def reglements_signaler(
    *, organisation_id: int, reglees: AbstractSet[int] = frozenset(), payees: AbstractSet[int] = frozenset()
) -> None:
    """After the commit, tell whoever follows payments which invoices changed (``reglees``:
    payment plans, promises) and which became fully paid (``payees``: dunning, webhooks)."""
    if reglees:
        ids_reglees = sorted(reglees)
        transaction.on_commit(
            lambda: reglement_enregistre.send(sender=Lettrage, facture_ids=ids_reglees, organisation_id=organisation_id)
        )
    if payees:
        ids_payees = sorted(payees)
        transaction.on_commit(
            lambda: facture_payee.send(sender=Facture, facture_ids=ids_payees, organisation_id=organisation_id)
        )


def _reglement_signaler(facture: Facture) -> None:
    reglements_signaler(organisation_id=facture.tenant_id, reglees={facture.pk})


def _set_reste_du(facture: Facture, reste_du: Decimal) -> None:
    """Precondition: ``facture`` is locked (``lock_factures``) in the current transaction.

    An invoice that becomes fully paid is announced (``facture_payee``) after the commit."""
    etait_payee = facture.statut == Statut.PAYEE
    facture.reste_du = reste_du
    facture.statut = statut_pour(reste_du=reste_du, montant_ttc=facture.montant_ttc)
    facture.save(update_fields=["reste_du", "statut", "updated_at"])
    if facture.nature == Nature.FACTURE and facture.statut == Statut.PAYEE and not etait_payee:
        reglements_signaler(organisation_id=facture.tenant_id, payees={facture.pk})
