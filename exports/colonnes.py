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
