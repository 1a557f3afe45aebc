"""Calls and manual actions: doing a task, logging a call and its outcome, promises to pay."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.events import evenement_record
from clients.models import Client, Contact
from factures.models import Facture
from litiges.models import TypeLitige
from litiges.services import litige_ouvrir
from recouvrement.core.errors import ApplicationError
from recouvrement.core.formats import montant_texte
from recouvrement.tenancy.models import Membre
from relances import error_codes
from relances.events import TypeEvenementRelance
from relances.models import (
    MotifPause,
    Promesse,
    ResultatAppel,
    StatutTache,
    Tache,
    TypeTache,
)
from relances.services.parametres import parametres_get
from relances.services.pauses import pause_create
from relances.signals import promesse_enregistree


@transaction.atomic
def promesse_create(
    *,
    client: Client,
    montant: Decimal,
    date_promise: datetime.date,
    prise_par: Membre | None,
    facture: Facture | None = None,
    contact: Contact | None = None,
    note: str = "",
    auteur: Any = None,
    external_id: str = "",
) -> Promesse:
    """Record a promise to pay: dunning pauses until the promised date plus the grace period."""
    if montant is None or montant <= 0:
        raise ApplicationError(_("Le montant promis doit être positif."), code="montant_invalide", field="montant")
    if date_promise < timezone.localdate():
        raise ApplicationError(_("La date promise est passée."), code="date_passee", field="date_promise")
    promesse = Promesse(
        client=client,
        facture=facture,
        montant=montant,
        date_promise=date_promise,
        contact=contact,
        prise_par=prise_par,
        note=note,
        external_id=external_id,
    )
    promesse.full_clean()
    promesse.save()
    grace = datetime.timedelta(days=parametres_get().delai_grace_promesse_jours)
    pause_create(
        motif=MotifPause.PROMESSE,
        facture=facture,
        client=None if facture is not None else client,
        jusqu_au=date_promise + grace,
        commentaire=note[:500],
        origine=f"promesse:{promesse.pk}",
        auteur=auteur,
    )
    evenement_record(
        client=client,
        facture_id=facture.pk if facture else None,
        type=TypeEvenementRelance.PROMESSE,
        message=_("Promesse de paiement : %(montant)s pour le %(date)s")
        % {"montant": montant_texte(montant), "date": date_promise.strftime("%d/%m/%Y")},
        auteur=auteur,
        donnees={"promesse_id": promesse.pk},
    )
    promesse_id, organisation_id = promesse.pk, promesse.tenant_id
    transaction.on_commit(
        lambda: promesse_enregistree.send(sender=Promesse, promesse_id=promesse_id, organisation_id=organisation_id)
    )
    return promesse


@transaction.atomic
def appel_enregistrer(
    *,
    client: Client,
    resultat: str,
    auteur: Any,
    membre: Membre | None,
    note: str = "",
    facture: Facture | None = None,
    contact: Contact | None = None,
    promesse_montant: Decimal | None = None,
    promesse_date: datetime.date | None = None,
    tache: Tache | None = None,
) -> Tache | None:
    """Log a call and act on its outcome.

    - promise to pay: a ``Promesse`` (and its pause);
    - dispute raised: a dispute is opened on the invoice, which pauses its
      dunning until the dispute is settled;
    - wrong contact: a task to find the right one;
    - paid already: a task to check the payment;
    - no answer: a new call task two days later.
    Returns the follow-up task, if any.
    """
    if resultat not in ResultatAppel.values:
        raise ApplicationError(_("Résultat d'appel inconnu."), code="resultat_inconnu", field="resultat")
    suite: Tache | None = None
    if resultat == ResultatAppel.PROMESSE:
        if promesse_montant is None or promesse_date is None:
            raise ApplicationError(
                _("Indiquez le montant et la date promis."), code="promesse_incomplete", field="promesse_date"
            )
        promesse_create(
            client=client,
            montant=promesse_montant,
            date_promise=promesse_date,
            prise_par=membre,
            facture=facture,
            contact=contact,
            note=note,
            auteur=auteur,
        )
    elif resultat == ResultatAppel.LITIGE:
        # A real dispute on that invoice: it pauses the invoice until the dispute is settled.
        if facture is None:
            raise ApplicationError(
                _("Indiquez la facture contestée : le litige ne suspend que celle-ci."),
                code="litige_sans_facture",
                field="facture",
            )
        litige_ouvrir(
            client=client,
            factures=[(facture, None)],
            type=TypeLitige.AUTRE,
            description=note or _("Contestation signalée au téléphone."),
            souleve_par=str(contact) if contact else "",
            responsable=membre,
            auteur=auteur,
        )
    else:
        suites = {
            ResultatAppel.MAUVAIS_CONTACT: (TypeTache.SANS_CONTACT, _("Trouver le bon interlocuteur : %(c)s"), 0),
            ResultatAppel.DEJA_PAYE: (TypeTache.MANUELLE, _("Vérifier le paiement annoncé par %(c)s"), 1),
            ResultatAppel.PAS_DE_REPONSE: (TypeTache.APPEL, _("Rappeler %(c)s"), 2),
        }
        type_suite, titre, jours = suites[ResultatAppel(resultat)]
        suite = Tache.objects.create(
            client=client,
            facture=facture,
            type=type_suite,
            titre=(titre % {"c": client.raison_sociale})[:200],
            description=note,
            assigne_a=membre,
            echeance=timezone.localdate() + datetime.timedelta(days=jours),
        )
    if tache is not None:
        tache_terminer(tache=tache, auteur=auteur, resultat=resultat, note=note)
    evenement_record(
        client=client,
        facture_id=facture.pk if facture else None,
        type=TypeEvenementRelance.APPEL,
        message=_("Appel%(qui)s : %(resultat)s%(note)s")
        % {
            "qui": f" ({contact})" if contact else "",
            "resultat": ResultatAppel(resultat).label,
            "note": f" — {note}" if note else "",
        },
        auteur=auteur,
        donnees={"resultat": resultat},
    )
    return suite


@transaction.atomic
def tache_terminer(*, tache: Tache, auteur: Any, resultat: str = "", note: str = "") -> Tache:
    tache = Tache.objects.select_for_update().get(pk=tache.pk)
    if tache.statut != StatutTache.A_FAIRE:
        raise ApplicationError(_("Cette tâche est déjà close."), code=error_codes.TACHE_FERMEE)
    tache.statut = StatutTache.FAITE
    tache.resultat = resultat
    tache.note = note
    tache.fait_le = timezone.now()
    tache.fait_par = auteur if getattr(auteur, "is_authenticated", False) else None
    tache.save(update_fields=["statut", "resultat", "note", "fait_le", "fait_par"])
    return tache
