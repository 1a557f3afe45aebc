"""The demo organisation loaded by ``make demo`` (command ``demo_charger``).

A plausible French supplier in Lyon with its team (one account per role),
about fifty customers with valid SIREN, SIRET and VAT numbers, their contacts,
some six hundred invoices over the last fifteen months, credit notes, payments
and their allocation. Open invoices fall in every age bucket relative to
``aujourd_hui``, so that every page and every dunning step has something to
show on the day the demo runs.

Everything is written through the services of each app (``client_create``,
``facture_create``, ``paiement_create``, ``lettrage_create``...), so that
``reste_du``, statuses and the event timeline are exactly what real use would
produce. This module sits on the top floor, like pages: it composes the
services of every app and nothing in the domain imports it.

The data are drawn in two steps: a pure plan (``random.Random(graine)``, dates
relative to ``aujourd_hui``), then the writes, in one transaction. Same seed and
same date, same data.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from clients.models import Client, Contact
from clients.services import client_create, contact_create
from factures.models import STATUTS_OUVERTS, Facture, Lettrage, Nature, Paiement, Statut, SupportPaiement
from factures.services import facture_create, lettrage_create, paiement_create
from recouvrement.core.demo.plan import Plan, planifier
from recouvrement.core.demo.referentiel import (
    DEMO_DOMAINE,
    DEMO_MOT_DE_PASSE,
    DEMO_SIREN,
    EQUIPE,
    FUSEAU,
    ORGANISATION,
    TRANCHES,
    tva_depuis,
)
from recouvrement.tenancy.context import organisation_scope
from recouvrement.tenancy.models import Membre, Organisation, Role, User
from recouvrement.tenancy.signals import organisation_creee
from relances.models import TauxReference
from relances.services.parametres import parametres_get


@dataclass(frozen=True)
class UtilisateurDemo:
    email: str
    nom: str
    role: str
    libelle: str


@dataclass
class DemoResume:
    """What the demo organisation holds (counted in the database, whether just loaded or already there)."""

    cree: bool
    organisation: str
    siren: str
    clients: int
    contacts: int
    factures: int
    avoirs: int
    paiements: int
    lettrages: int
    factures_ouvertes: int
    factures_partiellement_payees: int
    factures_payees: int
    factures_affacturees: int
    par_tranche: dict[str, int]
    utilisateurs: list[UtilisateurDemo]
    mot_de_passe: str = DEMO_MOT_DE_PASSE
    # The demo API key (read and write): the README's curl examples use it.
    cle_api: str = ""


def charger_demo(*, aujourd_hui: datetime.date, graine: int = 2026) -> DemoResume:
    """Create the demo organisation, or report on it if its SIREN is already there.

    One transaction: either everything is loaded or nothing is. Platform-level
    (creates an organisation and users); the tenant-owned rows are written in
    the new organisation's scope.
    """
    with transaction.atomic():
        organisation = Organisation.objects.filter(siren=DEMO_SIREN).first()
        if organisation is not None:
            return _resume(organisation=organisation, aujourd_hui=aujourd_hui, cree=False)
        plan = planifier(rng=random.Random(graine), aujourd_hui=aujourd_hui)  # noqa: S311  (made-up data, no secret)
        organisation = Organisation(**ORGANISATION)
        organisation.full_clean()  # the field validators check the SIREN, the IBAN (valider_iban) and the BIC
        organisation.save()
        with organisation_scope(organisation):
            membres = _equipe_create()
            organisation_creee.send(sender=Organisation, organisation=organisation)
            _relances_demo_parametrer(membres=membres)
            _ecrire(plan=plan, membres=membres, aujourd_hui=aujourd_hui)
        _taux_demo(aujourd_hui=aujourd_hui)
        with organisation_scope(organisation):
            _suivi_demo(membres=membres, aujourd_hui=aujourd_hui)
            _echanges_demo(organisation=organisation, aujourd_hui=aujourd_hui)
            # Last: every client's risk score, those the imports created included.
            _scores_demo(aujourd_hui=aujourd_hui)
        return _resume(organisation=organisation, aujourd_hui=aujourd_hui, cree=True)


def _scores_demo(*, aujourd_hui: datetime.date) -> None:
    from risque.services import scores_calculer

    scores_calculer(aujourd_hui=aujourd_hui)


def _echanges_demo(*, organisation: Organisation, aujourd_hui: datetime.date) -> None:
    """Data in and out (issue 6): an API key, a saved import and its preset, two Factur-X
    invoices, a bank statement partly matched, a webhook endpoint with its delivery log."""
    from api.demo import api_demo_creer
    from banque.demo import banque_demo_creer
    from imports.demo import imports_demo_creer
    from imports.facturx_demo import facturx_demo_creer
    from webhooks.demo import webhooks_demo_creer

    api_demo_creer(organisation=organisation, jour=aujourd_hui)
    imports_demo_creer(organisation=organisation, jour=aujourd_hui)
    facturx_demo_creer(organisation=organisation, jour=aujourd_hui)
    banque_demo_creer(organisation=organisation, jour=aujourd_hui)
    webhooks_demo_creer(organisation=organisation, jour=aujourd_hui)


def _resume(*, organisation: Organisation, aujourd_hui: datetime.date, cree: bool) -> DemoResume:
    from api.demo import JETON_DEMO

    with organisation_scope(organisation):
        factures = Facture.objects.filter(nature=Nature.FACTURE)
        ouvertes = factures.filter(statut__in=STATUTS_OUVERTS)
        par_tranche = ouvertes.aggregate(
            **{cle: Count("pk", filter=_filtre_tranche(cle, aujourd_hui)) for cle, *_ in TRANCHES}
        )
        comptes = factures.aggregate(
            total=Count("pk"),
            ouvertes=Count("pk", filter=Q(statut__in=STATUTS_OUVERTS)),
            partielles=Count("pk", filter=Q(statut=Statut.PARTIELLEMENT_PAYEE)),
            payees=Count("pk", filter=Q(statut=Statut.PAYEE)),
            affacturees=Count("pk", filter=Q(support_paiement=SupportPaiement.AFFACTURAGE)),
        )
        ordre = [email for email, *_ in EQUIPE]
        membres = sorted(
            Membre.objects.select_related("user"),
            key=lambda m: (ordre.index(m.user.email) if m.user.email in ordre else len(ordre), m.user.email),
        )
        return DemoResume(
            cree=cree,
            organisation=organisation.raison_sociale,
            siren=organisation.siren,
            clients=Client.objects.count(),
            contacts=Contact.objects.count(),
            factures=comptes["total"],
            avoirs=Facture.objects.filter(nature=Nature.AVOIR).count(),
            paiements=Paiement.objects.count(),
            lettrages=Lettrage.objects.filter(annule_le__isnull=True).count(),
            factures_ouvertes=comptes["ouvertes"],
            factures_partiellement_payees=comptes["partielles"],
            factures_payees=comptes["payees"],
            factures_affacturees=comptes["affacturees"],
            par_tranche=par_tranche,
            utilisateurs=[
                UtilisateurDemo(
                    email=m.user.email, nom=m.user.get_full_name(), role=m.role, libelle=str(Role(m.role).label)
                )
                for m in membres
            ],
            cle_api=JETON_DEMO,
        )


def _filtre_tranche(cle: str, aujourd_hui: datetime.date) -> Q:
    debut, fin = next((d, f) for c, d, f in TRANCHES if c == cle)
    condition = Q()
    if debut is not None:
        condition &= Q(date_echeance__lte=aujourd_hui - datetime.timedelta(days=debut))
    if fin is not None:
        condition &= Q(date_echeance__gte=aujourd_hui - datetime.timedelta(days=fin))
    return condition


# --- the writes -------------------------------------------------------------------------------------------------


def _relances_demo_parametrer(*, membres: dict[str, Membre]) -> None:
    """The demo plans as soon as the worker runs (any hour of a business day), the credit manager in charge."""
    parametres = parametres_get()
    parametres.heure_envoi = datetime.time(0, 0)
    parametres.charge_par_defaut = membres[f"credit@{DEMO_DOMAINE}"]
    parametres.save(update_fields=["heure_envoi", "charge_par_defaut"])


def _taux_demo(*, aujourd_hui: datetime.date) -> None:
    """Rates of the half-years after the last one the migration knows, up to today's, for the demo's
    letters: demo values, labelled as such, for an operator to replace with the publications."""
    derniere = TauxReference.objects.order_by("-semestre_debut").first()
    if derniere is None:
        return
    debut = derniere.semestre_debut
    while True:
        debut = datetime.date(debut.year + (debut.month == 7), 1 if debut.month == 7 else 7, 1)
        if debut > aujourd_hui:
            return
        TauxReference.objects.get_or_create(
            semestre_debut=debut,
            defaults={
                "taux_bce": derniere.taux_bce,
                "taux_legal": derniere.taux_legal,
                "source": "Démonstration : valeur reprise du semestre précédent, à remplacer par la publication",
            },
        )


def _equipe_create() -> dict[str, Membre]:
    """The six accounts, one per role. Precondition: inside the demo organisation's scope."""
    # One hash for the six accounts: the password is published anyway, and
    # each PBKDF2 round costs half a second.
    chiffre = make_password(DEMO_MOT_DE_PASSE)
    membres: dict[str, Membre] = {}
    for email, prenom, nom, role in EQUIPE:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=None, first_name=prenom, last_name=nom)
            user.password = chiffre
            user.save(update_fields=["password"])
        membres[email] = Membre.objects.create(user=user, role=role)
    return membres


def _ecrire(*, plan: Plan, membres: dict[str, Membre], aujourd_hui: datetime.date) -> None:
    """Precondition: inside the demo organisation's scope and a transaction."""
    commerciaux = (membres[f"commercial1@{DEMO_DOMAINE}"], membres[f"commercial2@{DEMO_DOMAINE}"])
    chef_projet = membres[f"lecture@{DEMO_DOMAINE}"]
    chargee = membres[f"credit@{DEMO_DOMAINE}"].user
    bounce = datetime.datetime.combine(aujourd_hui - datetime.timedelta(days=24), datetime.time(9, 41), tzinfo=FUSEAU)

    for client in plan.clients:
        client.objet = client_create(
            raison_sociale=client.raison_sociale,
            siren=client.siren,
            siret=client.siret,
            tva_intracom=tva_depuis(client.siren),
            adresse=client.adresse,
            adresse_complement=client.adresse_complement,
            code_postal=client.ville[1],
            ville=client.ville[0],
            delai_paiement_jours=client.delai_paiement_jours,
            fin_de_mois=client.fin_de_mois,
            plafond_credit=client.plafond_credit,
            affactureur=client.affactureur,
            agrement_affacturage=client.agrement_affacturage,
            categorie=client.categorie,
            date_debut_relation=client.date_debut_relation,
            commercial=commerciaux[client.commercial],
            chef_projet=chef_projet if client.avec_chef_projet else None,
            langue=client.langue,
            external_id=f"C{client.rang + 1:05d}",
        )
        for contact in client.contacts:
            contact_cree = contact_create(
                client=client.objet,
                civilite=contact.civilite,
                prenom=contact.prenom,
                nom=contact.nom,
                fonction=contact.fonction,
                email=contact.email,
                telephone=contact.telephone,
                langue=contact.langue,
                role_comptabilite="comptabilite" in contact.roles,
                role_achats="achats" in contact.roles,
                role_signataire="signataire" in contact.roles,
                role_direction="direction" in contact.roles,
                opt_out=contact.opt_out,
            )
            if contact.email_invalide:
                # What the ESP's bounce webhook does; no service writes it yet.
                Contact.objects.filter(pk=contact_cree.pk).update(email_invalide=True, email_invalide_le=bounce)

    for piece in plan.pieces:
        assert piece.client.objet is not None
        piece.objet = facture_create(
            client=piece.client.objet,
            numero=piece.numero,
            nature=piece.nature,
            facture_origine=piece.origine.objet if piece.origine else None,
            date_emission=piece.date_emission,
            date_echeance=piece.date_echeance,
            montant_ht=piece.montant_ht,
            montant_tva=piece.montant_tva,
            support_paiement=piece.support,
            numero_commande=piece.numero_commande,
        )
    for piece in plan.pieces:
        if piece.avoir_lettre:
            assert piece.origine is not None
            assert piece.origine.objet is not None
            lettrage_create(
                facture=piece.origine.objet,
                avoir=piece.objet,
                montant=piece.montant_ttc,
                date_lettrage=piece.date_emission,
                auteur=chargee,
            )

    for paiement in plan.paiements:
        lignes = sum((montant for _, montant in paiement.lignes), Decimal(0))
        objet = paiement_create(
            client=paiement.client.objet if paiement.client else None,
            montant=lignes + paiement.surplus,
            date_paiement=paiement.date_paiement,
            moyen=paiement.moyen,
            reference=paiement.reference,
            libelle=paiement.libelle,
        )
        for facture, montant in paiement.lignes:
            assert facture.objet is not None
            lettrage_create(
                facture=facture.objet,
                paiement=objet,
                montant=montant,
                # Matched the next morning, from the bank statement.
                date_lettrage=min(paiement.date_paiement + datetime.timedelta(days=1), aujourd_hui),
                auteur=chargee,
            )


def _suivi_demo(*, membres: dict[str, Membre], aujourd_hui: datetime.date) -> None:
    """What keeps the customer and measures the risk: disputes, a payment plan, promises
    (running, kept, broken), a litigation dossier (the risk scores come after every demo row).

    Precondition: inside the demo organisation's scope and a transaction; the penalty rates known.
    """
    from contentieux.models import Destination
    from contentieux.services import dossier_ouvrir
    from litiges.demo import litiges_demo_creer
    from relances.models import Promesse, StatutPromesse
    from relances.services.echeanciers import echeancier_create
    from relances.services.promesses import promesses_suivre
    from relances.services.taches import promesse_create

    chargee = membres[f"credit@{DEMO_DOMAINE}"]
    litiges = litiges_demo_creer(aujourd_hui=aujourd_hui, responsable=chargee)
    pris = {litige.client_id for litige in litiges}

    def en_retard(client: Client) -> list[Facture]:
        return list(
            Facture.objects.filter(
                client=client, nature=Nature.FACTURE, statut__in=STATUTS_OUVERTS, date_echeance__lt=aujourd_hui
            ).order_by("date_echeance", "pk")
        )

    candidats = [
        client
        for client in Client.objects.exclude(pk__in=pris).order_by("raison_sociale")
        if len(en_retard(client)) >= 2
    ]
    if len(candidats) < 4:
        return
    plan_client, promesse_client, rompue_client, contentieux_client = candidats[:4]
    echeancier_create(
        client=plan_client,
        factures=en_retard(plan_client)[:2],
        cree_par=chargee,
        auteur=chargee.user,
        nombre=3,
        premiere_date=aujourd_hui + datetime.timedelta(days=7),
        note="Accord trouvé au téléphone avec la comptable : trois mensualités.",
    )
    promesse_create(
        client=promesse_client,
        facture=en_retard(promesse_client)[0],
        montant=en_retard(promesse_client)[0].reste_du,
        date_promise=aujourd_hui + datetime.timedelta(days=5),
        prise_par=chargee,
        note="Virement annoncé par le DAF.",
        auteur=chargee.user,
    )
    # Taken earlier, their date past: the daily follow-up records the broken one and makes its task.
    ancienne = en_retard(rompue_client)[0]
    Promesse.objects.create(
        client=rompue_client,
        facture=ancienne,
        montant=ancienne.reste_du,
        date_promise=aujourd_hui - datetime.timedelta(days=12),
        prise_par=chargee,
        statut=StatutPromesse.EN_COURS,
        note="« Le chèque part cette semaine. »",
        created_at=timezone.now() - datetime.timedelta(days=20),
    )
    payee = Facture.objects.filter(nature=Nature.FACTURE, statut=Statut.PAYEE).order_by("-date_echeance").first()
    if payee is not None:
        Promesse.objects.create(
            client=payee.client,
            facture=payee,
            montant=payee.montant_ttc,
            date_promise=payee.date_echeance,
            prise_par=chargee,
            note="Paiement promis, paiement reçu.",
        )
    promesses_suivre(jour=aujourd_hui)
    dossier_ouvrir(
        client=contentieux_client,
        factures=en_retard(contentieux_client)[:1],
        destination=Destination.SOCIETE_RECOUVREMENT,
        auteur=chargee.user,
        note="Aucune réponse après trois relances et un appel.",
        intervenant="Cabinet Recouvre & Associés",
        jour=aujourd_hui,
    )
