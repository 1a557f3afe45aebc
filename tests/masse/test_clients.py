"""Bulk upsert of clients and contacts (``clients.masse``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clients.masse import clients_upsert, contacts_upsert
from clients.models import Client, Contact, Evenement
from recouvrement.core.masse import StatutLigne
from recouvrement.tenancy.models import Role
from tests.factories import ClientFactory, ContactFactory, MembreFactory, UserFactory, siren_valide
from tests.masse.outils import siret_valide

SIREN = siren_valide(4242)
SIRET = siret_valide(SIREN)
TVA_FR = None


def tva_de(siren: str) -> str:
    cle = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{cle:02d}{siren}"


def codes(resultat):
    return [(e.index, e.champ, e.code) for e in resultat.erreurs]


def test_creation_renvoi_mise_a_jour(scope_a):
    commercial = MembreFactory(user=UserFactory(email="vendeur@alpha.fr"), role=Role.COMMERCIAL)
    lignes = [
        {
            "external_id": "C1",
            "raison_sociale": "Durand SA",
            "siret": f"{SIRET[:3]} {SIRET[3:6]} {SIRET[6:9]} {SIRET[9:]}",
            "tva_intracom": tva_de(SIREN),
            "delai_paiement_jours": 45,
            "fin_de_mois": True,
            "plafond_credit": Decimal("50000.00"),
            "commercial_email": "Vendeur@Alpha.fr",
        },
        {"raison_sociale": "Sans clé SARL"},
    ]
    r = clients_upsert(lignes=lignes)
    assert [x.statut for x in r.lignes] == [StatutLigne.CREE, StatutLigne.CREE], r.erreurs
    c1 = Client.objects.get(pk=r.lignes[0].id)
    # The SIRET is stored compact and gives the SIREN.
    assert (c1.siret, c1.siren, c1.commercial_id, c1.categorie) == (SIRET, SIREN, commercial.pk, "tpe_pme")
    assert Evenement.objects.filter(type="client.cree").count() == 2

    r = clients_upsert(lignes=lignes[:1])
    assert r.lignes[0].statut == StatutLigne.INCHANGE
    assert r.lignes[0].id == c1.pk
    assert Evenement.objects.count() == 2

    # By SIRET (no external id): updated, one event naming the fields.
    r = clients_upsert(lignes=[{"siret": SIRET, "ville": "Lyon", "commercial_email": None}])
    assert r.lignes[0].statut == StatutLigne.MIS_A_JOUR
    assert r.lignes[0].id == c1.pk
    c1.refresh_from_db()
    assert (c1.ville, c1.commercial_id, c1.raison_sociale) == ("Lyon", None, "Durand SA")
    assert Evenement.objects.get(type="client.modifie").donnees == {"champs": ["commercial", "ville"]}
    assert Client.objects.count() == 2


def test_erreurs_clients(scope_a):
    ClientFactory(siret=siret_valide(siren_valide(7)), siren=siren_valide(7), external_id="AUTRE")
    MembreFactory(user=UserFactory(email="parti@alpha.fr"), actif=False)
    lignes = [
        {"raison_sociale": "A", "siren": "123456789"},
        {"raison_sociale": "B", "siret": "12345678900000"},
        {"raison_sociale": "C", "tva_intracom": "FR00123456789"},
        {"raison_sociale": "D", "delai_paiement_jours": 61},
        {"raison_sociale": "E", "delai_paiement_jours": 50, "fin_de_mois": True},
        {"raison_sociale": "F", "categorie": "geant"},
        {"raison_sociale": "G" * 201},
        {"raison_sociale": "H", "commercial_email": "inconnu@alpha.fr"},
        {"raison_sociale": "I", "chef_projet_email": "parti@alpha.fr"},
        {"raison_sociale": ""},
        {"ville": "Paris"},
        {"raison_sociale": "L", "fin_de_mois": "oui"},
        {"raison_sociale": "M", "external_id": "NEUF", "siret": siret_valide(siren_valide(7))},
        {"raison_sociale": "N", "siren": siren_valide(8), "siret": siret_valide(siren_valide(9))},
        {"raison_sociale": "O", "agrement_affacturage": Decimal("1000.00")},
        {"raison_sociale": "P", "note_externe": 101},
        {"raison_sociale": "Q", "external_id": "X"},
        {"raison_sociale": "R", "external_id": "X"},
        {"raison_sociale": "S", "delai_paiement_jours": -1},
        {"raison_sociale": "T", "plafond_credit": 12.5},
        "pas un objet",
    ]
    r = clients_upsert(lignes=lignes)
    assert codes(r) == [
        (0, "siren", "siren_invalide"),
        (1, "siret", "siret_invalide"),
        (2, "tva_intracom", "tva_invalide"),
        (3, "delai_paiement_jours", "delai_illegal"),
        (4, "delai_paiement_jours", "delai_illegal"),
        (5, "categorie", "choix_invalide"),
        (6, "raison_sociale", "trop_long"),
        (7, "commercial_email", "membre_inconnu"),
        (8, "chef_projet_email", "membre_inactif"),
        (9, "raison_sociale", "requis"),
        (10, "raison_sociale", "requis"),
        (11, "fin_de_mois", "type_invalide"),
        (12, "siret", "siret_en_double"),
        (13, "siret", "siret_incoherent"),
        (14, "affactureur", "requis"),
        (15, "note_externe", "hors_bornes"),
        (17, "external_id", "external_id_en_double"),
        (18, "delai_paiement_jours", "hors_bornes"),
        (19, "plafond_credit", "type_invalide"),
        (20, "", "type_invalide"),
    ]
    assert r.lignes[16].statut == StatutLigne.CREE
    assert Client.objects.count() == 2


def test_contacts(scope_a):
    client = ClientFactory(external_id="C1")
    existant = ContactFactory(client=client, email="compta@durand.fr", nom="Ancien")
    existant.email_invalide = True
    existant.save()
    lignes = [
        {"client_external_id": "C1", "email": " Compta@Durand.fr ", "nom": "Martin", "role_comptabilite": True},
        {"client_id": client.pk, "external_id": "K2", "nom": "Petit", "email": "achats@durand.fr"},
        {"client_id": client.pk, "nom": "Sans e-mail"},
    ]
    r = contacts_upsert(lignes=lignes)
    assert [x.statut for x in r.lignes] == ["mis_a_jour", "cree", "cree"], r.erreurs
    assert r.lignes[0].id == existant.pk
    existant.refresh_from_db()
    assert (existant.nom, existant.email, existant.email_invalide) == ("Martin", "compta@durand.fr", True)
    r2 = contacts_upsert(lignes=lignes[:2])
    assert [x.statut for x in r2.lignes] == ["inchange", "inchange"]
    assert Contact.objects.count() == 3
    r3 = contacts_upsert(lignes=[{"external_id": "K2", "email": "nouvelle@durand.fr"}])
    assert r3.lignes[0].statut == "mis_a_jour"
    assert Contact.objects.get(external_id="K2").email == "nouvelle@durand.fr"
    assert Evenement.objects.filter(type="contact.ajoute").count() == 2
    assert Evenement.objects.filter(type="contact.modifie").count() == 2

    r4 = contacts_upsert(
        lignes=[
            {"client_external_id": "NON", "nom": "X"},
            {"nom": "Y"},
            {"client_id": client.pk, "nom": "Z", "email": "pas-une-adresse"},
            {"client_id": client.pk, "nom": "Z", "langue": "de"},
            {"client_id": client.pk},
        ]
    )
    assert codes(r4) == [
        (0, "client_external_id", "client_inconnu"),
        (1, "client_id", "requis"),
        (2, "email", "email_invalide"),
        (3, "langue", "choix_invalide"),
        (4, "nom", "requis"),
    ]


@pytest.mark.parametrize("tout_ou_rien", [True, False])
def test_tout_ou_rien_clients(scope_a, tout_ou_rien):
    r = clients_upsert(
        lignes=[{"raison_sociale": "Bon"}, {"raison_sociale": "Mauvais", "pays": "FRA"}], tout_ou_rien=tout_ou_rien
    )
    assert codes(r) == [(1, "pays", "trop_long")]
    assert r.lignes[0].statut == ("non_ecrit" if tout_ou_rien else "cree")
    assert Client.objects.count() == (0 if tout_ou_rien else 1)
