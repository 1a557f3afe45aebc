"""Writes on disputes: opening, the status workflow and its resolution (credit notes), the
owner and the due date, the comment thread, attachments and the SLA settings.

Opening pauses dunning on the disputed invoices only; leaving the active states lifts
those pauses (the next planning takes the invoices again). A resolution by credit note
settles each disputed invoice by the credit note's amount in the same transaction: an
invoice fully settled is closed and never chased again, a partial one is chased for
the rest. The owner's e-mails go from ``litiges.tasks`` once the change is committed.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.events import evenement_record
from clients.models import Client
from factures.models import STATUTS_OUVERTS, Facture, Nature
from factures.services import facture_create, lettrage_create
from litiges import error_codes
from litiges.events import TypeEvenementLitige
from litiges.models import (
    EXTENSIONS_PIECES,
    STATUTS_LITIGE_ACTIFS,
    TAILLE_MAX_PIECE,
    TRANSITIONS,
    CommentaireLitige,
    DelaiLitige,
    LigneLitige,
    Litige,
    ParametresLitige,
    PieceJointeLitige,
    StatutLitige,
    TypeLitige,
)
from litiges.selectors import delai_jours
from litiges.signals import litige_ouvert, litige_resolu
from recouvrement.core.errors import ApplicationError
from recouvrement.core.formats import montant_texte
from recouvrement.tenancy.models import Membre
from relances.models import MotifPause
from relances.services.pauses import pause_create, pauses_lever_par_origine

CENTIME = Decimal("0.01")
STATUTS_AVEC_AVOIR = (StatutLitige.RESOLU_AVOIR, StatutLitige.RESOLU_ACCORD)


def _notifier_affectation_apres_commit(litige: Litige, auteur: Any) -> None:
    """Queue the owner's e-mail once committed, unless the owner assigned it to himself."""
    from litiges.tasks import litige_affectation_notifier

    if litige.responsable is not None and litige.responsable.user_id == getattr(auteur, "pk", None):
        return
    organisation_id, litige_id = litige.tenant_id, litige.pk
    transaction.on_commit(
        lambda: litige_affectation_notifier.delay(organisation_id=organisation_id, litige_id=litige_id)
    )


def _signaler_apres_commit(signal: Signal, litige: Litige, **extra: Any) -> None:
    litige_id, organisation_id = litige.pk, litige.tenant_id
    transaction.on_commit(
        lambda: signal.send(sender=Litige, litige_id=litige_id, organisation_id=organisation_id, **extra)
    )


@transaction.atomic
def litige_ouvrir(
    *,
    client: Client,
    factures: list[tuple[Facture, Decimal | None]],
    type: str,
    description: str,
    auteur: Any,
    souleve_par: str = "",
    responsable: Membre | None = None,
    echeance: datetime.date | None = None,
    external_id: str = "",
) -> Litige:
    """Open a dispute on invoices of ``client`` (a ``None`` amount disputes the whole balance due).

    Without ``echeance``, the organisation's time to settle this type (its SLA) gives it.
    An owner is told by e-mail once the dispute is committed (not one who opened it himself).
    """
    if not factures:
        raise ApplicationError(
            _("Choisissez au moins une facture contestée."), code=error_codes.SANS_FACTURE, field="factures"
        )
    if type not in TypeLitige.values:
        raise ApplicationError(_("Type de litige inconnu."), code=error_codes.TYPE_INCONNU, field="type")
    if echeance is None:
        echeance = timezone.localdate() + datetime.timedelta(days=delai_jours(type=type))
    litige = Litige(
        client=client,
        type=type,
        description=description.strip(),
        souleve_par=souleve_par,
        responsable=responsable,
        echeance=echeance,
        ouvert_par=auteur if getattr(auteur, "is_authenticated", False) else None,
        external_id=external_id,
    )
    litige.full_clean()
    litige.save()
    lignes = []
    for facture, montant_saisi in factures:
        if facture.client_id != client.pk or facture.statut not in STATUTS_OUVERTS:
            raise ApplicationError(
                _("La facture %(numero)s n'est pas une facture ouverte de ce client.") % {"numero": facture.numero},
                code=error_codes.FACTURE_INVALIDE,
                field="factures",
            )
        montant = facture.reste_du if montant_saisi is None else montant_saisi
        if montant <= 0 or montant > facture.reste_du:
            raise ApplicationError(
                _("Le montant contesté de %(numero)s doit être entre 0 et son reste dû (%(reste)s).")
                % {"numero": facture.numero, "reste": montant_texte(facture.reste_du, facture.devise)},
                code=error_codes.MONTANT_INVALIDE,
                field="factures",
            )
        lignes.append(LigneLitige(litige=litige, facture=facture, montant=montant))
        pause_create(
            motif=MotifPause.LITIGE,
            facture=facture,
            origine=f"litige:{litige.pk}",
            commentaire=description[:500],
            auteur=auteur,
        )
    LigneLitige.objects.bulk_create(lignes)
    evenement_record(
        client=client,
        type=TypeEvenementLitige.LITIGE_OUVERT,
        message=_("Litige ouvert (%(type)s) sur %(numeros)s")
        % {"type": litige.get_type_display(), "numeros": ", ".join(f.numero for f, _m in factures)},
        auteur=auteur,
        donnees={"litige_id": litige.pk},
    )
    if responsable is not None:
        _notifier_affectation_apres_commit(litige, auteur)
    _signaler_apres_commit(litige_ouvert, litige)
    return litige


def _lire_montant(valeur: Any, numero: str) -> Decimal:
    try:
        montant = Decimal(str(valeur).replace(" ", "").replace(",", "."))
    except ArithmeticError:
        montant = Decimal("NaN")
    if not montant.is_finite() or montant != montant.quantize(CENTIME):
        raise ApplicationError(
            _("Montant d'avoir invalide pour %(numero)s.") % {"numero": numero},
            code=error_codes.MONTANT_INVALIDE,
            field="avoirs",
        )
    return montant


def _avoirs_emettre(
    *, litige: Litige, statut: str, montants: dict[int, Any] | None, auteur: Any
) -> list[tuple[LigneLitige, Facture]]:
    """The credit notes of a resolution, each allocated to its disputed invoice.

    ``montants`` maps a line's id to the amount typed (``None`` or absent: the disputed
    amount, capped by what the invoice still owes, for « avoir émis »; no credit note for
    « accord commercial »). A typed amount above what the invoice owes is refused by
    ``lettrage_create``. Precondition: ``litige`` is locked.
    """
    montants = montants or {}
    lignes = list(litige.lignes.select_related("facture").order_by("facture__date_echeance", "pk"))
    a_emettre: list[tuple[LigneLitige, Decimal]] = []
    for ligne in lignes:
        saisi = montants.get(ligne.pk)
        if saisi is None or str(saisi).strip() == "":
            # By default the disputed amount, but no more than the invoice still owes (it may
            # have been paid in part since the dispute was opened).
            defaut = min(ligne.montant, ligne.facture.reste_du) if ligne.facture.statut in STATUTS_OUVERTS else 0
            montant = Decimal(defaut) if statut == StatutLitige.RESOLU_AVOIR else Decimal("0")
        else:
            montant = _lire_montant(saisi, ligne.facture.numero)
        if montant < 0 or montant > ligne.montant:
            raise ApplicationError(
                _("L'avoir sur %(numero)s doit être entre 0 et le montant contesté (%(conteste)s).")
                % {
                    "numero": ligne.facture.numero,
                    "conteste": montant_texte(ligne.montant, ligne.facture.devise),
                },
                code=error_codes.AVOIR_DEPASSE,
                field="avoirs",
            )
        if montant > 0:
            a_emettre.append((ligne, montant))
    if statut == StatutLitige.RESOLU_AVOIR and not a_emettre:
        raise ApplicationError(
            _("Un litige résolu par avoir émet au moins un avoir."), code=error_codes.SANS_AVOIR, field="avoirs"
        )
    emis: list[tuple[LigneLitige, Facture]] = []
    aujourd_hui = timezone.localdate()
    for ligne, montant in a_emettre:
        facture = ligne.facture
        # The invoice's own VAT ratio, so that the credit note's VAT reverses what was invoiced.
        ht = (montant * facture.montant_ht / facture.montant_ttc).quantize(CENTIME) if facture.montant_ttc else montant
        avoir = facture_create(
            client=litige.client,
            numero=f"AV-L{litige.pk}-{facture.numero}"[:50],
            nature=Nature.AVOIR,
            facture_origine=facture,
            date_emission=aujourd_hui,
            date_echeance=aujourd_hui,
            montant_ht=ht,
            montant_tva=montant - ht,
            montant_ttc=montant,
            devise=facture.devise,
            auteur=auteur,
        )
        lettrage_create(facture=facture, avoir=avoir, montant=montant, auteur=auteur)
        emis.append((ligne, avoir))
    return emis


@transaction.atomic
def litige_statut_changer(
    *,
    litige: Litige,
    statut: str,
    auteur: Any,
    resolution: str = "",
    montants_avoir: dict[int, Any] | None = None,
) -> Litige:
    """Move a dispute on along ``TRANSITIONS``; other moves are refused.

    « Résolu : avoir émis » issues a credit note per disputed invoice (the disputed
    amount unless ``montants_avoir`` says less), « accord commercial » only for the
    amounts given; each is allocated to its invoice here. Once the dispute is no longer
    active, dunning resumes on its invoices (on what they still owe).
    """
    litige = Litige.objects.select_for_update().select_related("client").get(pk=litige.pk)
    if statut not in StatutLitige.values:
        raise ApplicationError(_("Statut inconnu."), code=error_codes.STATUT_INCONNU, field="statut")
    if statut not in TRANSITIONS.get(litige.statut, ()):
        suivants = ", ".join(str(StatutLitige(s).label) for s in TRANSITIONS.get(litige.statut, ()))
        raise ApplicationError(
            _("Un litige « %(actuel)s » ne peut pas passer à « %(nouveau)s »%(possibles)s.")
            % {
                "actuel": litige.get_statut_display(),
                "nouveau": StatutLitige(statut).label,
                "possibles": (_(" (possible : %(liste)s)") % {"liste": suivants}) if suivants else "",
            },
            code=error_codes.TRANSITION_REFUSEE,
            field="statut",
        )
    avoirs = (
        _avoirs_emettre(litige=litige, statut=statut, montants=montants_avoir, auteur=auteur)
        if statut in STATUTS_AVEC_AVOIR
        else []
    )
    litige.statut = statut
    if resolution.strip():
        litige.resolution = resolution.strip()
    if statut not in STATUTS_LITIGE_ACTIFS and litige.resolu_le is None:
        litige.resolu_le = timezone.now()
        pauses_lever_par_origine(origine=f"litige:{litige.pk}", auteur=auteur)
        _signaler_apres_commit(litige_resolu, litige, statut=statut)
    litige.save(update_fields=["statut", "resolution", "resolu_le"])
    message = _("Litige « %(type)s » : %(statut)s") % {
        "type": litige.get_type_display(),
        "statut": litige.get_statut_display(),
    }
    if avoirs:
        message += " — " + ", ".join(
            _("avoir %(numero)s de %(montant)s sur %(facture)s")
            % {
                "numero": avoir.numero,
                "montant": montant_texte(avoir.montant_ttc, avoir.devise),
                "facture": ligne.facture.numero,
            }
            for ligne, avoir in avoirs
        )
    evenement_record(
        client=litige.client,
        type=TypeEvenementLitige.LITIGE_STATUT,
        message=message,
        auteur=auteur,
        donnees={"litige_id": litige.pk, "statut": statut, "avoirs": [a.pk for _l, a in avoirs]},
    )
    return litige


@transaction.atomic
def litige_suivi_modifier(
    *, litige: Litige, responsable: Membre | None, echeance: datetime.date | None, auteur: Any
) -> Litige:
    """Change the owner and the due date. A new owner is told by e-mail; a new due date
    makes the SLA reminders due again for it."""
    litige = Litige.objects.select_for_update().select_related("client").get(pk=litige.pk)
    if responsable is not None and not responsable.actif:
        raise ApplicationError(
            _("Ce membre n'est plus actif."), code=error_codes.RESPONSABLE_INACTIF, field="responsable"
        )
    if echeance is None:
        raise ApplicationError(_("Indiquez la date de résolution attendue."), code="echeance_requise", field="echeance")
    changements: list[str] = []
    champs: list[str] = []
    nouveau_responsable = responsable is not None and responsable.pk != litige.responsable_id
    if (responsable.pk if responsable else None) != litige.responsable_id:
        litige.responsable = responsable
        litige.affectation_notifiee_le = None
        champs += ["responsable", "affectation_notifiee_le"]
        changements.append(
            _("responsable : %(nom)s") % {"nom": responsable.user.get_full_name() or responsable.user.email}
            if responsable
            else _("sans responsable")
        )
    if echeance != litige.echeance:
        litige.echeance = echeance
        litige.rappel_proche_envoye_le = None
        litige.rappel_depasse_envoye_le = None
        champs += ["echeance", "rappel_proche_envoye_le", "rappel_depasse_envoye_le"]
        changements.append(_("à résoudre avant le %(date)s") % {"date": echeance.strftime("%d/%m/%Y")})
    if not champs:
        return litige
    litige.save(update_fields=champs)
    evenement_record(
        client=litige.client,
        type=TypeEvenementLitige.LITIGE_SUIVI,
        message=_("Litige « %(type)s » : %(changements)s")
        % {"type": litige.get_type_display(), "changements": ", ".join(changements)},
        auteur=auteur,
        donnees={"litige_id": litige.pk},
    )
    if nouveau_responsable:
        _notifier_affectation_apres_commit(litige, auteur)
    return litige


@transaction.atomic
def commentaire_ajouter(*, litige: Litige, texte: str, auteur: Any) -> CommentaireLitige:
    texte = texte.strip()
    if not texte:
        raise ApplicationError(_("Écrivez un commentaire."), code=error_codes.COMMENTAIRE_VIDE, field="texte")
    commentaire = CommentaireLitige(
        litige=litige, texte=texte, auteur=auteur if getattr(auteur, "is_authenticated", False) else None
    )
    commentaire.full_clean()
    commentaire.save()
    return commentaire


def piece_verifier(fichier: UploadedFile) -> None:
    """The extension and the size of an attachment; ``ApplicationError`` on the field ``fichier``."""
    nom = fichier.name or ""
    extension = nom.rsplit(".", 1)[-1].lower() if "." in nom else ""
    if extension not in EXTENSIONS_PIECES:
        raise ApplicationError(
            _("Type de fichier non accepté (%(extension)s). Formats acceptés : %(liste)s.")
            % {"extension": extension or _("sans extension"), "liste": ", ".join(EXTENSIONS_PIECES)},
            code=error_codes.PIECE_EXTENSION,
            field="fichier",
        )
    if fichier.size is None or fichier.size > TAILLE_MAX_PIECE:
        raise ApplicationError(
            _("Le fichier dépasse 10 Mo (%(taille)s Mo).")
            % {"taille": f"{(fichier.size or 0) / 1024 / 1024:.1f}".replace(".", ",")},
            code=error_codes.PIECE_TROP_GROSSE,
            field="fichier",
        )
    if fichier.size == 0:
        raise ApplicationError(_("Le fichier est vide."), code=error_codes.PIECE_VIDE, field="fichier")


@transaction.atomic
def piece_ajouter(*, litige: Litige, fichier: UploadedFile, auteur: Any) -> PieceJointeLitige:
    piece_verifier(fichier)
    piece = PieceJointeLitige(
        litige=litige,
        nom_original=(fichier.name or "")[-255:],
        taille=fichier.size or 0,
        depose_par=auteur if getattr(auteur, "is_authenticated", False) else None,
    )
    piece.fichier.save(fichier.name or "piece", fichier, save=False)
    # The file is on disk before the row: if recording it fails, remove the file.
    nom_stocke = piece.fichier.name or ""
    stockage = piece.fichier.storage
    try:
        piece.save()
        evenement_record(
            client=litige.client,
            type=TypeEvenementLitige.LITIGE_PIECE,
            message=_("Pièce jointe au litige « %(type)s » : %(nom)s")
            % {"type": litige.get_type_display(), "nom": piece.nom_original},
            auteur=auteur,
            donnees={"litige_id": litige.pk, "piece_id": piece.pk},
        )
    except Exception:
        if nom_stocke:
            stockage.delete(nom_stocke)
        raise
    return piece


@transaction.atomic
def litige_parametres_enregistrer(*, delais: dict[str, int], rappel_jours_avant: int) -> None:
    """The organisation's SLA per type and the reminder lead time (upserts, one row per type)."""
    for type_litige, jours in delais.items():
        if type_litige not in TypeLitige.values:
            raise ApplicationError(_("Type de litige inconnu."), code=error_codes.TYPE_INCONNU, field=type_litige)
        if not 1 <= int(jours) <= 365:
            raise ApplicationError(
                _("Un délai est compris entre 1 et 365 jours."), code=error_codes.DELAI_INVALIDE, field=type_litige
            )
    if not 0 <= int(rappel_jours_avant) <= 60:
        raise ApplicationError(
            _("Le rappel se fait entre 0 et 60 jours avant l'échéance."),
            code=error_codes.DELAI_INVALIDE,
            field="rappel_jours_avant",
        )
    existants = {d.type: d for d in DelaiLitige.objects.select_for_update()}
    a_creer = []
    for type_litige, jours in delais.items():
        if type_litige in existants:
            if existants[type_litige].jours != int(jours):
                existants[type_litige].jours = int(jours)
                existants[type_litige].save(update_fields=["jours"])
        else:
            a_creer.append(DelaiLitige(type=type_litige, jours=int(jours)))
    DelaiLitige.objects.bulk_create(a_creer)
    ParametresLitige.objects.update_or_create(defaults={"rappel_jours_avant": int(rappel_jours_avant)})
