"""What each kind of file may fill: the target fields, their cell types, the column
headers that name them (synonyms, compared without accents nor case), and the
fields a mapping must provide.

Target names are those of the bulk upserts (``clients.masse``, ``factures.masse``),
except ``facture_numero`` / ``facture_external_id`` / ``montant_lettre`` of a payment,
which the import turns into one allocation (``lettrages``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clients.models import Categorie, ClasseRisque
from factures.models import MoyenPaiement, Nature, SupportPaiement
from imports.models import TypeImport
from recouvrement.tenancy.models import Langue


class Genre:
    TEXTE = "texte"
    ENTIER = "entier"
    MONTANT = "montant"
    DATE = "date"
    BOOLEEN = "booleen"
    IDENTIFIANT = "identifiant"  # SIREN, SIRET: digits, spaces and dots dropped
    EMAIL = "email"
    CHOIX = "choix"


@dataclass(frozen=True)
class Champ:
    nom: str
    libelle: str | Promise
    genre: str
    synonymes: tuple[str, ...] = ()
    choix: type[models.TextChoices] | None = None


@dataclass(frozen=True)
class Definition:
    type: str
    champs: tuple[Champ, ...]
    # Each entry: alternatives, one of which must be mapped.
    requis: tuple[tuple[str, ...], ...] = field(default=())

    def champ(self, nom: str) -> Champ | None:
        return next((c for c in self.champs if c.nom == nom), None)

    @property
    def noms(self) -> list[str]:
        return [c.nom for c in self.champs]


def normaliser(texte: str) -> str:
    """``"N° Facture "`` → ``"n° facture"``: lower case, no accents, single spaces."""
    sans_accents = unicodedata.normalize("NFKD", str(texte))
    sans_accents = "".join(c for c in sans_accents if not unicodedata.combining(c))
    return re.sub(r"[\s_]+", " ", sans_accents).strip().lower()


def _cle(texte: str) -> str:
    """A header reduced to its letters and digits, to compare with the synonyms."""
    return re.sub(r"[^a-z0-9]", "", normaliser(texte).replace("°", "o"))


T, E, M, D, B, ID, C = (
    Genre.TEXTE,
    Genre.ENTIER,
    Genre.MONTANT,
    Genre.DATE,
    Genre.BOOLEEN,
    Genre.IDENTIFIANT,
    Genre.CHOIX,
)

CLIENTS = Definition(
    type=TypeImport.CLIENTS,
    champs=(
        Champ(
            "raison_sociale",
            _("Raison sociale"),
            T,
            ("raison sociale", "nom", "client", "societe", "nom client", "denomination", "entreprise"),
        ),
        Champ("siren", _("SIREN"), ID, ("siren", "n siren", "numero siren")),
        Champ("siret", _("SIRET"), ID, ("siret", "n siret", "numero siret")),
        Champ(
            "tva_intracom",
            _("N° de TVA intracommunautaire"),
            T,
            ("tva intracom", "tva intracommunautaire", "n tva", "numero tva", "tva"),
        ),
        Champ("adresse", _("Adresse"), T, ("adresse", "adresse 1", "rue")),
        Champ(
            "adresse_complement",
            _("Complément d'adresse"),
            T,
            ("complement adresse", "complement d adresse", "adresse 2"),
        ),
        Champ("code_postal", _("Code postal"), T, ("code postal", "cp")),
        Champ("ville", _("Ville"), T, ("ville", "commune")),
        Champ("pays", _("Pays (code ISO)"), T, ("pays", "code pays")),
        Champ(
            "delai_paiement_jours",
            _("Délai de paiement (jours)"),
            E,
            ("delai de paiement", "delai paiement", "delai", "delai paiement jours", "conditions de paiement"),
        ),
        Champ("fin_de_mois", _("Fin de mois"), B, ("fin de mois", "fdm")),
        Champ(
            "plafond_credit",
            _("Plafond de crédit"),
            M,
            ("plafond", "plafond de credit", "encours autorise", "limite de credit"),
        ),
        Champ("categorie", _("Catégorie"), C, ("categorie",), Categorie),
        Champ("classe_risque", _("Classe de risque"), C, ("classe de risque", "risque"), ClasseRisque),
        Champ(
            "date_debut_relation", _("Client depuis"), D, ("client depuis", "date debut relation", "date de creation")
        ),
        Champ(
            "commercial_email",
            _("Commercial (e-mail)"),
            Genre.EMAIL,
            ("commercial", "email commercial", "e-mail commercial"),
        ),
        Champ(
            "chef_projet_email", _("Chef de projet (e-mail)"), Genre.EMAIL, ("chef de projet", "email chef de projet")
        ),
        Champ("affactureur", _("Affactureur"), T, ("affactureur", "factor")),
        Champ("agrement_affacturage", _("Agrément de l'affactureur"), M, ("agrement", "agrement affacturage")),
        Champ("langue", _("Langue"), C, ("langue",), Langue),
        Champ("devise", _("Devise"), T, ("devise", "monnaie")),
        Champ(
            "external_id",
            _("Identifiant externe"),
            T,
            (
                "identifiant externe",
                "id externe",
                "external id",
                "code client",
                "compte client",
                "n client",
                "numero client",
                "reference client",
            ),
        ),
        Champ("notes", _("Notes"), T, ("notes", "commentaire", "commentaires")),
    ),
    requis=(("raison_sociale",),),
)

CONTACTS = Definition(
    type=TypeImport.CONTACTS,
    champs=(
        Champ(
            "client_external_id",
            _("Client (identifiant externe)"),
            T,
            (
                "code client",
                "client",
                "id client",
                "compte client",
                "identifiant client",
                "client external id",
                "n client",
            ),
        ),
        Champ("civilite", _("Civilité"), T, ("civilite",)),
        Champ("prenom", _("Prénom"), T, ("prenom",)),
        Champ("nom", _("Nom"), T, ("nom", "nom contact", "nom de famille")),
        Champ("fonction", _("Fonction"), T, ("fonction", "poste")),
        Champ(
            "email",
            _("E-mail"),
            Genre.EMAIL,
            ("email", "e mail", "mail", "courriel", "adresse email", "adresse e mail"),
        ),
        Champ("telephone", _("Téléphone"), T, ("telephone", "tel", "portable", "mobile")),
        Champ("langue", _("Langue"), C, ("langue",), Langue),
        Champ(
            "role_comptabilite",
            _("Comptabilité fournisseurs"),
            B,
            ("comptabilite", "comptabilite fournisseurs", "compta"),
        ),
        Champ("role_achats", _("Achats"), B, ("achats",)),
        Champ("role_signataire", _("Signataire de la commande"), B, ("signataire", "signataire de la commande")),
        Champ("role_direction", _("Direction"), B, ("direction",)),
        Champ("opt_out", _("Ne plus relancer par e-mail"), B, ("opt out", "ne plus relancer")),
        Champ(
            "external_id",
            _("Identifiant externe du contact"),
            T,
            ("identifiant externe", "id externe", "external id", "id contact"),
        ),
    ),
    requis=(("client_external_id",), ("nom",)),
)

FACTURES = Definition(
    type=TypeImport.FACTURES,
    champs=(
        Champ(
            "numero",
            _("Numéro"),
            T,
            (
                "n facture",
                "no facture",
                "numero facture",
                "numero",
                "n piece",
                "numero de facture",
                "facture",
                "piece",
                "reference",
            ),
        ),
        Champ("nature", _("Nature (facture / avoir)"), C, ("nature", "type", "type de piece"), Nature),
        Champ(
            "client_external_id",
            _("Client (identifiant externe)"),
            T,
            ("code client", "client", "id client", "compte client", "identifiant client", "n client", "numero client"),
        ),
        Champ("client_siret", _("Client (SIRET)"), ID, ("siret", "siret client")),
        Champ(
            "date_emission",
            _("Date d'émission"),
            D,
            ("date", "date facture", "date emission", "date d emission", "date de facture", "date piece"),
        ),
        Champ(
            "date_echeance",
            _("Date d'échéance"),
            D,
            ("date echeance", "echeance", "date d echeance", "date limite de paiement"),
        ),
        Champ("montant_ht", _("Montant HT"), M, ("montant ht", "ht", "total ht")),
        Champ("montant_tva", _("Montant de TVA"), M, ("montant tva", "tva", "total tva")),
        Champ("montant_ttc", _("Montant TTC"), M, ("montant ttc", "ttc", "total ttc", "montant")),
        Champ("devise", _("Devise"), T, ("devise", "monnaie")),
        Champ(
            "support_paiement",
            _("Support de paiement"),
            C,
            ("support de paiement", "mode de reglement", "mode de paiement"),
            SupportPaiement,
        ),
        Champ("affactureur", _("Affactureur"), T, ("affactureur", "factor")),
        Champ(
            "numero_commande",
            _("N° de bon de commande"),
            T,
            ("n commande", "numero de commande", "bon de commande", "commande", "n bon de commande"),
        ),
        Champ("external_id", _("Identifiant externe"), T, ("identifiant externe", "id externe", "external id")),
        Champ("facture_origine_numero", _("Facture d'origine (avoir)"), T, ("facture d origine", "facture origine")),
    ),
    # The amounts as the bulk upsert needs them: HT and TVA (TTC is checked against them when given).
    requis=(("numero",), ("client_external_id", "client_siret"), ("date_emission",), ("montant_ht",), ("montant_tva",)),
)

PAIEMENTS = Definition(
    type=TypeImport.PAIEMENTS,
    champs=(
        Champ(
            "external_id",
            _("Identifiant externe"),
            T,
            ("identifiant externe", "id externe", "external id", "id paiement", "n paiement", "numero paiement"),
        ),
        Champ(
            "client_external_id",
            _("Client (identifiant externe)"),
            T,
            ("code client", "client", "id client", "compte client", "identifiant client", "n client"),
        ),
        Champ(
            "date_paiement",
            _("Date du paiement"),
            D,
            ("date", "date paiement", "date du paiement", "date de reglement", "date reglement", "date valeur"),
        ),
        Champ("montant", _("Montant"), M, ("montant", "montant paiement", "montant regle", "credit")),
        Champ("devise", _("Devise"), T, ("devise", "monnaie")),
        Champ(
            "moyen",
            _("Moyen de paiement"),
            C,
            ("moyen", "moyen de paiement", "mode de reglement", "mode de paiement"),
            MoyenPaiement,
        ),
        Champ("reference", _("Référence"), T, ("reference", "ref", "reference bancaire")),
        Champ("libelle", _("Libellé"), T, ("libelle", "libelle bancaire", "motif")),
        Champ(
            "facture_numero",
            _("Facture réglée (numéro)"),
            T,
            ("n facture", "no facture", "numero facture", "facture", "facture reglee"),
        ),
        Champ(
            "facture_external_id", _("Facture réglée (identifiant externe)"), T, ("id facture", "identifiant facture")
        ),
        Champ(
            "montant_lettre",
            _("Montant affecté à la facture"),
            M,
            ("montant affecte", "montant lettre", "montant impute"),
        ),
    ),
    requis=(("date_paiement",), ("montant",)),
)

DEFINITIONS: dict[str, Definition] = {d.type: d for d in (CLIENTS, CONTACTS, FACTURES, PAIEMENTS)}


def definition(type: str) -> Definition:
    return DEFINITIONS[type]


def deviner(*, type: str, entetes: list[str]) -> list[str]:
    """The target of each column guessed from its header; each target used once
    (the first column that names it wins), "" when nothing fits."""
    defn = definition(type)
    pris: set[str] = set()
    resultat: list[str] = []
    for entete in entetes:
        cle = _cle(entete)
        trouve = ""
        if cle:
            for champ in defn.champs:
                if champ.nom in pris:
                    continue
                if (
                    cle == _cle(champ.nom)
                    or cle == _cle(str(champ.libelle))
                    or cle in {_cle(s) for s in champ.synonymes}
                ):
                    trouve = champ.nom
                    break
        if trouve:
            pris.add(trouve)
        resultat.append(trouve)
    return resultat


def manquants(*, type: str, correspondance: list[str]) -> list[tuple[str, ...]]:
    """The required fields (each a set of alternatives) that no column maps."""
    choisis = set(correspondance)
    return [alternatives for alternatives in definition(type).requis if not choisis & set(alternatives)]
