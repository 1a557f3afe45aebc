"""Onboarding: the checklist of a new organisation, and the planning run once as a dry run.

``demarrage_etat`` computes the checklist from the data (one query): profile,
sender identity, a first client, a first invoice, scenarios reviewed. It shows
on ``/demarrage/`` and as a banner until complete or dismissed.

``planification_simuler`` runs the organisation's real planning of a day
inside a savepoint that is always rolled back, and reports what it would have
created: the reminders per step and channel, the grouped sends per client
with their step, the tasks for clients nobody can be reached at. Nothing is
written (the rollback undoes the inserts, the journal of the day and the
settings row if it was created) and nothing is sent (the planning never
sends; the outbox runs in other tasks, which the rollback never lets see the
rows).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Client
from factures.models import Facture
from recouvrement.tenancy.context import current_organisation_id
from recouvrement.tenancy.models import Organisation

# How many sends and tasks the dry run lists (the counts cover all of them).
LIGNES_MAX = 100


@dataclass(frozen=True)
class EtapeDemarrage:
    cle: str
    titre: str
    description: str
    faite: bool
    url: str
    action: str


@dataclass(frozen=True)
class Demarrage:
    etapes: list[EtapeDemarrage]
    masque: bool

    @property
    def faites(self) -> int:
        return sum(1 for etape in self.etapes if etape.faite)

    @property
    def terminee(self) -> bool:
        return all(etape.faite for etape in self.etapes)

    @property
    def a_afficher(self) -> bool:
        """The banner shows until the checklist is complete or dismissed."""
        return not self.terminee and not self.masque

    @property
    def prochaine(self) -> EtapeDemarrage | None:
        return next((etape for etape in self.etapes if not etape.faite), None)


def demarrage_etat(*, organisation: Organisation) -> Demarrage:
    """The onboarding checklist of the active organisation, computed from its data (one query).

    Precondition: ``organisation`` is the active scope.
    """
    from relances.models import RegleAffectation, Scenario

    donnees = (
        Organisation.objects.filter(pk=organisation.pk)
        .annotate(
            a_client=Exists(Client.objects.all()),
            a_facture=Exists(Facture.objects.all()),
            a_scenario_par_defaut=Exists(Scenario.objects.filter(actif=True, par_defaut=True)),
            a_regle=Exists(RegleAffectation.objects.filter(scenario__actif=True)),
        )
        .values("a_client", "a_facture", "a_scenario_par_defaut", "a_regle")
        .get()
    )
    o = organisation
    profil = all((o.adresse, o.code_postal, o.ville, o.iban, o.bic))
    expediteur = all((o.expediteur_nom, o.expediteur_email, o.signature))
    scenarios = o.scenarios_revus_le is not None and (donnees["a_scenario_par_defaut"] or donnees["a_regle"])
    etapes = [
        EtapeDemarrage(
            cle="profil",
            titre=_("Compléter le profil de l'organisation"),
            description=_("Adresse, coordonnées bancaires (IBAN et BIC) : elles figurent sur les relances."),
            faite=profil,
            url=reverse("parametres") + "#identite",
            action=_("Ouvrir les paramètres"),
        ),
        EtapeDemarrage(
            cle="expediteur",
            titre=_("Définir l'expéditeur des relances"),
            description=_("Nom et adresse de l'expéditeur, signature des e-mails."),
            faite=expediteur,
            url=reverse("parametres") + "#expedition",
            action=_("Renseigner l'expéditeur"),
        ),
        EtapeDemarrage(
            cle="clients",
            titre=_("Ajouter un premier client"),
            description=_("Avec un contact joignable par e-mail en comptabilité fournisseurs."),
            faite=donnees["a_client"],
            url=reverse("clients:creer"),
            action=_("Ajouter un client"),
        ),
        EtapeDemarrage(
            cle="factures",
            titre=_("Saisir une première facture"),
            description=_("Saisie manuelle pour l'instant ; l'import viendra ensuite."),
            faite=donnees["a_facture"],
            url=reverse("factures:creer"),
            action=_("Saisir une facture"),
        ),
        EtapeDemarrage(
            cle="scenarios",
            titre=_("Choisir les scénarios de relance"),
            description=_("Relisez les étapes, les messages et les règles d'affectation, puis confirmez."),
            faite=scenarios,
            url=reverse("relances:scenarios"),
            action=_("Revoir les scénarios"),
        ),
    ]
    return Demarrage(etapes=etapes, masque=o.demarrage_masque_le is not None)


@transaction.atomic
def demarrage_masquer(*, organisation: Organisation) -> None:
    """Hide the onboarding banner for good (the page stays reachable)."""
    Organisation.objects.filter(pk=organisation.pk).update(demarrage_masque_le=timezone.now())


@transaction.atomic
def scenarios_marquer_revus(*, organisation: Organisation) -> None:
    """The organisation confirms it reviewed its scenarios (a step of the checklist)."""
    Organisation.objects.filter(pk=organisation.pk, scenarios_revus_le__isnull=True).update(
        scenarios_revus_le=timezone.now()
    )


@dataclass(frozen=True)
class LigneEtape:
    scenario: str
    etape: str
    decalage_jours: int
    canal: str
    relances: int


@dataclass(frozen=True)
class LigneEnvoi:
    client_id: int
    client: str
    etape: str
    decalage_jours: int
    canal: str
    a_valider: bool
    factures: int


@dataclass(frozen=True)
class LigneTache:
    client_id: int
    client: str
    titre: str


@dataclass
class Simulation:
    jour: datetime.date
    jour_ouvre: bool
    relances: int = 0
    envois: int = 0
    taches: int = 0
    par_etape: list[LigneEtape] = field(default_factory=list)
    envoi_list: list[LigneEnvoi] = field(default_factory=list)
    tache_list: list[LigneTache] = field(default_factory=list)


class _Annuler(Exception):
    """Carries the result out of the savepoint it rolls back."""

    def __init__(self, simulation: Simulation) -> None:
        super().__init__("simulation")
        self.simulation = simulation


def planification_simuler(*, jour: datetime.date) -> Simulation:
    """What the planning of ``jour`` would create for the active organisation; writes nothing.

    Precondition: inside the organisation's scope. Runs the real planning
    (``organisation_planifier``, even on a day off) in a savepoint, reads
    what it added, and rolls the savepoint back. A fixed number of queries
    whatever the amount of data; the lists stop at ``LIGNES_MAX`` rows.
    """
    from relances.calendrier import est_jour_ouvre
    from relances.models import Canal, Envoi, Relance, StatutEnvoi, Tache, TypeTache
    from relances.services.parametres import parametres_get
    from relances.services.planification import organisation_planifier

    assert current_organisation_id() is not None
    try:
        with transaction.atomic():
            jour_ouvre = est_jour_ouvre(jour, parametres_get().calendrier)
            avant = {
                cle: modele.objects.aggregate(m=Max("pk"))["m"] or 0
                for cle, modele in (("relance", Relance), ("envoi", Envoi), ("tache", Tache))
            }
            resultat = organisation_planifier(jour=jour, forcer=True)
            nouvelles = Relance.objects.filter(pk__gt=avant["relance"])
            par_etape = [
                LigneEtape(
                    scenario=ligne["etape__scenario__nom"],
                    etape=ligne["etape__nom"],
                    decalage_jours=ligne["decalage_jours"],
                    canal=str(Canal(ligne["canal"]).label),
                    relances=ligne["n"],
                )
                for ligne in nouvelles.values("etape__scenario__nom", "etape__nom", "decalage_jours", "canal")
                .annotate(n=Count("pk"))
                .order_by("etape__scenario__nom", "decalage_jours", "canal")
            ]
            # The sends the planning created, and today's older ones it added reminders to.
            ajoutees = Relance.objects.filter(envoi=OuterRef("pk"), pk__gt=avant["relance"])
            envois = (
                Envoi.objects.filter(Q(pk__gt=avant["envoi"]) | Exists(ajoutees), date_prevue=jour)
                .annotate(n=Count("relances", filter=Q(relances__pk__gt=avant["relance"])))
                .select_related("client", "etape")
                .order_by("client__raison_sociale", "pk")
            )
            envoi_list = [
                LigneEnvoi(
                    client_id=e.client_id,
                    client=e.client.raison_sociale,
                    etape=e.etape.nom,
                    decalage_jours=e.etape.decalage_jours,
                    canal=e.get_canal_display(),
                    a_valider=e.statut == StatutEnvoi.A_VALIDER,
                    factures=e.n,
                )
                for e in envois[:LIGNES_MAX]
            ]
            taches = Tache.objects.filter(pk__gt=avant["tache"], type=TypeTache.SANS_CONTACT).select_related("client")
            tache_list = [
                LigneTache(client_id=t.client_id, client=t.client.raison_sociale, titre=t.titre)
                for t in taches.order_by("client__raison_sociale")[:LIGNES_MAX]
            ]
            simulation = Simulation(
                jour=jour,
                jour_ouvre=jour_ouvre,
                relances=resultat.relances,
                envois=envois.count(),
                taches=resultat.taches,
                par_etape=par_etape,
                envoi_list=envoi_list,
                tache_list=tache_list,
            )
            raise _Annuler(simulation)
    except _Annuler as annulation:
        return annulation.simulation
