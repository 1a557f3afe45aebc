"""The scoring grid: what makes a client's risk score, with which weight. The one place
that says it; the SQL of ``risque.services`` and the client sheet both read it.

A score goes from 0 (very risky) to 100 (very safe). Each criterion that applies to
the client gets points from 0 to 100 by its rule below; the score is the average of
those points weighted by the criteria's weights (a criterion that does not apply —
no credit limit, no external rating — is left out and the others share its weight):

    score = round( Σ points × poids / Σ poids )   over the applicable criteria

| code              | criterion (last 12 months)                  | weight | points                               |
|-------------------|---------------------------------------------|-------:|--------------------------------------|
| retard_pondere    | days late weighted by amount                |   25   | 100 at 0 day, 0 from 45 days         |
| part_retard       | share of invoices paid (or still) late      |   15   | 100 − the share in %                 |
| tendance          | days late, last 3 months − the 9 before     |   10   | 100 if not worse, 0 if 30 days worse |
| litiges           | disputes opened                             |   10   | 100 − 25 a dispute (0 from 4)        |
| promesses_rompues | broken promises to pay                      |   10   | 100 − 40 a broken promise (0 from 3) |
| plafond           | outstanding / credit limit, when one is set |   10   | 100 to 50 %, 50 at 100 %, 0 at 150 % |
| anciennete        | months since the relationship began         |    5   | 100 × months / 36 (100 from 3 years) |
| note_externe      | external rating 0–100, when entered         |   15   | the rating itself                    |

(The rules between two bounds are linear.)

The invoices observed ("échues") are the client's invoices (not credit notes) past their
due date that are still open, or that were settled in the last 12 months. Days late:
settlement date (the last allocation's payment date, or the credit note's allocation
date) minus due date for a settled invoice, today minus due date for an open one; never
negative (paying early earns nothing more than paying on time). Weighted by the invoice's
amount including tax. The trend compares the invoices due in the last 3 months with those
due in the 9 months before (not applicable unless both periods have some). A promise is
broken when it is marked so, or still "en cours" past its date plus the organisation's
grace period with its invoice (or, for a whole-client promise, an invoice due by then)
still open. Seniority counts from "client depuis", else from the first invoice.

**No payment history** (no observed invoice): the six criteria of behaviour and
relationship are replaced by one neutral criterion of 55 points with their total weight
(75); only the credit limit and the external rating can move the score. Such a client
is in class C (the neutral class) unless one of those two says otherwise.

Classes: A from 80, B from 65, C from 50, D from 35, E below 35.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

RETARD_NUL_JOURS = 45  # weighted days late that give 0 point
TENDANCE_NULLE_JOURS = 30  # worsening of the weighted days late that gives 0 point
POINTS_PAR_LITIGE = 25
POINTS_PAR_PROMESSE = 40
PLAFOND_PLEIN = 50  # outstanding in % of the limit up to which the criterion gives 100
PLAFOND_NUL = 150  # … and from which it gives 0 (50 points at 100 %)
ANCIENNETE_PLEINE_MOIS = 36
POINTS_NEUTRES = 55
MOIS_OBSERVES = 12
MOIS_RECENTS = 3

SEUILS_CLASSES: tuple[tuple[int, str], ...] = (
    (80, "A"),
    (65, "B"),
    (50, "C"),
    (35, "D"),
    (0, "E"),
)
CLASSE_NEUTRE = "C"
CLASSES_A_RISQUE = ("D", "E")


@dataclass(frozen=True)
class Critere:
    code: str
    libelle: Promise
    poids: int
    unite: str  # how the page shows the value: "jours", "%", "nombre", "mois", "note", ""
    regle: Promise


RETARD = Critere(
    "retard_pondere",
    _("Retard moyen pondéré par les montants"),
    25,
    "jours",
    _("100 points à 0 jour de retard, 0 point à 45 jours ou plus."),
)
PART = Critere(
    "part_retard",
    _("Part des factures payées en retard"),
    15,
    "%",
    _("100 points moins la part en retard."),
)
TENDANCE = Critere(
    "tendance",
    _("Tendance : retard des 3 derniers mois moins celui des 9 mois précédents"),
    10,
    "jours",
    _("100 points si le retard ne s'aggrave pas, 0 point s'il s'aggrave de 30 jours ou plus."),
)
LITIGES = Critere(
    "litiges",
    _("Litiges ouverts"),
    10,
    "nombre",
    _("100 points moins 25 par litige."),
)
PROMESSES = Critere(
    "promesses_rompues",
    _("Promesses de paiement non tenues"),
    10,
    "nombre",
    _("100 points moins 40 par promesse non tenue."),
)
PLAFOND = Critere(
    "plafond",
    _("Encours rapporté au plafond de crédit"),
    10,
    "%",
    _("100 points jusqu'à 50 % du plafond, 50 au plafond, 0 à 150 % ou plus."),
)
ANCIENNETE = Critere(
    "anciennete",
    _("Ancienneté de la relation"),
    5,
    "mois",
    _("0 point pour un nouveau client, 100 à partir de 3 ans."),
)
NOTE_EXTERNE = Critere(
    "note_externe",
    _("Note externe"),
    15,
    "note",
    _("La note elle-même (0 à 100), quand elle est renseignée."),
)
SANS_HISTORIQUE = Critere(
    "sans_historique",
    _("Sans historique de paiement"),
    RETARD.poids + PART.poids + TENDANCE.poids + LITIGES.poids + PROMESSES.poids + ANCIENNETE.poids,
    "",
    _("Valeur neutre de 55 points à la place des critères de comportement et de relation."),
)

# In the order of the explanation stored with each score.
CRITERES: tuple[Critere, ...] = (
    RETARD,
    PART,
    TENDANCE,
    LITIGES,
    PROMESSES,
    PLAFOND,
    ANCIENNETE,
    NOTE_EXTERNE,
    SANS_HISTORIQUE,
)
PAR_CODE = {c.code: c for c in CRITERES}


def classe_du_score(score: int) -> str:
    return next(classe for seuil, classe in SEUILS_CLASSES if score >= seuil)


def seuils_lisibles() -> list[dict[str, Any]]:
    """The classes with their score range, for the page that explains the grid."""
    lignes: list[dict[str, Any]] = []
    haut = 100
    for seuil, classe in SEUILS_CLASSES:
        lignes.append({"classe": classe, "min": seuil, "max": haut})
        haut = seuil - 1
    return lignes
