"""Imports: deposit a file, map its columns (and save the mapping as a preset), then
check every line and write them all or nothing.

The writes are the bulk upserts' (``clients.masse``, ``factures.masse``) with
``tout_ou_rien=True``: this module only turns cells into typed values and reports
the cells it cannot read; the upserts report the business errors; both are merged
into one report by line and column. A line the import cannot read also rolls the
upsert back, so a file with one bad line writes nothing.

Progress: the lines are checked outside any transaction (``lues`` committed every
few hundred lines), then written in one transaction; during that transaction the
count of written lines goes to the job row through a second connection (a thread
of its own), so the progress page sees it while the transaction is still open.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from imports.champs import Definition, definition, deviner, manquants, normaliser
from imports.conversion import ErreurCellule, convertir, vide
from imports.lecture import format_du_nom, lire
from imports.models import Import, ModeleCorrespondance, StatutImport, TypeImport
from recouvrement.core.errors import ApplicationError
from recouvrement.core.masse import ResultatMasse
from recouvrement.tenancy.models import Membre

logger = logging.getLogger(__name__)

# Fields of a payment row that become its one allocation.
CHAMPS_LETTRAGE = ("facture_numero", "facture_external_id", "montant_lettre")


def taille_max() -> int:
    return int(settings.IMPORTS_TAILLE_MAX)


def seuil_synchrone() -> int:
    """Up to this many lines an import runs within the request; beyond, a worker runs it."""
    return int(settings.IMPORTS_SYNCHRONE_MAX)


def _upsert(type: str) -> Callable[..., ResultatMasse]:
    if type == TypeImport.CLIENTS:
        from clients.masse import clients_upsert

        return clients_upsert
    if type == TypeImport.CONTACTS:
        from clients.masse import contacts_upsert

        return contacts_upsert
    if type == TypeImport.FACTURES:
        from factures.masse import factures_upsert

        return factures_upsert
    from factures.masse import paiements_upsert

    return paiements_upsert


# --- deposit and mapping ---------------------------------------------------------


def modele_par_defaut(*, type: str) -> ModeleCorrespondance | None:
    return ModeleCorrespondance.objects.filter(type=type, par_defaut=True).first()


def correspondance_initiale(*, type: str, entetes: list[str], modele: ModeleCorrespondance | None) -> list[str]:
    """The preset's target for each header it knows, a guess from the header for the others
    (a target already given by the preset is not guessed twice)."""
    noms = set(definition(type).noms)
    connus = modele.colonnes if modele is not None else {}
    resultat = [connus.get(normaliser(e), None) for e in entetes]
    resultat = [c if c is None or c in noms else "" for c in resultat]
    devines = deviner(type=type, entetes=entetes)
    pris = {c for c in resultat if c}
    final: list[str] = []
    for choisi, devine in zip(resultat, devines, strict=True):
        if choisi is not None:
            final.append(choisi)
        elif devine and devine not in pris:
            pris.add(devine)
            final.append(devine)
        else:
            final.append("")
    return final


def import_deposer(
    *, membre: Membre, type: str, fichier: UploadedFile, modele: ModeleCorrespondance | None = None
) -> Import:
    """Store the file, read its header and count its lines, and propose a mapping (the
    chosen preset, else the kind's default preset, completed by guesses from the headers)."""
    if type not in TypeImport.values:
        raise ApplicationError(_("Type d'import inconnu."), code="type_inconnu", field="type")
    if fichier.size is not None and fichier.size > taille_max():
        raise ApplicationError(
            _("Fichier trop volumineux (%(max)s Mo au plus).") % {"max": taille_max() // (1024 * 1024)},
            code="fichier_trop_gros",
            field="fichier",
        )
    nom = (fichier.name or "fichier").rsplit("/", 1)[-1][:200]
    format = format_du_nom(nom)
    fichier.seek(0)
    contenu = lire(flux=fichier, format=format)
    total = sum(1 for _ligne in contenu.lignes)
    if not total:
        raise ApplicationError(
            _("Le fichier ne contient aucune ligne sous la ligne des en-têtes."), code="fichier_vide", field="fichier"
        )
    if modele is not None and modele.type != type:
        modele = None
    modele = modele or modele_par_defaut(type=type)
    fichier.seek(0)
    entetes = [entete.replace("\x00", "") for entete in contenu.entetes]  # jsonb refuses NUL
    import_ = Import(
        type=type,
        nom_fichier=nom,
        format=format,
        entetes=entetes,
        correspondance=correspondance_initiale(type=type, entetes=entetes, modele=modele),
        modele=modele,
        total=total,
        demande_par=membre,
    )
    import_.fichier.save(nom, fichier, save=False)
    import_.save()
    return import_


def _verifier_correspondance(*, type: str, entetes: list[str], correspondance: Sequence[str]) -> list[str]:
    defn = definition(type)
    if len(correspondance) != len(entetes):
        raise ApplicationError(_("Une cible par colonne est attendue."), code="correspondance_invalide")
    propre = [c or "" for c in correspondance]
    for cible in propre:
        if cible and defn.champ(cible) is None:
            raise ApplicationError(
                _("Champ inconnu : %(champ)s.") % {"champ": cible}, code="champ_inconnu", field="correspondance"
            )
    vus: set[str] = set()
    for entete, cible in zip(entetes, propre, strict=True):
        if cible and cible in vus:
            raise ApplicationError(
                _("Le champ « %(champ)s » est choisi pour plusieurs colonnes (dont « %(colonne)s »).")
                % {"champ": defn.champ(cible).libelle, "colonne": entete},  # type: ignore[union-attr]
                code="champ_en_double",
                field="correspondance",
            )
        vus.add(cible)
    absents = manquants(type=type, correspondance=propre)
    if absents:
        libelles = [" / ".join(str(defn.champ(n).libelle) for n in alternatives) for alternatives in absents]  # type: ignore[union-attr]
        raise ApplicationError(
            _("Aucune colonne pour : %(champs)s.") % {"champs": ", ".join(libelles)},
            code="champ_requis_absent",
            field="correspondance",
        )
    return propre


@transaction.atomic
def modele_enregistrer(
    *, type: str, nom: str, entetes: list[str], correspondance: Sequence[str], par_defaut: bool = False
) -> ModeleCorrespondance:
    """Save (create or replace, by name) a preset of the organisation for ``type``."""
    nom = nom.strip()[:100]
    if not nom:
        raise ApplicationError(_("Donnez un nom au modèle."), code="requis", field="modele_nom")
    colonnes = {normaliser(e): c for e, c in zip(entetes, correspondance, strict=True)}
    modele = ModeleCorrespondance.objects.select_for_update().filter(type=type, nom=nom).first()
    if par_defaut:
        ModeleCorrespondance.objects.filter(type=type, par_defaut=True).exclude(nom=nom).update(par_defaut=False)
    if modele is None:
        modele = ModeleCorrespondance.objects.create(type=type, nom=nom, colonnes=colonnes, par_defaut=par_defaut)
    else:
        modele.colonnes = colonnes
        modele.par_defaut = par_defaut or modele.par_defaut
        modele.save(update_fields=["colonnes", "par_defaut", "updated_at"])
    return modele


def modele_supprimer(*, modele: ModeleCorrespondance) -> None:
    """Delete a preset; the imports that used it keep their own mapping."""
    modele.delete()


def import_correspondance_enregistrer(
    *, import_: Import, correspondance: Sequence[str], modele_nom: str = "", par_defaut: bool = False
) -> Import:
    """Set the file's mapping (checked: known targets, each once, the required ones present),
    and save it as a preset when ``modele_nom`` is given."""
    if import_.statut != StatutImport.BROUILLON:
        raise ApplicationError(_("Cet import est déjà lancé."), code="import_deja_lance")
    propre = _verifier_correspondance(type=import_.type, entetes=import_.entetes, correspondance=correspondance)
    with transaction.atomic():
        if modele_nom.strip():
            import_.modele = modele_enregistrer(
                type=import_.type,
                nom=modele_nom,
                entetes=import_.entetes,
                correspondance=propre,
                par_defaut=par_defaut,
            )
        import_.correspondance = propre
        import_.save(update_fields=["correspondance", "modele"])
    return import_


# --- lines: cells to typed rows ------------------------------------------------


@dataclass
class LigneLue:
    numero: int  # line number in the file (header = 1)
    valeurs: dict[str, Any]  # typed values by target field (cells not given are absent)
    brutes: dict[str, Any]  # the cells as read, by target field
    erreurs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def champs_en_erreur(self) -> set[str]:
        return {e["champ"] for e in self.erreurs}


def _erreur(*, ligne: int, colonne: str, champ: str, code: str, message: str) -> dict[str, Any]:
    """One line of the report. Stored as JSON: PostgreSQL's jsonb refuses the NUL character,
    which a file's header or a message quoting a cell may carry; it is dropped."""
    return {
        "ligne": ligne,
        "colonne": colonne.replace("\x00", ""),
        "champ": champ.replace("\x00", ""),
        "code": code,
        "message": message.replace("\x00", ""),
    }


def lignes_lues(import_: Import, *, garder_brutes: bool = False) -> Iterator[LigneLue]:
    """Each data line of the file, its cells converted for the mapped fields (and the cells
    as read, for the preview, with ``garder_brutes``)."""
    defn = definition(import_.type)
    colonnes = [(i, import_.entetes[i], defn.champ(cible)) for i, cible in enumerate(import_.correspondance) if cible]
    with import_.fichier.open("rb") as flux:
        for numero, cellules in lire(flux=flux, format=import_.format).lignes:
            if cellules is None:
                yield LigneLue(
                    numero=numero,
                    valeurs={},
                    brutes={},
                    erreurs=[
                        _erreur(
                            ligne=numero,
                            colonne="",
                            champ="",
                            code="ligne_illisible",
                            message=_("Ligne illisible (guillemets mal fermés ?) : la suite du fichier est ignorée."),
                        )
                    ],
                )
                continue
            ligne = LigneLue(numero=numero, valeurs={}, brutes={})
            for i, entete, champ in colonnes:
                assert champ is not None
                brute = cellules[i] if i < len(cellules) else None
                if garder_brutes:
                    ligne.brutes[champ.nom] = brute
                if vide(brute):
                    continue
                try:
                    ligne.valeurs[champ.nom] = convertir(champ, brute)
                except ErreurCellule as exc:
                    ligne.erreurs.append(
                        _erreur(ligne=numero, colonne=entete, champ=champ.nom, code=exc.code, message=exc.message)
                    )
            yield ligne


MONTANTS_FACTURE = ("montant_ht", "montant_tva", "montant_ttc")


def ligne_pour_upsert(type: str, valeurs: dict[str, Any]) -> dict[str, Any]:
    """The row as the upsert takes it. A credit note exported with negative amounts (as most
    ERPs write them) becomes an ``avoir`` with positive amounts, as the model stores it. A
    payment's allocation columns become its ``lettrages`` (the whole amount, or the
    allocated amount when that column is given)."""
    if type == TypeImport.FACTURES:
        montants = [valeurs[m] for m in MONTANTS_FACTURE if m in valeurs]
        if valeurs.get("nature", "avoir") == "avoir" and any(m < 0 for m in montants) and all(m <= 0 for m in montants):
            valeurs = {**valeurs, "nature": "avoir", **{m: -valeurs[m] for m in MONTANTS_FACTURE if m in valeurs}}
        return valeurs
    if type != TypeImport.PAIEMENTS:
        return valeurs
    ligne = {k: v for k, v in valeurs.items() if k not in CHAMPS_LETTRAGE}
    cle = next((k for k in ("facture_numero", "facture_external_id") if k in valeurs), None)
    if cle is not None:
        montant = valeurs.get("montant_lettre", valeurs.get("montant"))
        lettrage: dict[str, Any] = {cle: valeurs[cle]}
        if montant is not None:
            lettrage["montant"] = montant
        ligne["lettrages"] = [lettrage]
    return ligne


def _champ_de_chemin(type: str, chemin: str, colonnes: dict[str, str]) -> str:
    """The import's target field behind an upsert's error path (``lettrages.0.montant``…)."""
    if type == TypeImport.PAIEMENTS and chemin.startswith("lettrages"):
        fin = chemin.rsplit(".", 1)[-1]
        if fin == "montant":
            return "montant_lettre" if "montant_lettre" in colonnes else "montant"
        if fin in ("facture_numero", "facture_external_id"):
            return fin
        return "facture_numero" if "facture_numero" in colonnes else "facture_external_id"
    if chemin in ("client", "client_id", "client_external_id", "client_siret"):
        # The client as the file names it: its external id or its SIRET column.
        return next((c for c in ("client_external_id", "client_siret") if c in colonnes), chemin)
    return chemin


# --- the run ---------------------------------------------------------------------


class _Annulation(Exception):
    """Raised inside the write transaction to roll it back."""


class _SuiviParallele:
    """Records the count of written lines on the job row from a thread of its own (its own
    connection, autocommit), so the progress is visible while the write transaction is open.
    Off on SQLite (one writer at a time) and inside a caller's transaction (tests, requests
    wrapped in one): there the count is recorded only at the end."""

    def __init__(self, import_id: int) -> None:
        self.import_id = import_id
        self.actif = connection.vendor == "postgresql" and not connection.in_atomic_block
        self.fil = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-suivi") if self.actif else None
        self.contexte = contextvars.copy_context()

    def _ecrire(self, n: int) -> None:
        Import.objects.filter(pk=self.import_id).update(ecrites=n)

    def ecrites(self, n: int) -> None:
        if self.fil is not None:
            self.fil.submit(self.contexte.copy().run, self._ecrire, n)

    def fermer(self) -> None:
        if self.fil is not None:
            self.fil.submit(connection.close)
            self.fil.shutdown(wait=True)
            self.fil = None


def import_lancer(*, import_: Import) -> Import:
    """Commit the file: at once when small, else queued for a worker (after this transaction)."""
    if import_.statut != StatutImport.BROUILLON:
        raise ApplicationError(_("Cet import est déjà lancé."), code="import_deja_lance")
    _verifier_correspondance(type=import_.type, entetes=import_.entetes, correspondance=import_.correspondance)
    import_.statut = StatutImport.EN_ATTENTE
    import_.lance_le = timezone.now()
    import_.save(update_fields=["statut", "lance_le"])
    if import_.total <= seuil_synchrone():
        return import_executer(import_id=import_.pk)
    from imports.tasks import import_executer_tache

    organisation_id, import_id = import_.tenant_id, import_.pk
    transaction.on_commit(lambda: import_executer_tache.delay(organisation_id=organisation_id, import_id=import_id))
    return import_


def import_executer(*, import_id: int) -> Import:
    """Check every line, then write them all in one transaction, or none if any is bad.

    Runs in the organisation's scope. Safe to run again after a crash (a write that did not
    commit left nothing); a finished job is left as it is.
    """
    pris = Import.objects.filter(
        pk=import_id, statut__in=(StatutImport.EN_ATTENTE, StatutImport.VALIDATION, StatutImport.ECRITURE)
    ).update(statut=StatutImport.VALIDATION, lues=0, ecrites=0)
    import_ = Import.objects.select_related("demande_par__user").get(pk=import_id)
    if not pris:
        return import_
    try:
        _executer(import_)
    except Exception as exc:
        logger.exception("import %s failed", import_id)
        Import.objects.filter(pk=import_id).update(
            statut=StatutImport.ECHEC,
            message=_("L'import a échoué (%(erreur)s) : rien n'a été importé.") % {"erreur": exc.__class__.__name__},
            termine_le=timezone.now(),
        )
    import_.refresh_from_db()
    return import_


def _executer(import_: Import) -> None:
    defn: Definition = definition(import_.type)
    colonnes = {cible: import_.entetes[i] for i, cible in enumerate(import_.correspondance) if cible}
    pas = max(500, import_.total // 50)

    lues: list[LigneLue] = []
    for n, ligne in enumerate(lignes_lues(import_), start=1):
        lues.append(ligne)
        if n % pas == 0:
            Import.objects.filter(pk=import_.pk).update(lues=n)
    total = len(lues)
    Import.objects.filter(pk=import_.pk).update(lues=total, total=total, statut=StatutImport.ECRITURE)

    # Lines the reader could not read at all are not sent to the upsert.
    envoyees = [ligne for ligne in lues if ligne.valeurs or not ligne.erreurs]
    lignes = [ligne_pour_upsert(import_.type, ligne.valeurs) for ligne in envoyees]
    erreurs_lecture = any(ligne.erreurs for ligne in lues)
    suivi = _SuiviParallele(import_.pk)
    resultat: ResultatMasse | None = None
    try:
        with transaction.atomic():
            resultat = _upsert(import_.type)(
                lignes=lignes, tout_ou_rien=True, auteur=import_.demande_par.user, progression=suivi.ecrites
            )
            if erreurs_lecture or not resultat.ecrit:
                raise _Annulation
    except _Annulation:
        pass
    finally:
        suivi.fermer()
    assert resultat is not None

    for ligne, resultat_ligne in zip(envoyees, resultat.lignes, strict=True):
        deja = ligne.champs_en_erreur
        for erreur in resultat_ligne.erreurs:
            champ = _champ_de_chemin(import_.type, erreur.champ, colonnes)
            if champ in deja:
                continue  # e.g. "required" on a cell already reported unreadable
            ligne.erreurs.append(
                _erreur(
                    ligne=ligne.numero,
                    colonne=colonnes.get(champ, ""),
                    champ=champ if defn.champ(champ) is not None else erreur.champ,
                    code=erreur.code,
                    message=erreur.message,
                )
            )
    erreurs = [e for ligne in lues for e in ligne.erreurs]
    ecrit = not erreurs and (resultat.ecrit or not lignes)
    Import.objects.filter(pk=import_.pk).update(
        statut=StatutImport.TERMINE if ecrit else StatutImport.REJETE,
        ecrites=total if ecrit else 0,
        crees=resultat.crees if ecrit else 0,
        mises_a_jour=resultat.mis_a_jour if ecrit else 0,
        inchangees=resultat.inchanges if ecrit else 0,
        lignes_en_erreur=sum(1 for ligne in lues if ligne.erreurs),
        erreurs=erreurs,
        message=""
        if ecrit
        else _("Rien n'a été importé : corrigez les lignes signalées puis déposez le fichier à nouveau."),
        termine_le=timezone.now(),
    )
