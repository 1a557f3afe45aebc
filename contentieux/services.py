"""Escalating invoices to litigation, following the dossier, closing it.

Escalating takes the invoices out of the amicable flow: one ``relances.Pause`` of
motif ``contentieux`` per invoice (origine « contentieux:<id> »), which also withdraws
their reminders not yet sent, and an event on the client timeline. The pauses are
not liftable by hand; they end when the dossier is closed with « reprendre les
relances », or later from the closed dossier (``dossier_relances_reprendre``).
Otherwise the invoices stay out of dunning: an invoice handed to a lawyer or an
agency must not get our reminders any more, even once the dossier is closed.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.events import evenement_record
from clients.models import Client
from contentieux import error_codes
from contentieux.events import TypeEvenementContentieux
from contentieux.models import (
    Destination,
    DossierContentieux,
    IssueDossier,
    LigneDossier,
    StatutDossier,
)
from contentieux.selectors import factures_escaladables, mise_en_demeure_derniere
from factures.models import Facture
from recouvrement.core.errors import ApplicationError
from recouvrement.core.formats import montant_texte
from relances.models import MotifPause
from relances.services.pauses import pause_create, pauses_lever_par_origine


def _utilisateur(auteur: Any) -> Any:
    return auteur if getattr(auteur, "is_authenticated", False) else None


@transaction.atomic
def dossier_ouvrir(
    *,
    client: Client,
    factures: list[Facture],
    destination: str,
    auteur: Any,
    note: str = "",
    intervenant: str = "",
    sans_mise_en_demeure_confirme: bool = False,
    jour: datetime.date | None = None,
) -> DossierContentieux:
    """Escalate ``factures`` (open, overdue invoices of ``client``, none in an active dossier).

    An injonction de payer expects a formal notice: without a « mise en demeure » sent
    on one of these invoices, the escalation is refused unless
    ``sans_mise_en_demeure_confirme``. The invoices are locked (in pk order) while
    they are checked; an invoice already in an active dossier fails on the partial
    unique index of ``LigneDossier`` even under a race. Side effects: pauses, reminders
    withdrawn, timeline events.
    """
    jour = jour or timezone.localdate()
    if not factures:
        raise ApplicationError(
            _("Choisissez au moins une facture à passer en contentieux."),
            code=error_codes.SANS_FACTURE,
            field="factures",
        )
    if destination not in Destination.values:
        raise ApplicationError(_("Destination inconnue."), code=error_codes.STATUT_INVALIDE, field="destination")
    ids = sorted({f.pk for f in factures})
    list(Facture.objects.filter(pk__in=ids).order_by("pk").select_for_update().values_list("pk", flat=True))
    escaladables = {f.pk: f for f in factures_escaladables(client=client, jour=jour).filter(pk__in=ids)}
    refusees = [f.numero for f in factures if f.pk not in escaladables]
    if refusees:
        raise ApplicationError(
            _(
                "Ces factures ne peuvent pas passer en contentieux (pas échues, soldées, d'un autre client "
                "ou déjà dans un dossier ouvert) : %(numeros)s."
            )
            % {"numeros": ", ".join(sorted(refusees))},
            code=error_codes.FACTURE_INVALIDE,
            field="factures",
        )
    choisies = sorted(escaladables.values(), key=lambda f: (f.date_echeance, f.numero, f.pk))
    mise_en_demeure = mise_en_demeure_derniere(client=client, facture_ids=ids)
    if destination == Destination.INJONCTION and mise_en_demeure is None and not sans_mise_en_demeure_confirme:
        raise ApplicationError(
            _(
                "Aucune mise en demeure n'a été envoyée pour ces factures : une injonction de payer suppose "
                "en principe une mise en demeure préalable. Confirmez pour passer outre."
            ),
            code=error_codes.MISE_EN_DEMEURE_ATTENDUE,
            field="sans_mise_en_demeure",
        )
    dossier = DossierContentieux(
        client=client,
        destination=destination,
        date_dossier=jour,
        note=note.strip(),
        intervenant=intervenant.strip(),
        sans_mise_en_demeure=mise_en_demeure is None,
        cree_par=_utilisateur(auteur),
    )
    dossier.full_clean()
    dossier.save()
    try:
        with transaction.atomic():
            LigneDossier.objects.bulk_create(
                [LigneDossier(dossier=dossier, facture=f, montant_principal=f.reste_du) for f in choisies]
            )
    except IntegrityError as error:
        raise ApplicationError(
            _("Une de ces factures vient d'être passée en contentieux dans un autre dossier."),
            code=error_codes.DEJA_EN_CONTENTIEUX,
            field="factures",
        ) from error
    commentaire = _("Dossier contentieux n° %(id)s (%(destination)s)") % {
        "id": dossier.pk,
        "destination": dossier.get_destination_display(),
    }
    # One pause per invoice through the relances service (it withdraws their pending
    # reminders and writes the timeline): a dossier holds a handful of invoices, chosen
    # by hand, not a batch.
    for facture in choisies:
        pause_create(
            motif=MotifPause.CONTENTIEUX,
            facture=facture,
            origine=dossier.origine_pause,
            commentaire=commentaire,
            auteur=auteur,
        )
    total = sum((f.reste_du for f in choisies), Decimal("0.00"))
    evenement_record(
        client=client,
        type=TypeEvenementContentieux.OUVERT,
        message=_("Passage en contentieux (%(destination)s) : %(numeros)s, %(total)s de principal")
        % {
            "destination": dossier.get_destination_display(),
            "numeros": ", ".join(f.numero for f in choisies),
            "total": montant_texte(total, client.devise),
        },
        auteur=auteur,
        donnees={"dossier_id": dossier.pk, "factures": [f.pk for f in choisies]},
    )
    return dossier


def _verrouiller(dossier: DossierContentieux) -> DossierContentieux:
    return DossierContentieux.objects.select_for_update().select_related("client").get(pk=dossier.pk)


@transaction.atomic
def dossier_transmettre(
    *, dossier: DossierContentieux, auteur: Any, intervenant: str, reference: str = ""
) -> DossierContentieux:
    """Record that the dossier went to ``intervenant`` (their ``reference``); an open dossier only."""
    dossier = _verrouiller(dossier)
    if dossier.statut != StatutDossier.OUVERT:
        raise ApplicationError(
            _("Seul un dossier ouvert peut être transmis."), code=error_codes.STATUT_INVALIDE, field="statut"
        )
    if not intervenant.strip():
        raise ApplicationError(
            _("Indiquez à qui le dossier est transmis."), code=error_codes.STATUT_INVALIDE, field="intervenant"
        )
    dossier.statut = StatutDossier.TRANSMIS
    dossier.intervenant = intervenant.strip()
    dossier.reference = reference.strip()
    dossier.transmis_le = timezone.now()
    dossier.full_clean()
    dossier.save(update_fields=["statut", "intervenant", "reference", "transmis_le"])
    evenement_record(
        client=dossier.client,
        type=TypeEvenementContentieux.TRANSMIS,
        message=_("Dossier contentieux n° %(id)s transmis à %(intervenant)s%(reference)s")
        % {
            "id": dossier.pk,
            "intervenant": dossier.intervenant,
            "reference": _(" (réf. %(ref)s)") % {"ref": dossier.reference} if dossier.reference else "",
        },
        auteur=auteur,
        donnees={"dossier_id": dossier.pk},
    )
    return dossier


@transaction.atomic
def dossier_clore(
    *,
    dossier: DossierContentieux,
    auteur: Any,
    issue: str,
    commentaire: str = "",
    montant_recouvre: Decimal | None = None,
    reprendre_relances: bool = False,
) -> DossierContentieux:
    """Close an open or transmitted dossier with its outcome.

    Its invoices leave the « active dossier » index (they may be escalated again).
    Their dunning pauses are lifted only with ``reprendre_relances``; otherwise the
    invoices stay out of dunning (see the module docstring).
    """
    dossier = _verrouiller(dossier)
    if dossier.statut not in (StatutDossier.OUVERT, StatutDossier.TRANSMIS):
        raise ApplicationError(_("Ce dossier est déjà clos."), code=error_codes.STATUT_INVALIDE, field="statut")
    if issue not in IssueDossier.values:
        raise ApplicationError(_("Choisissez l'issue du dossier."), code=error_codes.ISSUE_INVALIDE, field="issue")
    if montant_recouvre is not None and montant_recouvre < 0:
        raise ApplicationError(
            _("Le montant recouvré ne peut pas être négatif."),
            code=error_codes.ISSUE_INVALIDE,
            field="montant_recouvre",
        )
    maintenant = timezone.now()
    dossier.statut = StatutDossier.CLOS
    dossier.issue = issue
    dossier.commentaire_cloture = commentaire.strip()
    dossier.montant_recouvre = montant_recouvre
    dossier.clos_le = maintenant
    dossier.full_clean()
    dossier.save(update_fields=["statut", "issue", "commentaire_cloture", "montant_recouvre", "clos_le"])
    LigneDossier.objects.filter(dossier=dossier, actif=True).update(actif=False)
    evenement_record(
        client=dossier.client,
        type=TypeEvenementContentieux.CLOS,
        message=_("Dossier contentieux n° %(id)s clos : %(issue)s")
        % {"id": dossier.pk, "issue": dossier.get_issue_display()},
        auteur=auteur,
        donnees={"dossier_id": dossier.pk, "issue": issue, "reprendre_relances": reprendre_relances},
    )
    if reprendre_relances:
        _reprendre(dossier, auteur=auteur, maintenant=maintenant)
    return dossier


def _reprendre(dossier: DossierContentieux, *, auteur: Any, maintenant: datetime.datetime) -> None:
    pauses_lever_par_origine(origine=dossier.origine_pause, auteur=auteur)
    dossier.relances_reprises_le = maintenant
    dossier.save(update_fields=["relances_reprises_le"])
    evenement_record(
        client=dossier.client,
        type=TypeEvenementContentieux.RELANCES_REPRISES,
        message=_("Relances reprises sur les factures du dossier contentieux n° %(id)s") % {"id": dossier.pk},
        auteur=auteur,
        donnees={"dossier_id": dossier.pk},
    )


@transaction.atomic
def dossier_relances_reprendre(*, dossier: DossierContentieux, auteur: Any) -> DossierContentieux:
    """Resume dunning on the invoices of a closed dossier (its pauses are lifted once)."""
    dossier = _verrouiller(dossier)
    if dossier.statut != StatutDossier.CLOS:
        raise ApplicationError(
            _("Les relances ne reprennent qu'une fois le dossier clos."),
            code=error_codes.STATUT_INVALIDE,
            field="statut",
        )
    if dossier.relances_reprises_le is not None:
        raise ApplicationError(_("Les relances ont déjà repris."), code=error_codes.DEJA_REPRIS)
    _reprendre(dossier, auteur=auteur, maintenant=timezone.now())
    return dossier
