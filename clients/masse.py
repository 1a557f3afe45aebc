"""Bulk upserts of clients and contacts: the engine under the API bulk endpoints and the imports.

Rows are mappings of typed Python values (see ``recouvrement.core.masse``).
Each function checks every row (types, choices, lengths, identifiers, the
references it names), reads the existing rows with one query per chunk,
then writes the creations with ``bulk_create``, the updates with one
``UPDATE … FROM (VALUES …)`` per chunk and the timeline events with one bulk
insert, all in one transaction. Nothing is validated with ``full_clean()``
row by row: the same rules are checked here, set-based, and the database
constraints stay the last line of defence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.events import TypeEvenementClient
from clients.models import DELAI_MAX_JOURS, DELAI_MAX_JOURS_FIN_DE_MOIS, Client, Contact, Evenement
from clients.services import CLIENT_FIELDS, CONTACT_FIELDS
from recouvrement.core.masse import (
    ENTIER,
    TEXTE,
    Champ,
    Lignes,
    Progression,
    ResultatMasse,
    StatutLigne,
    appeler_progression,
    auteur_id,
    champ_du_modele,
    inserer,
    jointures_par_hachage,
    ligne_verifier,
    lire_parmi,
    mettre_a_jour,
    par_external_id,
    par_lots,
    parmi,
    requis_verifier,
    sans_ramasse_miettes,
)
from recouvrement.core.validators import (
    normaliser_siren,
    normaliser_siret,
    normaliser_tva,
    siren_de_la_tva,
    valider_siren,
    valider_siret,
    valider_tva,
)
from recouvrement.tenancy.models import Membre

CHAMPS_CLIENT: dict[str, Champ] = {
    nom: champ_du_modele(Client, nom) for nom in CLIENT_FIELDS if nom not in ("commercial", "chef_projet")
}
# Identifiers come as people type them (spaces, dots): their length is checked once compacted.
for _nom in ("siren", "siret", "tva_intracom"):
    CHAMPS_CLIENT[_nom] = champ_du_modele(Client, _nom, max_length=40)
CHAMPS_CLIENT["commercial_email"] = Champ(nom="commercial_email", type=TEXTE, max_length=254)
CHAMPS_CLIENT["chef_projet_email"] = Champ(nom="chef_projet_email", type=TEXTE, max_length=254)

CHAMPS_CONTACT: dict[str, Champ] = {nom: champ_du_modele(Contact, nom) for nom in CONTACT_FIELDS}
CHAMPS_CONTACT["client_id"] = Champ(nom="client_id", type=ENTIER, minimum=1)
CHAMPS_CONTACT["client_external_id"] = Champ(nom="client_external_id", type=TEXTE, max_length=100)

MEMBRES = {"commercial_email": "commercial", "chef_projet_email": "chef_projet"}
IDENTIFIANTS = (
    ("siren", normaliser_siren, valider_siren),
    ("siret", normaliser_siret, valider_siret),
    ("tva_intracom", normaliser_tva, valider_tva),
)


def _message(error: ValidationError) -> str:
    return str(error.messages[0]) if error.messages else str(error)


def _en_double(lignes: Lignes, index: int, champ: str, premiere: int) -> None:
    lignes.erreur(
        index,
        champ,
        f"{champ}_en_double" if champ != "numero" else "numero_en_double",
        _("Déjà présent à la ligne %(ligne)s de cet envoi.") % {"ligne": premiere + 1},
    )


def _membres_lire(emails: set[str]) -> dict[str, tuple[int, bool]]:
    """The organisation's members by lower-case e-mail: (membre id, actif). One query."""
    if not emails:
        return {}
    rows = Membre.objects.filter(user__email__in=sorted(emails)).values_list("user__email", "pk", "actif")
    return {email.lower(): (pk, actif) for email, pk, actif in rows}


COLONNES_EVENEMENT = ("client_id", "facture_id", "type", "message", "auteur_id", "donnees", "created_at")


def evenement(
    *,
    client_id: int,
    type: str,
    message: str,
    auteur_id: int | None,
    created_at: Any,
    facture_id: int | None = None,
    donnees: dict[str, Any] | None = None,
) -> tuple[Any, ...]:
    """One timeline event as ``clients.events.evenement_record`` writes it, as a row for ``_evenements_ecrire``."""
    return (client_id, facture_id, type, message[:500], auteur_id, donnees or {}, created_at)


def _evenements_ecrire(evenements: list[tuple[Any, ...]]) -> None:
    """One insert of the events (the timeline is append-only: nothing else is ever done to them)."""
    inserer(Evenement, COLONNES_EVENEMENT, evenements)


# --- clients ---------------------------------------------------------------------------------


def _client_regles(client: Client, index: int, lignes: Lignes, donnes: Mapping[str, Any]) -> None:
    """The model's ``clean()`` and check constraints, on the merged values, reported on a given field."""

    def champ(*noms: str) -> str:
        return next((nom for nom in noms if nom in donnes), noms[0])

    if client.siret and client.siren and not client.siret.startswith(client.siren):
        lignes.erreur(
            index,
            champ("siret", "siren"),
            "siret_incoherent",
            _("Le SIRET doit commencer par le SIREN du client (%(siren)s).") % {"siren": client.siren},
        )
    if client.tva_intracom and client.siren:
        siren_tva = siren_de_la_tva(client.tva_intracom)
        if siren_tva is not None and siren_tva != client.siren:
            lignes.erreur(
                index,
                champ("tva_intracom", "siren", "siret"),
                "tva_incoherente",
                _("Le numéro de TVA ne correspond pas au SIREN %(siren)s.") % {"siren": client.siren},
            )
    if client.agrement_affacturage is not None and not client.affactureur:
        lignes.erreur(index, "affactureur", "requis", _("Indiquez l'affactureur qui a donné l'agrément."))
    if client.note_externe is None and (client.note_externe_source or client.note_externe_date):
        lignes.erreur(index, "note_externe", "requis", _("Indiquez la note, ou effacez sa source et sa date."))
    if client.note_externe is not None and client.note_externe > 100:
        lignes.erreur(index, "note_externe", "hors_bornes", _("La note externe va de 0 à 100."))
    plafond = DELAI_MAX_JOURS_FIN_DE_MOIS if client.fin_de_mois else DELAI_MAX_JOURS
    if client.delai_paiement_jours is not None and client.delai_paiement_jours > plafond:
        lignes.erreur(
            index,
            champ("delai_paiement_jours", "fin_de_mois"),
            "delai_illegal",
            _(
                "Le délai de paiement ne peut dépasser 60 jours à compter de la date de facture, "
                "ou 45 jours fin de mois (art. L441-10 du Code de commerce)."
            ),
        )
    for nom in ("plafond_credit", "agrement_affacturage"):
        valeur = getattr(client, nom)
        if valeur is not None and valeur < 0:
            lignes.erreur(index, nom, "montant_invalide", _("Le montant ne peut être négatif."))


@sans_ramasse_miettes()
def clients_upsert(
    *,
    lignes: Sequence[Mapping[str, Any]],
    tout_ou_rien: bool = False,
    auteur: Any = None,
    progression: Progression = None,
) -> ResultatMasse:
    """Create or update clients, keyed by ``external_id``, else ``siret``, else created.

    Precondition: inside an organisation's scope. Never raises on bad data: each
    row's problems are reported with its field and a stable code.
    """
    lignes = list(lignes)
    res = Lignes(len(lignes))
    with transaction.atomic():
        propres = [
            ligne_verifier(ligne=ligne, champs=CHAMPS_CLIENT, index=i, lignes=res) for i, ligne in enumerate(lignes)
        ]
        for i, donnees in enumerate(propres):
            for nom, normaliser, valider in IDENTIFIANTS:
                if nom in donnees:
                    donnees[nom] = normaliser(donnees[nom])
                    if donnees[nom]:
                        try:
                            valider(donnees[nom])
                        except ValidationError as error:
                            res.erreur(i, nom, error.code or f"{nom}_invalide", _message(error))
                            del donnees[nom]
            if donnees.get("siret") and not donnees.get("siren") and "siren" not in lignes[i]:
                donnees["siren"] = donnees["siret"][:9]
            for cle in MEMBRES:
                if cle in donnees:
                    donnees[cle] = donnees[cle].lower()

        membres = _membres_lire({d[cle] for d in propres for cle in MEMBRES if d.get(cle)})

        # Duplicates inside the batch, on each key and on the SIRET.
        vus: dict[tuple[str, str], int] = {}
        for i, donnees in enumerate(propres):
            if res.en_erreur(i):
                continue
            for nom in ("external_id", "siret"):
                valeur = donnees.get(nom)
                if valeur:
                    premiere = vus.setdefault((nom, valeur), i)
                    if premiere != i:
                        _en_double(res, i, nom, premiere)

        a_creer: list[tuple[int, Client]] = []
        a_modifier: list[tuple[int, Client, list[str]]] = []
        cibles: dict[int, int] = {}
        for lot in par_lots(len(lignes)):
            externes = {propres[i]["external_id"] for i in lot if propres[i].get("external_id")}
            sirets = {propres[i]["siret"] for i in lot if propres[i].get("siret")}
            existants = lire_parmi(Client.objects.all(), [("external_id", externes), ("siret", sirets)])
            par_externe = {c.external_id: c for c in existants if c.external_id}
            par_siret = {c.siret: c for c in existants if c.siret}
            for i in lot:
                if res.en_erreur(i):
                    continue
                _client_ligne(
                    i=i,
                    donnees=propres[i],
                    ligne=lignes[i],
                    res=res,
                    par_externe=par_externe,
                    par_siret=par_siret,
                    membres=membres,
                    cibles=cibles,
                    a_creer=a_creer,
                    a_modifier=a_modifier,
                )

        if tout_ou_rien and res.a_des_erreurs():
            return res.resultat(bloque=True)

        maintenant = timezone.now()
        id_auteur = auteur_id(auteur)
        faites = 0
        champs_modifies = sorted({nom for _i, _c, changes in a_modifier for nom in changes} | {"updated_at"})
        for lot in par_lots(len(a_creer)):
            clients = [a_creer[j][1] for j in lot]
            Client.objects.bulk_create(clients)
            evenements: list[tuple[Any, ...]] = []
            for j in lot:
                i, client = a_creer[j]
                res.ids[i] = client.pk
                res.statuts[i] = StatutLigne.CREE
                evenements.append(
                    evenement(
                        client_id=client.pk,
                        type=TypeEvenementClient.CLIENT_CREE,
                        message=(_("Client créé : %(nom)s") % {"nom": client.raison_sociale})[:500],
                        auteur_id=id_auteur,
                        donnees={},
                        created_at=maintenant,
                    )
                )
            _evenements_ecrire(evenements)
            faites += len(lot)
            appeler_progression(progression, faites)
        for lot in par_lots(len(a_modifier)):
            modifies = [a_modifier[j] for j in lot]
            for _i, client, _changes in modifies:
                client.updated_at = maintenant
            mettre_a_jour(Client, [client for _i, client, _changes in modifies], champs_modifies)
            evenements = []
            for i, client, changes in modifies:
                res.ids[i] = client.pk
                res.statuts[i] = StatutLigne.MIS_A_JOUR
                evenements.append(
                    evenement(
                        client_id=client.pk,
                        type=TypeEvenementClient.CLIENT_MODIFIE,
                        message=(_("Fiche client modifiée (%(champs)s)") % {"champs": ", ".join(changes)})[:500],
                        auteur_id=id_auteur,
                        donnees={"champs": changes},
                        created_at=maintenant,
                    )
                )
            _evenements_ecrire(evenements)
            faites += len(lot)
            appeler_progression(progression, faites)
    return res.resultat(bloque=False)


def _client_ligne(
    *,
    i: int,
    donnees: dict[str, Any],
    ligne: Mapping[str, Any],
    res: Lignes,
    par_externe: dict[str, Client],
    par_siret: dict[str, Client],
    membres: dict[str, tuple[int, bool]],
    cibles: dict[int, int],
    a_creer: list[tuple[int, Client]],
    a_modifier: list[tuple[int, Client, list[str]]],
) -> None:
    """Decide what row ``i`` does (create, update, nothing) or report why it cannot."""
    external_id = donnees.get("external_id") or ""
    siret = donnees.get("siret") or ""
    existant: Client | None = None
    if external_id:
        existant = par_externe.get(external_id)
        if existant is None and siret and siret in par_siret:
            existant = par_siret[siret]
            if existant.external_id:
                res.erreur(i, "siret", "siret_en_double", _("Un client de votre organisation a déjà ce SIRET."))
                return
    elif siret:
        existant = par_siret.get(siret)
    if existant is not None:
        premiere = cibles.setdefault(existant.pk, i)
        if premiere != i:
            _en_double(res, i, "external_id" if external_id else "siret", premiere)
            return
    if siret:
        titulaire = par_siret.get(siret)
        if titulaire is not None and (existant is None or titulaire.pk != existant.pk):
            res.erreur(i, "siret", "siret_en_double", _("Un client de votre organisation a déjà ce SIRET."))
            return

    valeurs = {nom: valeur for nom, valeur in donnees.items() if nom not in MEMBRES}
    for cle, nom in MEMBRES.items():
        if cle not in donnees:
            continue
        email = donnees[cle]
        if not email:
            valeurs[f"{nom}_id"] = None
            continue
        membre = membres.get(email)
        if membre is None:
            res.erreur(i, cle, "membre_inconnu", _("Aucun membre de l'organisation n'a cette adresse."))
            continue
        if not membre[1]:
            res.erreur(i, cle, "membre_inactif", _("Ce membre n'est plus actif dans l'organisation."))
            continue
        valeurs[f"{nom}_id"] = membre[0]
    if res.en_erreur(i):
        return

    if existant is None:
        requis_verifier(propres=donnees, ligne=ligne, champs=CHAMPS_CLIENT.values(), index=i, lignes=res)
        client = Client(**valeurs)
        if client.siret and not client.siren:
            client.siren = client.siret[:9]
        _client_regles(client, i, res, donnees)
        if not res.en_erreur(i):
            a_creer.append((i, client))
        return

    changes = []
    for nom, valeur in valeurs.items():
        if getattr(existant, nom) != valeur:
            changes.append(nom.removesuffix("_id") if nom in ("commercial_id", "chef_projet_id") else nom)
            setattr(existant, nom, valeur)
    if existant.siret and not existant.siren:
        existant.siren = existant.siret[:9]
        changes.append("siren")
    _client_regles(existant, i, res, donnees)
    if res.en_erreur(i):
        return
    res.ids[i] = existant.pk
    if changes:
        a_modifier.append((i, existant, sorted(set(changes))))
    else:
        res.statuts[i] = StatutLigne.INCHANGE


# --- contacts --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientRef:
    """What the bulk upserts need of a client they name (cheaper to read than a ``Client``)."""

    pk: int
    external_id: str
    siret: str
    delai_paiement_jours: int
    fin_de_mois: bool
    affactureur: str


CHAMPS_CLIENT_REF = ("pk", "external_id", "siret", "delai_paiement_jours", "fin_de_mois", "affactureur")


def client_ref(client_id: int) -> ClientRef:
    """One client's reference (the rare paths that need the client of an existing invoice)."""
    return ClientRef(*Client.objects.values_list(*CHAMPS_CLIENT_REF).get(pk=client_id))


def clients_resoudre(
    *, propres: Sequence[Mapping[str, Any]], lot: range, res: Lignes, requis: Callable[[int], bool]
) -> dict[int, ClientRef]:
    """The client named by each row of ``lot`` (``client_id``, ``client_external_id`` or ``client_siret``), one query.

    An unknown client (or another organisation's: the scope hides it) is an error on the field given;
    ``requis(i)`` says whether row ``i`` must name one.
    """
    ids = {propres[i]["client_id"] for i in lot if propres[i].get("client_id") is not None}
    externes = {propres[i]["client_external_id"] for i in lot if propres[i].get("client_external_id")}
    sirets = {propres[i]["client_siret"] for i in lot if propres[i].get("client_siret")}
    clients = [
        ClientRef(*(getattr(c, nom) for nom in CHAMPS_CLIENT_REF))
        for c in lire_parmi(Client.objects.all(), [("id", ids), ("external_id", externes), ("siret", sirets)])
    ]
    par_id = {c.pk: c for c in clients}
    par_externe = {c.external_id: c for c in clients if c.external_id}
    par_siret = {c.siret: c for c in clients if c.siret}
    trouves: dict[int, ClientRef] = {}
    for i in lot:
        if res.en_erreur(i):
            continue
        donnees = propres[i]
        client = None
        if donnees.get("client_id") is not None:
            client = par_id.get(donnees["client_id"])
            if client is None:
                res.erreur(i, "client_id", "client_inconnu", _("Client inconnu."))
                continue
        incoherent = False
        for cle, index_par in (("client_external_id", par_externe), ("client_siret", par_siret)):
            if not donnees.get(cle):
                continue
            autre = index_par.get(donnees[cle])
            if autre is None:
                res.erreur(i, cle, "client_inconnu", _("Client inconnu."))
                incoherent = True
                break
            if client is not None and autre.pk != client.pk:
                res.erreur(i, cle, "client_incoherent", _("Les champs du client désignent des clients différents."))
                incoherent = True
                break
            client = autre
        if incoherent:
            continue
        if client is None:
            if requis(i):
                res.erreur(i, "client_id", "requis", _("Indiquez le client."))
            continue
        trouves[i] = client
    return trouves


@sans_ramasse_miettes()
def contacts_upsert(
    *,
    lignes: Sequence[Mapping[str, Any]],
    tout_ou_rien: bool = False,
    auteur: Any = None,
    progression: Progression = None,
) -> ResultatMasse:
    """Create or update contacts, keyed by ``external_id``, else (client, e-mail), else created."""
    lignes = list(lignes)
    res = Lignes(len(lignes))
    with transaction.atomic():
        propres = [
            ligne_verifier(ligne=ligne, champs=CHAMPS_CONTACT, index=i, lignes=res) for i, ligne in enumerate(lignes)
        ]
        for i, donnees in enumerate(propres):
            if donnees.get("email"):
                donnees["email"] = donnees["email"].lower()
                try:
                    validate_email(donnees["email"])
                except ValidationError:
                    res.erreur(i, "email", "email_invalide", _("Adresse e-mail invalide."))

        vus: dict[Any, int] = {}
        for i, donnees in enumerate(propres):
            if not res.en_erreur(i) and donnees.get("external_id"):
                premiere = vus.setdefault(("external_id", donnees["external_id"]), i)
                if premiere != i:
                    _en_double(res, i, "external_id", premiere)

        a_creer: list[tuple[int, Contact]] = []
        a_modifier: list[tuple[int, Contact]] = []
        cibles: dict[int, int] = {}
        for lot in par_lots(len(lignes)):
            externes = {propres[i]["external_id"] for i in lot if propres[i].get("external_id")}
            existants_ext: dict[str, Contact] = par_external_id(Contact, externes)
            creations = {i for i in lot if propres[i].get("external_id") not in existants_ext}
            clients = clients_resoudre(propres=propres, lot=lot, res=res, requis=creations.__contains__)
            paires = {(clients[i].pk, propres[i]["email"]) for i in lot if i in clients and propres[i].get("email")}
            par_paire: dict[tuple[int, str], Contact] = {}
            if paires:
                candidats = Contact.objects.filter(
                    parmi(Contact, "client_id", {p[0] for p in paires}), parmi(Contact, "email", {p[1] for p in paires})
                ).order_by("pk")
                with jointures_par_hachage(len(paires)):
                    for contact in candidats:
                        par_paire.setdefault((contact.client_id, contact.email), contact)
            for i in lot:
                if res.en_erreur(i):
                    continue
                donnees = propres[i]
                client = clients.get(i)
                existant = None
                cle = "external_id"
                if donnees.get("external_id"):
                    existant = existants_ext.get(donnees["external_id"])
                    if existant is None and donnees.get("email") and client is not None:
                        # Known by its e-mail before the ERP gave it an id: take it over if it has none.
                        candidat = par_paire.get((client.pk, donnees["email"]))
                        if candidat is not None and not candidat.external_id:
                            existant = candidat
                elif donnees.get("email") and client is not None:
                    cle = "email"
                    paire = (client.pk, donnees["email"])
                    existant = par_paire.get(paire)
                    if existant is None:
                        premiere = vus.setdefault(("paire", paire), i)
                        if premiere != i:
                            _en_double(res, i, "email", premiere)
                            continue
                if existant is not None:
                    premiere = cibles.setdefault(existant.pk, i)
                    if premiere != i:
                        _en_double(res, i, cle, premiere)
                        continue
                valeurs = {nom: v for nom, v in donnees.items() if nom not in ("client_id", "client_external_id")}
                if existant is None:
                    requis_verifier(
                        propres=donnees, ligne=lignes[i], champs=CHAMPS_CONTACT.values(), index=i, lignes=res
                    )
                    if res.en_erreur(i):
                        continue
                    assert client is not None
                    a_creer.append((i, Contact(client_id=client.pk, **valeurs)))
                    continue
                if client is not None and client.pk != existant.client_id:
                    valeurs["client_id"] = client.pk
                changes = [nom for nom, v in valeurs.items() if getattr(existant, nom) != v]
                res.ids[i] = existant.pk
                if not changes:
                    res.statuts[i] = StatutLigne.INCHANGE
                    continue
                if "email" in changes:
                    # A new address deserves a new chance: the bounce flag was about the old one.
                    existant.email_invalide = False
                    existant.email_invalide_le = None
                for nom in changes:
                    setattr(existant, nom, valeurs[nom])
                a_modifier.append((i, existant))

        if tout_ou_rien and res.a_des_erreurs():
            return res.resultat(bloque=True)

        maintenant = timezone.now()
        id_auteur = auteur_id(auteur)
        faites = 0
        for lot in par_lots(len(a_creer)):
            contacts = [a_creer[j][1] for j in lot]
            Contact.objects.bulk_create(contacts)
            for j in lot:
                i, contact = a_creer[j]
                res.ids[i], res.statuts[i] = contact.pk, StatutLigne.CREE
            _evenements_ecrire(
                [
                    evenement(
                        client_id=contact.client_id,
                        type=TypeEvenementClient.CONTACT_AJOUTE,
                        message=(_("Contact ajouté : %(nom)s") % {"nom": contact})[:500],
                        auteur_id=id_auteur,
                        donnees={},
                        created_at=maintenant,
                    )
                    for contact in contacts
                ]
            )
            faites += len(lot)
            appeler_progression(progression, faites)
        champs = [*CONTACT_FIELDS, "client", "email_invalide", "email_invalide_le"]
        for lot in par_lots(len(a_modifier)):
            contacts = [a_modifier[j][1] for j in lot]
            mettre_a_jour(Contact, contacts, champs)
            for j in lot:
                res.statuts[a_modifier[j][0]] = StatutLigne.MIS_A_JOUR
            _evenements_ecrire(
                [
                    evenement(
                        client_id=contact.client_id,
                        type=TypeEvenementClient.CONTACT_MODIFIE,
                        message=(_("Contact modifié : %(nom)s") % {"nom": contact})[:500],
                        auteur_id=id_auteur,
                        donnees={},
                        created_at=maintenant,
                    )
                    for contact in contacts
                ]
            )
            faites += len(lot)
            appeler_progression(progression, faites)
    return res.resultat(bloque=False)
