"""Codes of the ``ApplicationError``s raised by litigation services."""

SANS_FACTURE = "contentieux_sans_facture"
FACTURE_INVALIDE = "contentieux_facture_invalide"
DEJA_EN_CONTENTIEUX = "contentieux_deja"
MISE_EN_DEMEURE_ATTENDUE = "contentieux_mise_en_demeure_attendue"
STATUT_INVALIDE = "contentieux_statut_invalide"
ISSUE_INVALIDE = "contentieux_issue_invalide"
DEJA_REPRIS = "contentieux_relances_deja_reprises"
