"""Error codes of the dunning engine (``ApplicationError.code``), stable for the API."""

DEJA_RELANCE_AUJOURD_HUI = "deja_relance_aujourd_hui"
RIEN_A_RELANCER = "rien_a_relancer"
ENVOI_NON_VALIDABLE = "envoi_non_validable"
PAUSE_DEJA_LEVEE = "pause_deja_levee"
SANS_SCENARIO = "sans_scenario"
TACHE_FERMEE = "tache_fermee"
ETAPE_INVALIDE = "etape_invalide"
