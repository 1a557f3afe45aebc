"""The columns of each export, named in the active language (French first)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from exports.ecriture import DATE, ENTIER, MONTANT, TEXTE, Colonne


def _oui_non(valeur: Any) -> str:
    return _("Oui") if valeur else _("Non")


def _nom(membre: Any) -> str:
    if membre is None:
        return ""
    return str(membre.user)


def colonnes_clients() -> list[Colonne]:
    """Rows: clients from ``clients.filtres.client_lignes`` (balances attached)."""
    return [
        Colonne(_("Raison sociale"), TEXTE, lambda c: c.raison_sociale),
        Colonne(_("SIREN"), TEXTE, lambda c: c.siren),
        Colonne(_("Identifiant externe"), TEXTE, lambda c: c.external_id),
        Colonne(_("Catégorie"), TEXTE, lambda c: c.get_categorie_display()),
        Colonne(_("Classe de risque"), TEXTE, lambda c: c.classe_risque),
        Colonne(_("Commercial"), TEXTE, lambda c: _nom(c.commercial)),
        Colonne(_("Encours"), MONTANT, lambda c: c.encours),
        Colonne(_("Échu"), MONTANT, lambda c: c.echu),
        Colonne(_("Retard max. (jours)"), ENTIER, lambda c: c.retard_jours),
        Colonne(_("Plafond de crédit"), MONTANT, lambda c: c.plafond_credit),
        Colonne(_("Plafond dépassé"), TEXTE, lambda c: _oui_non(c.depasse_plafond)),
        Colonne(_("Affactureur"), TEXTE, lambda c: c.affactureur),
        Colonne(_("Devise"), TEXTE, lambda c: c.devise),
    ]


def colonnes_factures(*, aujourd_hui: Any) -> list[Colonne]:
    """Rows: invoices from ``factures.filtres.facture_lignes`` (last reminder and dispute attached)."""
    return [
        Colonne(_("N° de facture"), TEXTE, lambda f: f.numero),
        Colonne(_("Nature"), TEXTE, lambda f: f.get_nature_display()),
        Colonne(_("Client"), TEXTE, lambda f: f.client.raison_sociale),
        Colonne(_("SIREN du client"), TEXTE, lambda f: f.client.siren),
        Colonne(_("Commercial"), TEXTE, lambda f: _nom(f.client.commercial)),
        Colonne(_("Date d'émission"), DATE, lambda f: f.date_emission),
        Colonne(_("Date d'échéance"), DATE, lambda f: f.date_echeance),
        Colonne(_("Retard (jours)"), ENTIER, lambda f: f.jours_de_retard(aujourd_hui)),
        Colonne(_("Montant HT"), MONTANT, lambda f: f.montant_ht),
        Colonne(_("Montant TTC"), MONTANT, lambda f: f.montant_ttc),
        Colonne(_("Reste dû"), MONTANT, lambda f: f.reste_du),
        Colonne(_("Devise"), TEXTE, lambda f: f.devise),
        Colonne(_("Statut"), TEXTE, lambda f: f.get_statut_display()),
        Colonne(_("Support de paiement"), TEXTE, lambda f: f.get_support_paiement_display()),
        Colonne(_("Affactureur"), TEXTE, lambda f: f.affactureur),
        Colonne(_("En litige"), TEXTE, lambda f: _oui_non(f.en_litige)),
        Colonne(_("Relances suspendues"), TEXTE, lambda f: _oui_non(f.en_pause)),
        Colonne(_("Dernière relance"), DATE, lambda f: f.derniere_relance_le),
        Colonne(_("Étape de la dernière relance"), TEXTE, lambda f: f.derniere_relance_etape),
    ]


def _montant_de_tranche(i: int) -> Any:
    return lambda ligne: ligne.tranches[i]


def colonnes_balance(tranches: Any) -> list[Colonne]:
    """Rows: ``exports.tables.LigneBalance`` (one per client, then the total line)."""
    colonnes = [
        Colonne(_("Client"), TEXTE, lambda ligne: _("Total") if ligne.est_total else ligne.raison_sociale),
        Colonne(_("SIREN"), TEXTE, lambda ligne: ligne.siren),
        Colonne(_("Commercial"), TEXTE, lambda ligne: ligne.commercial),
    ]
    for i, tranche in enumerate(tranches):
        colonnes.append(Colonne(str(tranche.label), MONTANT, _montant_de_tranche(i)))
    colonnes += [
        Colonne(_("Avoirs non imputés"), MONTANT, lambda ligne: ligne.credit),
        Colonne(_("Échu"), MONTANT, lambda ligne: ligne.echu),
        Colonne(_("Encours"), MONTANT, lambda ligne: ligne.encours),
        Colonne(_("Devise"), TEXTE, lambda ligne: ligne.devise),
    ]
    return colonnes


def colonnes_relances() -> list[Colonne]:
    """Rows: ``relances.models.Envoi`` from ``exports.tables.relances_lignes``."""
    return [
        Colonne(_("Date prévue"), DATE, lambda e: e.date_prevue),
        Colonne(_("Envoyée le"), DATE, lambda e: e.envoye_le),
        Colonne(_("Client"), TEXTE, lambda e: e.client.raison_sociale),
        Colonne(_("SIREN du client"), TEXTE, lambda e: e.client.siren),
        Colonne(_("Factures"), TEXTE, lambda e: e.factures_numeros),
        Colonne(_("Scénario"), TEXTE, lambda e: e.etape.scenario.nom),
        Colonne(_("Étape"), TEXTE, lambda e: e.etape.nom),
        Colonne(_("Canal"), TEXTE, lambda e: e.get_canal_display()),
        Colonne(_("Statut"), TEXTE, lambda e: e.get_statut_display()),
        Colonne(_("Livraison"), TEXTE, lambda e: e.get_livraison_display() if e.livraison else ""),
        Colonne(_("Livraison le"), DATE, lambda e: e.livraison_le),
        Colonne(_("Objet"), TEXTE, lambda e: e.sujet),
        Colonne(_("Validée par"), TEXTE, lambda e: str(e.valide_par) if e.valide_par_id else ""),
        Colonne(_("Erreur"), TEXTE, lambda e: e.erreur),
    ]


def colonnes_litiges() -> list[Colonne]:
    """Rows: ``litiges.models.Litige`` from ``exports.tables.litiges_lignes``."""
    return [
        Colonne(_("Ouvert le"), DATE, lambda litige: litige.created_at),
        Colonne(_("Client"), TEXTE, lambda litige: litige.client.raison_sociale),
        Colonne(_("SIREN du client"), TEXTE, lambda litige: litige.client.siren),
        Colonne(_("Type"), TEXTE, lambda litige: litige.get_type_display()),
        Colonne(_("Factures"), TEXTE, lambda litige: litige.factures_numeros),
        Colonne(_("Montant contesté"), MONTANT, lambda litige: litige.montant_conteste),
        Colonne(_("Soulevé par"), TEXTE, lambda litige: litige.souleve_par),
        Colonne(_("Responsable"), TEXTE, lambda litige: _nom(litige.responsable)),
        Colonne(_("À résoudre avant le"), DATE, lambda litige: litige.echeance),
        Colonne(_("En retard"), TEXTE, lambda litige: _oui_non(litige.retard)),
        Colonne(_("Statut"), TEXTE, lambda litige: litige.get_statut_display()),
        Colonne(_("Résolu le"), DATE, lambda litige: litige.resolu_le),
        Colonne(_("Description"), TEXTE, lambda litige: litige.description),
        Colonne(_("Résolution"), TEXTE, lambda litige: litige.resolution),
    ]
