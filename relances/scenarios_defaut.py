"""The three ready scenarios every new organisation gets, and the rules that assign them.

Data only: the service that creates an organisation copies them into
``Scenario``, ``Etape``, ``ModeleMessage`` and ``RegleAffectation`` rows, which
the organisation then edits. Every template passes ``gabarit_valider`` (a test
checks it) and uses only the variables of ``relances.gabarits.SCHEMA``.

Names and descriptions are French seed data, not interface strings: the rules
refer to scenarios by name. Messages to clients exist in French and English.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from clients.models import Categorie
from relances.models import Canal, RoleContact, RoleInterne, Ton


@dataclass(frozen=True)
class ModeleDefaut:
    sujet: str
    corps: str


@dataclass(frozen=True)
class EtapeDefaut:
    nom: str
    decalage_jours: int
    canal: str
    ton: str
    necessite_validation: bool
    contacts_a: tuple[str, ...]
    contacts_cc: tuple[str, ...]
    internes_cc: tuple[str, ...]
    internes_cci: tuple[str, ...]
    joindre_factures: bool
    tache_appel: bool
    script_appel: str
    modeles: dict[str, ModeleDefaut]  # by language: "fr" and "en"
    envoyer_courrier_par_email: bool = True


@dataclass(frozen=True)
class ScenarioDefaut:
    nom: str
    description: str
    par_defaut: bool
    mention_affacturage: str
    etapes: tuple[EtapeDefaut, ...]


@dataclass(frozen=True)
class RegleDefaut:
    ordre: int
    nom: str
    scenario: str
    categories: tuple[str, ...] = field(default=())
    affacturage: bool | None = None


def _corps(*paragraphes: str) -> str:
    return "\n\n".join(paragraphes)


def _etape(
    nom: str,
    decalage_jours: int,
    canal: str,
    ton: str,
    *,
    a: tuple[str, ...] = (RoleContact.COMPTABILITE,),
    cc: tuple[str, ...] = (),
    internes_cc: tuple[str, ...] = (),
    validation: bool = False,
    appel: bool = False,
    script: str = "",
    fr: ModeleDefaut | None = None,
    en: ModeleDefaut | None = None,
) -> EtapeDefaut:
    modeles = {langue: modele for langue, modele in (("fr", fr), ("en", en)) if modele is not None}
    return EtapeDefaut(
        nom=nom,
        decalage_jours=decalage_jours,
        canal=canal,
        ton=ton,
        necessite_validation=validation,
        contacts_a=a,
        contacts_cc=cc,
        internes_cc=internes_cc,
        internes_cci=(),
        joindre_factures=canal in (Canal.EMAIL, Canal.COURRIER),
        tache_appel=appel,
        script_appel=script,
        modeles=modeles,
    )


# ---------------------------------------------------------------------------
# Paragraphs shared by several templates
# ---------------------------------------------------------------------------

_BONJOUR = "Bonjour{% if contact.nom_complet %} {{ contact.nom_complet }}{% endif %},"
_DEAR = "Dear {% if contact.nom_complet %}{{ contact.nom_complet }}{% else %}Sir or Madam{% endif %},"

_SIGNATAIRE = (
    "{{ signataire.nom }}"
    "{% if signataire.fonction %}\n{{ signataire.fonction }}{% endif %}"
    "{% if signataire.telephone %}\n{{ signataire.telephone }}{% endif %}"
    "{% if signataire.email %}\n{{ signataire.email }}{% endif %}"
)

_VIREMENT = (
    "{% if organisation.iban %}\n"
    "Coordonnées bancaires pour votre virement :\n"
    "IBAN : {{ organisation.iban }}{% if organisation.bic %}\n"
    "BIC : {{ organisation.bic }}{% endif %}{% if organisation.banque %}\n"
    "Banque : {{ organisation.banque }}{% endif %}\n"
    "Merci de rappeler {% if nombre_factures > 1 %}les numéros des factures{% else %}le numéro de la facture{% endif %}"
    " dans le libellé du virement.\n"
    "{% endif %}"
)
_TRANSFER = (
    "{% if organisation.iban %}\n"
    "Our bank details for your transfer:\n"
    "IBAN: {{ organisation.iban }}{% if organisation.bic %}\n"
    "BIC: {{ organisation.bic }}{% endif %}{% if organisation.banque %}\n"
    "Bank: {{ organisation.banque }}{% endif %}\n"
    "Please quote the invoice number{{ nombre_factures|pluralize }} as the payment reference.\n"
    "{% endif %}"
)

_RELEVE = (
    "{% if liens.releve %}\nVotre relevé de compte est consultable à tout moment : {{ liens.releve }}\n{% endif %}"
)
_STATEMENT = (
    "{% if liens.releve %}\nYour statement of account is available at any time: {{ liens.releve }}\n{% endif %}"
)

_TABLEAU = "{{ tableau_factures }}"

# Factored invoices: paid to the factor only, on the account printed on the invoice
# (``_PAIEMENT_AFFACTUREUR``), and the scenario's mention, word for word.
_MENTION = "{% if affacturage.mention %}\n{{ affacturage.mention }}\n{% endif %}"
_MENTION_EN = "{% if affacturage.mention %}\nFactoring notice:\n{{ affacturage.mention }}\n{% endif %}"
_PAIEMENT_AFFACTUREUR = (
    "Le règlement est à adresser exclusivement à "
    "{% if affacturage.affactureur %}{{ affacturage.affactureur }}{% else %}notre affactureur{% endif %}, "
    "sur le compte indiqué sur la facture (et non à {{ organisation.raison_sociale }})."
)
_PAYMENT_FACTOR = (
    "Payment must be made exclusively to "
    "{% if affacturage.affactureur %}{{ affacturage.affactureur }}{% else %}our factor{% endif %}, "
    "to the account stated on the invoice (not to {{ organisation.raison_sociale }})."
)


def _base_legale(*, acheteurs_publics: bool) -> str:
    # Public buyers owe late-payment interest under the Code de la commande publique, not the Code de commerce.
    publics = (
        " (pour les acheteurs publics, des articles L2192-10 et suivants du Code de la commande publique)"
        if acheteurs_publics
        else ""
    )
    return (
        f"Nous vous rappelons qu'en application de l'article L441-10 du Code de commerce{publics}, tout retard de "
        "paiement rend "
        "exigibles de plein droit, sans qu'un rappel soit nécessaire, des pénalités de retard calculées sur les "
        "sommes dues{% if penalites.taux %} au taux annuel de {{ penalites.taux|floatformat:2 }} %{% endif %}, ainsi "
        "qu'une indemnité forfaitaire pour frais de recouvrement de 40 € par facture, sans préjudice d'une "
        "indemnisation complémentaire, sur justificatifs, lorsque les frais de recouvrement exposés sont supérieurs."
    )


def _legal_basis(*, acheteurs_publics: bool) -> str:
    public = (
        " or, for public buyers, Articles L2192-10 et seq. of the French Public Procurement Code"
        if acheteurs_publics
        else ""
    )
    return (
        f"We remind you that under Article L441-10 of the French Commercial Code (Code de commerce){public}, any "
        "late payment automatically gives rise, without any reminder being required, to late-payment interest on "
        "the sums due{% if penalites.taux %} at the annual rate of {{ penalites.taux|floatformat:2 }}%{% endif %}, "
        "and to a fixed compensation of €40 per invoice for recovery costs, without prejudice to additional "
        "compensation, on proof, where the recovery costs incurred are higher."
    )


_DECOMPTE = (
    "Principal restant dû : {{ total_echu|montant:devise }}{% if penalites.total %}\n"
    "Pénalités de retard{% if penalites.taux %} (taux annuel de {{ penalites.taux|floatformat:2 }} %){% endif %} : "
    "{{ penalites.interets|montant:devise }}\n"
    "Indemnités forfaitaires pour frais de recouvrement : {{ penalites.indemnites|montant:devise }}{% endif %}"
)
_STATEMENT_OF_SUMS = (
    "Outstanding principal: {{ total_echu|montant:devise }}{% if penalites.total %}\n"
    "Late-payment interest{% if penalites.taux %} (annual rate {{ penalites.taux|floatformat:2 }}%){% endif %}: "
    "{{ penalites.interets|montant:devise }}\n"
    "Fixed compensation for recovery costs: {{ penalites.indemnites|montant:devise }}{% endif %}"
)


_SIGNATURE_MED = (
    "{{ signataire.nom }}{% if signataire.fonction %}\n{{ signataire.fonction }}{% endif %}\n"
    "{{ organisation.raison_sociale }}"
)


# ---------------------------------------------------------------------------
# Templates, step by step
# ---------------------------------------------------------------------------


def _avis_echeance(*, verification: str, verification_en: str, affacture: bool) -> tuple[ModeleDefaut, ModeleDefaut]:
    """The preventive notice, J-10."""
    fr = ModeleDefaut(
        sujet="Avis d'échéance – {{ organisation.raison_sociale }} – {{ total_du|montant:devise }}",
        corps=_corps(
            _BONJOUR,
            "Afin de faciliter la préparation de vos règlements, nous vous informons que "
            "{% if nombre_factures > 1 %}les factures ci-dessous arriveront{% else %}la facture ci-dessous arrivera"
            "{% endif %} prochainement à échéance :",
            _TABLEAU,
            "Montant total : {{ total_du|montant:devise }}",
            verification,
            _PAIEMENT_AFFACTUREUR if affacture else _VIREMENT,
            *((_MENTION,) if affacture else ()),
            _RELEVE,
            "Si le règlement est déjà programmé, merci de ne pas tenir compte de ce message.",
            "Bien cordialement,",
            _SIGNATAIRE,
        ),
    )
    en = ModeleDefaut(
        sujet="Upcoming payment – {{ organisation.raison_sociale }} – {{ total_du|montant:devise }}",
        corps=_corps(
            _DEAR,
            "To help you plan your payments, please note that "
            "{% if nombre_factures > 1 %}the invoices below fall{% else %}the invoice below falls{% endif %} "
            "due shortly:",
            _TABLEAU,
            "Total amount: {{ total_du|montant:devise }}",
            verification_en,
            _PAYMENT_FACTOR if affacture else _TRANSFER,
            *((_MENTION_EN,) if affacture else ()),
            _STATEMENT,
            "If payment has already been scheduled, please disregard this message.",
            "Kind regards,",
            _SIGNATAIRE,
        ),
    )
    return fr, en


_VERIFICATION = (
    "Nous vous remercions de bien vouloir prévoir {% if nombre_factures > 1 %}leur{% else %}son{% endif %} "
    "règlement à la date prévue. Si {% if nombre_factures > 1 %}l'une de ces factures ne vous est pas parvenue ou "
    "appelle une remarque{% else %}cette facture ne vous est pas parvenue ou appelle une remarque{% endif %}, "
    "n'hésitez pas à me le signaler dès maintenant : nous pourrons régler la question avant l'échéance."
)
_VERIFICATION_EN = (
    "We would be grateful if you could schedule payment for the due date. If "
    "{% if nombre_factures > 1 %}any of these invoices{% else %}this invoice{% endif %} has not reached you or "
    "raises a question, please let me know now so that we can resolve it before the due date."
)
_VERIFICATION_GRAND_COMPTE = (
    "Votre circuit de validation pouvant prendre quelques jours, nous vous remercions de vérifier dès à présent que "
    "{% if nombre_factures > 1 %}ces factures sont bien enregistrées et validées{% else %}cette facture est bien "
    "enregistrée et validée{% endif %} pour paiement dans votre système, et de nous signaler sans attendre tout "
    "élément manquant (numéro de bon de commande, réception, destinataire de facturation, dépôt sur Chorus Pro "
    "pour les acheteurs publics)."
)
_VERIFICATION_GRAND_COMPTE_EN = (
    "As your approval process may take a few days, we would be grateful if you could check now that "
    "{% if nombre_factures > 1 %}these invoices have{% else %}this invoice has{% endif %} been recorded and approved "
    "for payment in your system, and let us know straight away if anything is missing (purchase order number, "
    "goods receipt, billing contact, submission on Chorus Pro for public buyers)."
)


def _rappel(*, affacture: bool, delicat: bool = False) -> tuple[ModeleDefaut, ModeleDefaut]:
    """The friendly reminder just after the due date."""
    fr = ModeleDefaut(
        sujet="Rappel : facture{{ nombre_factures|pluralize }} échue{{ nombre_factures|pluralize }} – "
        "{{ organisation.raison_sociale }}",
        corps=_corps(
            _BONJOUR,
            (
                "Nous nous permettons de vous signaler que, sauf erreur de notre part, "
                if delicat
                else "Sauf erreur ou omission de notre part, "
            )
            + "nous n'avons pas encore reçu le règlement {% if nombre_factures > 1 %}des factures suivantes, arrivées"
            "{% else %}de la facture suivante, arrivée{% endif %} à échéance :",
            _TABLEAU,
            "Montant restant dû : {{ total_du|montant:devise }}",
            "Il s'agit sans doute d'un simple oubli ou d'un décalage de traitement. Nous vous remercions de bien "
            "vouloir procéder au règlement dans les meilleurs délais"
            + (", ou de nous indiquer la date de mise en paiement prévue." if delicat else "."),
            _PAIEMENT_AFFACTUREUR if affacture else _VIREMENT,
            *((_MENTION,) if affacture else ()),
            "Si votre paiement a été effectué entre-temps, merci de ne pas tenir compte de ce message ; une copie "
            "de l'avis de virement nous permettra de le rapprocher rapidement. En cas de question ou de désaccord sur "
            "{% if nombre_factures > 1 %}ces factures{% else %}cette facture{% endif %}, il vous suffit de répondre "
            "à ce message.",
            _RELEVE,
            "Bien cordialement,",
            _SIGNATAIRE,
        ),
    )
    en = ModeleDefaut(
        sujet="Reminder: invoice{{ nombre_factures|pluralize }} now due – {{ organisation.raison_sociale }}",
        corps=_corps(
            _DEAR,
            ("We would like to let you know that, unless we are mistaken, " if delicat else "Unless we are mistaken, ")
            + "we have not yet received payment of {% if nombre_factures > 1 %}the following invoices, which are"
            "{% else %}the following invoice, which is{% endif %} now due:",
            _TABLEAU,
            "Amount outstanding: {{ total_du|montant:devise }}",
            "This is probably a simple oversight or a processing delay. We would be grateful if you could arrange "
            "payment at your earliest convenience" + (", or let us know when it is scheduled." if delicat else "."),
            _PAYMENT_FACTOR if affacture else _TRANSFER,
            *((_MENTION_EN,) if affacture else ()),
            "If payment has been made in the meantime, please disregard this message; a copy of the remittance "
            "advice would help us allocate it quickly. If you have any question or disagreement about "
            "{% if nombre_factures > 1 %}these invoices{% else %}this invoice{% endif %}, simply reply to this "
            "message.",
            _STATEMENT,
            "Kind regards,",
            _SIGNATAIRE,
        ),
    )
    return fr, en


def _relance_ferme(*, affacture: bool) -> tuple[ModeleDefaut, ModeleDefaut]:
    """The second reminder: firm, states the late-payment penalties."""
    fr = ModeleDefaut(
        sujet="Deuxième relance : {{ total_echu|montant:devise }} échus – {{ organisation.raison_sociale }}",
        corps=_corps(
            _BONJOUR,
            "Malgré notre précédent rappel, {% if nombre_factures > 1 %}les factures ci-dessous restent impayées"
            "{% else %}la facture ci-dessous reste impayée{% endif %} à ce jour, avec un retard atteignant "
            "{{ retard_max }} jour{{ retard_max|pluralize }} :",
            _TABLEAU,
            "Montant échu : {{ total_echu|montant:devise }}",
            "Nous vous demandons de bien vouloir procéder à ce règlement sans délai. Si un élément bloque le paiement "
            "(bon de commande, réception de la livraison, validation interne, contestation), merci de nous "
            "l'indiquer par retour de mail afin que nous puissions le traiter immédiatement.",
            _PAIEMENT_AFFACTUREUR if affacture else _VIREMENT,
            *((_MENTION,) if affacture else ()),
            "Nous vous rappelons que tout retard de paiement entraîne de plein droit l'application de pénalités de "
            "retard et d'une indemnité forfaitaire pour frais de recouvrement de 40 € par facture, conformément à "
            "l'article L441-10 du Code de commerce et à nos conditions générales de vente.",
            "Cordialement,",
            _SIGNATAIRE,
        ),
    )
    en = ModeleDefaut(
        sujet="Second reminder: {{ total_echu|montant:devise }} overdue – {{ organisation.raison_sociale }}",
        corps=_corps(
            _DEAR,
            "Despite our previous reminder, {% if nombre_factures > 1 %}the invoices below remain unpaid{% else %}"
            "the invoice below remains unpaid{% endif %}, now up to {{ retard_max }} day{{ retard_max|pluralize }} "
            "overdue:",
            _TABLEAU,
            "Overdue amount: {{ total_echu|montant:devise }}",
            "Please arrange payment without further delay. If anything is holding up payment (purchase order, proof "
            "of delivery, internal approval, a dispute), please let us know by return e-mail so that we can deal "
            "with it straight away.",
            _PAYMENT_FACTOR if affacture else _TRANSFER,
            *((_MENTION_EN,) if affacture else ()),
            "Please note that any late payment automatically incurs late-payment interest and a fixed compensation "
            "of €40 per invoice for recovery costs, under Article L441-10 of the French Commercial Code and our "
            "terms and conditions of sale.",
            "Regards,",
            _SIGNATAIRE,
        ),
    )
    return fr, en


def _dernier_rappel(*, affacture: bool) -> tuple[ModeleDefaut, ModeleDefaut]:
    """The last e-mail before the formal notice: eight days, penalties announced, a payment plan offered."""
    fr = ModeleDefaut(
        sujet="Dernier rappel avant mise en demeure : {{ total_echu|montant:devise }} – {{ client.raison_sociale }}",
        corps=_corps(
            _BONJOUR,
            "Nos relances précédentes étant restées sans effet, nous constatons que "
            "{% if nombre_factures > 1 %}les factures suivantes demeurent impayées{% else %}la facture suivante "
            "demeure impayée{% endif %}, avec un retard atteignant {{ retard_max }} jour{{ retard_max|pluralize }} :",
            _TABLEAU,
            "Montant échu : {{ total_echu|montant:devise }}",
            "Nous vous demandons de régulariser cette situation sous huit jours.",
            _PAIEMENT_AFFACTUREUR if affacture else _VIREMENT,
            *((_MENTION,) if affacture else ()),
            "À défaut, nous serons contraints de vous adresser une mise en demeure et de vous réclamer les pénalités "
            "de retard ainsi que l'indemnité forfaitaire pour frais de recouvrement de 40 € par facture prévues par "
            "l'article L441-10 du Code de commerce{% if penalites.total %}, soit {{ penalites.total|montant:devise }} "
            "à ce jour{% endif %}. Nous nous réservons également la possibilité de suspendre les livraisons et "
            "prestations en cours.",
            "Nous préférerions naturellement éviter d'en arriver là. Si une difficulté ponctuelle vous empêche de "
            "régler la totalité, contactez-moi dès réception de ce message : nous pourrons convenir ensemble d'un "
            "échéancier.",
            "Cordialement,",
            _SIGNATAIRE,
        ),
    )
    en = ModeleDefaut(
        sujet="Final reminder before formal notice: {{ total_echu|montant:devise }} – {{ client.raison_sociale }}",
        corps=_corps(
            _DEAR,
            "As our previous reminders have gone unanswered, we note that {% if nombre_factures > 1 %}the following "
            "invoices remain unpaid{% else %}the following invoice remains unpaid{% endif %}, now up to "
            "{{ retard_max }} day{{ retard_max|pluralize }} overdue:",
            _TABLEAU,
            "Overdue amount: {{ total_echu|montant:devise }}",
            "We ask you to settle this amount within eight days.",
            _PAYMENT_FACTOR if affacture else _TRANSFER,
            *((_MENTION_EN,) if affacture else ()),
            "Failing this, we will have to send you a formal notice and claim the late-payment interest and the "
            "fixed compensation of €40 per invoice for recovery costs provided for by Article L441-10 of the French "
            "Commercial Code{% if penalites.total %}, currently {{ penalites.total|montant:devise }}{% endif %}. "
            "We also reserve the right to suspend current deliveries and services.",
            "We would naturally prefer to avoid this. If a temporary difficulty prevents you from paying the full "
            "amount, please contact me as soon as you receive this message so that we can agree on a payment plan.",
            "Regards,",
            _SIGNATAIRE,
        ),
    )
    return fr, en


def _relance_grand_compte() -> tuple[ModeleDefaut, ModeleDefaut]:
    """The firm e-mail to a key account: our sales rep and project manager in copy, a date asked for."""
    fr = ModeleDefaut(
        sujet="Factures en retard de paiement – {{ client.raison_sociale }} – {{ total_echu|montant:devise }}",
        corps=_corps(
            _BONJOUR,
            "Nous revenons vers vous au sujet {% if nombre_factures > 1 %}des factures ci-dessous, qui restent "
            "impayées{% else %}de la facture ci-dessous, qui reste impayée{% endif %} malgré nos précédents échanges, "
            "avec un retard atteignant {{ retard_max }} jour{{ retard_max|pluralize }} :",
            _TABLEAU,
            "Montant échu : {{ total_echu|montant:devise }}",
            "Nous vous remercions de bien vouloir procéder au règlement, ou de nous indiquer sous huit jours la date "
            "de mise en paiement. Si un point bloque la validation de {% if nombre_factures > 1 %}ces factures"
            "{% else %}cette facture{% endif %} de votre côté, nos interlocuteurs commercial et projet, en copie de "
            "ce message, se tiennent à votre disposition pour le lever rapidement.",
            _VIREMENT,
            "Nous vous rappelons que les retards de paiement donnent lieu, conformément à la réglementation et à nos "
            "conditions générales, à des pénalités de retard et à une indemnité forfaitaire pour frais de "
            "recouvrement de 40 € par facture ; nous souhaitons sincèrement ne pas avoir à les appliquer.",
            _RELEVE,
            "Cordialement,",
            _SIGNATAIRE,
        ),
    )
    en = ModeleDefaut(
        sujet="Overdue invoices – {{ client.raison_sociale }} – {{ total_echu|montant:devise }}",
        corps=_corps(
            _DEAR,
            "We are coming back to you about {% if nombre_factures > 1 %}the invoices below, which remain unpaid"
            "{% else %}the invoice below, which remains unpaid{% endif %} despite our previous exchanges, now up to "
            "{{ retard_max }} day{{ retard_max|pluralize }} overdue:",
            _TABLEAU,
            "Overdue amount: {{ total_echu|montant:devise }}",
            "We would be grateful if you could arrange payment, or let us know within eight days when it is "
            "scheduled. If anything is holding up the approval of {% if nombre_factures > 1 %}these invoices"
            "{% else %}this invoice{% endif %} on your side, our account manager and project manager, copied on this "
            "message, are at your disposal to resolve it quickly.",
            _TRANSFER,
            "Please note that, under the applicable regulations and our terms and conditions, late payments give rise "
            "to late-payment interest and a fixed compensation of €40 per invoice for recovery costs; we sincerely "
            "hope not to have to apply them.",
            _STATEMENT,
            "Regards,",
            _SIGNATAIRE,
        ),
    )
    return fr, en


def _mise_en_demeure(*, affacture: bool, acheteurs_publics: bool) -> tuple[ModeleDefaut, ModeleDefaut]:
    """The formal notice: a letter (PDF, also e-mailed) under art. L441-10 of the Code de commerce, eight days."""
    if affacture:
        creancier = (
            "reste redevable des sommes dues au titre des factures échues et impayées suivantes, dont les créances "
            "ont été transférées à {% if affacturage.affactureur %}{{ affacturage.affactureur }}{% else %}notre "
            "affactureur{% endif %}, subrogé dans nos droits :"
        )
        creditor = (
            "still owes the amounts due under the following overdue and unpaid invoices, whose receivables have "
            "been assigned to {% if affacturage.affactureur %}{{ affacturage.affactureur }}{% else %}our factor"
            "{% endif %}, subrogated to our rights:"
        )
        paiement, payment = _PAIEMENT_AFFACTUREUR, _PAYMENT_FACTOR
    else:
        creancier = (
            "reste redevable envers {{ organisation.raison_sociale }} des sommes dues au titre des factures échues "
            "et impayées suivantes :"
        )
        creditor = (
            "still owes {{ organisation.raison_sociale }} the amounts due under the following overdue and unpaid "
            "invoices:"
        )
        paiement = (
            "Le règlement est à effectuer par virement{% if organisation.iban %} sur le compte IBAN "
            "{{ organisation.iban }}{% if organisation.bic %} (BIC {{ organisation.bic }}){% endif %}{% endif %}, "
            "en rappelant les numéros de facture en référence."
        )
        payment = (
            "Payment should be made by bank transfer{% if organisation.iban %} to IBAN {{ organisation.iban }}"
            "{% if organisation.bic %} (BIC {{ organisation.bic }}){% endif %}{% endif %}, quoting the invoice "
            "numbers as reference."
        )
    fr = ModeleDefaut(
        sujet="Mise en demeure de payer – {{ client.raison_sociale }} – {{ total_echu|montant:devise }}",
        corps=_corps(
            "Madame, Monsieur,",
            "Malgré nos relances successives restées sans effet, nous constatons que votre société, "
            "{{ client.raison_sociale }}{% if client.siren %} (SIREN {{ client.siren }}){% endif %}, " + creancier,
            _TABLEAU,
            _DECOMPTE,
            "Par la présente, nous vous mettons en demeure de régler la somme de {{ total_echu|montant:devise }}, "
            "majorée des pénalités de retard et des indemnités forfaitaires pour frais de recouvrement, dans un délai "
            "de huit (8) jours à compter de la réception de ce courrier.",
            _base_legale(acheteurs_publics=acheteurs_publics),
            paiement,
            *((_MENTION,) if affacture else ()),
            "À défaut de règlement dans ce délai, nous engagerons sans autre avis une procédure judiciaire de "
            "recouvrement à votre encontre, notamment par voie d'injonction de payer, et nous réservons le droit "
            "de suspendre toute livraison ou prestation.",
            "La présente vaut mise en demeure au sens de l'article 1344 du Code civil. Si vous avez procédé au "
            "règlement entre-temps, nous vous prions de ne pas tenir compte de ce courrier.",
            "Veuillez agréer, Madame, Monsieur, l'expression de nos salutations distinguées.",
            _SIGNATURE_MED,
        ),
    )
    en = ModeleDefaut(
        sujet="Formal notice to pay – {{ client.raison_sociale }} – {{ total_echu|montant:devise }}",
        corps=_corps(
            "Dear Sir or Madam,",
            "Despite our repeated reminders, which have remained unanswered, we note that your company, "
            "{{ client.raison_sociale }}{% if client.siren %} (SIREN {{ client.siren }}){% endif %}, " + creditor,
            _TABLEAU,
            _STATEMENT_OF_SUMS,
            "We hereby give you formal notice to pay the sum of {{ total_echu|montant:devise }}, plus late-payment "
            "interest and the fixed compensation for recovery costs, within eight (8) days of receipt of this letter.",
            _legal_basis(acheteurs_publics=acheteurs_publics),
            payment,
            *((_MENTION_EN,) if affacture else ()),
            "Failing payment within this period, we will initiate legal recovery proceedings against you without "
            "further notice, in particular by way of an order for payment (injonction de payer), and we reserve the "
            "right to suspend all deliveries and services.",
            "This letter constitutes a formal notice within the meaning of Article 1344 of the French Civil Code. "
            "If you have made payment in the meantime, please disregard this letter.",
            "Yours faithfully,",
            _SIGNATURE_MED,
        ),
    )
    return fr, en


# ---------------------------------------------------------------------------
# Call scripts
# ---------------------------------------------------------------------------

_SCRIPT_AVANT_MISE_EN_DEMEURE = """\
Avant l'envoi de la mise en demeure, appeler la comptabilité fournisseurs du client, puis le signataire \
de la commande ou la direction si besoin.
1. Se présenter et rappeler l'objet de l'appel : les factures échues (numéros, montants, échéances) et le total dû.
2. Vérifier que les factures ont bien été reçues et qu'aucun litige n'est en cours. En cas de contestation, \
enregistrer le litige : les relances de la facture seront suspendues.
3. Annoncer que, faute de règlement, une mise en demeure sera envoyée à la date prévue, avec les pénalités \
de retard et l'indemnité forfaitaire de 40 € par facture (art. L441-10 du Code de commerce).
4. Obtenir une date de paiement ferme et le montant, et l'enregistrer comme promesse de paiement. Si le client \
est en difficulté, proposer un échéancier plutôt que la mise en demeure.
5. Noter le résultat de l'appel et le nom de l'interlocuteur."""

_SCRIPT_GRAND_COMPTE = """\
Appeler la comptabilité fournisseurs du client (à défaut, l'acheteur).
1. Se présenter et citer les factures échues (numéros, montants, échéances).
2. Vérifier leur statut dans le circuit du client : reçues ? enregistrées ? validées pour paiement ? Manque-t-il \
un numéro de bon de commande, une réception, un dépôt sur Chorus Pro (acheteurs publics) ?
3. Si un point bloque, identifier qui peut le lever chez le client et prévenir le commercial ou le chef de \
projet du client.
4. Obtenir la date de mise en paiement prévue et l'enregistrer comme promesse de paiement.
5. Noter le résultat de l'appel et le nom de l'interlocuteur.
Ton : courtois et factuel, c'est un client stratégique ; pas de menace de pénalités à ce stade."""

_SCRIPT_AFFACTURAGE = """\
Avant l'envoi de la mise en demeure, appeler la comptabilité fournisseurs du client.
1. Rappeler les factures échues et le total dû.
2. Rappeler que ces factures ont été cédées à l'affactureur : le paiement doit lui être adressé, sur le compte \
indiqué sur la facture ; un paiement fait à notre société n'est pas libératoire.
3. Vérifier qu'aucun litige n'est en cours (sinon l'enregistrer et prévenir l'affactureur).
4. Obtenir une date de paiement ferme et l'enregistrer comme promesse de paiement ; informer l'affactureur \
de tout accord.
5. Noter le résultat de l'appel et le nom de l'interlocuteur."""


# ---------------------------------------------------------------------------
# The scenarios
# ---------------------------------------------------------------------------

MENTION_AFFACTURAGE = (
    "Les créances correspondant aux factures mentionnées dans ce message ont été transférées par subrogation "
    "conventionnelle à notre affactureur, dans le cadre d'un contrat d'affacturage. Pour être libératoire, leur "
    "règlement doit être effectué exclusivement auprès de l'affactureur, sur le compte indiqué sur la facture."
)


def _standard() -> ScenarioDefaut:
    avis_fr, avis_en = _avis_echeance(verification=_VERIFICATION, verification_en=_VERIFICATION_EN, affacture=False)
    rappel_fr, rappel_en = _rappel(affacture=False)
    ferme_fr, ferme_en = _relance_ferme(affacture=False)
    dernier_fr, dernier_en = _dernier_rappel(affacture=False)
    med_fr, med_en = _mise_en_demeure(affacture=False, acheteurs_publics=False)
    return ScenarioDefaut(
        nom="Standard",
        description=(
            "Pour la plupart des clients : un avis avant l'échéance, un rappel aimable, deux relances de plus en "
            "plus fermes, puis une mise en demeure à valider."
        ),
        par_defaut=True,
        mention_affacturage="",
        etapes=(
            _etape("Avis d'échéance", -10, Canal.EMAIL, Ton.COURTOIS, fr=avis_fr, en=avis_en),
            _etape("Rappel aimable", 1, Canal.EMAIL, Ton.AIMABLE, fr=rappel_fr, en=rappel_en),
            _etape("Deuxième relance", 15, Canal.EMAIL, Ton.FERME, cc=(RoleContact.ACHATS,), fr=ferme_fr, en=ferme_en),
            _etape(
                "Dernier rappel avant mise en demeure",
                30,
                Canal.EMAIL,
                Ton.TRES_FERME,
                a=(RoleContact.COMPTABILITE, RoleContact.SIGNATAIRE),
                cc=(RoleContact.ACHATS,),
                internes_cc=(RoleInterne.COMMERCIAL,),
                fr=dernier_fr,
                en=dernier_en,
            ),
            _etape(
                "Mise en demeure",
                45,
                Canal.COURRIER,
                Ton.MISE_EN_DEMEURE,
                a=(RoleContact.DIRECTION, RoleContact.COMPTABILITE),
                cc=(RoleContact.SIGNATAIRE, RoleContact.ACHATS),
                internes_cc=(RoleInterne.DAF, RoleInterne.COMMERCIAL),
                validation=True,
                appel=True,
                script=_SCRIPT_AVANT_MISE_EN_DEMEURE,
                fr=med_fr,
                en=med_en,
            ),
        ),
    )


def _grand_compte() -> ScenarioDefaut:
    avis_fr, avis_en = _avis_echeance(
        verification=_VERIFICATION_GRAND_COMPTE, verification_en=_VERIFICATION_GRAND_COMPTE_EN, affacture=False
    )
    rappel_fr, rappel_en = _rappel(affacture=False, delicat=True)
    relance_fr, relance_en = _relance_grand_compte()
    med_fr, med_en = _mise_en_demeure(affacture=False, acheteurs_publics=True)
    return ScenarioDefaut(
        nom="Grand compte",
        description=(
            "Pour les grands comptes et le secteur public : un ton plus mesuré, un appel avant toute relance "
            "ferme, le commercial et le chef de projet associés, la mise en demeure en dernier recours."
        ),
        par_defaut=False,
        mention_affacturage="",
        etapes=(
            _etape("Avis d'échéance", -10, Canal.EMAIL, Ton.COURTOIS, fr=avis_fr, en=avis_en),
            _etape("Rappel aimable", 5, Canal.EMAIL, Ton.AIMABLE, fr=rappel_fr, en=rappel_en),
            _etape("Appel de la comptabilité fournisseurs", 20, Canal.APPEL, Ton.AIMABLE, script=_SCRIPT_GRAND_COMPTE),
            _etape(
                "Relance ferme",
                35,
                Canal.EMAIL,
                Ton.FERME,
                cc=(RoleContact.ACHATS,),
                internes_cc=(RoleInterne.COMMERCIAL, RoleInterne.CHEF_PROJET),
                fr=relance_fr,
                en=relance_en,
            ),
            _etape(
                "Mise en demeure",
                60,
                Canal.COURRIER,
                Ton.MISE_EN_DEMEURE,
                a=(RoleContact.DIRECTION, RoleContact.COMPTABILITE),
                cc=(RoleContact.SIGNATAIRE, RoleContact.ACHATS),
                internes_cc=(RoleInterne.DAF, RoleInterne.COMMERCIAL),
                validation=True,
                appel=True,
                script=_SCRIPT_AVANT_MISE_EN_DEMEURE,
                fr=med_fr,
                en=med_en,
            ),
        ),
    )


def _affacturage() -> ScenarioDefaut:
    avis_fr, avis_en = _avis_echeance(verification=_VERIFICATION, verification_en=_VERIFICATION_EN, affacture=True)
    rappel_fr, rappel_en = _rappel(affacture=True)
    ferme_fr, ferme_en = _relance_ferme(affacture=True)
    dernier_fr, dernier_en = _dernier_rappel(affacture=True)
    med_fr, med_en = _mise_en_demeure(affacture=True, acheteurs_publics=False)
    return ScenarioDefaut(
        nom="Affacturage",
        description=(
            "Pour les factures cédées à l'affactureur : une escalade plus rapide, et dans chaque message la "
            "mention d'affacturage indiquant à qui payer."
        ),
        par_defaut=False,
        mention_affacturage=MENTION_AFFACTURAGE,
        etapes=(
            _etape("Avis d'échéance", -10, Canal.EMAIL, Ton.COURTOIS, fr=avis_fr, en=avis_en),
            _etape("Rappel aimable", 1, Canal.EMAIL, Ton.AIMABLE, fr=rappel_fr, en=rappel_en),
            _etape("Deuxième relance", 10, Canal.EMAIL, Ton.FERME, cc=(RoleContact.ACHATS,), fr=ferme_fr, en=ferme_en),
            _etape(
                "Dernier rappel avant mise en demeure",
                20,
                Canal.EMAIL,
                Ton.TRES_FERME,
                a=(RoleContact.COMPTABILITE, RoleContact.SIGNATAIRE),
                cc=(RoleContact.ACHATS,),
                internes_cc=(RoleInterne.DAF, RoleInterne.COMMERCIAL),
                fr=dernier_fr,
                en=dernier_en,
            ),
            _etape(
                "Mise en demeure",
                30,
                Canal.COURRIER,
                Ton.MISE_EN_DEMEURE,
                a=(RoleContact.DIRECTION, RoleContact.COMPTABILITE),
                cc=(RoleContact.SIGNATAIRE, RoleContact.ACHATS),
                internes_cc=(RoleInterne.DAF, RoleInterne.COMMERCIAL),
                validation=True,
                appel=True,
                script=_SCRIPT_AFFACTURAGE,
                fr=med_fr,
                en=med_en,
            ),
        ),
    )


SCENARIOS_DEFAUT: tuple[ScenarioDefaut, ...] = (_standard(), _grand_compte(), _affacturage())

# First matching rule wins; what no rule takes falls to the default scenario (Standard).
REGLES_DEFAUT: tuple[RegleDefaut, ...] = (
    RegleDefaut(ordre=10, nom="Factures affacturées", scenario="Affacturage", affacturage=True),
    RegleDefaut(
        ordre=20,
        nom="Grands comptes et secteur public",
        scenario="Grand compte",
        categories=(Categorie.GRAND_COMPTE, Categorie.SECTEUR_PUBLIC),
    ),
)


def scenario_defaut(nom: str) -> ScenarioDefaut:
    """The ready scenario called ``nom``; ``KeyError`` if there is none."""
    for scenario in SCENARIOS_DEFAUT:
        if scenario.nom == nom:
            return scenario
    raise KeyError(nom)


def modeles_defaut() -> Iterator[tuple[ScenarioDefaut, EtapeDefaut, str, ModeleDefaut]]:
    """Every ready template, with its scenario, its step and its language."""
    for scenario in SCENARIOS_DEFAUT:
        for etape in scenario.etapes:
            for langue, modele in etape.modeles.items():
                yield scenario, etape, langue, modele
