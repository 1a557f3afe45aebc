"""The figures of the weekly digest, for one organisation and one ISO week.

The week runs from Monday 00:00 to the next Monday 00:00 in the organisation's
time zone. Three kinds of figures:

- **flows of the week** (actions by collaborator, money collected, invoices
  that fell due): what happened between those two instants (or dates);
- **stocks at the end of the week** (aging balance, DSO): rebuilt "as of" the
  Sunday from dates, so that the digest of a given week reads the same
  whenever it is computed, and "a week ago" is the previous Sunday;
- **lists of today** (top risks, disputes past their SLA, "still unpaid"):
  what the finance director should look at now.

Every function runs inside the organisation's scope, filters on ``tenant_id``
itself (row-level security applies as well) and reads in one set-based
statement; ``synthese_calculer`` makes a fixed number of queries whatever the
data size.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.db.models import Count, DecimalField, Q, Sum, Window
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from clients.models import ClasseRisque, Client
from factures.models import STATUTS_OUVERTS, Facture, Nature, Paiement, Statut
from factures.rapports import Tranche, tranches
from litiges.models import STATUTS_LITIGE_ACTIFS, Litige
from recouvrement.core.errors import TenantScopeError
from recouvrement.core.sql import ZERO, en_decimal, executer
from recouvrement.tenancy.context import current_organisation_id
from recouvrement.tenancy.models import Organisation
from relances.models import Canal, StatutEnvoi, StatutTache, TypeTache

DIXIEME = Decimal("0.1")
SEMAINES_DSO = 8
HORIZON_MOIS = 24
TOP_RISQUES = 10
LITIGES_MAX = 20
CLASSES_A_RISQUE = (ClasseRisque.D, ClasseRisque.E)


# ---------------------------------------------------------------------------
# The week
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Semaine:
    """An ISO week of an organisation: Monday ``lundi`` to Sunday ``dimanche``, and its instants."""

    lundi: datetime.date
    fuseau: str

    @property
    def dimanche(self) -> datetime.date:
        return self.lundi + datetime.timedelta(days=6)

    @property
    def debut(self) -> datetime.datetime:
        """Monday 00:00, local time, as an aware datetime."""
        return datetime.datetime.combine(self.lundi, datetime.time(0), tzinfo=zoneinfo.ZoneInfo(self.fuseau))

    @property
    def fin(self) -> datetime.datetime:
        """The next Monday 00:00, local time (exclusive)."""
        lundi_suivant = self.lundi + datetime.timedelta(days=7)
        return datetime.datetime.combine(lundi_suivant, datetime.time(0), tzinfo=zoneinfo.ZoneInfo(self.fuseau))

    @property
    def precedente(self) -> Semaine:
        return Semaine(lundi=self.lundi - datetime.timedelta(days=7), fuseau=self.fuseau)

    @property
    def code(self) -> str:
        """« 2026-W47 »: the ISO week, as in the ``semaine`` GET parameter."""
        return f"{self.lundi:%G-W%V}"


def lundi_de(jour: datetime.date) -> datetime.date:
    return jour - datetime.timedelta(days=jour.weekday())


def semaine_passee(organisation: Organisation, maintenant: datetime.datetime | None = None) -> Semaine:
    """The last complete week in the organisation's time zone (the one a digest sent now covers)."""
    local = organisation.heure_locale(maintenant)
    return Semaine(lundi=lundi_de(local.date()) - datetime.timedelta(days=7), fuseau=organisation.fuseau_horaire)


def semaine_depuis_code(organisation: Organisation, code: str) -> Semaine | None:
    """« 2026-W47 » (or a date in the week), or None when it does not parse."""
    try:
        if "-W" in code:
            annee, numero = code.split("-W", 1)
            lundi = datetime.date.fromisocalendar(int(annee), int(numero), 1)
        else:
            lundi = lundi_de(datetime.date.fromisoformat(code))
    except ValueError:
        return None
    return Semaine(lundi=lundi, fuseau=organisation.fuseau_horaire)


def _verifier_scope(organisation: Organisation) -> int:
    if organisation.pk is None or current_organisation_id() != organisation.pk:
        raise TenantScopeError("The digest is computed only inside organisation_scope() of its organisation.")
    return int(organisation.pk)


# ---------------------------------------------------------------------------
# Actions by collaborator
# ---------------------------------------------------------------------------


@dataclass
class ActionsCollaborateur:
    """What one person did during the week; ``user_id`` None: the automatic sends."""

    user_id: int | None
    nom: str
    emails: int = 0
    courriers: int = 0
    appels: int = 0
    promesses: int = 0
    litiges_ouverts: int = 0
    litiges_resolus: int = 0

    @property
    def total(self) -> int:
        return self.emails + self.courriers + self.appels + self.promesses + self.litiges_ouverts + self.litiges_resolus


GENRES = ("emails", "courriers", "appels", "promesses", "litiges_ouverts", "litiges_resolus")


def actions_par_collaborateur(*, organisation: Organisation, semaine: Semaine) -> list[ActionsCollaborateur]:
    """The actions done during the week, by person. One query.

    - e-mails and letters: sends recorded "envoyé" during the week (e-mail or
      letter channel), credited to the member who approved them, or to the
      automatic sends when nobody had to;
    - calls: call tasks marked done during the week, by who did them;
    - promises: promises to pay recorded during the week, by who took them
      (cancelled ones too: the call was made);
    - disputes opened during the week, by who opened them; disputes resolved
      (no longer active) during the week, credited to their owner.

    Sorted by total, the automatic sends last.
    """
    tenant_id = _verifier_scope(organisation)
    debut, fin = semaine.debut, semaine.fin
    sql = """
WITH actions (user_id, genre) AS (
  SELECT e.valide_par_id, CASE WHEN e.canal = %s THEN 'emails' ELSE 'courriers' END
  FROM relances_envoi e
  WHERE e.tenant_id = %s AND e.statut = %s AND e.canal IN (%s, %s) AND e.envoye_le >= %s AND e.envoye_le < %s
  UNION ALL
  SELECT t.fait_par_id, 'appels'
  FROM relances_tache t
  WHERE t.tenant_id = %s AND t.type = %s AND t.statut = %s AND t.fait_le >= %s AND t.fait_le < %s
  UNION ALL
  SELECT m.user_id, 'promesses'
  FROM relances_promesse p LEFT JOIN tenancy_membre m ON m.tenant_id = p.tenant_id AND m.id = p.prise_par_id
  WHERE p.tenant_id = %s AND p.created_at >= %s AND p.created_at < %s
  UNION ALL
  SELECT l.ouvert_par_id, 'litiges_ouverts'
  FROM litiges_litige l
  WHERE l.tenant_id = %s AND l.created_at >= %s AND l.created_at < %s
  UNION ALL
  SELECT m.user_id, 'litiges_resolus'
  FROM litiges_litige l LEFT JOIN tenancy_membre m ON m.tenant_id = l.tenant_id AND m.id = l.responsable_id
  WHERE l.tenant_id = %s AND l.resolu_le >= %s AND l.resolu_le < %s
)
SELECT a.user_id, u.first_name, u.last_name, u.email,
  COUNT(*) FILTER (WHERE a.genre = 'emails'),
  COUNT(*) FILTER (WHERE a.genre = 'courriers'),
  COUNT(*) FILTER (WHERE a.genre = 'appels'),
  COUNT(*) FILTER (WHERE a.genre = 'promesses'),
  COUNT(*) FILTER (WHERE a.genre = 'litiges_ouverts'),
  COUNT(*) FILTER (WHERE a.genre = 'litiges_resolus')
FROM actions a LEFT JOIN tenancy_user u ON u.id = a.user_id
GROUP BY a.user_id, u.first_name, u.last_name, u.email
"""
    params: list[Any] = [
        str(Canal.EMAIL),
        tenant_id,
        str(StatutEnvoi.ENVOYE),
        str(Canal.EMAIL),
        str(Canal.COURRIER),
        debut,
        fin,
        tenant_id,
        str(TypeTache.APPEL),
        str(StatutTache.FAITE),
        debut,
        fin,
        tenant_id,
        debut,
        fin,
        tenant_id,
        debut,
        fin,
        tenant_id,
        debut,
        fin,
    ]
    resultat = []
    for user_id, prenom, nom, email, *compteurs in executer(sql, params):
        libelle = _("Envois automatiques") if user_id is None else f"{prenom or ''} {nom or ''}".strip() or str(email)
        ligne = ActionsCollaborateur(user_id=user_id, nom=libelle)
        for genre, nombre in zip(GENRES, compteurs, strict=True):
            setattr(ligne, genre, int(nombre or 0))
        resultat.append(ligne)
    resultat.sort(key=lambda a: (a.user_id is None, -a.total, a.nom))
    return resultat


# ---------------------------------------------------------------------------
# Money collected, new overdue
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Flux:
    encaisse: Decimal
    paiements: int
    nouveaux_impayes: Decimal
    nouveaux_impayes_nombre: int


def flux_semaine(*, organisation: Organisation, semaine: Semaine) -> Flux:
    """Payments dated in the week, and invoices due in the week still unpaid today. Two queries."""
    _verifier_scope(organisation)
    paiements = Paiement.objects.filter(
        date_paiement__gte=semaine.lundi, date_paiement__lte=semaine.dimanche
    ).aggregate(montant=Coalesce(Sum("montant"), ZERO), nombre=Count("pk"))
    impayes = Facture.objects.filter(
        nature=Nature.FACTURE,
        statut__in=STATUTS_OUVERTS,
        date_echeance__gte=semaine.lundi,
        date_echeance__lte=semaine.dimanche,
    ).aggregate(montant=Coalesce(Sum("reste_du"), ZERO), nombre=Count("pk"))
    return Flux(
        encaisse=paiements["montant"],
        paiements=paiements["nombre"],
        nouveaux_impayes=impayes["montant"],
        nouveaux_impayes_nombre=impayes["nombre"],
    )


# ---------------------------------------------------------------------------
# Aging balance as of a date
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LigneBalance:
    tranche: Tranche
    avant: Decimal  # at the end of the previous week
    maintenant: Decimal  # at the end of the week

    @property
    def ecart(self) -> Decimal:
        return self.maintenant - self.avant


@dataclass(frozen=True)
class BalanceComparee:
    jour_avant: datetime.date
    jour: datetime.date
    lignes: list[LigneBalance]

    @property
    def total_avant(self) -> Decimal:
        return sum((ligne.avant for ligne in self.lignes), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return sum((ligne.maintenant for ligne in self.lignes), Decimal("0.00"))

    @property
    def echu_avant(self) -> Decimal:
        return sum((ligne.avant for ligne in self.lignes if ligne.tranche.echue), Decimal("0.00"))

    @property
    def echu(self) -> Decimal:
        return sum((ligne.maintenant for ligne in self.lignes if ligne.tranche.echue), Decimal("0.00"))


def balance_comparee(*, organisation: Organisation, semaine: Semaine) -> BalanceComparee:
    """The aging balance at the end of the week's Sunday and of the Sunday before. One query.

    The balance of an invoice at the end of day D is its TTC amount less the
    allocations (payments and credit notes) dated on or before D that were not
    cancelled by then; invoices issued after D do not count, cancelled invoices
    never do. Each balance goes into the bucket of its days late on D (the
    organisation's buckets). Credit notes are left out, as on the dashboard.
    """
    tenant_id = _verifier_scope(organisation)
    liste = tranches(organisation.tranches_balance_agee)
    jours = [semaine.precedente.dimanche, semaine.dimanche]
    fins = [semaine.precedente.fin, semaine.fin]  # the first instant after each day
    colonnes: list[str] = []
    params_colonnes: list[Any] = []
    for rang, jour in enumerate(jours):
        for i, tranche in enumerate(liste):
            premiere, derniere = tranche.echeances(jour)
            conditions = [f"s{rang} > 0"]
            if premiere is not None:
                conditions.append("date_echeance >= %s")
                params_colonnes.append(premiere)
            if derniere is not None:
                conditions.append("date_echeance <= %s")
                params_colonnes.append(derniere)
            colonnes.append(f"SUM(s{rang}) FILTER (WHERE {' AND '.join(conditions)}) AS t{rang}_{i}")
    sql = f"""
WITH lettres AS (
  SELECT facture_id,
    SUM(montant) FILTER (WHERE date_lettrage <= %s AND (annule_le IS NULL OR annule_le >= %s)) AS l0,
    SUM(montant) FILTER (WHERE date_lettrage <= %s AND (annule_le IS NULL OR annule_le >= %s)) AS l1
  FROM factures_lettrage
  WHERE tenant_id = %s AND date_lettrage <= %s
  GROUP BY facture_id
),
soldes AS (
  SELECT f.date_echeance,
    CASE WHEN f.date_emission <= %s THEN f.montant_ttc - COALESCE(l.l0, 0) ELSE 0 END AS s0,
    f.montant_ttc - COALESCE(l.l1, 0) AS s1
  FROM factures_facture f LEFT JOIN lettres l ON l.facture_id = f.id
  WHERE f.tenant_id = %s AND f.nature = %s AND f.statut <> %s AND f.date_emission <= %s
)
SELECT {", ".join(colonnes)} FROM soldes
"""  # noqa: S608  (fragments are ours; every value is a parameter)
    params: list[Any] = [
        jours[0],
        fins[0],
        jours[1],
        fins[1],
        tenant_id,
        jours[1],
        jours[0],
        tenant_id,
        str(Nature.FACTURE),
        str(Statut.ANNULEE),
        jours[1],
    ]
    ligne_resultat = executer(sql, [*params, *params_colonnes])[0]
    n = len(liste)
    lignes = [
        LigneBalance(tranche=tranche, avant=en_decimal(ligne_resultat[i]), maintenant=en_decimal(ligne_resultat[n + i]))
        for i, tranche in enumerate(liste)
    ]
    return BalanceComparee(jour_avant=jours[0], jour=jours[1], lignes=lignes)


# ---------------------------------------------------------------------------
# DSO at the last week-ends
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PointDso:
    jour: datetime.date
    encours: Decimal
    dso: Decimal


def _premier_du_mois_precedent(premier: datetime.date) -> datetime.date:
    return (premier - datetime.timedelta(days=1)).replace(day=1)


def dso_semaines(*, organisation: Organisation, semaine: Semaine, nombre: int = SEMAINES_DSO) -> list[PointDso]:
    """The DSO (countback) at the end of the last ``nombre`` Sundays, the week's last. One query.

    Same definitions as the dashboard (``factures.rapports.dso_historique``):
    the outstanding at the end of day D is the TTC of the invoices issued on or
    before D, less the credit notes issued on or before D, less the allocated
    part of the payments received on or before D. It is matched against the
    sales of D's month up to D (counting D's day of month as its days), then
    of each month before in full, over ``HORIZON_MOIS`` months at most.

    Example: outstanding 1,500 on Sunday 15 November, sales of 1–15 November
    3,000: 1,500 / 3,000 × 15 = 7.5 days.
    """
    tenant_id = _verifier_scope(organisation)
    jours = [semaine.dimanche - datetime.timedelta(days=7 * k) for k in range(nombre - 1, -1, -1)]
    periodes: list[Any] = []
    for rang, jour in enumerate(jours):
        debut = jour.replace(day=1)
        fin = jour
        for k in range(HORIZON_MOIS):
            periodes += [rang, k, debut, fin, (fin - debut).days + 1]
            fin = debut - datetime.timedelta(days=1)
            debut = _premier_du_mois_precedent(debut)
    facture = str(Nature.FACTURE)
    sql = f"""
WITH par_nature AS (
  SELECT date_emission AS jour, nature, SUM(montant_ttc) AS montant
  FROM factures_facture
  WHERE tenant_id = %s AND statut <> %s AND date_emission <= %s
  GROUP BY date_emission, nature
),
emissions AS (
  SELECT jour,
    SUM(CASE WHEN nature = %s THEN montant ELSE 0 END) AS ventes,
    SUM(CASE WHEN nature = %s THEN montant ELSE -montant END) AS solde
  FROM par_nature
  GROUP BY jour
),
reglements AS (
  SELECT date_paiement AS jour, SUM(montant - montant_non_affecte) AS montant
  FROM factures_paiement
  WHERE tenant_id = %s AND date_paiement <= %s
  GROUP BY date_paiement
),
points (rang, jour) AS (VALUES {", ".join(["(%s, %s)"] * len(jours))}),
periodes (rang, k, debut, fin, jours) AS (VALUES {", ".join(["(%s, %s, %s, %s, %s)"] * (len(periodes) // 5))}),
encours AS (
  SELECT p.rang,
    COALESCE((SELECT SUM(e.solde) FROM emissions e WHERE e.jour <= p.jour), 0)
    - COALESCE((SELECT SUM(r.montant) FROM reglements r WHERE r.jour <= p.jour), 0) AS montant
  FROM points p
),
ventes AS (
  SELECT pe.rang, pe.k, pe.jours,
    COALESCE((SELECT SUM(e.ventes) FROM emissions e WHERE e.jour >= pe.debut AND e.jour <= pe.fin), 0) AS ventes
  FROM periodes pe
),
cumul AS (
  SELECT v.rang, v.jours, v.ventes,
    COALESCE(SUM(v.ventes) OVER (
      PARTITION BY v.rang ORDER BY v.k ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ), 0) AS avant
  FROM ventes v
)
SELECT en.rang, en.montant,
  SUM(CASE WHEN en.montant <= c.avant THEN 0
           WHEN en.montant >= c.avant + c.ventes THEN c.jours
           ELSE (en.montant - c.avant) * 1.0 * c.jours / c.ventes END)
FROM encours en JOIN cumul c ON c.rang = en.rang
GROUP BY en.rang, en.montant
ORDER BY en.rang
"""  # noqa: S608  (fragments are ours; every value is a parameter)
    valeurs_points: list[Any] = []
    for rang, jour in enumerate(jours):
        valeurs_points += [rang, jour]
    params: list[Any] = [
        tenant_id,
        str(Statut.ANNULEE),
        jours[-1],
        facture,
        facture,
        tenant_id,
        jours[-1],
        *valeurs_points,
        *periodes,
    ]
    return [
        PointDso(jour=jours[int(rang)], encours=en_decimal(montant), dso=en_decimal(dso, DIXIEME))
        for rang, montant, dso in executer(sql, params)
    ]


# ---------------------------------------------------------------------------
# Top risks, disputes past their SLA
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientARisque:
    client_id: int
    raison_sociale: str
    classe_risque: str
    echu: Decimal
    encours: Decimal


def clients_a_risque(
    *, organisation: Organisation, aujourd_hui: datetime.date, limite: int = TOP_RISQUES
) -> list[ClientARisque]:
    """Clients of class D or E, or with an overdue amount, largest overdue first. One query."""
    _verifier_scope(organisation)
    montant = DecimalField(max_digits=14, decimal_places=2)
    ouvertes = Q(factures__statut__in=STATUTS_OUVERTS)
    lignes = (
        Client.objects.annotate(
            echu=Coalesce(
                Sum(
                    "factures__reste_du",
                    filter=ouvertes & Q(factures__nature=Nature.FACTURE, factures__date_echeance__lt=aujourd_hui),
                ),
                ZERO,
                output_field=montant,
            ),
            du=Coalesce(Sum("factures__reste_du", filter=ouvertes & Q(factures__nature=Nature.FACTURE)), ZERO),
            credit=Coalesce(Sum("factures__reste_du", filter=ouvertes & Q(factures__nature=Nature.AVOIR)), ZERO),
        )
        .filter(Q(classe_risque__in=CLASSES_A_RISQUE) | Q(echu__gt=0))
        .order_by("-echu", "raison_sociale", "pk")
        .values("pk", "raison_sociale", "classe_risque", "echu", "du", "credit")[:limite]
    )
    return [
        ClientARisque(
            client_id=ligne["pk"],
            raison_sociale=ligne["raison_sociale"],
            classe_risque=ligne["classe_risque"],
            echu=ligne["echu"],
            encours=ligne["du"] - ligne["credit"],
        )
        for ligne in lignes
    ]


@dataclass(frozen=True)
class LitigeEnRetard:
    litige_id: int
    raison_sociale: str
    type_libelle: str
    responsable: str
    echeance: datetime.date
    jours_retard: int


def litiges_hors_delai(*, organisation: Organisation, aujourd_hui: datetime.date) -> tuple[int, list[LitigeEnRetard]]:
    """Active disputes whose resolution date has passed: how many, and the oldest ``LITIGES_MAX``. One query."""
    _verifier_scope(organisation)
    lignes = list(
        Litige.objects.filter(statut__in=STATUTS_LITIGE_ACTIFS, echeance__lt=aujourd_hui)
        .select_related("client", "responsable__user")
        .annotate(nombre=Window(Count("pk")))
        .order_by("echeance", "pk")[:LITIGES_MAX]
    )
    apercu = []
    for litige in lignes:
        echeance = cast(datetime.date, litige.echeance)  # filtered on it: never null
        apercu.append(
            LitigeEnRetard(
                litige_id=litige.pk,
                raison_sociale=litige.client.raison_sociale,
                type_libelle=str(litige.get_type_display()),
                responsable=str(litige.responsable.user) if litige.responsable else "",
                echeance=echeance,
                jours_retard=(aujourd_hui - echeance).days,
            )
        )
    return (lignes[0].nombre if lignes else 0), apercu  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------
# The whole digest
# ---------------------------------------------------------------------------


@dataclass
class Synthese:
    organisation: Organisation
    semaine: Semaine
    aujourd_hui: datetime.date
    actions: list[ActionsCollaborateur]
    flux: Flux
    balance: BalanceComparee
    dso: list[PointDso]
    risques: list[ClientARisque]
    litiges_hors_delai: int
    litiges: list[LitigeEnRetard]
    totaux_actions: ActionsCollaborateur = field(init=False)

    def __post_init__(self) -> None:
        total = ActionsCollaborateur(user_id=None, nom=_("Total"))
        for ligne in self.actions:
            for genre in GENRES:
                setattr(total, genre, getattr(total, genre) + getattr(ligne, genre))
        self.totaux_actions = total

    @property
    def dso_actuel(self) -> PointDso:
        return self.dso[-1]

    @property
    def dso_ecart(self) -> Decimal:
        """Change of the DSO over the week (days); positive: collecting slower."""
        return self.dso[-1].dso - self.dso[-2].dso if len(self.dso) > 1 else Decimal("0.0")


def synthese_calculer(
    *, organisation: Organisation, semaine: Semaine, aujourd_hui: datetime.date | None = None
) -> Synthese:
    """Every figure of the digest of ``semaine``. Eight queries whatever the data size.

    Precondition: inside ``organisation_scope(organisation)``. ``aujourd_hui``
    (the organisation's local date by default) dates the lists of today.
    """
    if aujourd_hui is None:
        aujourd_hui = organisation.heure_locale().date()
    nombre, litiges = litiges_hors_delai(organisation=organisation, aujourd_hui=aujourd_hui)
    return Synthese(
        organisation=organisation,
        semaine=semaine,
        aujourd_hui=aujourd_hui,
        actions=actions_par_collaborateur(organisation=organisation, semaine=semaine),
        flux=flux_semaine(organisation=organisation, semaine=semaine),
        balance=balance_comparee(organisation=organisation, semaine=semaine),
        dso=dso_semaines(organisation=organisation, semaine=semaine),
        risques=clients_a_risque(organisation=organisation, aujourd_hui=aujourd_hui),
        litiges_hors_delai=nombre,
        litiges=litiges,
    )
