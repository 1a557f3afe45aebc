"""Error codes of the banque app (``ApplicationError.code``), stable for the API."""

FICHIER_INVALIDE = "releve_fichier_invalide"
LIGNE_TRAITEE = "ligne_deja_traitee"
LIGNE_NON_TRAITEE = "ligne_non_traitee"
LIGNE_DEBIT = "ligne_debit"
AFFECTATION_INVALIDE = "affectation_invalide"
DEPASSE_LIGNE = "depasse_montant_ligne"
PLUSIEURS_CLIENTS = "plusieurs_clients"
