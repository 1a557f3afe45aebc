"""Reference data of the demo: the organisation, its team, customer names, places,
job titles, payment habits, and the builders of valid French identifiers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.fr import siret as std_siret

from clients.models import Categorie
from recouvrement.tenancy.models import Langue, Role
from recouvrement.tenancy.services import CLAUSE_PENALITES_DEFAUT

DEMO_MOT_DE_PASSE = "demo-recouvrement"  # printed by the command: demo accounts only
DEMO_DOMAINE = "demo.example"

CENTIME = Decimal("0.01")
FUSEAU = ZoneInfo("Europe/Paris")

# Open invoices by days past due: (key, first day, last day); None = unbounded.
TRANCHES: tuple[tuple[str, int | None, int | None], ...] = (
    ("non_echu", None, 0),
    ("0_30", 1, 30),
    ("30_45", 31, 45),
    ("45_60", 46, 60),
    ("60_90", 61, 90),
    ("90_plus", 91, None),
)

# At least this many open invoices per overdue bucket, when the data allow it.
MINIMUM_PAR_TRANCHE = {"0_30": 30, "30_45": 15, "45_60": 15, "60_90": 15, "90_plus": 15}

NOMBRE_FACTURES = 600
HORIZON_JOURS = 450  # invoices issued over the last fifteen months


def siren_depuis(base: str) -> str:
    """A valid SIREN: eight digits and their Luhn key."""
    return base + luhn.calc_check_digit(base)


def siret_depuis(siren: str, etablissement: int) -> str:
    """The SIRET of an establishment: SIREN, four digits, and the Luhn key of the fourteen."""
    base = f"{siren}{etablissement:04d}"
    siret = base + luhn.calc_check_digit(base)
    std_siret.validate(siret)
    return siret


def tva_depuis(siren: str) -> str:
    """The French VAT number of a SIREN (key = (12 + 3 × (SIREN mod 97)) mod 97)."""
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def _cle_rib(banque: str, guichet: str, compte: str) -> str:
    return f"{97 - (89 * int(banque) + 15 * int(guichet) + 3 * int(compte)) % 97:02d}"


def iban_francais(banque: str, guichet: str, compte: str) -> str:
    """A French IBAN whose RIB key and IBAN check digits are both right."""
    bban = f"{banque}{guichet}{compte}{_cle_rib(banque, guichet, compte)}"
    return f"FR{std_iban.calc_check_digits('FR00' + bban)}{bban}"


def tranche_retard(jours: int) -> str:
    """The age bucket of an open invoice ``jours`` days past its due date (<= 0: not due yet)."""
    for cle, debut, fin in TRANCHES:
        if (debut is None or jours >= debut) and (fin is None or jours <= fin):
            return cle
    raise AssertionError(jours)


DEMO_SIREN = siren_depuis("84279316")

ORGANISATION: dict[str, Any] = {
    "raison_sociale": "Atelier Rhône Équipements SAS",
    "siren": DEMO_SIREN,
    "adresse": "42 avenue Jean Jaurès",
    "adresse_complement": "Bâtiment C",
    "code_postal": "69007",
    "ville": "Lyon",
    "pays": "FR",
    "fuseau_horaire": "Europe/Paris",
    "langue": Langue.FR,
    "expediteur_nom": "Service recouvrement — Atelier Rhône Équipements",
    "expediteur_email": f"recouvrement@{DEMO_DOMAINE}",
    "signature": (
        "Sophie Marchand\nChargée de recouvrement\nAtelier Rhône Équipements SAS\n"
        "04 78 61 20 45 — recouvrement@demo.example"
    ),
    "entete": (
        "Atelier Rhône Équipements SAS au capital de 850 000 €\n"
        f"42 avenue Jean Jaurès, 69007 Lyon — RCS Lyon {DEMO_SIREN} — TVA {tva_depuis(DEMO_SIREN)}\n"
        "Tél. 04 78 61 20 00 — www.atelier-rhone.demo.example"
    ),
    "banque": "Banque Régionale du Rhône, agence Lyon Gerland",
    "titulaire_compte": "Atelier Rhône Équipements SAS",
    "iban": iban_francais("17806", "00412", "04271563800"),
    "bic": "BRRHFRPPLYO",
    "clause_penalites": CLAUSE_PENALITES_DEFAUT,
    "clause_reserve_propriete": (
        "Les marchandises livrées restent la propriété d'Atelier Rhône Équipements jusqu'au paiement "
        "intégral de leur prix en principal et accessoires (art. 2367 et suivants du Code civil). "
        "Les risques sont transférés à l'acheteur dès la livraison."
    ),
}

# email, first name, last name, role
EQUIPE: tuple[tuple[str, str, str, str], ...] = (
    (f"admin@{DEMO_DOMAINE}", "Nathalie", "Berthier", Role.ADMIN),
    (f"credit@{DEMO_DOMAINE}", "Sophie", "Marchand", Role.CHARGE),
    (f"commercial1@{DEMO_DOMAINE}", "Thomas", "Lefèvre", Role.COMMERCIAL),
    (f"commercial2@{DEMO_DOMAINE}", "Camille", "Rousseau", Role.COMMERCIAL),
    (f"daf@{DEMO_DOMAINE}", "Philippe", "Garnier", Role.DAF),
    # Read-only access for the project manager, who is copied on late reminders of his sites.
    (f"lecture@{DEMO_DOMAINE}", "Julien", "Morel", Role.LECTURE),
)

# raison sociale, sector, category, language, city (None: drawn at random)
CLIENTS: tuple[tuple[str, str, str, str, str | None], ...] = (
    ("Bâtiments Dauphinois SAS", "btp", Categorie.ETI, Langue.FR, "Grenoble"),
    ("Maçonnerie Vercors SARL", "btp", Categorie.TPE_PME, Langue.FR, "Grenoble"),
    ("Travaux Publics du Forez SA", "btp", Categorie.ETI, Langue.FR, "Saint-Étienne"),
    ("Charpentes Bressanes SARL", "btp", Categorie.TPE_PME, Langue.FR, "Bourg-en-Bresse"),
    ("Génie Civil Méditerranée SAS", "btp", Categorie.GRAND_COMPTE, Langue.FR, "Marseille"),
    ("Menuiseries de l'Ain SARL", "btp", Categorie.TPE_PME, Langue.FR, "Bourg-en-Bresse"),
    ("Étanchéité Rhodanienne SAS", "btp", Categorie.TPE_PME, Langue.FR, "Vénissieux"),
    ("Terrassements Chabert et Fils SARL", "btp", Categorie.TPE_PME, Langue.FR, None),
    ("Groupe Constructa Ouest SA", "btp", Categorie.GRAND_COMPTE, Langue.FR, "Nantes"),
    ("Fromagerie des Monts du Lyonnais SAS", "agro", Categorie.TPE_PME, Langue.FR, "Lyon"),
    ("Salaisons Ardéchoises SARL", "agro", Categorie.TPE_PME, Langue.FR, "Aubenas"),
    ("Biscuiterie de la Loire SA", "agro", Categorie.ETI, Langue.FR, "Saint-Étienne"),
    ("Conserverie Océane SAS", "agro", Categorie.TPE_PME, Langue.FR, "Nantes"),
    ("Moulins de Beauce SA", "agro", Categorie.ETI, Langue.FR, "Chartres"),
    ("Vergers du Pilat SARL", "agro", Categorie.TPE_PME, Langue.FR, "Saint-Étienne"),
    ("Brasserie des Canuts SAS", "agro", Categorie.TPE_PME, Langue.FR, "Lyon"),
    ("Transports Giraud et Fils SARL", "transport", Categorie.TPE_PME, Langue.FR, None),
    ("Logistique Rhône-Alpes SAS", "transport", Categorie.ETI, Langue.FR, "Villeurbanne"),
    ("Messageries du Centre SA", "transport", Categorie.TPE_PME, Langue.FR, "Orléans"),
    ("Frigo Transports Provence SAS", "transport", Categorie.TPE_PME, Langue.FR, "Marseille"),
    ("Rail Fret Continental SA", "transport", Categorie.GRAND_COMPTE, Langue.FR, "Paris"),
    ("Comptoir Électrique Lyonnais SAS", "distribution", Categorie.TPE_PME, Langue.FR, "Lyon"),
    ("Quincaillerie Moderne du Sud-Ouest SARL", "distribution", Categorie.TPE_PME, Langue.FR, "Toulouse"),
    ("Distrimat Grand Est SAS", "distribution", Categorie.ETI, Langue.FR, "Strasbourg"),
    ("Hexagone Distribution SA", "distribution", Categorie.GRAND_COMPTE, Langue.FR, "Paris"),
    ("Cash Équipement Pro SAS", "distribution", Categorie.TPE_PME, Langue.FR, None),
    ("Mécanique de Précision Savoyarde SAS", "industrie", Categorie.TPE_PME, Langue.FR, "Annecy"),
    ("Plasturgie Jurassienne SA", "industrie", Categorie.ETI, Langue.FR, "Oyonnax"),
    ("Fonderie de l'Allier SAS", "industrie", Categorie.TPE_PME, Langue.FR, "Montluçon"),
    ("Chaudronnerie Normande SARL", "industrie", Categorie.TPE_PME, Langue.FR, "Rouen"),
    ("Électronique Industrielle du Dauphiné SAS", "industrie", Categorie.TPE_PME, Langue.FR, "Grenoble"),
    ("Textiles Techniques Roannais SA", "industrie", Categorie.ETI, Langue.FR, "Roanne"),
    ("Alpine Robotics France SAS", "industrie", Categorie.ETI, Langue.EN, "Annecy"),
    ("Harlow Packaging France SAS", "industrie", Categorie.TPE_PME, Langue.EN, None),
    ("Nordvik Systems France SARL", "industrie", Categorie.TPE_PME, Langue.EN, None),
    ("Nettoyage Industriel Rhodanien SARL", "services", Categorie.TPE_PME, Langue.FR, "Lyon"),
    ("Hôtel Les Terrasses de Fourvière SAS", "hotellerie", Categorie.TPE_PME, Langue.FR, "Lyon"),
    ("Restauration Collective Auvergne SAS", "hotellerie", Categorie.TPE_PME, Langue.FR, "Clermont-Ferrand"),
    ("Clinique du Parc Saint-Just SA", "services", Categorie.ETI, Langue.FR, "Lyon"),
    ("Imprimerie Gutenberg Villeurbanne SARL", "services", Categorie.TPE_PME, Langue.FR, "Villeurbanne"),
    ("Sécurité Gardiennage Lyonnais SAS", "services", Categorie.TPE_PME, Langue.FR, "Lyon"),
    ("Énergies Alpines SA", "services", Categorie.GRAND_COMPTE, Langue.FR, "Grenoble"),
    ("Garage Central Bourgoin SARL", "services", Categorie.TPE_PME, Langue.FR, "Bourgoin-Jallieu"),
    ("Pépinières du Val de Saône SARL", "agro", Categorie.TPE_PME, Langue.FR, "Mâcon"),
    ("Commune de Saint-Aubin-des-Prés", "public", Categorie.SECTEUR_PUBLIC, Langue.FR, None),
    ("Syndicat intercommunal des eaux du Haut-Beaujolais", "public", Categorie.SECTEUR_PUBLIC, Langue.FR, "Beaujeu"),
    ("Centre hospitalier des Dombes", "public", Categorie.SECTEUR_PUBLIC, Langue.FR, "Villars-les-Dombes"),
    ("Communauté de communes des Coteaux du Gier", "public", Categorie.SECTEUR_PUBLIC, Langue.FR, "Rive-de-Gier"),
    ("Office public de l'habitat Rhône Sud", "public", Categorie.SECTEUR_PUBLIC, Langue.FR, "Vienne"),
    ("Régie des transports de l'agglomération viennoise", "public", Categorie.SECTEUR_PUBLIC, Langue.FR, "Vienne"),
)

# city, postcode, phone prefix, weight (the supplier sells mostly around Lyon)
VILLES: tuple[tuple[str, str, str, int], ...] = (
    ("Lyon", "69003", "04", 6),
    ("Villeurbanne", "69100", "04", 3),
    ("Vénissieux", "69200", "04", 2),
    ("Vienne", "38200", "04", 1),
    ("Saint-Étienne", "42000", "04", 2),
    ("Roanne", "42300", "04", 1),
    ("Grenoble", "38000", "04", 2),
    ("Valence", "26000", "04", 1),
    ("Chambéry", "73000", "04", 1),
    ("Annecy", "74000", "04", 1),
    ("Bourg-en-Bresse", "01000", "04", 1),
    ("Clermont-Ferrand", "63000", "04", 1),
    ("Marseille", "13002", "04", 1),
    ("Montpellier", "34000", "04", 1),
    ("Mâcon", "71000", "03", 1),
    ("Dijon", "21000", "03", 1),
    ("Strasbourg", "67000", "03", 1),
    ("Lille", "59000", "03", 1),
    ("Paris", "75011", "01", 2),
    ("Nanterre", "92000", "01", 1),
    ("Nantes", "44000", "02", 1),
    ("Rennes", "35000", "02", 1),
    ("Rouen", "76000", "02", 1),
    ("Toulouse", "31000", "05", 1),
    ("Bordeaux", "33000", "05", 1),
    ("Limoges", "87000", "05", 1),
    # Named by a client's own address only.
    ("Aubenas", "07200", "04", 0),
    ("Chartres", "28000", "02", 0),
    ("Orléans", "45000", "02", 0),
    ("Oyonnax", "01100", "04", 0),
    ("Montluçon", "03100", "04", 0),
    ("Bourgoin-Jallieu", "38300", "04", 0),
    ("Beaujeu", "69430", "04", 0),
    ("Villars-les-Dombes", "01330", "04", 0),
    ("Rive-de-Gier", "42800", "04", 0),
)

VOIES = (
    "rue de la République",
    "avenue Jean Jaurès",
    "rue Victor Hugo",
    "boulevard des Frères Lumière",
    "rue Pasteur",
    "chemin des Acacias",
    "rue de l'Industrie",
    "avenue du Général de Gaulle",
    "rue des Artisans",
    "route de Grenoble",
    "allée des Tilleuls",
    "rue du Stade",
    "avenue de l'Europe",
    "rue de la Gare",
    "impasse des Tanneurs",
    "quai du Rhône",
)
COMPLEMENTS = ("ZI des Platières", "Parc d'activités du Chêne", "Bâtiment B", "BP 204", "ZA Les Gaulnes", "Hall 3")

PRENOMS_F = (
    "Isabelle", "Claire", "Julie", "Aurélie", "Émilie", "Céline", "Sandrine", "Valérie", "Laetitia",
    "Marion", "Élodie", "Audrey", "Hélène", "Manon", "Chloé", "Sylvie", "Catherine", "Anne", "Lucie",
)  # fmt: skip
PRENOMS_M = (
    "Nicolas", "Pierre", "Laurent", "Stéphane", "Olivier", "Sébastien", "Christophe", "Frédéric",
    "David", "Jérôme", "Mathieu", "Antoine", "Guillaume", "Vincent", "Benoît", "François", "Romain",
)  # fmt: skip
NOMS = (
    "Martin", "Bernard", "Dubois", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
    "Laurent", "Lefebvre", "Michel", "Garcia", "Bertrand", "Roux", "Vincent", "Fournier", "Girard",
    "André", "Mercier", "Dupont", "Lambert", "Bonnet", "Legrand", "Faure", "Blanc", "Guérin", "Muller",
    "Henry", "Roussel", "Perrin", "Morin", "Clément", "Gauthier", "Dumont", "Fontaine", "Chevalier",
    "Robin", "Masson", "Chabert", "Vidal", "Brunet", "Colin", "Arnaud", "Picard", "Roche", "Barbier",
)  # fmt: skip
PRENOMS_EN = ("Emma", "James", "Olivia", "Daniel", "Sarah", "Oliver", "Grace", "Henry", "Chloe", "Liam")
NOMS_EN = ("Clarke", "Whitaker", "Bennett", "Hughes", "Turner", "Fletcher", "Morgan", "Hayes", "Lindqvist")

# (role, masculine, feminine, English) job titles
# Job titles by role: masculine, feminine, English.
Fonction = tuple[str, str, str]
FONCTIONS: dict[str, tuple[Fonction, ...]] = {
    "comptabilite": (
        ("Comptable fournisseurs", "Comptable fournisseurs", "Accounts Payable Clerk"),
        ("Responsable comptabilité fournisseurs", "Responsable comptabilité fournisseurs", "AP Team Lead"),
        ("Assistant comptable", "Assistante comptable", "Accounts Payable Specialist"),
    ),
    "achats": (
        ("Acheteur", "Acheteuse", "Buyer"),
        ("Responsable achats", "Responsable achats", "Procurement Manager"),
        ("Approvisionneur", "Approvisionneuse", "Purchasing Officer"),
    ),
    "signataire": (
        ("Responsable d'exploitation", "Responsable d'exploitation", "Operations Manager"),
        ("Responsable des services généraux", "Responsable des services généraux", "Facilities Manager"),
    ),
    "direction": (
        ("Directeur administratif et financier", "Directrice administrative et financière", "Finance Director"),
        ("Gérant", "Gérante", "Managing Director"),
        ("Président", "Présidente", "Chief Executive Officer"),
    ),
}
# Who signs the order depends on the trade; a public body has its own titles for everyone.
FONCTIONS_SIGNATAIRE: dict[str, tuple[Fonction, ...]] = {
    "btp": (
        ("Conducteur de travaux", "Conductrice de travaux", "Site Manager"),
        ("Chef de chantier", "Cheffe de chantier", "Site Supervisor"),
    ),
    "industrie": (
        ("Responsable technique", "Responsable technique", "Technical Manager"),
        ("Directeur de site", "Directrice de site", "Plant Manager"),
    ),
}
FONCTIONS_PUBLIC: dict[str, tuple[Fonction, ...]] = {
    "comptabilite": (("Responsable du service finances", "Responsable du service finances", "Finance Officer"),),
    "achats": (("Responsable de la commande publique", "Responsable de la commande publique", "Procurement"),),
    "signataire": (("Directeur des services techniques", "Directrice des services techniques", "Technical Director"),),
    "direction": (("Directeur général des services", "Directrice générale des services", "Chief Executive"),),
}


def fonctions_pour(role: str, secteur: str) -> tuple[Fonction, ...]:
    if secteur == "public":
        return FONCTIONS_PUBLIC[role]
    if role == "signataire" and secteur in FONCTIONS_SIGNATAIRE:
        return FONCTIONS_SIGNATAIRE[secteur]
    return FONCTIONS[role]


AFFACTUREURS = ("Sud-Est Affacturage", "Alpes Factoring Finance")


@dataclass(frozen=True)
class Habitude:
    """How a client pays: days after the due date, and its odds of paying in part or not at all."""

    nom: str
    retard_min: int
    retard_max: int
    p_partiel: float
    p_bloquee: float


HABITUDES = {
    "exemplaire": Habitude("exemplaire", -8, 2, 0.0, 0.0),
    "correct": Habitude("correct", -2, 15, 0.1, 0.03),
    "lent": Habitude("lent", 12, 50, 0.28, 0.07),
    "mauvais": Habitude("mauvais", 30, 110, 0.35, 0.15),
}
