"""The plan of the demo data: pure and deterministic (same seed, same date, same data)."""

from __future__ import annotations

import calendar
import datetime
import math
import random
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.text import slugify

from clients.models import Categorie, Client
from factures.models import Facture, MoyenPaiement, Nature, SupportPaiement
from factures.services import date_echeance_calculee
from recouvrement.core.demo.referentiel import (
    AFFACTUREURS,
    CENTIME,
    CLIENTS,
    COMPLEMENTS,
    DEMO_SIREN,
    HABITUDES,
    HORIZON_JOURS,
    MINIMUM_PAR_TRANCHE,
    NOMBRE_FACTURES,
    NOMS,
    NOMS_EN,
    PRENOMS_EN,
    PRENOMS_F,
    PRENOMS_M,
    TRANCHES,
    VILLES,
    VOIES,
    Habitude,
    fonctions_pour,
    siren_depuis,
    siret_depuis,
    tranche_retard,
)
from recouvrement.tenancy.models import Langue


@dataclass
class _PlanFacture:
    client: _PlanClient
    date_emission: datetime.date
    date_echeance: datetime.date
    montant_ht: Decimal
    montant_tva: Decimal
    taux_tva: Decimal
    support: str
    numero_commande: str
    numero: str = ""
    nature: str = Nature.FACTURE
    origine: _PlanFacture | None = None
    avoir_lettre: bool = False
    objet: Facture | None = None

    @property
    def montant_ttc(self) -> Decimal:
        return self.montant_ht + self.montant_tva


@dataclass
class _PlanPaiement:
    client: _PlanClient | None
    date_paiement: datetime.date
    moyen: str
    lignes: list[tuple[_PlanFacture, Decimal]]
    surplus: Decimal = Decimal(0)
    partiel: bool = False  # one of several payments of the invoice
    reference: str = ""
    libelle: str = ""


@dataclass
class _PlanContact:
    civilite: str
    prenom: str
    nom: str
    fonction: str
    email: str
    telephone: str
    langue: str
    roles: set[str]
    opt_out: bool = False
    email_invalide: bool = False


@dataclass
class _PlanClient:
    rang: int
    raison_sociale: str
    secteur: str
    categorie: str
    langue: str
    siren: str
    siret: str
    ville: tuple[str, str, str, int]
    adresse: str
    adresse_complement: str
    delai_paiement_jours: int
    fin_de_mois: bool
    date_debut_relation: datetime.date
    habitude: Habitude
    support: str
    jour_campagne: int | None  # pays its invoices in one run on this day of the month
    commercial: int  # 0 or 1: which sales rep
    avec_chef_projet: bool
    affactureur: str = ""
    sans_email: bool = False
    plafond_credit: Decimal | None = None
    agrement_affacturage: Decimal | None = None
    contacts: list[_PlanContact] = field(default_factory=list)
    factures: list[_PlanFacture] = field(default_factory=list)
    objet: Client | None = None


@dataclass
class Plan:
    clients: list[_PlanClient]
    pieces: list[_PlanFacture]  # invoices and credit notes, in issue order
    paiements: list[_PlanPaiement]


# --- the plan: pure, deterministic ------------------------------------------------------------------------------


def planifier(*, rng: random.Random, aujourd_hui: datetime.date) -> Plan:
    clients = _planifier_clients(rng=rng, aujourd_hui=aujourd_hui)
    for client in clients:
        client.contacts = _planifier_contacts(rng=rng, client=client)
    _marquer_contacts(rng=rng, clients=clients)
    _planifier_factures(rng=rng, clients=clients, aujourd_hui=aujourd_hui)
    avoirs = _planifier_avoirs(rng=rng, clients=clients, aujourd_hui=aujourd_hui)
    paiements = _planifier_paiements(rng=rng, clients=clients, avoirs=avoirs, aujourd_hui=aujourd_hui)
    _planifier_plafonds(rng=rng, clients=clients, avoirs=avoirs, paiements=paiements)
    pieces = sorted(
        [f for c in clients for f in c.factures] + avoirs,
        key=lambda f: (f.date_emission, f.nature, f.client.rang),
    )
    _numeroter(pieces)
    _referencer(rng=rng, paiements=paiements)
    return Plan(clients=clients, pieces=pieces, paiements=paiements)


def _planifier_clients(*, rng: random.Random, aujourd_hui: datetime.date) -> list[_PlanClient]:
    sirens: set[str] = set()
    clients: list[_PlanClient] = []
    par_nom = {v[0]: v for v in VILLES}
    for rang, (raison_sociale, secteur, categorie, langue, nom_ville) in enumerate(CLIENTS):
        while True:
            # Public bodies have SIRENs starting with 2; companies with 3 to 9.
            premier = "2" if categorie == Categorie.SECTEUR_PUBLIC else str(rng.randint(3, 9))
            siren = siren_depuis(premier + f"{rng.randrange(10**7):07d}")
            if siren not in sirens and siren != DEMO_SIREN:
                sirens.add(siren)
                break
        if categorie == Categorie.SECTEUR_PUBLIC:
            # Public buyers pay at 30 days by law, and rarely on time.
            delai, fin_de_mois = 30, False
            habitude = HABITUDES[rng.choice(("correct", "lent", "lent"))]
        elif categorie == Categorie.GRAND_COMPTE:
            delai, fin_de_mois = rng.choice(((60, False), (45, True)))
            habitude = HABITUDES[rng.choice(("exemplaire", "correct", "lent"))]
        else:
            delai, fin_de_mois = rng.choice(((30, False), (30, False), (45, False), (60, False), (45, True)))
            habitude = HABITUDES[rng.choices(list(HABITUDES), weights=(20, 35, 27, 18))[0]]
        support = SupportPaiement.VIREMENT
        tirage = rng.random()
        if categorie in (Categorie.TPE_PME, Categorie.ETI) and tirage < 0.12:
            support = SupportPaiement.PRELEVEMENT
            habitude = HABITUDES["exemplaire"]  # a direct debit is taken on the due date
        elif categorie == Categorie.TPE_PME and tirage < 0.25:
            support = SupportPaiement.CHEQUE
        campagne = categorie in (Categorie.GRAND_COMPTE, Categorie.SECTEUR_PUBLIC) or rng.random() < 0.3
        ville = par_nom[nom_ville] if nom_ville else rng.choices(VILLES, weights=[v[3] for v in VILLES])[0]
        clients.append(
            _PlanClient(
                rang=rang,
                raison_sociale=raison_sociale,
                secteur=secteur,
                categorie=categorie,
                langue=langue,
                siren=siren,
                siret=siret_depuis(siren, rng.choice((1, 1, 1, 2, 3, 5, 12, 24))),
                ville=ville,
                adresse=f"{rng.randint(1, 180)} {rng.choice(VOIES)}",
                adresse_complement=rng.choice(COMPLEMENTS) if rng.random() < 0.3 else "",
                delai_paiement_jours=delai,
                fin_de_mois=fin_de_mois,
                date_debut_relation=aujourd_hui - datetime.timedelta(days=rng.randint(365, 15 * 365)),
                habitude=habitude,
                support=support,
                jour_campagne=rng.choice((5, 10, 15, 25, 31))
                if campagne and support == SupportPaiement.VIREMENT
                else None,
                commercial=rang % 2,
                avec_chef_projet=secteur in ("btp", "industrie") and rng.random() < 0.6,
            )
        )
    # Six customers' invoices are assigned to a factor: companies, on transfer, French-speaking.
    candidats = [
        c
        for c in clients
        if c.categorie in (Categorie.TPE_PME, Categorie.ETI)
        and c.langue == Langue.FR
        and c.support == SupportPaiement.VIREMENT
    ]
    for rang, client in enumerate(rng.sample(candidats, 6)):
        client.affactureur = AFFACTUREURS[0] if rang < 4 else AFFACTUREURS[1]
        client.support = SupportPaiement.AFFACTURAGE
        client.jour_campagne = None
    # Two small customers have only a phone number: their reminders become tasks.
    for client in rng.sample([c for c in clients if c.categorie == Categorie.TPE_PME and not c.affactureur], 2):
        client.sans_email = True
    return clients


def _ascii(texte: str) -> str:
    return unicodedata.normalize("NFKD", texte).encode("ascii", "ignore").decode()


def _domaine(raison_sociale: str) -> str:
    mots = [m for m in raison_sociale.split() if m not in ("SA", "SAS", "SARL", "et", "Fils", "de", "des", "du")]
    return slugify(" ".join(mots[:3])) + ".example"


def _telephone(rng: random.Random, prefixe: str, mobile: bool = False) -> str:
    debut = rng.choice(("06", "07")) if mobile else prefixe
    return " ".join([debut, *(f"{rng.randrange(100):02d}" for _ in range(4))])


def _planifier_contacts(*, rng: random.Random, client: _PlanClient) -> list[_PlanContact]:
    domaine = _domaine(client.raison_sociale)
    anglais = client.langue == Langue.EN
    grand = client.categorie in (Categorie.GRAND_COMPTE, Categorie.ETI, Categorie.SECTEUR_PUBLIC)
    nombre = rng.randint(3, 4) if grand else rng.randint(1, 3)
    roles_possibles = ["achats", "signataire", "direction"]
    rng.shuffle(roles_possibles)
    contacts: list[_PlanContact] = []
    for position in range(nombre):
        if position == 0:
            roles = {"comptabilite"}
        else:
            roles = {roles_possibles[(position - 1) % len(roles_possibles)]}
            if position == 1 and rng.random() < 0.25:
                roles.add("signataire")  # the buyer or the manager signed the order too
        if nombre == 1:
            roles.add("direction")  # the manager of a very small company does everything
        feminin = rng.random() < 0.5
        if anglais:
            prenom, nom = rng.choice(PRENOMS_EN), rng.choice(NOMS_EN)
            civilite = "Ms" if prenom in ("Emma", "Olivia", "Sarah", "Grace", "Chloe") else "Mr"
        else:
            prenom = rng.choice(PRENOMS_F if feminin else PRENOMS_M)
            nom = rng.choice(NOMS)
            civilite = "Mme" if feminin else "M."
        # The job title follows the main role: a signatory is first a buyer or a manager, when he is one.
        role_principal = "direction" if nombre == 1 else min(roles)
        masculin_, feminin_, anglais_ = rng.choice(fonctions_pour(role_principal, client.secteur))
        fonction = anglais_ if anglais else (feminin_ if civilite == "Mme" else masculin_)
        email = f"{slugify(prenom)}.{slugify(nom)}@{domaine}"
        if position == 0 and nombre > 1 and not anglais and rng.random() < 0.2:
            # A shared accounts-payable mailbox rather than a person.
            civilite, prenom, nom, fonction = "", "", "Service comptabilité fournisseurs", ""
            email = f"{rng.choice(('comptabilite', 'factures', 'fournisseurs'))}@{domaine}"
        if client.sans_email:
            email = ""
        contacts.append(
            _PlanContact(
                civilite=civilite,
                prenom=prenom,
                nom=nom,
                fonction=fonction,
                email=email,
                telephone=_telephone(rng, client.ville[2], mobile="signataire" in roles),
                langue=client.langue,
                roles=roles,
            )
        )
    return contacts


def _montant_ht(rng: random.Random, client: _PlanClient) -> Decimal:
    bas, haut = (800, 60_000) if client.categorie == Categorie.GRAND_COMPTE else (150, 35_000)
    valeur = math.exp(rng.uniform(math.log(bas), math.log(haut)))
    return Decimal(str(valeur)).quantize(CENTIME, rounding=ROUND_HALF_UP)


def _ht_tva(montant_ht: Decimal, taux: Decimal) -> tuple[Decimal, Decimal]:
    """HT and the VAT at ``taux``, rounded to the cent."""
    return montant_ht, (montant_ht * taux).quantize(CENTIME, rounding=ROUND_HALF_UP)


def _taux_tva(rng: random.Random, client: _PlanClient) -> Decimal:
    tirage = rng.random()
    if client.secteur == "agro" and tirage < 0.5:
        return Decimal("0.055")
    if client.secteur == "hotellerie" and tirage < 0.6:
        return Decimal("0.10")
    if client.raison_sociale.startswith("Office public") and tirage < 0.5:
        return Decimal("0.10")  # renovation of social housing
    return Decimal("0.20")


def _numero_commande(rng: random.Random, client: _PlanClient, date: datetime.date) -> str:
    if client.categorie == Categorie.GRAND_COMPTE:
        return f"45{rng.randrange(10**8):08d}"  # their ERP refuses an invoice without its PO
    if client.categorie == Categorie.SECTEUR_PUBLIC:
        return f"EJ {date.year}-{rng.randint(100, 2999):04d}"  # engagement juridique
    if rng.random() < 0.35:
        return f"BC-{date.year}-{rng.randint(1, 999):03d}"
    return ""


def _planifier_factures(*, rng: random.Random, clients: list[_PlanClient], aujourd_hui: datetime.date) -> None:
    poids_categorie: dict[str, float] = {
        Categorie.GRAND_COMPTE: 26.0,
        Categorie.ETI: 15.0,
        Categorie.SECTEUR_PUBLIC: 9.0,
        Categorie.TPE_PME: 8.0,
        Categorie.AUTRE: 8.0,
    }
    poids = [poids_categorie[c.categorie] * rng.uniform(0.6, 1.4) for c in clients]
    nombres = [max(3, round(NOMBRE_FACTURES * p / sum(poids))) for p in poids]
    while sum(nombres) != NOMBRE_FACTURES:
        rang = nombres.index(max(nombres))
        nombres[rang] += 1 if sum(nombres) < NOMBRE_FACTURES else -1
    for client, nombre in zip(clients, nombres, strict=True):
        anciennete = min(HORIZON_JOURS, (aujourd_hui - client.date_debut_relation).days)
        for _ in range(nombre):
            # Slightly more recent invoices than old ones: the business grows.
            jours = 1 + int((anciennete - 1) * rng.random() ** 1.15)
            emission = aujourd_hui - datetime.timedelta(days=jours)
            taux = _taux_tva(rng, client)
            montant_ht, montant_tva = _ht_tva(_montant_ht(rng, client), taux)
            support = client.support
            if support == SupportPaiement.VIREMENT and rng.random() < 0.05:
                support = SupportPaiement.CHEQUE
            client.factures.append(
                _PlanFacture(
                    client=client,
                    date_emission=emission,
                    date_echeance=date_echeance_calculee(
                        date_emission=emission, delai_jours=client.delai_paiement_jours, fin_de_mois=client.fin_de_mois
                    ),
                    montant_ht=montant_ht,
                    montant_tva=montant_tva,
                    taux_tva=taux,
                    support=support,
                    numero_commande=_numero_commande(rng, client, emission),
                )
            )
        client.factures.sort(key=lambda f: f.date_emission)


def _planifier_avoirs(
    *, rng: random.Random, clients: list[_PlanClient], aujourd_hui: datetime.date
) -> list[_PlanFacture]:
    """A dozen credit notes on invoices of twelve clients; most are allocated to their invoice."""
    avoirs: list[_PlanFacture] = []
    il_y_a_un_mois = aujourd_hui - datetime.timedelta(days=30)
    anciennes = {c.rang: [f for f in c.factures if f.date_emission <= il_y_a_un_mois] for c in clients}
    for rang, client in enumerate(rng.sample([c for c in clients if len(anciennes[c.rang]) >= 3], 12)):
        origine = rng.choice(anciennes[client.rang])
        emission = min(origine.date_emission + datetime.timedelta(days=rng.randint(3, 25)), aujourd_hui)
        # A return of goods or a commercial gesture; now and then the whole invoice is cancelled.
        part = Decimal(1) if rang % 5 == 0 else Decimal(rng.choice(("0.05", "0.1", "0.15", "0.25", "0.5")))
        if part == 1:
            montant_ht, montant_tva = origine.montant_ht, origine.montant_tva
        else:
            montant_ht, montant_tva = _ht_tva(
                (origine.montant_ht * part).quantize(CENTIME, rounding=ROUND_HALF_UP), origine.taux_tva
            )
        avoirs.append(
            _PlanFacture(
                client=client,
                date_emission=emission,
                date_echeance=emission,
                montant_ht=montant_ht,
                montant_tva=montant_tva,
                taux_tva=origine.taux_tva,
                support=origine.support,
                numero_commande=origine.numero_commande,
                nature=Nature.AVOIR,
                origine=origine,
                # A cancellation is always set against its invoice; a few gestures wait to be used.
                avoir_lettre=part == 1 or rang % 3 != 2,
            )
        )
    return avoirs


def _prochaine_campagne(date: datetime.date, jour: int) -> datetime.date:
    """The first payment run on or after ``date`` (``jour`` beyond the month's end means its last day)."""
    annee, mois = date.year, date.month
    while True:
        candidat = datetime.date(annee, mois, min(jour, calendar.monthrange(annee, mois)[1]))
        if candidat >= date:
            return candidat
        annee, mois = (annee + 1, 1) if mois == 12 else (annee, mois + 1)


def _arrondi_acompte(montant: Decimal, rng: random.Random) -> Decimal:
    """A round down payment, as people pay: 30 to 70 % of what is due, to the ten or hundred euros."""
    valeur = montant * Decimal(rng.choice(("0.3", "0.4", "0.5", "0.6", "0.7")))
    pas = Decimal(100) if valeur >= 1000 else Decimal(10)
    acompte = (valeur / pas).to_integral_value() * pas
    return acompte if Decimal(0) < acompte < montant else (montant / 2).quantize(CENTIME)


MOYEN_DU_SUPPORT: dict[str, str] = {
    SupportPaiement.VIREMENT: MoyenPaiement.VIREMENT,
    SupportPaiement.PRELEVEMENT: MoyenPaiement.PRELEVEMENT,
    SupportPaiement.CHEQUE: MoyenPaiement.CHEQUE,
    SupportPaiement.CARTE: MoyenPaiement.CARTE,
    SupportPaiement.AFFACTURAGE: MoyenPaiement.AFFACTURAGE,
}


def _planifier_paiements(
    *, rng: random.Random, clients: list[_PlanClient], avoirs: list[_PlanFacture], aujourd_hui: datetime.date
) -> list[_PlanPaiement]:
    """Each invoice is paid around its due date plus the client's habit, in full, in part, or not yet.

    Clients with a payment run pay all that falls due in one transfer; a
    credit note allocated to an invoice is deducted from what its payment
    covers, and that payment comes after the credit note.
    """
    hier = aujourd_hui - datetime.timedelta(days=1)
    avoir_de = {id(a.origine): a for a in avoirs if a.avoir_lettre}
    paiements: list[_PlanPaiement] = []
    ouvertes: list[_PlanFacture] = []
    for client in clients:
        habitude = client.habitude
        campagnes: dict[datetime.date, list[tuple[_PlanFacture, Decimal]]] = {}
        for facture in client.factures:
            du = facture.montant_ttc
            plancher = facture.date_emission + datetime.timedelta(days=1)
            avoir = avoir_de.get(id(facture))
            if avoir is not None:
                du -= avoir.montant_ttc
                plancher = max(plancher, avoir.date_emission + datetime.timedelta(days=1))
            if du <= 0:
                continue  # fully credited
            if rng.random() < habitude.p_bloquee:
                ouvertes.append(facture)  # stuck (a dispute, a forgotten invoice): nothing paid
                continue
            if facture.support == SupportPaiement.PRELEVEMENT:
                date = facture.date_echeance  # a direct debit is taken on the due date
            else:
                date = facture.date_echeance + datetime.timedelta(
                    days=rng.randint(habitude.retard_min, habitude.retard_max)
                )
                if facture.support == SupportPaiement.CHEQUE:
                    date += datetime.timedelta(days=rng.randint(2, 6))  # the post, then the bank
            date = max(date, plancher)
            if client.jour_campagne is not None and facture.support == SupportPaiement.VIREMENT:
                date = _prochaine_campagne(date, client.jour_campagne)
            if date <= hier:
                if rng.random() < habitude.p_partiel:
                    acompte = _arrondi_acompte(du, rng)
                    paiements.append(_partiel(client, facture, date, acompte))
                    solde = date + datetime.timedelta(days=rng.randint(15, 60))
                    if solde <= hier and rng.random() < 0.5:
                        paiements.append(_partiel(client, facture, solde, du - acompte))  # the balance, later
                    else:
                        ouvertes.append(facture)
                elif client.jour_campagne is not None and facture.support == SupportPaiement.VIREMENT:
                    campagnes.setdefault(date, []).append((facture, du))
                else:
                    paiements.append(_paiement_unitaire(client, facture, date, du))
            else:
                ouvertes.append(facture)
                if plancher <= facture.date_echeance < hier and rng.random() < habitude.p_partiel * 2:
                    # Late and short of cash: a down payment while the rest waits.
                    date = facture.date_echeance + datetime.timedelta(
                        days=rng.randint(1, (hier - facture.date_echeance).days)
                    )
                    paiements.append(_partiel(client, facture, date, _arrondi_acompte(du, rng)))
        for date, lignes in campagnes.items():
            paiements.append(
                _PlanPaiement(client=client, date_paiement=date, moyen=MoyenPaiement.VIREMENT, lignes=lignes)
            )
    paiements = _garantir_tranches(rng=rng, paiements=paiements, ouvertes=ouvertes, aujourd_hui=aujourd_hui)
    # A few payments leave money unallocated: an invoice paid twice, an advance, a mistake.
    for paiement in rng.sample([p for p in paiements if p.moyen == MoyenPaiement.VIREMENT], 4):
        paiement.surplus = Decimal(rng.choice((120, 250, 480, 1500, 2400)))
    # Two transfers that nobody has matched to a client yet.
    for montant in (Decimal("3480.00"), Decimal("912.60")):
        paiements.append(
            _PlanPaiement(
                client=None,
                date_paiement=hier - datetime.timedelta(days=rng.randint(2, 20)),
                moyen=MoyenPaiement.VIREMENT,
                lignes=[],
                surplus=montant,
            )
        )
    paiements.sort(key=lambda p: (p.date_paiement, p.client.rang if p.client else -1))
    return paiements


def _garantir_tranches(
    *,
    rng: random.Random,
    paiements: list[_PlanPaiement],
    ouvertes: list[_PlanFacture],
    aujourd_hui: datetime.date,
) -> list[_PlanPaiement]:
    """Leave enough invoices unpaid in each overdue bucket (``MINIMUM_PAR_TRANCHE``), whatever the date and the seed.

    The habits alone leave the 30-to-90-day buckets thin on some days, so the
    payments of a few invoices of the slower payers are dropped until each
    bucket has enough for every dunning step to show.
    """
    compte = {cle: 0 for cle, *_ in TRANCHES}
    for facture in ouvertes:
        compte[tranche_retard((aujourd_hui - facture.date_echeance).days)] += 1
    candidats: dict[str, list[_PlanPaiement]] = {cle: [] for cle, *_ in TRANCHES}
    for paiement in paiements:
        if paiement.partiel or len(paiement.lignes) != 1 or paiement.client is None:
            continue
        facture = paiement.lignes[0][0]
        if paiement.client.habitude.nom != "exemplaire" and facture.support != SupportPaiement.PRELEVEMENT:
            candidats[tranche_retard((aujourd_hui - facture.date_echeance).days)].append(paiement)
    retires: set[int] = set()
    for cle, minimum in MINIMUM_PAR_TRANCHE.items():
        rng.shuffle(candidats[cle])
        while compte[cle] < minimum and candidats[cle]:
            retires.add(id(candidats[cle].pop()))
            compte[cle] += 1
    return [p for p in paiements if id(p) not in retires]


def _paiement_unitaire(
    client: _PlanClient, facture: _PlanFacture, date: datetime.date, montant: Decimal
) -> _PlanPaiement:
    return _PlanPaiement(
        client=client, date_paiement=date, moyen=MOYEN_DU_SUPPORT[facture.support], lignes=[(facture, montant)]
    )


def _partiel(client: _PlanClient, facture: _PlanFacture, date: datetime.date, montant: Decimal) -> _PlanPaiement:
    paiement = _paiement_unitaire(client, facture, date, montant)
    paiement.partiel = True
    return paiement


def _encours(client: _PlanClient, avoirs: list[_PlanFacture], paye: dict[int, Decimal]) -> Decimal:
    du = sum((f.montant_ttc - paye.get(id(f), Decimal(0)) for f in client.factures), Decimal(0))
    credits = sum((a.montant_ttc for a in avoirs if a.client is client), Decimal(0))
    return du - credits


def _arrondi(valeur: Decimal, pas: int, *, haut: bool) -> Decimal:
    quotient = valeur / pas
    entier = math.ceil(quotient) if haut else math.floor(quotient)
    return Decimal(entier * pas).quantize(CENTIME)


def _planifier_plafonds(
    *, rng: random.Random, clients: list[_PlanClient], avoirs: list[_PlanFacture], paiements: list[_PlanPaiement]
) -> None:
    """Credit limits on about half the companies (a few of them exceeded), approvals for the factored ones."""
    paye: dict[int, Decimal] = {}
    for paiement in paiements:
        for facture, montant in paiement.lignes:
            paye[id(facture)] = paye.get(id(facture), Decimal(0)) + montant
    encours = {c.rang: _encours(c, avoirs, paye) for c in clients}
    entreprises = [c for c in clients if c.categorie != Categorie.SECTEUR_PUBLIC]
    retardataires = sorted(
        (c for c in entreprises if c.habitude.nom in ("lent", "mauvais") and encours[c.rang] > 12_000),
        key=lambda c: -encours[c.rang],
    )
    depasses = {c.rang for c in retardataires[:4]}
    for client in entreprises:
        montant = encours[client.rang]
        if client.rang in depasses:
            client.plafond_credit = max(Decimal(5000), _arrondi(montant * Decimal("0.7"), 5000, haut=False))
        elif rng.random() < 0.45:
            client.plafond_credit = _arrondi(max(montant * Decimal("1.6"), Decimal(10_000)), 5000, haut=True)
        if client.affactureur:
            client.agrement_affacturage = _arrondi(
                max(montant, Decimal(0)) * Decimal("1.4") + 15_000, 10_000, haut=True
            )


def _numeroter(pieces: list[_PlanFacture]) -> None:
    """FA-2026-00123 and AV-2026-00012, one sequence per year, in issue order.

    The sequence of the first year does not start at 1: the supplier invoiced
    before the fifteen months kept here.
    """
    compteurs: dict[tuple[str, int], int] = {}
    for piece in pieces:
        prefixe = "AV" if piece.nature == Nature.AVOIR else "FA"
        cle = (prefixe, piece.date_emission.year)
        if cle not in compteurs:
            premiere_annee = not any(p == prefixe for p, _ in compteurs)
            jour = piece.date_emission.timetuple().tm_yday if premiere_annee else 0
            compteurs[cle] = jour * 13 // 10 if prefixe == "FA" else jour // 30
        compteurs[cle] += 1
        piece.numero = f"{prefixe}-{piece.date_emission.year}-{compteurs[cle]:05d}"


def _referencer(*, rng: random.Random, paiements: list[_PlanPaiement]) -> None:
    """The reference and the wording of each payment, as the bank statement shows them (after numbering)."""
    for rang, paiement in enumerate(paiements, start=1):
        numeros = " ".join(f.numero for f, _ in paiement.lignes)
        client = paiement.client
        nom = _ascii(client.raison_sociale).upper() if client else rng.choice(("SCI LES TILLEULS", "ETS B. MARTIN"))
        if paiement.moyen == MoyenPaiement.PRELEVEMENT:
            paiement.reference = f"PRLV SEPA {numeros}"
            paiement.libelle = f"PRLV SEPA {nom} RUM DEMO{client.rang if client else 0:04d} {numeros}"
        elif paiement.moyen == MoyenPaiement.CHEQUE:
            paiement.reference = f"CHQ {rng.randrange(10**7):07d}"
            paiement.libelle = f"REMISE CHEQUE {nom} {numeros}"
        elif paiement.moyen == MoyenPaiement.AFFACTURAGE:
            assert client is not None
            paiement.reference = f"{client.affactureur} — relevé {paiement.date_paiement:%Y%m}-{rang:04d}"
            paiement.libelle = f"Règlement de l'affactureur pour {client.raison_sociale} : {numeros}"
        else:
            paiement.reference = f"VIR{paiement.date_paiement:%y%m%d}{rang:05d}"
            motif = f"REGLEMENT {numeros}" if numeros else f"FACT {rng.randint(10, 99)} SOLDE"
            paiement.libelle = f"VIR SEPA RECU /DE {nom} /MOTIF {motif}"
        paiement.reference = paiement.reference[:140]
        paiement.libelle = paiement.libelle[:500]


def _marquer_contacts(*, rng: random.Random, clients: list[_PlanClient]) -> None:
    """One contact asked not to be emailed; two addresses bounce (people who left)."""
    avec_email = [(c, contact) for c in clients for contact in c.contacts if contact.email]
    directeurs = [contact for _, contact in avec_email if "direction" in contact.roles]
    rng.choice(directeurs).opt_out = True
    comptables = [contact for _, contact in avec_email if "comptabilite" in contact.roles and contact.prenom]
    for contact in rng.sample(comptables, 2):
        contact.email_invalide = True
