"""Payment plans (``Echeancier``): the schedule, its pauses, the payments allocated to
its installments, the missed-installment reminders, the agreement PDF and its e-mail.

- ``calendrier_calculer`` splits an amount into installments (pure, no query);
- ``echeancier_create`` records a plan over open invoices of a client and pauses
  their dunning (motif ECHEANCIER, origine « echeancier:<id> »);
- ``echeanciers_imputer`` allocates what was paid on the plans' invoices since each
  plan began to its installments in due-date order (one UPDATE with a window
  function), then closes the plans fully paid (their pauses are lifted);
- ``echeanciers_suivre`` (daily): the allocation, the reminders of missed
  installments (one row per installment and level, unique: each goes once), and the
  plans broken after ``JOURS_RUPTURE`` days (pauses lifted, a task for a person);
- ``message_echeancier_envoyer`` sends one of those e-mails exactly once.
"""

from __future__ import annotations

import calendar
import datetime
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from clients.events import evenement_record
from clients.models import Client, Contact
from factures.models import STATUTS_OUVERTS, Facture, Nature
from factures.services import lock_factures
from recouvrement.core.errors import ApplicationError
from recouvrement.core.formats import iban_lisible, montant_texte
from recouvrement.tenancy.context import current_organisation_id
from recouvrement.tenancy.models import Membre, Organisation
from relances.courriers import FetcherHorsLigne, date_longue, logo_data_uri
from relances.models import (
    Echeancier,
    Frequence,
    LigneEcheancier,
    MessageEcheancier,
    MotifPause,
    StatutEcheancier,
    StatutMessageEcheancier,
    StatutVersement,
    Tache,
    TypeMessageEcheancier,
    TypeTache,
    Versement,
)
from relances.selectors import parametre_relance
from relances.services.pauses import pauses_factures_create, pauses_lever_en_masse

CENTIME = Decimal("0.01")
NOMBRE_MAX_VERSEMENTS = 60
# The missed-installment sequence, in days after the installment is missed (its
# due date plus the organisation's grace period, ``delai_grace_versement_jours``).
JOURS_RAPPEL_2 = 7
JOURS_RUPTURE = 15


class TypeEvenementEcheancier(models.TextChoices):
    """Event types of payment plans (``clients.events.evenement_record``)."""

    CREE = "echeancier.cree", _lazy("Échéancier créé")
    ENVOYE = "echeancier.envoye", _lazy("Échéancier envoyé au client")
    RAPPEL = "echeancier.rappel", _lazy("Versement manqué : rappel envoyé")
    TERMINE = "echeancier.termine", _lazy("Échéancier soldé")
    ROMPU = "echeancier.rompu", _lazy("Échéancier rompu")
    ANNULE = "echeancier.annule", _lazy("Échéancier annulé")


@dataclass(frozen=True)
class LigneCalendrier:
    numero: int
    date_echeance: datetime.date
    principal: Decimal
    interets: Decimal

    @property
    def montant(self) -> Decimal:
        return self.principal + self.interets


def ajouter_mois(jour: datetime.date, mois: int) -> datetime.date:
    """``jour`` plus ``mois`` months, the day kept or moved to the month's last (31/01 + 1 → 28/02)."""
    total = jour.month - 1 + mois
    annee, mois_0 = jour.year + total // 12, total % 12
    return jour.replace(year=annee, month=mois_0 + 1, day=min(jour.day, calendar.monthrange(annee, mois_0 + 1)[1]))


def dates_calculer(*, premiere_date: datetime.date, nombre: int, frequence: str) -> list[datetime.date]:
    """The due dates from the first one; each counted from the first (no drift at month ends)."""
    pas_mois: dict[str, int] = {Frequence.MENSUELLE: 1, Frequence.BIMESTRIELLE: 2, Frequence.TRIMESTRIELLE: 3}
    pas_jours: dict[str, int] = {Frequence.HEBDOMADAIRE: 7, Frequence.QUINZAINE: 14}
    if frequence in pas_mois:
        return [ajouter_mois(premiere_date, k * pas_mois[frequence]) for k in range(nombre)]
    if frequence in pas_jours:
        return [premiere_date + datetime.timedelta(days=k * pas_jours[frequence]) for k in range(nombre)]
    raise ApplicationError(_("Fréquence inconnue."), code="frequence_inconnue", field="frequence")


def calendrier_calculer(
    *,
    total: Decimal,
    debut: datetime.date,
    nombre: int | None = None,
    premiere_date: datetime.date | None = None,
    frequence: str = Frequence.MENSUELLE,
    taux_annuel: Decimal | None = None,
    dates: Sequence[datetime.date] | None = None,
    montants: Sequence[Decimal] | None = None,
) -> list[LigneCalendrier]:
    """Split ``total`` into installments. Pure: no query.

    Either ``nombre`` equal installments from ``premiere_date`` at ``frequence`` (each
    rounded down to the cent, the last one takes the remainder), or explicit ``dates``
    (and optionally ``montants``, whose sum must be ``total``). Dates must increase,
    from ``debut`` on; each principal must be positive.

    ``taux_annuel`` (percent): simple interest on the declining balance, for the days
    from the previous due date (from ``debut`` for the first): balance × rate × days / 365,
    rounded to the cent per installment.
    """
    if total <= 0:
        raise ApplicationError(_("Rien à mettre en échéancier."), code="total_nul", field="factures")
    if dates is None:
        if not nombre or nombre < 1 or nombre > NOMBRE_MAX_VERSEMENTS:
            raise ApplicationError(
                _("De 1 à %(max)s versements.") % {"max": NOMBRE_MAX_VERSEMENTS},
                code="nombre_invalide",
                field="nombre",
            )
        if premiere_date is None:
            raise ApplicationError(
                _("Indiquez la date du premier versement."), code="date_manquante", field="premiere_date"
            )
        dates = dates_calculer(premiere_date=premiere_date, nombre=nombre, frequence=frequence)
    dates = list(dates)
    if not dates or len(dates) > NOMBRE_MAX_VERSEMENTS:
        raise ApplicationError(
            _("De 1 à %(max)s versements.") % {"max": NOMBRE_MAX_VERSEMENTS}, code="nombre_invalide", field="nombre"
        )
    if dates[0] < debut:
        raise ApplicationError(
            _("Le premier versement ne peut être dans le passé."), code="date_passee", field="premiere_date"
        )
    if any(b <= a for a, b in itertools.pairwise(dates)):
        raise ApplicationError(
            _("Les dates des versements doivent se suivre."), code="dates_desordonnees", field="dates"
        )
    n = len(dates)
    if montants is None:
        part = (total / n).quantize(CENTIME, rounding=ROUND_DOWN)
        principaux = [part] * (n - 1) + [total - part * (n - 1)]
    else:
        principaux = [Decimal(m) for m in montants]
        if len(principaux) != n:
            raise ApplicationError(_("Un montant par date."), code="montants_invalides", field="montants")
        if any(m <= 0 or m != m.quantize(CENTIME) for m in principaux):
            raise ApplicationError(
                _("Chaque versement est un montant positif en euros et centimes."),
                code="montants_invalides",
                field="montants",
            )
        if sum(principaux, Decimal("0")) != total:
            raise ApplicationError(
                _("Les versements (%(somme)s) doivent faire le total dû (%(total)s).")
                % {"somme": montant_texte(sum(principaux, Decimal("0"))), "total": montant_texte(total)},
                code="somme_incorrecte",
                field="montants",
            )
    if taux_annuel is not None and taux_annuel < 0:
        raise ApplicationError(_("Le taux ne peut être négatif."), code="taux_invalide", field="taux_annuel")
    lignes: list[LigneCalendrier] = []
    solde, precedente = total, debut
    for numero, (jour, principal) in enumerate(zip(dates, principaux, strict=True), start=1):
        interets = Decimal("0.00")
        if taux_annuel:
            jours = Decimal((jour - precedente).days)
            interets = (solde * taux_annuel / 100 * jours / 365).quantize(CENTIME, rounding=ROUND_HALF_UP)
        lignes.append(LigneCalendrier(numero=numero, date_echeance=jour, principal=principal, interets=interets))
        solde -= principal
        precedente = jour
    return lignes


def _factures_verifier(client: Client, factures: Sequence[Facture]) -> list[Facture]:
    """Lock the invoices (primary-key order) and check each can enter a plan."""
    if not factures:
        raise ApplicationError(_("Cochez au moins une facture."), code="sans_facture", field="factures")
    fraiches = lock_factures([f.pk for f in factures])
    for facture in fraiches.values():
        if facture.client_id != client.pk or facture.nature != Nature.FACTURE:
            raise ApplicationError(_("Facture inconnue pour ce client."), code="facture_invalide", field="factures")
        if facture.statut not in STATUTS_OUVERTS or facture.reste_du <= 0:
            raise ApplicationError(
                _("La facture %(numero)s est déjà réglée.") % {"numero": facture.numero},
                code="facture_reglee",
                field="factures",
            )
    deja = (
        LigneEcheancier.objects.filter(facture_id__in=fraiches, echeancier__statut=StatutEcheancier.ACTIF)
        .values_list("facture__numero", flat=True)
        .first()
    )
    if deja:
        raise ApplicationError(
            _("La facture %(numero)s est déjà dans un échéancier en cours.") % {"numero": deja},
            code="deja_en_echeancier",
            field="factures",
        )
    return sorted(fraiches.values(), key=lambda f: (f.date_echeance, f.pk))


@transaction.atomic
def echeancier_create(
    *,
    client: Client,
    factures: Sequence[Facture],
    cree_par: Membre | None,
    auteur: Any = None,
    nombre: int | None = None,
    premiere_date: datetime.date | None = None,
    frequence: str = Frequence.MENSUELLE,
    taux_annuel: Decimal | None = None,
    dates: Sequence[datetime.date] | None = None,
    montants: Sequence[Decimal] | None = None,
    note: str = "",
    external_id: str = "",
) -> Echeancier:
    """Put the remaining due of ``factures`` (open invoices of ``client``) in a plan.

    Their dunning pauses until the plan ends (reminders not yet sent are withdrawn);
    an invoice may be in one plan "en cours" at a time. See ``calendrier_calculer``.
    """
    factures = _factures_verifier(client, factures)
    total = sum((f.reste_du for f in factures), Decimal("0.00"))
    aujourd_hui = timezone.localdate()
    lignes = calendrier_calculer(
        total=total,
        debut=aujourd_hui,
        nombre=nombre,
        premiere_date=premiere_date,
        frequence=frequence,
        taux_annuel=taux_annuel,
        dates=dates,
        montants=montants,
    )
    echeancier = Echeancier.objects.create(
        client=client,
        montant_principal=total,
        montant_interets=sum((ligne.interets for ligne in lignes), Decimal("0.00")),
        taux_annuel=taux_annuel or None,
        frequence=frequence,
        note=note,
        cree_par=cree_par,
        external_id=external_id,
    )
    LigneEcheancier.objects.bulk_create(
        [LigneEcheancier(echeancier=echeancier, facture=f, montant=f.reste_du) for f in factures]
    )
    Versement.objects.bulk_create(
        [
            Versement(
                echeancier=echeancier,
                numero=ligne.numero,
                date_echeance=ligne.date_echeance,
                principal=ligne.principal,
                interets=ligne.interets,
                montant=ligne.montant,
            )
            for ligne in lignes
        ]
    )
    pauses_factures_create(
        motif=MotifPause.ECHEANCIER,
        factures=list(factures),
        origine=echeancier.origine,
        commentaire=str(echeancier),
        auteur=auteur,
    )
    evenement_record(
        client=client,
        type=TypeEvenementEcheancier.CREE,
        message=_(
            "%(echeancier)s : %(total)s en %(n)s versements du %(debut)s au %(fin)s sur %(factures)s ; "
            "relances suspendues sur ces factures"
        )
        % {
            "echeancier": echeancier,
            "total": montant_texte(echeancier.montant_total),
            "n": len(lignes),
            "debut": lignes[0].date_echeance.strftime("%d/%m/%Y"),
            "fin": lignes[-1].date_echeance.strftime("%d/%m/%Y"),
            "factures": ", ".join(f.numero for f in factures)[:200],
        },
        auteur=auteur,
        donnees={"echeancier_id": echeancier.pk, "factures": [f.pk for f in factures]},
    )
    return echeancier


def _pauses_lever(echeancier: Echeancier, auteur: Any = None) -> int:
    """Lift the plan's pauses at once (dunning resumes at each invoice's latest due step)."""
    return pauses_lever_en_masse(origine=echeancier.origine, auteur=auteur)


def _messages_en_attente_annuler(echeancier_ids: Sequence[int]) -> None:
    MessageEcheancier.objects.filter(
        echeancier_id__in=echeancier_ids,
        statut=StatutMessageEcheancier.A_ENVOYER,
        type__in=(TypeMessageEcheancier.RAPPEL_1, TypeMessageEcheancier.RAPPEL_2),
    ).update(statut=StatutMessageEcheancier.ANNULE)


@transaction.atomic
def echeancier_annuler(*, echeancier: Echeancier, auteur: Any = None) -> Echeancier:
    """Cancel a plan "en cours": its pauses are lifted, dunning resumes on its invoices."""
    echeancier = Echeancier.objects.select_for_update().get(pk=echeancier.pk)
    if echeancier.statut != StatutEcheancier.ACTIF:
        raise ApplicationError(_("Cet échéancier n'est plus en cours."), code="echeancier_clos")
    echeancier.statut = StatutEcheancier.ANNULE
    echeancier.clos_le = timezone.now()
    echeancier.save(update_fields=["statut", "clos_le"])
    _pauses_lever(echeancier, auteur)
    _messages_en_attente_annuler([echeancier.pk])
    evenement_record(
        client=Client.objects.get(pk=echeancier.client_id),
        type=TypeEvenementEcheancier.ANNULE,
        message=_("%(echeancier)s annulé : les relances reprennent sur ses factures") % {"echeancier": echeancier},
        auteur=auteur,
        donnees={"echeancier_id": echeancier.pk},
    )
    return echeancier


# Allocation: what was allocated (lettrage of a payment or a credit note, not cancelled)
# to each invoice of a plan since the plan was created, capped at the invoice's amount in
# the plan, summed per plan, then spread over the installments' principal in order
# (cumulative sums): installment k is paid when the sum covers installments 1..k.
_IMPUTER_SQL = """
WITH plans AS (
    SELECT e.id, e.created_at FROM relances_echeancier e
    WHERE e.tenant_id = %(t)s AND e.statut = 'actif' {filtre}
), paye AS (
    SELECT r.echeancier_id, COALESCE(SUM(CASE WHEN r.regle < r.montant THEN r.regle ELSE r.montant END), 0) AS total
    FROM (
        SELECT p.id AS echeancier_id, l.montant,
               COALESCE((SELECT SUM(lt.montant) FROM factures_lettrage lt
                         WHERE lt.tenant_id = %(t)s AND lt.facture_id = l.facture_id
                           AND lt.annule_le IS NULL AND lt.created_at >= p.created_at), 0) AS regle
        FROM plans p
        JOIN relances_ligneecheancier l ON l.tenant_id = %(t)s AND l.echeancier_id = p.id
    ) r
    GROUP BY r.echeancier_id
), cumul AS (
    SELECT v.id, v.principal, paye.total,
           SUM(v.principal) OVER (PARTITION BY v.echeancier_id ORDER BY v.numero) AS cumul
    FROM relances_versement v JOIN paye ON paye.echeancier_id = v.echeancier_id
    WHERE v.tenant_id = %(t)s
)
UPDATE relances_versement AS v SET
    montant_paye = CASE WHEN c.total >= c.cumul THEN c.principal
                        WHEN c.total <= c.cumul - c.principal THEN 0
                        ELSE c.total - (c.cumul - c.principal) END,
    statut = CASE WHEN c.total >= c.cumul THEN 'paye'
                  WHEN v.date_echeance < %(jour)s THEN 'en_retard' ELSE 'a_venir' END,
    paye_le = CASE WHEN c.total >= c.cumul THEN COALESCE(v.paye_le, %(jour)s) END
FROM cumul c
WHERE v.tenant_id = %(t)s AND v.id = c.id
"""

_FILTRE_FACTURES = """AND EXISTS (
    SELECT 1 FROM relances_ligneecheancier lf
    WHERE lf.tenant_id = %(t)s AND lf.echeancier_id = e.id AND lf.facture_id IN ({ids}))"""


def echeanciers_imputer(*, jour: datetime.date, facture_ids: Sequence[int] | None = None) -> list[int]:
    """Allocate payments to the installments of the plans "en cours" (those of ``facture_ids``
    only, when given), then close the plans fully paid. Returns the ids of the plans closed.

    Set-based: one UPDATE for every installment, one for the plans; then, per plan
    closed (few), its pauses lifted and an event. Precondition: an organisation scope.
    """
    params: dict[str, Any] = {"t": current_organisation_id(), "jour": jour}
    filtre = ""
    if facture_ids is not None:
        # Portable SQL (the demo runs on SQLite): the ids as parameters.
        ids = [int(i) for i in facture_ids] or [0]
        filtre = _FILTRE_FACTURES.format(ids=", ".join(f"%(f{n})s" for n in range(len(ids))))
        params.update({f"f{n}": i for n, i in enumerate(ids)})
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_IMPUTER_SQL.format(filtre=filtre), params)
        termines = list(
            Echeancier.objects.filter(statut=StatutEcheancier.ACTIF)
            .exclude(versements__statut__in=(StatutVersement.A_VENIR, StatutVersement.EN_RETARD))
            .filter(Q(pk__in=_plans_de(facture_ids)) if facture_ids is not None else Q())
            .select_related("client")
            .select_for_update(of=("self",))
        )
        if not termines:
            return []
        maintenant = timezone.now()
        Echeancier.objects.filter(pk__in=[e.pk for e in termines]).update(
            statut=StatutEcheancier.TERMINE, clos_le=maintenant
        )
        _messages_en_attente_annuler([e.pk for e in termines])
        for echeancier in termines:
            _pauses_lever(echeancier)
            evenement_record(
                client=echeancier.client,
                type=TypeEvenementEcheancier.TERMINE,
                message=_("%(echeancier)s soldé : tous les versements sont payés") % {"echeancier": echeancier},
                donnees={"echeancier_id": echeancier.pk},
            )
    return [e.pk for e in termines]


def _plans_de(facture_ids: Sequence[int] | None) -> Any:
    return LigneEcheancier.objects.filter(facture_id__in=list(facture_ids or [])).values("echeancier_id")


def _grace_versement() -> int:
    return int(parametre_relance("delai_grace_versement_jours"))


# An installment is missed the day after its due date plus the grace period (day M).
# Level 1 from M, level 2 from M + 7 (only the latest level is written after downtime),
# none from M + 15, when the plan breaks. One row per installment and level (``cle``).
_RAPPELS_SQL = """
INSERT INTO relances_messageecheancier
    (tenant_id, echeancier_id, versement_id, type, cle, statut, destinataires, message_id, erreur, created_at)
SELECT v.tenant_id, v.echeancier_id, v.id,
       CASE WHEN v.date_echeance <= %(echu_rappel_2)s THEN 'rappel_2' ELSE 'rappel_1' END,
       'versement:' || v.id || ':' ||
       CASE WHEN v.date_echeance <= %(echu_rappel_2)s THEN 'rappel_2' ELSE 'rappel_1' END,
       'a_envoyer', '[]', '', '',
       %(maintenant)s
FROM relances_versement v
JOIN relances_echeancier e ON e.tenant_id = v.tenant_id AND e.id = v.echeancier_id
WHERE v.tenant_id = %(t)s AND e.statut = 'actif' AND v.statut <> 'paye'
  AND v.date_echeance <= %(echu_manque)s
  AND v.date_echeance > %(echu_rupture)s
ON CONFLICT (tenant_id, cle) DO NOTHING
"""

_RUPTURE_SQL = """
UPDATE relances_echeancier AS e SET statut = 'rompu', clos_le = %(maintenant)s
WHERE e.tenant_id = %(t)s AND e.statut = 'actif' AND EXISTS (
    SELECT 1 FROM relances_versement v
    WHERE v.tenant_id = e.tenant_id AND v.echeancier_id = e.id AND v.statut <> 'paye'
      AND v.date_echeance <= %(echu_rupture)s)
RETURNING id
"""


@dataclass(frozen=True)
class SuiviEcheanciers:
    termines: list[int]
    rompus: list[int]
    messages: list[int]


def echeanciers_suivre(*, jour: datetime.date) -> SuiviEcheanciers:
    """The daily follow-up of the organisation's plans (idempotent: run it twice, nothing twice).

    Returns the plans closed and broken, and the e-mails waiting to go (to queue after commit).
    """
    termines = echeanciers_imputer(jour=jour)
    params = {
        "t": current_organisation_id(),
        "jour": jour,
        "maintenant": timezone.now(),
    }
    # Dates computed here, compared as they are (portable: the demo runs on SQLite). An
    # installment due on D is missed from M = D + grace + 1: level 1 from M, level 2 from
    # M + JOURS_RAPPEL_2, the plan broken from M + JOURS_RUPTURE.
    manque = _grace_versement() + 1
    params["echu_manque"] = jour - datetime.timedelta(days=manque)
    params["echu_rappel_2"] = jour - datetime.timedelta(days=manque + JOURS_RAPPEL_2)
    params["echu_rupture"] = jour - datetime.timedelta(days=manque + JOURS_RUPTURE)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_RAPPELS_SQL, params)
            cursor.execute(_RUPTURE_SQL, params)
            rompus = [ligne[0] for ligne in cursor.fetchall()]
        if rompus:
            _rompus_traiter(rompus, jour)
    messages = list(
        MessageEcheancier.objects.filter(
            statut=StatutMessageEcheancier.A_ENVOYER,
            type__in=(TypeMessageEcheancier.RAPPEL_1, TypeMessageEcheancier.RAPPEL_2),
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return SuiviEcheanciers(termines=termines, rompus=rompus, messages=messages)


def _rompus_traiter(echeancier_ids: list[int], jour: datetime.date) -> None:
    """Broken plans: pauses lifted (dunning resumes at its latest step), pending reminders
    dropped, one task (``cle``) for who made the plan or the default credit manager."""
    from relances.services.envoi import charge_par_defaut

    _messages_en_attente_annuler(echeancier_ids)
    charge = charge_par_defaut()
    echeanciers = Echeancier.objects.filter(pk__in=echeancier_ids).select_related("client", "cree_par")
    taches = []
    for echeancier in echeanciers:
        _pauses_lever(echeancier)
        responsable = echeancier.cree_par if echeancier.cree_par and echeancier.cree_par.actif else charge
        taches.append(
            Tache(
                client=echeancier.client,
                type=TypeTache.MANUELLE,
                titre=(_("Échéancier rompu : %(client)s") % {"client": echeancier.client.raison_sociale})[:200],
                description=_(
                    "Un versement est impayé depuis plus de %(jours)s jours : l'échéancier est rompu et les "
                    "relances ont repris sur ses factures."
                )
                % {"jours": JOURS_RUPTURE},
                assigne_a=responsable,
                echeance=jour,
                cle=f"echeancier-rompu:{echeancier.pk}",
            )
        )
        evenement_record(
            client=echeancier.client,
            type=TypeEvenementEcheancier.ROMPU,
            message=_("%(echeancier)s rompu : versement impayé, les relances reprennent") % {"echeancier": echeancier},
            donnees={"echeancier_id": echeancier.pk},
        )
    Tache.objects.bulk_create(taches, ignore_conflicts=True)


# --- The agreement (PDF) and the e-mails -------------------------------------------------


def echeancier_contexte(echeancier: Echeancier) -> dict[str, Any]:
    """What the agreement shows: parties, invoices, schedule, totals. A few queries."""
    organisation = Organisation.objects.get(pk=echeancier.tenant_id)
    client = echeancier.client
    lignes = list(echeancier.lignes.select_related("facture").order_by("facture__date_echeance", "facture__pk"))
    versements = list(echeancier.versements.order_by("numero"))
    return {
        "organisation": organisation,
        "client": client,
        "echeancier": echeancier,
        "lignes": lignes,
        "versements": versements,
        "grace": _grace_versement(),
        "jours_rupture": JOURS_RUPTURE,
        "iban": iban_lisible(organisation.iban),
    }


def echeancier_pdf(*, echeancier: Echeancier) -> bytes:
    """The payment plan agreement as PDF (``templates/pdf/echeancier.html``), in the client's language."""
    from weasyprint import HTML

    from relances.courriers import BASE_URL

    with translation.override(echeancier.client.langue):
        contexte = echeancier_contexte(echeancier)
        contexte["logo"] = logo_data_uri(contexte["organisation"])
        contexte["date_longue"] = date_longue(timezone.localdate())
        html = render_to_string("pdf/echeancier.html", contexte)
    pdf: bytes = HTML(string=html, base_url=BASE_URL, url_fetcher=FetcherHorsLigne()).write_pdf()
    return pdf


@transaction.atomic
def echeancier_envoyer(*, echeancier: Echeancier, jeton: str, auteur: Any = None) -> MessageEcheancier:
    """Ask for the agreement to go to the client's accounting contacts: one e-mail per click
    (``jeton``, the form's token: a second submission of the same form sends nothing more).
    Queue ``message_echeancier_envoyer`` after commit."""
    if echeancier.statut != StatutEcheancier.ACTIF:
        raise ApplicationError(_("Cet échéancier n'est plus en cours."), code="echeancier_clos")
    if not jeton or len(jeton) > 64:
        raise ApplicationError(_("Formulaire expiré : rechargez la page."), code="jeton_invalide")
    if not _destinataires(echeancier.client):
        raise ApplicationError(
            _("Aucun contact du client n'est joignable par e-mail."), code="sans_contact", field="client"
        )
    existant = MessageEcheancier.objects.filter(cle=f"accord:{jeton}").first()
    if existant is not None:
        return existant
    try:
        with transaction.atomic():
            return MessageEcheancier.objects.create(
                echeancier=echeancier,
                type=TypeMessageEcheancier.ACCORD,
                cle=f"accord:{jeton}",
                demande_par=auteur if getattr(auteur, "is_authenticated", False) else None,
            )
    except IntegrityError:  # the same click, twice at once
        return MessageEcheancier.objects.get(cle=f"accord:{jeton}")


def _destinataires(client: Client) -> list[str]:
    """The accounting contacts reachable by e-mail, else any reachable contact."""
    joignables = [c for c in Contact.objects.filter(client=client).order_by("pk") if c.joignable_par_email]
    compta = [c for c in joignables if c.role_comptabilite] or joignables[:1]
    return [formataddr((str(c), c.email)) for c in compta]


def _expediteur(organisation: Organisation) -> str:
    return organisation.adresse_expediteur


def _repondre_a(echeancier: Echeancier) -> list[str]:
    from relances.services.envoi import charge_par_defaut

    membre = echeancier.cree_par if echeancier.cree_par and echeancier.cree_par.actif else charge_par_defaut()
    return [membre.user.email] if membre is not None and membre.user.email else []


def message_echeancier_envoyer(*, message_id: int) -> MessageEcheancier:
    """Send one e-mail of a payment plan, exactly once.

    The row is locked while it goes (a second worker waits, then finds it sent) and the
    message carries a stable ``Message-ID``: a worker killed after the hand-over resends
    the same message, which an idempotent ESP accepts once. A reminder whose installment
    was paid meanwhile, or whose plan ended, is dropped (the sequence stops). Raises the
    mailer's error (the transaction is rolled back; the task retries).
    """
    with transaction.atomic():
        message = (
            MessageEcheancier.objects.select_for_update(of=("self",))
            .select_related("echeancier__client", "echeancier__cree_par__user", "versement")
            .get(pk=message_id)
        )
        if message.statut != StatutMessageEcheancier.A_ENVOYER:
            return message
        echeancier = message.echeancier
        client = echeancier.client
        rappel = message.type != TypeMessageEcheancier.ACCORD
        if echeancier.statut != StatutEcheancier.ACTIF or (
            rappel and (message.versement is None or message.versement.statut == StatutVersement.PAYE)
        ):
            message.statut = StatutMessageEcheancier.ANNULE
            message.save(update_fields=["statut"])
            return message
        destinataires = _destinataires(client)
        if not destinataires:
            message.statut = StatutMessageEcheancier.ECHEC
            message.erreur = _("Aucun contact du client n'est joignable par e-mail.")
            message.save(update_fields=["statut", "erreur"])
            return message
        organisation = Organisation.objects.get(pk=echeancier.tenant_id)
        with translation.override(client.langue):
            contexte = echeancier_contexte(echeancier)
            contexte["versement"] = message.versement
            contexte["niveau"] = 2 if message.type == TypeMessageEcheancier.RAPPEL_2 else 1
            gabarit = "emails/versement_rappel" if rappel else "emails/versement_accord"
            if rappel:
                sujet = (
                    _("Échéancier : versement n° %(n)s impayé")
                    if message.type == TypeMessageEcheancier.RAPPEL_1
                    else _("Échéancier : versement n° %(n)s toujours impayé, risque de rupture")
                ) % {"n": message.versement.numero if message.versement else ""}
            else:
                sujet = _("Votre échéancier de paiement — %(organisation)s") % {
                    "organisation": organisation.raison_sociale
                }
            texte = render_to_string(f"{gabarit}.txt", contexte)
            html = render_to_string(f"{gabarit}.html", contexte)
        courriel = EmailMultiAlternatives(
            subject=sujet,
            body=texte,
            from_email=_expediteur(organisation),
            to=destinataires,
            reply_to=_repondre_a(echeancier),
            headers={"Message-ID": f"<{message.cle_idempotence}@{settings.RELANCES_DOMAINE_MESSAGE_ID}>"},
        )
        courriel.attach_alternative(html, "text/html")
        if not rappel:
            courriel.attach(f"echeancier-{echeancier.pk}.pdf", echeancier_pdf(echeancier=echeancier), "application/pdf")
        courriel.send()
        maintenant = timezone.now()
        message.statut = StatutMessageEcheancier.ENVOYE
        message.envoye_le = maintenant
        message.destinataires = destinataires
        message.message_id = courriel.extra_headers["Message-ID"]
        message.erreur = ""
        message.save(update_fields=["statut", "envoye_le", "destinataires", "message_id", "erreur"])
        if not rappel:
            Echeancier.objects.filter(pk=echeancier.pk).update(envoye_le=maintenant)
        evenement_record(
            client=client,
            type=TypeEvenementEcheancier.RAPPEL if rappel else TypeEvenementEcheancier.ENVOYE,
            message=(
                _("%(echeancier)s : %(type)s envoyé à %(a)s")
                % {"echeancier": echeancier, "type": message.get_type_display(), "a": ", ".join(destinataires)}
            ),
            auteur=message.demande_par,
            donnees={"echeancier_id": echeancier.pk, "message_id": message.pk},
        )
    return message


def message_echeancier_echec(*, message_id: int, erreur: str) -> None:
    """The mailer refused the message for good (the task gave up): say so on the row."""
    MessageEcheancier.objects.filter(pk=message_id, statut=StatutMessageEcheancier.A_ENVOYER).update(
        statut=StatutMessageEcheancier.ECHEC, erreur=erreur[:2000]
    )
