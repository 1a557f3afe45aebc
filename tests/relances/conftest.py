"""Fixtures of the dunning engine tests: an organisation with explicit scenarios
(not the ready-made ones, so that each test states the steps it relies on)."""

from __future__ import annotations

import datetime
import importlib
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from clients.models import Client
from factures.models import Facture
from recouvrement.tenancy.models import Role
from relances.models import (
    Canal,
    Envoi,
    Etape,
    ModeleMessage,
    ParametresRelance,
    Relance,
    Scenario,
    StatutEnvoi,
    StatutRelance,
    TauxReference,
    Ton,
)
from tests.factories import ClientFactory, ContactFactory, FactureFactory, MembreFactory

SUJET = "Relance {{ client.raison_sociale }} : {{ nombre_factures }} facture{{ nombre_factures|pluralize }}"
CORPS = (
    "Bonjour {{ contact.prenom }},\n\n{{ tableau_factures }}\n\nTotal dû : {{ total_du|montant }}.\n\n"
    "{{ signataire.nom }}"
)

# (name, offset, channel, tone, approval, To roles, Cc roles, internal Cc)
STANDARD = [
    ("Préventive", -10, Canal.EMAIL, Ton.COURTOIS, False, ["comptabilite"], [], []),
    ("Rappel", 1, Canal.EMAIL, Ton.AIMABLE, False, ["comptabilite"], [], []),
    ("Relance ferme", 15, Canal.EMAIL, Ton.FERME, False, ["comptabilite"], ["achats"], []),
    (
        "Dernier rappel",
        30,
        Canal.EMAIL,
        Ton.TRES_FERME,
        False,
        ["comptabilite", "signataire"],
        ["achats"],
        ["commercial"],
    ),
    ("Mise en demeure", 45, Canal.COURRIER, Ton.MISE_EN_DEMEURE, True, ["comptabilite"], [], ["daf", "commercial"]),
]


def creer_scenario(nom: str, etapes: list[tuple], *, par_defaut: bool = False) -> Scenario:
    scenario = Scenario.objects.create(nom=nom, par_defaut=par_defaut)
    for nom_etape, decalage, canal, ton, validation, a, cc, internes in etapes:
        etape = Etape.objects.create(
            scenario=scenario,
            nom=nom_etape,
            decalage_jours=decalage,
            canal=canal,
            ton=ton,
            necessite_validation=validation,
            contacts_a=a,
            contacts_cc=cc,
            internes_cc=internes,
            tache_appel=canal == Canal.COURRIER,
        )
        for langue in ("fr", "en"):
            ModeleMessage.objects.create(
                etape=etape, langue=langue, sujet=f"[{langue}] {nom_etape} — " + SUJET, corps=CORPS
            )
    return scenario


@dataclass
class Relances:
    """An organisation in scope, with the Standard scenario as default and a credit manager."""

    tenant: object
    standard: Scenario
    charge: object
    commercial: object
    daf: object
    parametres: ParametresRelance
    clients: list[Client] = field(default_factory=list)

    def client(self, **champs) -> Client:
        champs.setdefault("commercial", self.commercial)
        client = ClientFactory(adresse="1 rue de la Paix", ville="Lyon", code_postal="69002", **champs)
        ContactFactory(
            client=client,
            role_comptabilite=True,
            prenom="Claire",
            nom="Compta",
            email=f"compta@{client.pk}.client.example",
        )
        ContactFactory(
            client=client,
            role_comptabilite=False,
            role_achats=True,
            prenom="Alain",
            nom="Achats",
            email=f"achats@{client.pk}.client.example",
        )
        ContactFactory(
            client=client,
            role_comptabilite=False,
            role_signataire=True,
            prenom="Sophie",
            nom="Signataire",
            email=f"signataire@{client.pk}.client.example",
        )
        return client

    def facture(self, client: Client, *, echeance: datetime.date, ttc: str = "1200.00", **champs) -> Facture:
        ttc_decimal = Decimal(ttc)
        ht = (ttc_decimal / Decimal("1.2")).quantize(Decimal("0.01"))
        return FactureFactory(
            client=client,
            date_emission=echeance - datetime.timedelta(days=30),
            date_echeance=echeance,
            montant_ht=ht,
            montant_tva=ttc_decimal - ht,
            montant_ttc=ttc_decimal,
            reste_du=ttc_decimal,
            **champs,
        )


@pytest.fixture
def relances(tenant_a) -> Relances:
    with tenant_a.scope():
        charge = MembreFactory(role=Role.CHARGE)
        commercial = MembreFactory(role=Role.COMMERCIAL)
        daf = MembreFactory(role=Role.DAF)
        parametres = ParametresRelance.objects.create(charge_par_defaut=charge)
        standard = creer_scenario("Standard", STANDARD, par_defaut=True)
    return Relances(
        tenant=tenant_a, standard=standard, charge=charge, commercial=commercial, daf=daf, parametres=parametres
    )


@pytest.fixture
def scope_relances(relances):
    with relances.tenant.scope():
        yield relances


@pytest.fixture(autouse=True)
def _taux_publies(django_db_setup, django_db_blocker):
    """The reference rates of the data migration, even after a transactional test flushed the tables."""
    migration = importlib.import_module("relances.migrations.0003_taux_reference")
    with django_db_blocker.unblock():
        for debut, bce, legal in migration.TAUX:
            TauxReference.objects.get_or_create(
                semestre_debut=debut, defaults={"taux_bce": Decimal(bce), "taux_legal": Decimal(legal)}
            )


@pytest.fixture
def taux_2026_s2(db):
    """A rate row for the second half of 2026, for tests computing penalties in November 2026.

    Test data, not the official publication: the migration stops at the last
    half-year published when it was written.
    """
    TauxReference.objects.get_or_create(
        semestre_debut=datetime.date(2026, 7, 1),
        defaults={"taux_bce": Decimal("2.15"), "taux_legal": Decimal("2.62"), "source": "tests"},
    )


def relance_envoyee(r: Relances, facture, etape_nom: str, *, le: datetime.datetime) -> Relance:
    """A reminder of ``facture`` at the step ``etape_nom`` of Standard, sent at ``le`` (with its send)."""
    etape = r.standard.etapes.get(nom=etape_nom)
    envoi = Envoi.objects.create(
        client=facture.client,
        date_prevue=le.date(),
        etape=etape,
        canal=etape.canal,
        statut=StatutEnvoi.ENVOYE,
        envoye_le=le,
        sujet=f"{etape_nom} — {facture.numero}",
        corps_texte="Bonjour",
        corps_html="<p>Bonjour</p>",
    )
    return Relance.objects.create(
        facture=facture,
        etape=etape,
        client=facture.client,
        envoi=envoi,
        date_prevue=le.date(),
        decalage_jours=etape.decalage_jours,
        canal=etape.canal,
        statut=StatutRelance.ENVOYEE,
    )
