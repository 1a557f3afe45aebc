"""Property-based: random and malformed typed rows never raise and never write part of a row."""

from __future__ import annotations

import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.masse import clients_upsert, contacts_upsert
from clients.models import Client, Contact, Evenement
from factures.masse import factures_upsert, paiements_upsert
from factures.models import Facture, Lettrage, Paiement
from tests.factories import ClientFactory, FactureFactory

valeurs = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True),
    st.decimals(allow_nan=True, allow_infinity=True, places=None),
    st.decimals(min_value=-(10**13), max_value=10**13, places=2),
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2100, 1, 1)),
    st.datetimes(),
    st.text(max_size=60),
    st.sampled_from(["F1", "F2", "C1", "C2", "X1", "facture", "avoir", "affacturage", "virement", "", "  "]),
    st.lists(st.integers(), max_size=2),
)


def lignes_de(champs: list[str], montants: list[str]):
    bonne_valeur = {
        "numero": st.sampled_from(["F1", "F2", "F3", "N1", "N2"]),
        "client_external_id": st.sampled_from(["C1", "C2", "C9"]),
        "date_emission": st.just(datetime.date(2026, 9, 1)),
        "date_paiement": st.just(datetime.date(2026, 10, 1)),
        "external_id": st.sampled_from(["X1", "X2", "X3"]),
        "raison_sociale": st.text(min_size=1, max_size=10),
        "nom": st.text(min_size=1, max_size=10),
    }
    for montant in montants:
        bonne_valeur[montant] = st.decimals(min_value=-5, max_value=2000, places=2)
    lettrage = st.fixed_dictionaries(
        {
            "facture_numero": st.sampled_from(["F1", "F2", "F3", "N1"]),
            "montant": st.decimals(min_value=-1, max_value=1500, places=2),
        },
        optional={"facture_external_id": st.sampled_from(["X1", "EF"]), "autre": valeurs},
    )
    bonne_valeur["lettrages"] = st.lists(st.one_of(lettrage, valeurs), max_size=3)
    cle = st.one_of(st.sampled_from(champs), st.text(max_size=8), st.integers())
    valeur_de = lambda k: bonne_valeur.get(k, valeurs) if isinstance(k, str) else valeurs  # noqa: E731
    ligne = st.one_of(
        st.fixed_dictionaries(
            {k: st.one_of(bonne_valeur.get(k, valeurs), valeurs) for k in champs if k in bonne_valeur}
        ),
        st.dictionaries(cle, valeurs, max_size=6),
        valeurs,
    ).flatmap(
        lambda d: (
            st.dictionaries(st.sampled_from(champs), valeurs, max_size=3).map(lambda extra: {**d, **extra})
            if isinstance(d, dict)
            else st.just(d)
        )
    )
    del valeur_de
    return st.lists(ligne, max_size=6)


REGLAGES = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def _etat():
    return (
        Client.objects.count(),
        Contact.objects.count(),
        Facture.objects.count(),
        Paiement.objects.count(),
        Lettrage.objects.count(),
        Evenement.objects.count(),
        sorted(Facture.objects.values_list("pk", "reste_du", "montant_ttc", "numero")),
    )


def _verifier(fonction, lignes, tout_ou_rien, modele):
    avant = _etat()
    resultat = fonction(lignes=lignes, tout_ou_rien=tout_ou_rien)
    assert len(resultat.lignes) == len(lignes)
    assert [x.index for x in resultat.lignes] == list(range(len(lignes)))
    for ligne in resultat.lignes:
        if ligne.statut == "erreur":
            assert ligne.erreurs
            assert ligne.id is None
            assert all(e.code and e.message and isinstance(e.champ, str) for e in ligne.erreurs)
        else:
            assert not ligne.erreurs
    if not resultat.ecrit:
        assert _etat() == avant
    crees = [x.id for x in resultat.lignes if x.statut == "cree"]
    assert modele.objects.filter(pk__in=crees).count() == len(crees)
    return resultat


CHAMPS_FACTURE = [
    "numero",
    "nature",
    "client_external_id",
    "client_id",
    "date_emission",
    "date_echeance",
    "montant_ht",
    "montant_tva",
    "montant_ttc",
    "external_id",
    "support_paiement",
    "facture_origine_numero",
    "devise",
]
CHAMPS_PAIEMENT = [
    "external_id",
    "client_external_id",
    "date_paiement",
    "montant",
    "devise",
    "moyen",
    "reference",
    "lettrages",
]
CHAMPS_CLIENT = [
    "raison_sociale",
    "external_id",
    "siret",
    "siren",
    "delai_paiement_jours",
    "fin_de_mois",
    "plafond_credit",
    "commercial_email",
    "categorie",
    "note_externe",
    "tva_intracom",
]
CHAMPS_CONTACT = ["client_external_id", "client_id", "nom", "email", "external_id", "langue", "opt_out"]


def _donnees():
    c1 = ClientFactory(external_id="C1")
    ClientFactory(external_id="C2")
    FactureFactory(client=c1, numero="F1", external_id="X1")
    FactureFactory(client=c1, numero="F2")


def test_factures_et_paiements_aleatoires(scope_a):
    _donnees()

    @REGLAGES
    @given(
        lignes_de(CHAMPS_FACTURE, ["montant_ht", "montant_tva", "montant_ttc"]),
        lignes_de(CHAMPS_PAIEMENT, ["montant"]),
        st.booleans(),
    )
    def cas(factures, paiements, tout_ou_rien):
        _verifier(factures_upsert, factures, tout_ou_rien, Facture)
        _verifier(paiements_upsert, paiements, tout_ou_rien, Paiement)
        # Whatever happened, every invoice's remaining due is its TTC minus its active allocations.
        for facture in Facture.objects.all():
            lettre = sum(x.montant for x in Lettrage.objects.filter(facture=facture, annule_le__isnull=True))
            assert facture.reste_du == facture.montant_ttc - lettre

    cas()


def test_clients_et_contacts_aleatoires(scope_a):
    _donnees()

    @REGLAGES
    @given(lignes_de(CHAMPS_CLIENT, ["plafond_credit"]), lignes_de(CHAMPS_CONTACT, []), st.booleans())
    def cas(clients, contacts, tout_ou_rien):
        _verifier(clients_upsert, clients, tout_ou_rien, Client)
        _verifier(contacts_upsert, contacts, tout_ou_rien, Contact)

    cas()
