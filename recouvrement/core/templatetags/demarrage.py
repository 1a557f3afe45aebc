"""The onboarding banner: ``{% load demarrage %}{% banniere_demarrage %}`` in the layout.

For the members who can act on it (credit managers and admins) and until
dismissed, the layout holds a placeholder that HTMX fills after the page has
loaded (``core.views.demarrage_banniere``): the checklist's query runs in that
request, so no page pays for it and every page keeps its fixed number of
queries. The banner disappears by itself once the checklist is complete.
"""

from __future__ import annotations

from typing import Any

from django import template

from recouvrement.tenancy.roles import peut_gerer_creances

register = template.Library()


@register.inclusion_tag("core/_banniere_demarrage.html", takes_context=True)
def banniere_demarrage(context: dict[str, Any]) -> dict[str, Any]:
    """Whether to place the banner's placeholder: no query, only the request's own data."""
    request = context.get("request")
    organisation = getattr(request, "organisation", None)
    membre = getattr(request, "membre", None)
    vue = getattr(getattr(request, "resolver_match", None), "url_name", None)
    afficher = (
        organisation is not None
        and membre is not None
        and organisation.demarrage_masque_le is None
        and peut_gerer_creances(membre)
        and vue not in (None, "demarrage", "demarrage_banniere")
    )
    return {"afficher": afficher}
