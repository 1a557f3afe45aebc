"""The demo organisation of ``make demo``: ``referentiel`` (reference data),
``plan`` (what to create, drawn deterministically) and ``chargement`` (the writes)."""

from recouvrement.core.demo.chargement import DemoResume, UtilisateurDemo, charger_demo
from recouvrement.core.demo.referentiel import DEMO_MOT_DE_PASSE, TRANCHES

__all__ = ["DEMO_MOT_DE_PASSE", "TRANCHES", "DemoResume", "UtilisateurDemo", "charger_demo"]
