"""Bulk upserts of invoices and payments (with their allocations): the engine under the API bulk
endpoints and the imports.

Same shape as ``clients.masse``: rows of typed values checked in Python, one read per chunk
for every lookup, ``bulk_create`` for the new rows, one ``UPDATE … FROM (VALUES …)`` per chunk
for the changed ones, one bulk insert of timeline events, one transaction. The invoices whose
remaining due changes are locked (``FOR NO KEY UPDATE``, in primary-key order) by the read that
loads them, as ``factures.services.lock_factures`` does one by one; the signals of
``factures.services._set_reste_du`` / ``_reglement_signaler`` are sent once, after the commit,
for all the invoices at once.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from clients.masse import ClientRef, _en_double, _evenements_ecrire, client_ref, clients_resoudre, evenement
from factures import error_codes
from factures.events import TypeEvenementFacture
from factures.models import (
    STATUTS_OUVERTS,
    Facture,
    Lettrage,
    Nature,
    Paiement,
    Statut,
    SupportPaiement,
    statut_pour,
)
from factures.services import date_echeance_calculee, libelle_nature, reglements_signaler
from recouvrement.core.formats import formateur_montants, montant_texte
from recouvrement.core.masse import (
    ENTIER,
    LISTE,
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
    ligne_verifier,
    lire_parmi,
    mettre_a_jour,
    par_external_id,
    par_lots,
    requis_verifier,
    sans_ramasse_miettes,
)
from recouvrement.core.validators import normaliser_siret
from recouvrement.tenancy.context import current_organisation_id
from recouvrement.tenancy.models import Organisation

# An invoice changed by a bulk upsert (ERP or import): no form changes an invoice, so the
# timeline type lives here.
FACTURE_MODIFIEE = "facture.modifiee"
DEMI_CENTIME = Decimal("0.005")

CHAMPS_FACTURE: dict[str, Champ] = {
    "numero": champ_du_modele(Facture, "numero"),
    "nature": champ_du_modele(Facture, "nature"),
    "client_id": Champ(nom="client_id", type=ENTIER, minimum=1),
    "client_external_id": Champ(nom="client_external_id", type=TEXTE, max_length=100),
    "client_siret": Champ(nom="client_siret", type=TEXTE, max_length=40),
    "date_emission": champ_du_modele(Facture, "date_emission"),
    "date_echeance": champ_du_modele(Facture, "date_echeance", requis=False, nullable=True),
    "montant_ht": champ_du_modele(Facture, "montant_ht", minimum=0),
    "montant_tva": champ_du_modele(Facture, "montant_tva"),
    "montant_ttc": champ_du_modele(Facture, "montant_ttc", requis=False, nullable=True, minimum=0),
    "devise": champ_du_modele(Facture, "devise"),
    "support_paiement": champ_du_modele(Facture, "support_paiement"),
    "affactureur": champ_du_modele(Facture, "affactureur"),
    "numero_commande": champ_du_modele(Facture, "numero_commande"),
    "external_id": champ_du_modele(Facture, "external_id"),
    "facture_origine_numero": Champ(nom="facture_origine_numero", type=TEXTE, max_length=50),
}
CHAMPS_CLIENT_REF = ("client_id", "client_external_id", "client_siret")
COLONNES_FACTURE = [
    "numero",
    "nature",
    "client",
    "facture_origine",
    "date_emission",
    "date_echeance",
    "montant_ht",
    "montant_tva",
    "montant_ttc",
    "devise",
    "reste_du",
    "statut",
    "support_paiement",
    "affactureur",
    "numero_commande",
    "external_id",
    "updated_at",
]

CHAMPS_PAIEMENT: dict[str, Champ] = {
    "external_id": champ_du_modele(Paiement, "external_id"),
    "client_id": Champ(nom="client_id", type=ENTIER, minimum=1),
    "client_external_id": Champ(nom="client_external_id", type=TEXTE, max_length=100),
    "date_paiement": champ_du_modele(Paiement, "date_paiement"),
    "montant": champ_du_modele(Paiement, "montant"),
    "devise": champ_du_modele(Paiement, "devise"),
    "moyen": champ_du_modele(Paiement, "moyen"),
    "reference": champ_du_modele(Paiement, "reference"),
    "libelle": champ_du_modele(Paiement, "libelle"),
    "lettrages": Champ(nom="lettrages", type=LISTE),
}
CHAMPS_LETTRAGE: dict[str, Champ] = {
    "facture_numero": Champ(nom="facture_numero", type=TEXTE, max_length=50),
    "facture_external_id": Champ(nom="facture_external_id", type=TEXTE, max_length=100),
    "montant": Champ(nom="montant", type="montant", requis=True, nullable=False, maximum=Decimal(10) ** 12),
}
# What an existing payment may have changed by a re-send; any other difference is refused.
PAIEMENT_MODIFIABLES = ("libelle", "reference", "moyen")
PAIEMENT_FIGES = ("montant", "date_paiement", "devise")


def _organisation_id() -> int:
    organisation_id = current_organisation_id()
    assert organisation_id is not None, "bulk upserts run inside an organisation's scope"
    return organisation_id


def _signaler_apres_commit(*, reglees: set[int], payees: set[int]) -> None:
    """What ``factures.services`` sends for one invoice, for all the invoices at once."""
    reglements_signaler(organisation_id=_organisation_id(), reglees=reglees, payees=payees)


class _Libelles(dict[str, str]):
    """``libelle_nature`` of each nature, translated once per call."""

    def __missing__(self, nature: str) -> str:
        libelle = self[nature] = libelle_nature(nature)
        return libelle


def _colonnes_modifiees(modifiees: Sequence[tuple[int, Any, list[str]]]) -> list[str]:
    """The columns an ``UPDATE`` of these invoices must write: those a row changed (``changes`` names
    ``client``/``facture_origine`` as the fields), the remaining due and status that follow the
    amount, and ``updated_at``; in ``COLONNES_FACTURE`` order. Writing the others back unchanged
    cost one array literal per column for nothing."""
    changees = {nom for _i, _f, changes in modifiees for nom in changes}
    if "montant_ttc" in changees:
        changees |= {"reste_du", "statut"}
    changees.add("updated_at")
    return [nom for nom in COLONNES_FACTURE if nom in changees]


# --- factures --------------------------------------------------------------------------------


@sans_ramasse_miettes()
def factures_upsert(
    *,
    lignes: Sequence[Mapping[str, Any]],
    tout_ou_rien: bool = False,
    auteur: Any = None,
    progression: Progression = None,
) -> ResultatMasse:
    """Create or update invoices and credit notes, keyed by ``external_id``, else ``numero``.

    Precondition: inside an organisation's scope. Never raises on bad data.
    """
    lignes = list(lignes)
    res = Lignes(len(lignes))
    with transaction.atomic():
        propres = [
            ligne_verifier(ligne=ligne, champs=CHAMPS_FACTURE, index=i, lignes=res) for i, ligne in enumerate(lignes)
        ]
        for donnees in propres:
            if "client_siret" in donnees:
                donnees["client_siret"] = normaliser_siret(donnees["client_siret"])
            if "devise" in donnees:
                donnees["devise"] = donnees["devise"].upper()

        vus: dict[tuple[str, str], int] = {}
        for i, donnees in enumerate(propres):
            if res.en_erreur(i):
                continue
            for nom in ("external_id", "numero"):
                if donnees.get(nom):
                    premiere = vus.setdefault((nom, donnees[nom]), i)
                    if premiere != i:
                        _en_double(res, i, nom, premiere)

        a_creer: list[tuple[int, dict[str, Any]]] = []
        a_modifier: list[tuple[int, Facture, list[str]]] = []
        payees: set[int] = set()
        cibles: dict[int, int] = {}
        for lot in par_lots(len(lignes)):
            externes = {propres[i]["external_id"] for i in lot if propres[i].get("external_id")}
            numeros = {
                propres[i][cle] for i in lot for cle in ("numero", "facture_origine_numero") if propres[i].get(cle)
            }
            existantes = lire_parmi(
                Facture.objects.all(), [("external_id", externes), ("numero", numeros)], verrouiller=True
            )
            par_externe = {f.external_id: f for f in existantes if f.external_id}
            par_numero = {f.numero: f for f in existantes}
            # A row needs a client when it creates; which rows create is known once keys are resolved.
            cles: dict[int, Facture | None] = {}
            for i in lot:
                if not res.en_erreur(i):
                    cles[i] = _facture_cle(
                        i=i, donnees=propres[i], res=res, par_externe=par_externe, par_numero=par_numero, cibles=cibles
                    )
            creations = {i for i in lot if i in cles and cles[i] is None}
            clients = clients_resoudre(propres=propres, lot=lot, res=res, requis=creations.__contains__)
            for i in lot:
                if res.en_erreur(i):
                    continue
                existante = cles[i]
                if existante is None:
                    nouvelle = _facture_nouvelle(
                        i=i, donnees=propres[i], ligne=lignes[i], res=res, client=clients.get(i), par_numero=par_numero
                    )
                    if nouvelle is not None:
                        a_creer.append((i, nouvelle))
                else:
                    changes = _facture_modifier(
                        i=i,
                        donnees=propres[i],
                        res=res,
                        facture=existante,
                        client=clients.get(i),
                        par_numero=par_numero,
                        payees=payees,
                    )
                    if res.en_erreur(i):
                        continue
                    res.ids[i] = existante.pk
                    if changes:
                        a_modifier.append((i, existante, changes))
                    else:
                        res.statuts[i] = StatutLigne.INCHANGE

        if tout_ou_rien and res.a_des_erreurs():
            return res.resultat(bloque=True)

        maintenant = datetime.datetime.now(datetime.UTC)
        id_auteur = auteur_id(auteur)
        libelles = _Libelles()
        montant = formateur_montants()
        faites = 0
        for lot in par_lots(len(a_creer)):
            nouvelles = [a_creer[j][1] for j in lot]
            ids = inserer(
                Facture,
                COLONNES_CREATION,
                [tuple(f[c] for c in COLONNES_CREATION) for f in nouvelles],
                {"pdf": "", "created_at": maintenant, "updated_at": maintenant},
            )
            for j, pk in zip(lot, ids, strict=True):
                i = a_creer[j][0]
                res.ids[i], res.statuts[i] = pk, StatutLigne.CREE
            # Translated once per call, not once per row (the events are the same sentence).
            modele_cree = _("%(libelle)s %(numero)s enregistrée : %(montant)s")
            type_cree = str(TypeEvenementFacture.FACTURE_CREEE)
            _evenements_ecrire(
                [
                    (
                        f["client_id"],
                        pk,
                        type_cree,
                        (
                            modele_cree
                            % {
                                "libelle": libelles[f["nature"]],
                                "numero": f["numero"],
                                "montant": montant(f["montant_ttc"], f["devise"]),
                            }
                        )[:500],
                        id_auteur,
                        {},
                        maintenant,
                    )
                    for f, pk in zip(nouvelles, ids, strict=True)
                ]
            )
            faites += len(lot)
            appeler_progression(progression, faites)
        for lot in par_lots(len(a_modifier)):
            modifiees = [a_modifier[j] for j in lot]
            for _i, facture, _changes in modifiees:
                facture.updated_at = maintenant
            mettre_a_jour(Facture, [f for _i, f, _c in modifiees], _colonnes_modifiees(modifiees))
            for i, _f, _c in modifiees:
                res.statuts[i] = StatutLigne.MIS_A_JOUR
            modele_modifie = _("%(libelle)s %(numero)s modifiée (%(champs)s)")
            _evenements_ecrire(
                [
                    (
                        f.client_id,
                        f.pk,
                        FACTURE_MODIFIEE,
                        (
                            modele_modifie
                            % {"libelle": libelles[f.nature], "numero": f.numero, "champs": ", ".join(changes)}
                        )[:500],
                        id_auteur,
                        {"champs": changes},
                        maintenant,
                    )
                    for _i, f, changes in modifiees
                ]
            )
            faites += len(lot)
            appeler_progression(progression, faites)
        _signaler_apres_commit(reglees=set(), payees=payees)
    return res.resultat(bloque=False)


def _facture_cle(
    *,
    i: int,
    donnees: dict[str, Any],
    res: Lignes,
    par_externe: dict[str, Facture],
    par_numero: dict[str, Facture],
    cibles: dict[int, int],
) -> Facture | None:
    """The existing invoice row ``i`` updates (None: it creates), or an error on its key."""
    external_id = donnees.get("external_id") or ""
    numero = donnees.get("numero") or ""
    existante: Facture | None = None
    cle = "numero"
    if external_id:
        cle = "external_id"
        existante = par_externe.get(external_id)
        if existante is None and numero in par_numero:
            # Known by its number before the ERP gave it an id: take it over if it has none.
            existante = par_numero[numero]
            cle = "numero"
            if existante.external_id:
                _numero_pris(res, i)
                return None
    elif numero:
        existante = par_numero.get(numero)
    if existante is None:
        return None
    premiere = cibles.setdefault(existante.pk, i)
    if premiere != i:
        _en_double(res, i, cle, premiere)
        return None
    if existante.statut == Statut.ANNULEE:
        res.erreur(
            i,
            cle,
            "facture_annulee",
            _("La facture %(numero)s est annulée : elle n'est plus modifiable.") % {"numero": existante.numero},
        )
        return None
    if numero and numero != existante.numero and numero in par_numero:
        _numero_pris(res, i)
        return None
    return existante


def _numero_pris(res: Lignes, i: int) -> None:
    res.erreur(i, "numero", "numero_en_double", _("Ce numéro de facture existe déjà dans votre organisation."))


def _montants(
    *, i: int, donnees: Mapping[str, Any], res: Lignes, ht: Decimal, tva: Decimal, ttc: Decimal | None
) -> Decimal | None:
    """TTC (given, or HT + TVA), checked: within half a cent of HT + TVA, not negative."""
    if ttc is None:
        ttc = ht + tva
        if ttc < 0:
            res.erreur(i, "montant_tva", "montant_invalide", _("Le montant TTC ne peut être négatif."))
            return None
    elif abs(ttc - (ht + tva)) > DEMI_CENTIME:
        res.erreur(i, "montant_ttc", "montants_incoherents", _("Le montant TTC doit être égal au HT plus la TVA."))
        return None
    return ttc


def _origine(
    *, i: int, donnees: Mapping[str, Any], res: Lignes, nature: str, client_id: int, par_numero: dict[str, Facture]
) -> tuple[bool, int | None]:
    """The credit note's original invoice (``facture_origine_numero``): (ok, id)."""
    numero = donnees.get("facture_origine_numero")
    if not numero:
        return True, None
    if nature != Nature.AVOIR:
        res.erreur(
            i,
            "facture_origine_numero",
            error_codes.NATURE_INVALIDE,
            _("Seul un avoir se rattache à une facture d'origine."),
        )
        return False, None
    origine = par_numero.get(numero)
    if origine is None:
        res.erreur(
            i, "facture_origine_numero", "facture_inconnue", _("Facture inconnue : %(numero)s.") % {"numero": numero}
        )
        return False, None
    if origine.client_id != client_id:
        res.erreur(
            i,
            "facture_origine_numero",
            error_codes.AUTRE_CLIENT,
            _("La facture d'origine doit être du même client."),
        )
        return False, None
    return True, origine.pk


def _affactureur(*, i: int, res: Lignes, support: str, affactureur: str, client: ClientRef | None) -> str | None:
    if support == SupportPaiement.AFFACTURAGE and not affactureur:
        affactureur = client.affactureur if client is not None else ""
        if not affactureur:
            res.erreur(i, "affactureur", "requis", _("Une facture affacturée doit indiquer son affactureur."))
            return None
    return affactureur


COLONNES_CREATION = (
    "numero",
    "nature",
    "client_id",
    "facture_origine_id",
    "date_emission",
    "date_echeance",
    "montant_ht",
    "montant_tva",
    "montant_ttc",
    "devise",
    "reste_du",
    "statut",
    "support_paiement",
    "affactureur",
    "numero_commande",
    "external_id",
)


def _facture_nouvelle(
    *,
    i: int,
    donnees: dict[str, Any],
    ligne: Any,
    res: Lignes,
    client: ClientRef | None,
    par_numero: dict[str, Facture],
) -> dict[str, Any] | None:
    requis_verifier(
        propres=donnees,
        ligne=ligne,
        champs=(c for n, c in CHAMPS_FACTURE.items() if n not in CHAMPS_CLIENT_REF),
        index=i,
        lignes=res,
    )
    if res.en_erreur(i) or client is None:
        return None
    ttc = _montants(
        i=i,
        donnees=donnees,
        res=res,
        ht=donnees["montant_ht"],
        tva=donnees["montant_tva"],
        ttc=donnees.get("montant_ttc"),
    )
    date_emission = donnees["date_emission"]
    date_echeance = donnees.get("date_echeance")
    if date_echeance is None:
        date_echeance = date_echeance_calculee(
            date_emission=date_emission, delai_jours=client.delai_paiement_jours, fin_de_mois=client.fin_de_mois
        )
    elif date_echeance < date_emission:
        res.erreur(i, "date_echeance", "echeance_avant_emission", _("L'échéance ne peut précéder la date d'émission."))
    nature = donnees.get("nature") or Nature.FACTURE
    support = donnees.get("support_paiement") or SupportPaiement.VIREMENT
    affactureur = _affactureur(i=i, res=res, support=support, affactureur=donnees.get("affactureur", ""), client=client)
    ok, origine_id = _origine(i=i, donnees=donnees, res=res, nature=nature, client_id=client.pk, par_numero=par_numero)
    if res.en_erreur(i) or ttc is None or affactureur is None or not ok:
        return None
    return {
        "client_id": client.pk,
        "numero": donnees["numero"],
        "nature": nature,
        "facture_origine_id": origine_id,
        "date_emission": date_emission,
        "date_echeance": date_echeance,
        "montant_ht": donnees["montant_ht"],
        "montant_tva": donnees["montant_tva"],
        "montant_ttc": ttc,
        "devise": donnees.get("devise") or "EUR",
        "reste_du": ttc,
        "statut": statut_pour(reste_du=ttc, montant_ttc=ttc),
        "support_paiement": support,
        "affactureur": affactureur,
        "numero_commande": donnees.get("numero_commande", ""),
        "external_id": donnees.get("external_id", ""),
    }


def _facture_modifier(
    *,
    i: int,
    donnees: dict[str, Any],
    res: Lignes,
    facture: Facture,
    client: ClientRef | None,
    par_numero: dict[str, Facture],
    payees: set[int],
) -> list[str]:
    """Apply row ``i`` to the locked ``facture`` in memory; return the changed fields (or report errors)."""
    lettre = facture.montant_ttc - facture.reste_du
    valeurs: dict[str, Any] = {
        nom: donnees[nom]
        for nom in (
            "numero",
            "nature",
            "date_emission",
            "devise",
            "support_paiement",
            "affactureur",
            "numero_commande",
            "external_id",
        )
        if nom in donnees
    }
    if not valeurs.get("numero", True):
        del valeurs["numero"]
    if client is not None and client.pk != facture.client_id:
        if lettre > 0:
            champ = next(c for c in CHAMPS_CLIENT_REF if donnees.get(c))
            res.erreur(
                i,
                champ,
                error_codes.FACTURE_LETTREE,
                _("Des règlements sont lettrés sur cette facture : son client ne peut changer."),
            )
            return []
        valeurs["client_id"] = client.pk
    if "nature" in valeurs and valeurs["nature"] != facture.nature and lettre > 0:
        res.erreur(
            i,
            "nature",
            error_codes.FACTURE_LETTREE,
            _("Des règlements sont lettrés sur cette facture : sa nature ne peut changer."),
        )
        return []
    client_final = (
        client if client is not None else client_ref(facture.client_id) if "support_paiement" in valeurs else None
    )
    if any(nom in donnees for nom in ("montant_ht", "montant_tva", "montant_ttc")):
        ht = donnees.get("montant_ht", facture.montant_ht)
        tva = donnees.get("montant_tva", facture.montant_tva)
        ttc_donne = donnees.get("montant_ttc")
        if ttc_donne is None and "montant_ht" not in donnees and "montant_tva" not in donnees:
            ttc_donne = facture.montant_ttc
        ttc = _montants(i=i, donnees=donnees, res=res, ht=ht, tva=tva, ttc=ttc_donne)
        if ttc is None:
            return []
        if ttc < lettre:
            res.erreur(
                i,
                "montant_ttc",
                "montant_inferieur_lettrages",
                _("Le montant TTC ne peut être inférieur à ce qui est déjà lettré (%(lettre)s).")
                % {"lettre": montant_texte(lettre, facture.devise)},
            )
            return []
        valeurs.update(montant_ht=ht, montant_tva=tva, montant_ttc=ttc)
    date_emission = valeurs.get("date_emission", facture.date_emission)
    if "date_echeance" in donnees:
        date_echeance = donnees["date_echeance"]
        if date_echeance is None:
            source = client or client_ref(facture.client_id)
            date_echeance = date_echeance_calculee(
                date_emission=date_emission, delai_jours=source.delai_paiement_jours, fin_de_mois=source.fin_de_mois
            )
        valeurs["date_echeance"] = date_echeance
    if valeurs.get("date_echeance", facture.date_echeance) < date_emission:
        res.erreur(i, "date_echeance", "echeance_avant_emission", _("L'échéance ne peut précéder la date d'émission."))
        return []
    support = valeurs.get("support_paiement", facture.support_paiement)
    affactureur = _affactureur(
        i=i, res=res, support=support, affactureur=valeurs.get("affactureur", facture.affactureur), client=client_final
    )
    if affactureur is None:
        return []
    valeurs["affactureur"] = affactureur
    nature = valeurs.get("nature", facture.nature)
    if "facture_origine_numero" in donnees or "nature" in valeurs:
        ok, origine_id = _origine(
            i=i,
            donnees=donnees,
            res=res,
            nature=nature,
            client_id=valeurs.get("client_id", facture.client_id),
            par_numero=par_numero,
        )
        if not ok:
            return []
        if "facture_origine_numero" in donnees:
            valeurs["facture_origine_id"] = origine_id
        elif nature != Nature.AVOIR:
            valeurs["facture_origine_id"] = None

    changes = sorted(
        nom.removesuffix("_id") if nom in ("client_id", "facture_origine_id") else nom
        for nom, valeur in valeurs.items()
        if getattr(facture, nom) != valeur
    )
    if not changes:
        return []
    etait_payee = facture.statut == Statut.PAYEE
    for nom, valeur in valeurs.items():
        setattr(facture, nom, valeur)
    if "montant_ttc" in changes:
        facture.reste_du = facture.montant_ttc - lettre
        facture.statut = statut_pour(reste_du=facture.reste_du, montant_ttc=facture.montant_ttc)
        if facture.nature == Nature.FACTURE and facture.statut == Statut.PAYEE and not etait_payee:
            payees.add(facture.pk)
    return changes


# --- paiements -------------------------------------------------------------------------------


@sans_ramasse_miettes()
def paiements_upsert(
    *,
    lignes: Sequence[Mapping[str, Any]],
    tout_ou_rien: bool = False,
    auteur: Any = None,
    progression: Progression = None,
) -> ResultatMasse:
    """Record payments and their allocations (``lettrages``), keyed by ``external_id``.

    A payment already recorded is updated only in libellé, référence and moyen; its
    allocations are not replayed. Precondition: inside an organisation's scope.
    """
    lignes = list(lignes)
    res = Lignes(len(lignes))
    with transaction.atomic():
        propres = [
            ligne_verifier(ligne=ligne, champs=CHAMPS_PAIEMENT, index=i, lignes=res) for i, ligne in enumerate(lignes)
        ]
        allocations: list[list[dict[str, Any]]] = [[] for _l in lignes]
        for i, donnees in enumerate(propres):
            if "devise" in donnees:
                donnees["devise"] = donnees["devise"].upper()
            if donnees.get("montant") is not None and donnees["montant"] <= 0:
                res.erreur(i, "montant", "montant_invalide", _("Le montant doit être positif."))
            for k, allocation in enumerate(donnees.get("lettrages") or []):
                prefixe = f"lettrages.{k}."
                propre = ligne_verifier(ligne=allocation, champs=CHAMPS_LETTRAGE, index=i, lignes=res, prefixe=prefixe)
                if not isinstance(allocation, Mapping):
                    continue
                requis_verifier(
                    propres=propre,
                    ligne=allocation,
                    champs=CHAMPS_LETTRAGE.values(),
                    index=i,
                    lignes=res,
                    prefixe=prefixe,
                )
                if bool(propre.get("facture_numero")) == bool(propre.get("facture_external_id")):
                    res.erreur(
                        i,
                        prefixe + "facture_numero",
                        "requis",
                        _("Indiquez la facture : son numéro ou son identifiant externe (un seul des deux)."),
                    )
                if propre.get("montant") is not None and propre["montant"] <= 0:
                    res.erreur(i, prefixe + "montant", "montant_invalide", _("Le montant doit être positif."))
                allocations[i].append(propre)

        vus: dict[str, int] = {}
        for i, donnees in enumerate(propres):
            if not res.en_erreur(i) and donnees.get("external_id"):
                premiere = vus.setdefault(donnees["external_id"], i)
                if premiere != i:
                    _en_double(res, i, "external_id", premiere)

        a_creer: list[tuple[int, Paiement, list[tuple[Facture, Decimal, Decimal]]]] = []
        a_modifier: list[tuple[int, Paiement]] = []
        factures_touchees: dict[int, Facture] = {}
        payees: set[int] = set()
        for lot in par_lots(len(lignes)):
            externes = {propres[i]["external_id"] for i in lot if propres[i].get("external_id")}
            existants: dict[str, Paiement] = par_external_id(Paiement, externes)
            clients = clients_resoudre(propres=propres, lot=lot, res=res, requis=set().__contains__)
            numeros = {a["facture_numero"] for i in lot for a in allocations[i] if a.get("facture_numero")}
            ext_factures = {
                a["facture_external_id"] for i in lot for a in allocations[i] if a.get("facture_external_id")
            }
            factures = lire_parmi(
                Facture.objects.all(), [("numero", numeros), ("external_id", ext_factures)], verrouiller=True
            )
            for facture in factures:
                # The same invoice may be allocated by several chunks: keep the first (current) copy.
                factures_touchees.setdefault(facture.pk, facture)
            par_numero = {f.numero: factures_touchees[f.pk] for f in factures}
            par_externe = {f.external_id: factures_touchees[f.pk] for f in factures if f.external_id}
            for i in lot:
                if res.en_erreur(i):
                    continue
                donnees = propres[i]
                client = clients.get(i)
                existant = existants.get(donnees.get("external_id") or "")
                if existant is not None:
                    _paiement_modifier(
                        i=i, donnees=donnees, res=res, paiement=existant, client=client, a_modifier=a_modifier
                    )
                    continue
                requis_verifier(propres=donnees, ligne=lignes[i], champs=CHAMPS_PAIEMENT.values(), index=i, lignes=res)
                if res.en_erreur(i):
                    continue
                plan = _allocations_verifier(
                    i=i,
                    donnees=donnees,
                    allocations=allocations[i],
                    res=res,
                    client=client,
                    par_numero=par_numero,
                    par_externe=par_externe,
                )
                if plan is None:
                    continue
                applique: list[tuple[Facture, Decimal, Decimal]] = []
                for facture, montant in plan:
                    etait_payee = facture.statut == Statut.PAYEE
                    facture.reste_du -= montant
                    facture.statut = statut_pour(reste_du=facture.reste_du, montant_ttc=facture.montant_ttc)
                    if facture.statut == Statut.PAYEE and not etait_payee:
                        payees.add(facture.pk)
                    applique.append((facture, montant, facture.reste_du))
                montant = donnees["montant"]
                paiement = Paiement(
                    # Without a client, the payment takes its invoices' one (as ``lettrage_create`` does).
                    client_id=client.pk if client is not None else plan[0][0].client_id if plan else None,
                    date_paiement=donnees["date_paiement"],
                    montant=montant,
                    montant_non_affecte=montant - sum((m for _f, m in plan), Decimal(0)),
                    devise=donnees.get("devise") or "EUR",
                    moyen=donnees.get("moyen") or "virement",
                    reference=donnees.get("reference", ""),
                    libelle=donnees.get("libelle", ""),
                    external_id=donnees.get("external_id", ""),
                )
                a_creer.append((i, paiement, applique))

        if tout_ou_rien and res.a_des_erreurs():
            return res.resultat(bloque=True)

        _paiements_ecrire(
            res=res,
            a_creer=a_creer,
            a_modifier=a_modifier,
            factures_touchees=factures_touchees,
            payees=payees,
            auteur=auteur,
            progression=progression,
        )
    return res.resultat(bloque=False)


def _paiement_modifier(
    *,
    i: int,
    donnees: dict[str, Any],
    res: Lignes,
    paiement: Paiement,
    client: ClientRef | None,
    a_modifier: list[tuple[int, Paiement]],
) -> None:
    for nom in PAIEMENT_FIGES:
        if nom in donnees and donnees[nom] is not None and donnees[nom] != getattr(paiement, nom):
            res.erreur(
                i,
                nom,
                "paiement_modifie",
                _(
                    "Ce paiement est déjà enregistré avec une autre valeur : "
                    "seuls le libellé, la référence et le moyen changent."
                ),
            )
    if client is not None and paiement.client_id is not None and client.pk != paiement.client_id:
        champ = "client_id" if "client_id" in donnees else "client_external_id"
        res.erreur(i, champ, "paiement_modifie", _("Ce paiement est déjà enregistré pour un autre client."))
    if res.en_erreur(i):
        return
    res.ids[i] = paiement.pk
    changes = [nom for nom in PAIEMENT_MODIFIABLES if nom in donnees and donnees[nom] != getattr(paiement, nom)]
    if not changes:
        res.statuts[i] = StatutLigne.INCHANGE
        return
    for nom in changes:
        setattr(paiement, nom, donnees[nom])
    a_modifier.append((i, paiement))


def _allocations_verifier(
    *,
    i: int,
    donnees: Mapping[str, Any],
    allocations: list[dict[str, Any]],
    res: Lignes,
    client: ClientRef | None,
    par_numero: dict[str, Facture],
    par_externe: dict[str, Facture],
) -> list[tuple[Facture, Decimal]] | None:
    """The allocations of a new payment against the invoices' current remaining due (already
    lowered by the previous rows of the call), or None with the errors reported."""
    plan: list[tuple[Facture, Decimal]] = []
    total = Decimal(0)
    client_id = client.pk if client is not None else None
    devise = donnees.get("devise") or "EUR"
    cumul: dict[int, Decimal] = {}
    for k, allocation in enumerate(allocations):
        prefixe = f"lettrages.{k}."
        if allocation.get("facture_numero"):
            cle, facture = "facture_numero", par_numero.get(allocation["facture_numero"])
        else:
            cle, facture = "facture_external_id", par_externe.get(allocation.get("facture_external_id") or "")
        montant = allocation["montant"]
        if facture is None:
            res.erreur(i, prefixe + cle, "facture_inconnue", _("Facture inconnue."))
            continue
        if facture.nature != Nature.FACTURE:
            res.erreur(i, prefixe + cle, error_codes.NATURE_INVALIDE, _("On lettre une facture, pas un avoir."))
            continue
        if facture.statut not in STATUTS_OUVERTS:
            res.erreur(
                i,
                prefixe + cle,
                error_codes.FACTURE_FERMEE,
                _("La facture %(numero)s n'est plus ouverte.") % {"numero": facture.numero},
            )
            continue
        if client_id is None:
            client_id = facture.client_id
        elif facture.client_id != client_id:
            res.erreur(
                i, prefixe + cle, error_codes.AUTRE_CLIENT, _("La facture est d'un autre client que le paiement.")
            )
            continue
        if facture.devise != devise:
            res.erreur(
                i,
                prefixe + cle,
                error_codes.DEVISE_DIFFERENTE,
                _("Le paiement et la facture ne sont pas dans la même devise."),
            )
            continue
        deja = cumul.get(facture.pk, Decimal(0))
        if montant + deja > facture.reste_du:
            res.erreur(
                i,
                prefixe + "montant",
                error_codes.DEPASSE_RESTE_DU,
                _("Le montant dépasse le reste dû de la facture (%(reste)s).")
                % {"reste": montant_texte(facture.reste_du - deja, facture.devise)},
            )
            continue
        total += montant
        if total > donnees["montant"]:
            res.erreur(
                i,
                prefixe + "montant",
                error_codes.DEPASSE_PAIEMENT,
                _("Les lettrages dépassent le montant du paiement (%(montant)s).")
                % {"montant": montant_texte(donnees["montant"], devise)},
            )
            continue
        cumul[facture.pk] = deja + montant
        plan.append((facture, montant))
    return None if res.en_erreur(i) else plan


def _paiements_ecrire(
    *,
    res: Lignes,
    a_creer: list[tuple[int, Paiement, list[tuple[Facture, Decimal, Decimal]]]],
    a_modifier: list[tuple[int, Paiement]],
    factures_touchees: dict[int, Facture],
    payees: set[int],
    auteur: Any,
    progression: Progression,
) -> None:
    maintenant = datetime.datetime.now(datetime.UTC)
    id_auteur = auteur_id(auteur)
    # The allocations' date: the organisation's day (one query, only when there are allocations).
    jour = (
        Organisation.objects.get(pk=_organisation_id()).heure_locale().date()
        if any(plan for _i, _p, plan in a_creer)
        else None
    )
    reglees: dict[int, Facture] = {}
    faites = 0
    for lot in par_lots(len(a_creer)):
        creations = [a_creer[j] for j in lot]
        Paiement.objects.bulk_create([p for _i, p, _plan in creations])
        lettrages: list[Lettrage] = []
        for i, paiement, plan in creations:
            res.ids[i], res.statuts[i] = paiement.pk, StatutLigne.CREE
            for facture, montant, _reste in plan:
                lettrages.append(
                    Lettrage(
                        facture_id=facture.pk,
                        paiement_id=paiement.pk,
                        montant=montant,
                        date_lettrage=jour or facture.date_emission,  # jour is set when there is a plan
                        cree_par_id=id_auteur,
                        created_at=maintenant,
                    )
                )
                reglees[facture.pk] = facture
        if lettrages:
            Lettrage.objects.bulk_create(lettrages, batch_size=2000)
        evenements: list[tuple[Any, ...]] = []
        montant_lisible = formateur_montants()
        n = 0
        for _i, paiement, plan in creations:
            if paiement.client_id is not None:
                evenements.append(
                    evenement(
                        client_id=paiement.client_id,
                        type=TypeEvenementFacture.PAIEMENT_RECU,
                        message=(
                            _("Paiement reçu : %(montant)s (%(reference)s)")
                            % {
                                "montant": montant_lisible(paiement.montant, paiement.devise),
                                "reference": paiement.reference or paiement.moyen,
                            }
                        )[:500],
                        auteur_id=id_auteur,
                        donnees={},
                        created_at=maintenant,
                    )
                )
            for facture, montant, reste in plan:
                lettrage = lettrages[n]
                n += 1
                source = _("paiement %(ref)s") % {"ref": paiement.reference or paiement.date_paiement}
                evenements.append(
                    evenement(
                        client_id=facture.client_id,
                        facture_id=facture.pk,
                        type=TypeEvenementFacture.LETTRAGE,
                        message=(
                            _("%(montant)s lettrés sur %(numero)s depuis %(source)s ; reste dû %(reste)s")
                            % {
                                "montant": montant_lisible(montant, facture.devise),
                                "numero": facture.numero,
                                "source": source,
                                "reste": montant_lisible(reste, facture.devise),
                            }
                        )[:500],
                        auteur_id=id_auteur,
                        donnees={"lettrage_id": lettrage.pk, "montant": str(montant)},
                        created_at=maintenant,
                    )
                )
        _evenements_ecrire(evenements)
        faites += len(lot)
        appeler_progression(progression, faites)
    if reglees:
        for facture in reglees.values():
            facture.updated_at = maintenant
        mettre_a_jour(Facture, list(reglees.values()), ["reste_du", "statut", "updated_at"])
    if a_modifier:
        mettre_a_jour(Paiement, [p for _i, p in a_modifier], list(PAIEMENT_MODIFIABLES))
        for i, _p in a_modifier:
            res.statuts[i] = StatutLigne.MIS_A_JOUR
        faites += len(a_modifier)
        appeler_progression(progression, faites)
    _signaler_apres_commit(reglees=set(reglees), payees=payees & set(reglees))
