"""Writes on clients and contacts. Each function is one transaction and records its event."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from clients.events import TypeEvenementClient, evenement_record
from clients.models import Client, Contact
from recouvrement.core.errors import ApplicationError
from recouvrement.core.validators import normaliser_siren, normaliser_siret, normaliser_tva

CLIENT_FIELDS = (
    "raison_sociale",
    "siren",
    "siret",
    "tva_intracom",
    "adresse",
    "adresse_complement",
    "code_postal",
    "ville",
    "pays",
    "delai_paiement_jours",
    "fin_de_mois",
    "plafond_credit",
    "categorie",
    "classe_risque",
    "date_debut_relation",
    "commercial",
    "chef_projet",
    "affactureur",
    "agrement_affacturage",
    "langue",
    "devise",
    "external_id",
    "notes",
    "note_externe",
    "note_externe_source",
    "note_externe_date",
)
CONTACT_FIELDS = (
    "civilite",
    "prenom",
    "nom",
    "fonction",
    "email",
    "telephone",
    "langue",
    "role_comptabilite",
    "role_achats",
    "role_signataire",
    "role_direction",
    "opt_out",
    "external_id",
)


def _check_fields(fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ApplicationError(
            _("Champ inconnu : %(champ)s.") % {"champ": ", ".join(sorted(unknown))},
            code="champ_inconnu",
            field=sorted(unknown)[0],
        )


def normaliser_identifiants(client: Client) -> None:
    client.siren = normaliser_siren(client.siren)
    client.siret = normaliser_siret(client.siret)
    client.tva_intracom = normaliser_tva(client.tva_intracom)
    if client.siret and not client.siren:
        client.siren = client.siret[:9]


def _check_members(client: Client) -> None:
    for field in ("commercial", "chef_projet"):
        membre = getattr(client, field)
        if membre is not None and not membre.actif:
            raise ApplicationError(
                _("Ce membre n'est plus actif dans l'organisation."), code="membre_inactif", field=field
            )


@transaction.atomic
def client_create(*, auteur: Any = None, **fields: Any) -> Client:
    """Create a client in the active organisation. Raises ``ValidationError`` on bad fields."""
    _check_fields(fields, CLIENT_FIELDS)
    client = Client(**fields)
    normaliser_identifiants(client)
    _check_members(client)
    client.full_clean()
    client.save()
    evenement_record(
        client=client,
        type=TypeEvenementClient.CLIENT_CREE,
        message=_("Client créé : %(nom)s") % {"nom": client.raison_sociale},
        auteur=auteur,
    )
    return client


@transaction.atomic
def client_update(*, client: Client, auteur: Any = None, **fields: Any) -> Client:
    _check_fields(fields, CLIENT_FIELDS)
    changed = [name for name, value in fields.items() if getattr(client, name) != value]
    for name, value in fields.items():
        setattr(client, name, value)
    normaliser_identifiants(client)
    _check_members(client)
    client.full_clean()
    client.save()
    if changed:
        evenement_record(
            client=client,
            type=TypeEvenementClient.CLIENT_MODIFIE,
            message=_("Fiche client modifiée (%(champs)s)") % {"champs": ", ".join(sorted(changed))},
            auteur=auteur,
            donnees={"champs": sorted(changed)},
        )
    return client


@transaction.atomic
def contact_create(*, client: Client, auteur: Any = None, **fields: Any) -> Contact:
    _check_fields(fields, CONTACT_FIELDS)
    contact = Contact(client=client, **fields)
    contact.email = (contact.email or "").strip().lower()
    contact.full_clean()
    contact.save()
    evenement_record(
        client=client,
        type=TypeEvenementClient.CONTACT_AJOUTE,
        message=_("Contact ajouté : %(nom)s") % {"nom": contact},
        auteur=auteur,
    )
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, auteur: Any = None, **fields: Any) -> Contact:
    _check_fields(fields, CONTACT_FIELDS)
    ancien_email = contact.email
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.email = (contact.email or "").strip().lower()
    if contact.email != ancien_email:
        # A new address deserves a new chance: the bounce flag was about the old one.
        contact.email_invalide = False
        contact.email_invalide_le = None
    contact.full_clean()
    contact.save()
    evenement_record(
        client=contact.client,
        type=TypeEvenementClient.CONTACT_MODIFIE,
        message=_("Contact modifié : %(nom)s") % {"nom": contact},
        auteur=auteur,
    )
    return contact


@transaction.atomic
def note_add(*, client: Client, auteur: Any, texte: str) -> None:
    texte = texte.strip()
    if not texte:
        raise ApplicationError(_("La note est vide."), code="note_vide", field="texte")
    evenement_record(
        client=client,
        type=TypeEvenementClient.NOTE_AJOUTEE,
        message=texte,
        auteur=auteur,
        donnees={"texte": texte},
    )
