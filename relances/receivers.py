"""Signal receivers of the dunning engine: each calls one service."""

from __future__ import annotations

from typing import Any

from recouvrement.tenancy.models import Organisation


def organisation_creee(*, organisation: Organisation, **kwargs: Any) -> None:
    """A new organisation gets its dunning settings and ready scenarios (runs in its scope)."""
    from relances.services.parametres import organisation_relances_initialiser

    organisation_relances_initialiser(organisation=organisation)


def suivi_esp(*, event: Any, esp_name: str, **kwargs: Any) -> None:
    """django-anymail's normalized tracking event (delivered, bounced, opened…)."""
    from relances.services.livraison import evenement_esp_enregistrer

    evenement_esp_enregistrer(evenement=event, esp=esp_name)


def connecter_suivi_esp() -> None:
    from anymail.signals import tracking

    tracking.connect(suivi_esp, dispatch_uid="relances.suivi_esp")
