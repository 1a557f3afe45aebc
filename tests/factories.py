"""factory_boy factories. Tenant-owned factories must run inside an organisation
scope (the ``scope`` fixture or ``organisation_scope``): the tenant comes from it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from stdnum import luhn

from clients.models import Client, Contact
from factures.models import Facture, Nature, Paiement, Statut
from recouvrement.tenancy.models import Membre, Organisation, Role, User


def siren_valide(n: int) -> str:
    """A valid SIREN (Luhn key) built from a sequence number."""
    base = f"{(n * 7919) % 10**8:08d}"
    return base + luhn.calc_check_digit(base)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    raison_sociale = factory.Sequence(lambda n: f"Fournisseur {n} SAS")
    siren = factory.Sequence(lambda n: siren_valide(n + 1000))
    ville = "Lyon"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@exemple.fr")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    password = factory.PostGenerationMethodCall("set_password", "mot-de-passe-solide-42")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membre

    user = factory.SubFactory(UserFactory)
    role = Role.CHARGE


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    raison_sociale = factory.Sequence(lambda n: f"Client {n} SARL")
    siren = factory.Sequence(lambda n: siren_valide(n + 50_000))
    delai_paiement_jours = 30


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    client = factory.SubFactory(ClientFactory)
    nom = factory.Sequence(lambda n: f"Durand{n}")
    prenom = "Alex"
    email = factory.Sequence(lambda n: f"compta{n}@client.fr")
    role_comptabilite = True


class FactureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facture

    client = factory.SubFactory(ClientFactory)
    numero = factory.Sequence(lambda n: f"F2026-{n:05d}")
    nature = Nature.FACTURE
    date_emission = datetime.date(2026, 9, 1)
    date_echeance = datetime.date(2026, 10, 1)
    montant_ht = Decimal("1000.00")
    montant_tva = Decimal("200.00")
    montant_ttc = Decimal("1200.00")
    reste_du = factory.LazyAttribute(lambda o: o.montant_ttc)
    statut = Statut.OUVERTE


class PaiementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Paiement

    client = factory.SubFactory(ClientFactory)
    date_paiement = datetime.date(2026, 10, 15)
    montant = Decimal("500.00")
    montant_non_affecte = factory.LazyAttribute(lambda o: o.montant)


def scenario_avec_etape(*, decalage: int = 1, nom: str | None = None):
    """A scenario with one e-mail step (and its French template). Inside an organisation scope."""
    from relances.models import Etape, ModeleMessage, Scenario

    scenario = Scenario.objects.create(nom=nom or f"Scénario {Scenario.objects.count() + 1}")
    etape = Etape.objects.create(scenario=scenario, nom="Rappel", decalage_jours=decalage, contacts_a=["comptabilite"])
    ModeleMessage.objects.create(etape=etape, langue="fr", sujet="Rappel", corps="{{ tableau_factures }}")
    return etape
