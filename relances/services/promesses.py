"""Promises to pay followed automatically: kept or broken is recorded from the payments.

A promise "en cours" becomes:

- "tenue" when what was allocated (lettrages of payments or credit notes, not
  cancelled) since it was taken, and dated by its promised date plus the grace
  period, on its invoice (or on any invoice of the client, for a promise on the
  whole client) reaches the amount promised, or when nothing it covers is owed any
  more (its invoice paid; for the whole client, no open invoice due by the promised
  date); its pause is lifted;
- "rompue" when its date plus the grace period has passed without that: its pause
  is lifted (dunning resumes at the latest due step) and a task
  ``PROMESSE_ROMPUE`` (``cle`` « promesse-rompue:<id> », so once) goes to whoever
  took it, else to the default credit manager.

Detection is set-based (one UPDATE … RETURNING each); only the promises that
changed are then handled one by one (their pause, task and event).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from clients.events import evenement_record
from recouvrement.core.formats import montant_texte
from recouvrement.tenancy.context import current_organisation_id
from relances.models import Promesse, Tache, TypeTache
from relances.selectors import parametre_relance
from relances.services.pauses import pauses_lever_par_origine


class TypeEvenementPromesse(models.TextChoices):
    TENUE = "promesse.tenue", _lazy("Promesse tenue")
    ROMPUE = "promesse.rompue", _lazy("Promesse rompue")


def cle_tache_promesse(promesse_id: int) -> str:
    return f"promesse-rompue:{promesse_id}"


_PAYE = """
    COALESCE((SELECT SUM(lt.montant) FROM factures_lettrage lt
              WHERE lt.tenant_id = p.tenant_id AND lt.facture_id = p.facture_id AND lt.annule_le IS NULL
                AND lt.created_at >= p.created_at AND lt.date_lettrage <= {date_limite}), 0)
  + COALESCE((SELECT SUM(lt.montant) FROM factures_lettrage lt
              JOIN factures_facture f ON f.tenant_id = lt.tenant_id AND f.id = lt.facture_id
              WHERE p.facture_id IS NULL AND f.tenant_id = p.tenant_id AND f.client_id = p.client_id
                AND lt.tenant_id = p.tenant_id AND lt.annule_le IS NULL
                AND lt.created_at >= p.created_at AND lt.date_lettrage <= {date_limite}), 0)
"""

# Constant fragments only; every value is a query parameter.
_TENUES_SQL = f"""
UPDATE relances_promesse AS p SET statut = 'tenue'
WHERE p.tenant_id = %(t)s AND p.statut = 'en_cours' {{filtre}}
  AND ({_PAYE} >= p.montant
       OR EXISTS (SELECT 1 FROM factures_facture fp
                  WHERE fp.tenant_id = p.tenant_id AND fp.id = p.facture_id AND fp.statut = 'payee')
       OR (p.facture_id IS NULL AND NOT EXISTS (
                  SELECT 1 FROM factures_facture fo
                  WHERE fo.tenant_id = p.tenant_id AND fo.client_id = p.client_id AND fo.nature = 'facture'
                    AND fo.statut IN ('ouverte', 'partiellement_payee') AND fo.date_echeance <= p.date_promise)))
RETURNING id
"""  # noqa: S608

_ROMPUES_SQL = """
UPDATE relances_promesse AS p SET statut = 'rompue'
WHERE p.tenant_id = %(t)s AND p.statut = 'en_cours' AND p.date_promise < %(limite)s
RETURNING id
"""

_FILTRE_FACTURES = """AND (p.facture_id IN ({ids}) OR (p.facture_id IS NULL AND p.client_id IN (
    SELECT ff.client_id FROM factures_facture ff WHERE ff.tenant_id = %(t)s AND ff.id IN ({ids}))))"""


@dataclass(frozen=True)
class SuiviPromesses:
    tenues: list[int]
    rompues: list[int]


def _grace() -> int:
    return int(parametre_relance("delai_grace_promesse_jours"))


@transaction.atomic
def promesses_suivre(*, jour: datetime.date | None, facture_ids: Sequence[int] | None = None) -> SuiviPromesses:
    """Record the promises kept and, when ``jour`` is given, those broken by ``jour``.

    ``facture_ids``: only the promises touching those invoices (a payment was just
    allocated to them), for the kept ones. Idempotent. Precondition: an organisation scope.
    """
    grace = datetime.timedelta(days=_grace())
    params: dict[str, Any] = {"t": current_organisation_id(), "limite": jour - grace if jour else None}
    filtre = ""
    if facture_ids is not None:
        # Portable SQL (the demo runs on SQLite): the ids as parameters, the date limit computed here.
        ids = [int(i) for i in facture_ids] or [0]
        filtre = _FILTRE_FACTURES.format(ids=", ".join(f"%(f{n})s" for n in range(len(ids))))
        params.update({f"f{n}": i for n, i in enumerate(ids)})
    with connection.cursor() as cursor:
        params["grace"] = grace.days
        date_limite = (
            "date(p.date_promise, '+' || %(grace)s || ' days')"
            if connection.vendor == "sqlite"
            else "p.date_promise + %(grace)s"
        )
        cursor.execute(_TENUES_SQL.format(filtre=filtre, date_limite=date_limite), params)
        tenues = [ligne[0] for ligne in cursor.fetchall()]
        rompues: list[int] = []
        if jour is not None:
            cursor.execute(_ROMPUES_SQL, params)
            rompues = [ligne[0] for ligne in cursor.fetchall()]
    promesses = Promesse.objects.filter(pk__in=tenues + rompues).select_related("client", "facture", "prise_par")
    charge = None
    taches = []
    for promesse in sorted(promesses, key=lambda p: p.pk):
        pauses_lever_par_origine(origine=f"promesse:{promesse.pk}")
        details = {
            "montant": montant_texte(promesse.montant),
            "date": promesse.date_promise.strftime("%d/%m/%Y"),
            "facture": promesse.facture.numero if promesse.facture else _("tout le client"),
        }
        if promesse.pk in tenues:
            evenement_record(
                client=promesse.client,
                facture_id=promesse.facture_id,
                type=TypeEvenementPromesse.TENUE,
                message=_("Promesse tenue : %(montant)s pour le %(date)s (%(facture)s)") % details,
                donnees={"promesse_id": promesse.pk},
            )
            continue
        if charge is None:
            from relances.services.envoi import charge_par_defaut

            charge = charge_par_defaut()
        responsable = promesse.prise_par if promesse.prise_par and promesse.prise_par.actif else charge
        taches.append(
            Tache(
                client=promesse.client,
                facture=promesse.facture,
                type=TypeTache.PROMESSE_ROMPUE,
                titre=(_("Promesse non tenue : %(client)s") % {"client": promesse.client.raison_sociale})[:200],
                description=_("%(montant)s promis pour le %(date)s (%(facture)s) : rien ou pas assez reçu.") % details,
                assigne_a=responsable,
                echeance=jour or promesse.date_promise,
                cle=cle_tache_promesse(promesse.pk),
            )
        )
        evenement_record(
            client=promesse.client,
            facture_id=promesse.facture_id,
            type=TypeEvenementPromesse.ROMPUE,
            message=_("Promesse rompue : %(montant)s pour le %(date)s (%(facture)s) ; les relances reprennent")
            % details,
            donnees={"promesse_id": promesse.pk},
        )
    Tache.objects.bulk_create(taches, ignore_conflicts=True)
    return SuiviPromesses(tenues=tenues, rompues=rompues)
