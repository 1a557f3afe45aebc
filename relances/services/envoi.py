"""The outbox: each grouped reminder (``Envoi``) goes out exactly once.

An ``Envoi`` moves à valider → prêt → en cours → envoyé | échec:

- ``envois_reserver`` claims the ready ones (``SELECT … FOR UPDATE SKIP
  LOCKED``), marks them "en cours" and commits before anything is sent;
- ``envoi_executer`` renders the message once (kept on the row, so a retry
  sends exactly the same bytes), hands it to the mailer with a stable
  idempotency key (also its ``Message-ID``), then records "envoyé" with the
  ESP's message id. Calling it again for a sent one does nothing.
- A worker killed between the hand-over and the record leaves the row "en
  cours": Celery redelivers the task (``acks_late``), or the periodic
  ``envois_bloques_reprendre`` re-queues it, and it is sent again with the
  same key, which an idempotent ESP (and the local catcher) accepts once.
  With an ESP that is not idempotent (``RELANCES_ESP_IDEMPOTENT = False``) the
  reconciliation waits for the ESP's tracking webhooks (which mark the send
  as done) for ``RELANCES_DELAI_RECONCILIATION`` before sending again.
- Transient ESP errors are retried with exponential backoff by the task; a
  permanent one makes the send "échec" and gives the credit manager a task.
- ``envois_executer`` does the same for a batch of e-mails: its rows are read
  and its messages rendered in a few queries, the messages share one mailer
  connection, and each one is still recorded, in its own transaction, before
  the next is handed over.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Field, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clients.events import evenement_record
from clients.models import Client, Contact
from factures.models import STATUTS_OUVERTS, Facture
from recouvrement.core.errors import ApplicationError
from recouvrement.core.formats import montant_texte
from recouvrement.tenancy.models import Membre, Organisation, Role
from relances import error_codes
from relances.events import TypeEvenementRelance
from relances.models import (
    CANAUX_REDIGES,
    CHAMP_DU_ROLE_CONTACT,
    Canal,
    Envoi,
    Etape,
    ModeleMessage,
    Relance,
    RoleInterne,
    StatutEnvoi,
    StatutRelance,
    StatutTache,
    Tache,
    Ton,
    TypeTache,
)
from relances.penalites import Penalites
from relances.selectors import pauses_actives
from relances.services.parametres import parametres_get
from relances.signals import relance_envoyee

logger = logging.getLogger(__name__)


class ErreurTransitoire(Exception):
    """The ESP or the network failed in a way worth retrying (timeout, 5xx, connection)."""


@dataclass(frozen=True)
class Destinataires:
    a: list[str]
    cc: list[str]
    cci: list[str]
    repondre_a: list[str]
    contact: Contact | None

    def en_dict(self) -> dict[str, list[str]]:
        return {"a": self.a, "cc": self.cc, "cci": self.cci, "repondre_a": self.repondre_a}


def _adresse(nom: str, email: str) -> str:
    from email.utils import formataddr

    return formataddr((nom, email)) if nom else email


def _emails_internes(
    roles: list[str], client: Client, charge: Membre | None, membres_daf: list[Membre] | None = None
) -> list[str]:
    emails: list[str] = []
    for role in roles:
        membres: list[Membre] = []
        if role == RoleInterne.COMMERCIAL and client.commercial_id:
            membres = [client.commercial] if client.commercial and client.commercial.actif else []
        elif role == RoleInterne.CHEF_PROJET and client.chef_projet_id:
            membres = [client.chef_projet] if client.chef_projet and client.chef_projet.actif else []
        elif role == RoleInterne.DAF:
            membres = membres_daf if membres_daf is not None else _membres_daf()
        elif role == RoleInterne.CHARGE and charge is not None:
            membres = [charge]
        emails += [m.user.email for m in membres if m.user.email]
    return list(dict.fromkeys(emails))


def _membres_daf() -> list[Membre]:
    return list(Membre.objects.filter(role=Role.DAF, actif=True).select_related("user"))


def destinataires_resoudre(
    *, etape: Etape, client: Client, charge: Membre | None, membres_daf: list[Membre] | None = None
) -> Destinataires:
    """Who gets a reminder of ``etape`` for ``client``.

    To: the reachable contacts having one of the step's To roles, else the
    reachable accounts-payable contacts, else any reachable contact. Cc: the
    contacts of the Cc roles, and our members by role. Reply-To: the credit
    manager in charge. ``membres_daf``: the active finance directors when the
    caller loaded them already (a batch), else they are read here.
    """
    joignables = [c for c in client.contacts.all() if c.joignable_par_email]

    def avec_roles(roles: list[str]) -> list[Contact]:
        champs = [CHAMP_DU_ROLE_CONTACT[r] for r in roles if r in CHAMP_DU_ROLE_CONTACT]
        return [c for c in joignables if any(getattr(c, champ) for champ in champs)]

    principaux = avec_roles(etape.contacts_a) or avec_roles(["comptabilite"]) or joignables[:1]
    copies = [c for c in avec_roles(etape.contacts_cc) if c not in principaux]
    a = [_adresse(str(c), c.email) for c in principaux]
    cc = [_adresse(str(c), c.email) for c in copies] + _emails_internes(etape.internes_cc, client, charge, membres_daf)
    cci = _emails_internes(etape.internes_cci, client, charge, membres_daf)
    repondre_a = [charge.user.email] if charge is not None and charge.user.email else []
    return Destinataires(a=a, cc=cc, cci=cci, repondre_a=repondre_a, contact=principaux[0] if principaux else None)


def charge_du_client(client: Client) -> Membre | None:
    """The credit manager who signs and gets the tasks: the organisation's default one, else the first."""
    return charge_par_defaut()


def charge_par_defaut() -> Membre | None:
    parametres = parametres_get()
    if parametres.charge_par_defaut is not None and parametres.charge_par_defaut.actif:
        return parametres.charge_par_defaut
    return Membre.objects.filter(role=Role.CHARGE, actif=True).select_related("user").order_by("pk").first()


def _signataire(charge: Membre | None, organisation: Organisation) -> dict[str, str]:
    if charge is None:
        return {
            "nom": organisation.expediteur_nom or organisation.raison_sociale,
            "fonction": "",
            "email": "",
            "telephone": "",
        }
    return {
        "nom": charge.user.get_full_name() or charge.user.email,
        "fonction": str(charge.get_role_display()),
        "email": charge.user.email,
        "telephone": "",
    }


def relances_valides(envoi: Envoi, jour: datetime.date) -> list[Relance]:
    """The reminders of the send that still make sense now (``_relances_valides_lot``)."""
    return _relances_valides_lot([envoi], jour).get(envoi.pk, [])


def _relances_valides_lot(envois: list[Envoi], jour: datetime.date) -> dict[int, list[Relance]]:
    """The reminders of each send that still make sense now: the invoice is open and
    unpaused, a preventive one is still before the due date. Others are cancelled.

    Three queries whatever the number of sends (reminders with their invoices,
    the pauses in force, the cancellation). Sends left with nothing are absent.
    Precondition: the sends are locked, in the transaction of the caller.
    """
    if not envois:
        return {}
    relances = list(
        Relance.objects.filter(envoi_id__in=[e.pk for e in envois], statut=StatutRelance.PLANIFIEE)
        .select_related("facture")
        .order_by("pk")
    )
    pauses = pauses_actives(aujourd_hui=jour).filter(
        Q(client_id__in={e.client_id for e in envois}) | Q(facture_id__in={r.facture_id for r in relances})
    )
    clients_en_pause: set[int] = set()
    factures_en_pause: set[int] = set()
    for client_id, facture_id in pauses.values_list("client_id", "facture_id"):
        if client_id is not None:
            clients_en_pause.add(client_id)
        if facture_id is not None:
            factures_en_pause.add(facture_id)
    client_de = {e.pk: e.client_id for e in envois}
    valides: dict[int, list[Relance]] = {}
    retirees: list[int] = []
    for relance in relances:
        if (
            client_de[relance.envoi_id] not in clients_en_pause  # type: ignore[index]
            and relance.facture_id not in factures_en_pause
            and relance.facture.statut in STATUTS_OUVERTS
            and relance.facture.reste_du > 0
            and not (relance.decalage_jours < 0 and relance.facture.date_echeance <= jour)
        ):
            valides.setdefault(relance.envoi_id, []).append(relance)  # type: ignore[arg-type]
        else:
            retirees.append(relance.pk)
    if retirees:
        Relance.objects.filter(pk__in=retirees).update(statut=StatutRelance.ANNULEE)
    return valides


def factures_triees(relances: list[Relance]) -> list[Facture]:
    """The invoices of a send's reminders, in the order its message lists them."""
    return sorted((r.facture for r in relances), key=lambda f: (f.date_echeance, f.numero))


def etape_modele(etape: Etape, langue: str) -> ModeleMessage | None:
    modeles = {m.langue: m for m in etape.modeles.all()}
    return modeles.get(langue) or modeles.get("fr") or next(iter(modeles.values()), None)


def _penalites(factures: list[Facture], jour: datetime.date) -> Any:
    from relances.penalites import LigneFacture, penalites_calculer

    parametres = parametres_get()
    return penalites_calculer(
        lignes=[LigneFacture(numero=f.numero, date_echeance=f.date_echeance, base=f.reste_du) for f in factures],
        au=jour,
        taux_contractuel=parametres.taux_contractuel,
        indemnite=parametres.indemnite_forfaitaire,
    )


def envoi_rendre(
    envoi: Envoi, relances: list[Relance], jour: datetime.date, modele: ModeleMessage | None = None
) -> tuple[Destinataires, list[Facture]]:
    """Render the message and, for a letter, the PDF; store them on the send (first attempt only).

    ``modele``: a subject and body edited for this send only (``envoi_modifier``), else the step's."""
    organisation, client, etape = _envoi_charger(envoi)
    resultat = _contenu_rendre(
        envoi,
        relances,
        jour,
        organisation=organisation,
        client=client,
        etape=etape,
        charge=charge_du_client(client),
        modele=modele,
    )
    envoi.save(update_fields=["sujet", "corps_texte", "corps_html", "destinataires", "courrier_pdf", "courrier_html"])
    return resultat


def _envoi_charger(envoi: Envoi) -> tuple[Organisation, Client, Etape]:
    """What rendering one send reads: its organisation, its client (sales rep, project
    manager) and its step (scenario, templates)."""
    organisation = Organisation.objects.get(pk=envoi.tenant_id)
    client = Client.objects.select_related("commercial__user", "chef_projet__user").get(pk=envoi.client_id)
    etape = Etape.objects.select_related("scenario").prefetch_related("modeles").get(pk=envoi.etape_id)
    return organisation, client, etape


def envoi_contexte(*, envoi: Envoi, factures: list[Facture], jour: datetime.date) -> dict[str, Any]:
    """What the templates of ``envoi`` see for ``factures`` on ``jour`` (``contexte_message``),
    its recipients resolved as at send time. Reads only. Call in the send's language."""
    organisation, client, etape = _envoi_charger(envoi)
    charge = charge_du_client(client)
    contexte, _penalites = contexte_message(
        envoi=envoi,
        etape=etape,
        organisation=organisation,
        client=client,
        charge=charge,
        destinataires=destinataires_resoudre(etape=etape, client=client, charge=charge),
        factures=factures,
        jour=jour,
    )
    return contexte


def contexte_message(
    *,
    envoi: Envoi,
    etape: Etape,
    organisation: Organisation,
    client: Client,
    charge: Membre | None,
    destinataires: Destinataires,
    factures: list[Facture],
    jour: datetime.date,
) -> tuple[dict[str, Any], Penalites | None]:
    """What a send's templates see, and its penalties: the invoices, the penalties from the
    formal steps (a letter, or 30 days late and more), the signer, and the factor's mention for
    factored invoices. Call in the send's language (the penalty formulas are translated when computed)."""
    from relances.gabarits import contexte_construire

    penalites = _penalites(factures, jour) if envoi.canal == Canal.COURRIER or etape.decalage_jours >= 30 else None
    contexte = contexte_construire(
        organisation=organisation,
        client=client,
        contact=destinataires.contact,
        factures=factures,
        penalites=penalites,
        signataire=_signataire(charge, organisation),
        liens=None,
        aujourd_hui=jour,
    )
    if any(f.est_affacturee for f in factures):
        contexte["affacturage"] = {
            "mention": etape.scenario.mention_affacturage,
            "affactureur": next(f.affactureur for f in factures if f.est_affacturee),
        }
    return contexte, penalites


def _contenu_rendre(
    envoi: Envoi,
    relances: list[Relance],
    jour: datetime.date,
    *,
    organisation: Organisation,
    client: Client,
    etape: Etape,
    charge: Membre | None,
    modele: ModeleMessage | None = None,
    membres_daf: list[Membre] | None = None,
) -> tuple[Destinataires, list[Facture]]:
    """Render the message (and a letter's PDF) of a send onto the instance, without saving it.

    Reads no row but the client's prefetched contacts, the step's templates and,
    without ``membres_daf``, the finance directors: a batch loads them all first.
    Raises ``ApplicationError`` when the step has no template.
    """
    from relances.gabarits import gabarit_rendre

    destinataires = destinataires_resoudre(etape=etape, client=client, charge=charge, membres_daf=membres_daf)
    factures = factures_triees(relances)
    modele = modele or etape_modele(etape, envoi.langue)
    if modele is None:
        raise ApplicationError(
            _("L'étape « %(etape)s » n'a pas de modèle de message.") % {"etape": etape.nom},
            code=error_codes.ETAPE_INVALIDE,
        )
    with translation.override(envoi.langue):
        contexte, penalites = contexte_message(
            envoi=envoi,
            etape=etape,
            organisation=organisation,
            client=client,
            charge=charge,
            destinataires=destinataires,
            factures=factures,
            jour=jour,
        )
        rendu = gabarit_rendre(sujet=modele.sujet, corps=modele.corps, contexte=contexte)
        envoi.sujet = rendu.sujet[:300]
        envoi.corps_texte = rendu.texte
        envoi.corps_html = rendu.html
        envoi.destinataires = destinataires.en_dict()
        if envoi.canal == Canal.COURRIER:
            from relances.courriers import courrier_html, courriers_lot_pdf, facture_pour_courrier

            contact = destinataires.contact
            envoi.courrier_html = courrier_html(
                organisation=organisation,
                client=client,
                destinataire={"nom": str(contact), "fonction": contact.fonction} if contact else None,
                objet=rendu.sujet,
                corps_html=rendu.corps_html,
                factures=[facture_pour_courrier(f, au=jour) for f in factures],
                penalites=penalites,
                date_courrier=jour,
                lieu=organisation.ville,
                signataire=_signataire(charge, organisation),
                mention_affacturage=contexte.get("affacturage", {}).get("mention", ""),
                recommande=etape.ton == Ton.MISE_EN_DEMEURE,
                corps_redige=True,
            )
            pdf = courriers_lot_pdf([envoi.courrier_html])
            envoi.courrier_pdf.save(f"courrier-{envoi.pk}.pdf", ContentFile(pdf), save=False)
    return destinataires, factures


def _message(
    envoi: Envoi, organisation: Organisation, factures: list[Facture], joindre: bool
) -> EmailMultiAlternatives:
    destinataires = envoi.destinataires
    domaine = settings.RELANCES_DOMAINE_MESSAGE_ID
    expediteur = organisation.adresse_expediteur
    message = EmailMultiAlternatives(
        subject=envoi.sujet,
        body=envoi.corps_texte,
        from_email=expediteur,
        to=destinataires.get("a", []),
        cc=destinataires.get("cc", []),
        bcc=destinataires.get("cci", []),
        reply_to=destinataires.get("repondre_a", []),
        headers={
            "Message-ID": f"<{envoi.cle_idempotence}@{domaine}>",
            "X-Recouvrement-Envoi": envoi.cle_idempotence,
        },
    )
    message.attach_alternative(envoi.corps_html, "text/html")
    if envoi.courrier_pdf:
        with envoi.courrier_pdf.open("rb") as fichier:
            message.attach(f"relance-{envoi.date_prevue:%Y%m%d}.pdf", fichier.read(), "application/pdf")
    if joindre:
        for facture in factures:
            if facture.pdf:
                with facture.pdf.open("rb") as fichier:
                    message.attach(f"{facture.numero}.pdf", fichier.read(), "application/pdf")
    # django-anymail: tracking webhooks bring this back; ignored by the SMTP backend.
    message.metadata = {"organisation_id": str(envoi.tenant_id), "envoi_id": str(envoi.pk)}  # type: ignore[attr-defined]
    message.tags = ["relance", envoi.canal]  # type: ignore[attr-defined]
    return message


def _remettre(message: EmailMultiAlternatives, connexion: Any | None = None) -> str:
    """Hand the message to the mailer; return the ESP's message id. Classifies failures.

    ``connexion``: a mailer (``django.core.mail.mailers.default``) shared by a
    batch; it is opened here the first time and stays open for the next message.
    """
    import smtplib

    try:
        if connexion is None:
            message.send()
        else:
            connexion.open()  # does nothing once open
            connexion.send_messages([message])
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError, TimeoutError) as error:
        raise ErreurTransitoire(str(error)) from error
    except smtplib.SMTPResponseException as error:
        if 400 <= error.smtp_code < 500:
            raise ErreurTransitoire(f"{error.smtp_code} {error.smtp_error!r}") from error
        raise
    except Exception as error:
        status = getattr(getattr(error, "response", None), "status_code", None)
        if status is not None and (status >= 500 or status == 429):
            raise ErreurTransitoire(str(error)) from error
        raise
    statut = getattr(message, "anymail_status", None)
    message_id = getattr(statut, "message_id", None) if statut is not None else None
    return str(message_id or message.extra_headers["Message-ID"])


def envois_reserver(*, jour: datetime.date, limite: int = 500) -> list[int]:
    """Claim the sends ready to go today: mark them "en cours" and commit, before any sending."""
    with transaction.atomic():
        ids = list(
            Envoi.objects.select_for_update(skip_locked=True)
            .filter(statut=StatutEnvoi.PRET, date_prevue__lte=jour)
            .order_by("date_prevue", "pk")
            .values_list("pk", flat=True)[:limite]
        )
        Envoi.objects.filter(pk__in=ids).update(statut=StatutEnvoi.EN_COURS, en_cours_depuis=timezone.now())
    return ids


def envois_reserver_un(*, envoi_id: int) -> list[int]:
    """Claim one ready send (« relancer maintenant »): [its id] if it was ready, else []."""
    with transaction.atomic():
        pris = Envoi.objects.filter(pk=envoi_id, statut=StatutEnvoi.PRET).update(
            statut=StatutEnvoi.EN_COURS, en_cours_depuis=timezone.now()
        )
    return [envoi_id] if pris else []


def envois_bloques(*, delai: datetime.timedelta) -> list[int]:
    """Sends left "en cours" for longer than ``delai`` (their worker died, or the broker lost the task)."""
    limite = timezone.now() - delai
    return list(
        Envoi.objects.filter(statut=StatutEnvoi.EN_COURS, en_cours_depuis__lt=limite).values_list("pk", flat=True)
    )


def _tentative_ouvrir(envoi: Envoi) -> bool:
    """Whether an attempt at this send may go on; if so it is counted on the instance (the caller saves).

    Precondition: the row is locked (``select_for_update``). Not for a send
    already sent, failed, cancelled or waiting for approval, nor, with an ESP
    that is not idempotent, for one whose previous attempt is recent.
    """
    if envoi.statut == StatutEnvoi.PRET:
        envoi.statut = StatutEnvoi.EN_COURS
        envoi.en_cours_depuis = timezone.now()
    if envoi.statut != StatutEnvoi.EN_COURS:
        return False
    if (
        envoi.sujet
        and not settings.RELANCES_ESP_IDEMPOTENT
        and envoi.en_cours_depuis
        and (timezone.now() - envoi.en_cours_depuis)
        < datetime.timedelta(seconds=settings.RELANCES_DELAI_RECONCILIATION)
    ):
        # A previous attempt may have reached an ESP that would send it again:
        # leave it to its tracking webhooks, then to the reconciliation.
        return False
    envoi.tentatives += 1
    return True


def envoi_executer(*, envoi_id: int, jour: datetime.date) -> Envoi:
    """Send one grouped reminder. Idempotent; raises ``ErreurTransitoire`` to be retried.

    Precondition: inside the organisation's scope; the send was claimed
    (``envois_reserver``) or is being retried ("en cours").
    """
    with transaction.atomic():
        envoi = Envoi.objects.select_for_update().get(pk=envoi_id)
        if not _tentative_ouvrir(envoi):
            return envoi
        envoi.save(update_fields=["statut", "en_cours_depuis", "tentatives"])
        relances = relances_valides(envoi, jour)
        if not relances:
            envoi.statut = StatutEnvoi.ANNULE
            envoi.erreur = _("Plus rien à relancer : factures réglées, en pause ou échues pour un préventif.")
            envoi.save(update_fields=["statut", "erreur"])
            return envoi
        etape = Etape.objects.get(pk=envoi.etape_id)
        if not envoi.sujet and envoi.canal in CANAUX_REDIGES:
            try:
                envoi_rendre(envoi, relances, jour)
            except ApplicationError as error:
                # A missing template or reference rate: no point retrying until someone fixes it.
                erreur = error.message
            else:
                erreur = ""
            if erreur:
                return _echec(envoi, erreur)
        factures = factures_triees(relances)
    # The send happens outside any transaction: nothing is held open during the ESP call.
    organisation = Organisation.objects.get(pk=envoi.tenant_id)
    message_id = ""
    if envoi.canal == Canal.EMAIL and not envoi.destinataires.get("a"):
        return _echec(envoi, _("Aucun contact joignable par e-mail pour ce client."))
    par_email = envoi.canal == Canal.EMAIL or (envoi.canal == Canal.COURRIER and etape.envoyer_courrier_par_email)
    if par_email and envoi.destinataires.get("a"):
        try:
            message_id = _remettre(_message(envoi, organisation, factures, joindre=etape.joindre_factures))
        except ErreurTransitoire:
            Envoi.objects.filter(pk=envoi.pk).update(erreur=_("Erreur passagère, nouvel essai prévu."))
            raise
        except Exception as error:  # noqa: BLE001  (any other refusal is permanent)
            return _echec(envoi, str(error))
    return _terminer(envoi, message_id, relances, etape)


@dataclass
class DonneesLot:
    """The rows that rendering and recording a batch of sends read, loaded once for the batch."""

    organisation: Organisation
    clients: dict[int, Client]  # with their contacts, sales rep and project manager
    etapes: dict[int, Etape]  # with their scenario and templates
    charge: Membre | None
    membres_daf: list[Membre]


def _lot_charger(envois: list[Envoi]) -> DonneesLot:
    """Load what ``envois`` need in a fixed number of queries, whatever their number."""
    clients = (
        Client.objects.select_related("commercial__user", "chef_projet__user")
        .prefetch_related("contacts")
        .in_bulk({e.client_id for e in envois})
    )
    etapes = Etape.objects.select_related("scenario").prefetch_related("modeles").in_bulk({e.etape_id for e in envois})
    return DonneesLot(
        organisation=Organisation.objects.get(pk=envois[0].tenant_id),
        clients=clients,
        etapes=etapes,
        charge=charge_par_defaut(),
        membres_daf=_membres_daf(),
    )


def _envois_ecrire(envois: list[Envoi], champs: list[str]) -> None:
    """Save ``champs`` of every send in one ``UPDATE … FROM (VALUES …)``.

    ``bulk_update`` would do the same in one statement too, but builds a
    ``CASE WHEN`` expression per row and field: about 2 ms of Python per send.
    Row-level security applies as to any statement of the organisation's scope.
    """
    from django.db import connection

    if not envois:
        return
    if connection.vendor != "postgresql":
        # SQLite (the demo) has no typed VALUES list: the ORM's statement, slower but portable.
        Envoi.objects.bulk_update(envois, champs)
        return
    meta = Envoi._meta
    colonnes = [cast("Field[Any, Any]", meta.get_field(champ)) for champ in champs]
    ligne = "(%s::bigint, " + ", ".join(f"%s::{c.db_type(connection)}" for c in colonnes) + ")"
    params: list[Any] = []
    for envoi in envois:
        params.append(envoi.pk)
        params += [c.get_db_prep_save(getattr(envoi, c.attname), connection) for c in colonnes]
    affectations = ", ".join(f'"{c.column}" = v."{c.column}"' for c in colonnes)
    noms = ", ".join(f'"{c.column}"' for c in colonnes)
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{meta.db_table}" AS e SET {affectations} '  # noqa: S608  (names from the model, values bound)
            f"FROM (VALUES {', '.join([ligne] * len(envois))}) AS v (id, {noms}) "
            "WHERE e.id = v.id AND e.tenant_id = %s",
            [*params, envois[0].tenant_id],
        )


@dataclass
class LotEnvoye:
    """What became of a batch: the sends dealt with, and those left to the one-by-one task."""

    envois: list[Envoi]
    a_part: list[int]  # not e-mails, or their rendering failed here: send them one by one now
    a_reessayer: list[int]  # transient mailer error: still "en cours", to send one by one later
    erreur: str = ""


def envois_executer(*, envoi_ids: list[int], jour: datetime.date) -> LotEnvoye:
    """Send a batch of grouped reminder e-mails over one mailer connection. Idempotent.

    Precondition: inside the organisation's scope; the sends were claimed
    (``envois_reserver``) or are being retried. Same states and rules as
    ``envoi_executer``, with the queries done per batch instead of per send:

    1. One transaction locks the sends (``FOR UPDATE``, in pk order), counts the
       attempt, checks their reminders, loads clients, contacts, steps,
       templates and members together, renders each message in Python and
       stores the content, then commits. A retry therefore sends the same bytes.
    2. Outside any transaction, each message is handed over on the shared
       connection with its idempotency key (the ``Message-ID``), and at once
       recorded "envoyé" by ``_terminer`` in its own committed transaction,
       before the next message is handed over. Exactly once holds as for one
       send: a crash leaves at most the message in flight handed over but not
       recorded; it stays "en cours" and goes again with the same key, which an
       idempotent ESP accepts once. Recording the whole batch at the end would
       leave every message of the batch in that state instead of one.
    3. A permanent refusal fails that send only (``_echec``) and the batch goes
       on on a fresh connection. A transient error stops the batch: that send
       and the ones not yet handed over stay "en cours" and are returned in
       ``a_reessayer`` for the one-by-one task and its backoff.

    Letters, calls and tasks (rare, and a letter renders a PDF) and a send
    whose rendering raised unexpectedly are left untouched, in ``a_part``.
    """
    from django.core.mail import mailers

    def echouer(envoi: Envoi, erreur: str) -> None:
        enregistre = _echec(envoi, erreur)
        envoi.statut, envoi.erreur = enregistre.statut, enregistre.erreur

    a_part: list[int] = []
    with transaction.atomic():
        verrouilles = list(Envoi.objects.select_for_update().filter(pk__in=envoi_ids).order_by("pk"))
        a_part += [e.pk for e in verrouilles if e.canal != Canal.EMAIL]
        envois = [e for e in verrouilles if e.canal == Canal.EMAIL]
        ouverts = [e for e in envois if _tentative_ouvrir(e)]
        if not ouverts:
            return LotEnvoye(envois=envois, a_part=a_part, a_reessayer=[])
        _envois_ecrire(ouverts, ["statut", "en_cours_depuis", "tentatives"])
        valides = _relances_valides_lot(ouverts, jour)
        vides = [e for e in ouverts if e.pk not in valides]
        if vides:
            erreur = _("Plus rien à relancer : factures réglées, en pause ou échues pour un préventif.")
            Envoi.objects.filter(pk__in=[e.pk for e in vides]).update(statut=StatutEnvoi.ANNULE, erreur=erreur)
            for envoi in vides:
                envoi.statut, envoi.erreur = StatutEnvoi.ANNULE, erreur
        lot = _lot_charger(ouverts)
        prets: list[Envoi] = []
        rendus: list[Envoi] = []
        echecs: list[tuple[Envoi, str]] = []
        for envoi in ouverts:
            if envoi.pk not in valides:
                continue
            if envoi.sujet:  # rendered by a previous attempt, or edited before approval
                prets.append(envoi)
                continue
            try:
                _contenu_rendre(
                    envoi,
                    valides[envoi.pk],
                    jour,
                    organisation=lot.organisation,
                    client=lot.clients[envoi.client_id],
                    etape=lot.etapes[envoi.etape_id],
                    charge=lot.charge,
                    membres_daf=lot.membres_daf,
                )
            except ApplicationError as error:
                echecs.append((envoi, error.message))
            except Exception:
                # Rendering writes nothing: the send goes one by one, where its error surfaces as before.
                logger.exception("relances: envoi %s non rendu dans son lot", envoi.pk)
                a_part.append(envoi.pk)
            else:
                rendus.append(envoi)
                prets.append(envoi)
        if rendus:
            _envois_ecrire(rendus, ["sujet", "corps_texte", "corps_html", "destinataires"])
        for envoi, erreur in echecs:
            echouer(envoi, erreur)
    # Hand-overs outside any transaction: nothing is held open during the mailer's calls.
    connexion = mailers.default
    try:
        for rang, envoi in enumerate(prets):
            if not envoi.destinataires.get("a"):
                echouer(envoi, _("Aucun contact joignable par e-mail pour ce client."))
                continue
            relances = valides[envoi.pk]
            etape = lot.etapes[envoi.etape_id]
            factures = factures_triees(relances)
            try:
                message_id = _remettre(
                    _message(envoi, lot.organisation, factures, joindre=etape.joindre_factures), connexion
                )
            except ErreurTransitoire as error:
                Envoi.objects.filter(pk=envoi.pk).update(erreur=_("Erreur passagère, nouvel essai prévu."))
                return LotEnvoye(
                    envois=envois, a_part=a_part, a_reessayer=[e.pk for e in prets[rang:]], erreur=str(error)
                )
            except Exception as error:  # noqa: BLE001  (any other refusal is permanent)
                echouer(envoi, str(error))
                connexion.close()  # the next message starts on a clean session
                continue
            _terminer(envoi, message_id, relances, etape, lot)
    finally:
        connexion.close()
    return LotEnvoye(envois=envois, a_part=a_part, a_reessayer=[])


@transaction.atomic
def _terminer(
    envoi: Envoi, message_id: str, relances: list[Relance], etape: Etape, lot: DonneesLot | None = None
) -> Envoi:
    """Record a send as gone, with its reminders, its tasks and its event; one transaction.

    Called right after the hand-over, and committed before the next one (a
    batch does the same for each of its messages): a crash can leave at most the
    message in flight unrecorded, which goes again with the same key. A send
    that is no longer "en cours" (another attempt recorded it) is left alone.
    ``lot``: the batch's loaded rows (client, credit manager), else read here.
    """
    maintenant = timezone.now()
    if not _envoye_marquer(envoi, message_id, relances, maintenant):
        return Envoi.objects.get(pk=envoi.pk)
    envoi.statut = StatutEnvoi.ENVOYE
    envoi.message_id = message_id
    envoi.envoye_le = maintenant
    envoi.erreur = ""
    client = lot.clients[envoi.client_id] if lot is not None else Client.objects.get(pk=envoi.client_id)
    numeros = ", ".join(r.facture.numero for r in relances)
    total = sum((r.facture.reste_du for r in relances), start=Decimal("0"))
    taches = envoi.canal in (Canal.COURRIER, Canal.APPEL, Canal.TACHE) or etape.tache_appel
    charge = (lot.charge if lot is not None else charge_du_client(client)) if taches else None
    if envoi.canal == Canal.COURRIER:
        _tache(
            envoi=envoi,
            client=client,
            type_tache=TypeTache.COURRIER,
            titre=_("Imprimer et poster le courrier : %(client)s"),
            charge=charge,
            texte=_("Le courrier est dans le lot à imprimer des relances à envoyer."),
        )
    if envoi.canal == Canal.APPEL or etape.tache_appel:
        _tache(
            envoi=envoi,
            client=client,
            type_tache=TypeTache.APPEL,
            titre=_("Appeler %(client)s"),
            charge=charge,
            texte=etape.script_appel,
        )
    if envoi.canal == Canal.TACHE:
        _tache(
            envoi=envoi,
            client=client,
            type_tache=TypeTache.MANUELLE,
            titre=_("Relance manuelle : %(client)s"),
            charge=charge,
            texte=etape.script_appel,
        )
    evenement_record(
        client=client,
        type=TypeEvenementRelance.RELANCE_ENVOYEE,
        message=_("%(canal)s « %(etape)s » : %(numeros)s (%(total)s)")
        % {"canal": envoi.get_canal_display(), "etape": etape.nom, "numeros": numeros, "total": montant_texte(total)},
        donnees={"envoi_id": envoi.pk, "factures": [r.facture_id for r in relances]},
    )
    envoi_id, organisation_id = envoi.pk, envoi.tenant_id
    transaction.on_commit(
        lambda: relance_envoyee.send(sender=Envoi, envoi_id=envoi_id, organisation_id=organisation_id)
    )
    return envoi


def _envoye_marquer(envoi: Envoi, message_id: str, relances: list[Relance], maintenant: datetime.datetime) -> bool:
    """Mark the send "envoyé" if it is still "en cours", and its reminders "envoyée"; whether it was.

    One statement (a data-modifying CTE): it is on the path of every message,
    between two hand-overs, and each round trip to PostgreSQL counts there. The
    reminders are matched by send too: under RLS the planner takes a long list
    of ids for "a few rows of the organisation" and would scan all its
    reminders through another index (bench/README.md, sending section).
    Precondition: in the transaction that records the rest of the send.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        # SQLite (the demo) has no data-modifying CTE: the same two updates, one after the other.
        marques = Envoi.objects.filter(pk=envoi.pk, statut=StatutEnvoi.EN_COURS).update(
            statut=StatutEnvoi.ENVOYE, message_id=message_id, envoye_le=maintenant, erreur=""
        )
        if marques:
            Relance.objects.filter(envoi_id=envoi.pk, pk__in=[r.pk for r in relances]).update(
                statut=StatutRelance.ENVOYEE
            )
        return bool(marques)
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH envoi AS ("
            "  UPDATE relances_envoi SET statut = %(envoye)s, message_id = %(message_id)s,"
            "    envoye_le = %(maintenant)s, erreur = ''"
            "  WHERE tenant_id = %(tenant)s AND id = %(envoi)s AND statut = %(en_cours)s RETURNING id"
            "), relances AS ("
            "  UPDATE relances_relance SET statut = %(envoyee)s"
            "  WHERE tenant_id = %(tenant)s AND envoi_id IN (SELECT id FROM envoi) AND id = ANY(%(relances)s)"
            ") SELECT count(*) FROM envoi",
            {
                "envoye": StatutEnvoi.ENVOYE.value,
                "en_cours": StatutEnvoi.EN_COURS.value,
                "envoyee": StatutRelance.ENVOYEE.value,
                "message_id": message_id,
                "maintenant": maintenant,
                "tenant": envoi.tenant_id,
                "envoi": envoi.pk,
                "relances": [r.pk for r in relances],
            },
        )
        (marques,) = cursor.fetchone()
    return bool(marques)


def _tache(*, envoi: Envoi, client: Client, type_tache: str, titre: str, charge: Membre | None, texte: str) -> None:
    Tache.objects.get_or_create(
        cle=f"{type_tache}:envoi:{envoi.pk}",
        defaults={
            "client": client,
            "envoi": envoi,
            "type": type_tache,
            "titre": (titre % {"client": client.raison_sociale})[:200],
            "description": texte,
            "assigne_a": client.commercial if type_tache == TypeTache.APPEL and charge is None else charge,
            "echeance": envoi.date_prevue,
            "statut": StatutTache.A_FAIRE,
        },
    )


@transaction.atomic
def _echec(envoi: Envoi, erreur: str) -> Envoi:
    envoi = Envoi.objects.select_for_update().get(pk=envoi.pk)
    envoi.statut = StatutEnvoi.ECHEC
    envoi.erreur = erreur[:2000]
    envoi.save(update_fields=["statut", "erreur"])
    Relance.objects.filter(envoi=envoi, statut=StatutRelance.PLANIFIEE).update(statut=StatutRelance.ECHEC)
    client = Client.objects.get(pk=envoi.client_id)
    _tache(
        envoi=envoi,
        client=client,
        type_tache=TypeTache.ECHEC_ENVOI,
        titre=_("Relance non envoyée : %(client)s"),
        charge=charge_du_client(client),
        texte=erreur,
    )
    evenement_record(
        client=client,
        type=TypeEvenementRelance.RELANCE_ECHEC,
        message=_("Relance non envoyée : %(erreur)s") % {"erreur": erreur[:300]},
        donnees={"envoi_id": envoi.pk},
    )
    return envoi


@transaction.atomic
def envoi_reessayer(*, envoi: Envoi, auteur: Any) -> Envoi:
    """Put a failed send back in the outbox (after a contact, a template or a rate was fixed)."""
    envoi = Envoi.objects.select_for_update().get(pk=envoi.pk)
    if envoi.statut != StatutEnvoi.ECHEC:
        raise ApplicationError(
            _("Seule une relance en échec peut être renvoyée."), code=error_codes.ENVOI_NON_VALIDABLE
        )
    Relance.objects.filter(envoi=envoi, statut=StatutRelance.ECHEC).update(statut=StatutRelance.PLANIFIEE)
    envoi.statut = StatutEnvoi.PRET
    envoi.sujet = envoi.corps_texte = envoi.corps_html = envoi.courrier_html = ""
    envoi.courrier_pdf = ""
    envoi.erreur = ""
    envoi.save(
        update_fields=["statut", "sujet", "corps_texte", "corps_html", "courrier_html", "courrier_pdf", "erreur"]
    )
    return envoi


def envoi_echec_definitif(*, envoi_id: int, erreur: str) -> Envoi:
    """After the last retry of a transient error."""
    return _echec(Envoi.objects.get(pk=envoi_id), erreur)


@transaction.atomic
def envoi_valider(*, envoi: Envoi, auteur: Any) -> Envoi:
    """A credit manager approves a send that needed it: it goes at the next sending round."""
    envoi = Envoi.objects.select_for_update().get(pk=envoi.pk)
    if envoi.statut != StatutEnvoi.A_VALIDER:
        raise ApplicationError(_("Cette relance n'attend pas de validation."), code=error_codes.ENVOI_NON_VALIDABLE)
    envoi.statut = StatutEnvoi.PRET
    envoi.valide_par = auteur if getattr(auteur, "is_authenticated", False) else None
    envoi.valide_le = timezone.now()
    envoi.save(update_fields=["statut", "valide_par", "valide_le"])
    evenement_record(
        client=Client.objects.get(pk=envoi.client_id),
        type=TypeEvenementRelance.RELANCE_VALIDEE,
        message=_("Relance validée pour envoi"),
        auteur=auteur,
        donnees={"envoi_id": envoi.pk},
    )
    return envoi


@transaction.atomic
def envoi_ignorer(*, envoi: Envoi, auteur: Any) -> Envoi:
    """Skip a send waiting for approval (or not yet gone): nothing goes, its reminders are cancelled."""
    envoi = Envoi.objects.select_for_update().get(pk=envoi.pk)
    if envoi.statut not in (StatutEnvoi.A_VALIDER, StatutEnvoi.PRET):
        raise ApplicationError(_("Cette relance est déjà partie ou annulée."), code=error_codes.ENVOI_NON_VALIDABLE)
    envoi.statut = StatutEnvoi.ANNULE
    envoi.save(update_fields=["statut"])
    Relance.objects.filter(envoi=envoi, statut=StatutRelance.PLANIFIEE).update(statut=StatutRelance.ANNULEE)
    evenement_record(
        client=Client.objects.get(pk=envoi.client_id),
        type=TypeEvenementRelance.RELANCE_ANNULEE,
        message=_("Relance écartée avant envoi"),
        auteur=auteur,
        donnees={"envoi_id": envoi.pk},
    )
    return envoi
