"""Template filters for money, dates and delays, French-style by default."""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from recouvrement.core.formats import montant_texte

register = template.Library()


@register.filter
def montant(value: Any, devise: str = "EUR") -> str:
    """12345.6 → « 12 345,60 € » (in the active language's number format)."""
    return montant_texte(value, devise)


@register.filter
def jours_retard(date_echeance: datetime.date | None, aujourd_hui: datetime.date | None = None) -> int:
    if date_echeance is None:
        return 0
    aujourd_hui = aujourd_hui or timezone.localdate()
    return max(0, (aujourd_hui - date_echeance).days)


@register.filter
def retard_libelle(jours: int | None) -> str:
    if jours is None:
        return "—"
    if jours > 0:
        return _("+%(n)s j") % {"n": jours}
    if jours < 0:
        return _("%(n)s j (en avance)") % {"n": jours}
    return _("à l'heure")


@register.simple_tag(takes_context=True)
def url_page(context: dict[str, Any], page: int) -> str:
    """The current query string with another page number (keeps search and filters)."""
    request = context["request"]
    params = request.GET.copy()
    params["page"] = page
    return "?" + params.urlencode()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``mapping[key]``, or None: ``{{ prochaines|get_item:f.pk }}``."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def canal_libelle(canal: str | None) -> str:
    """The label of a reminder channel (« E-mail », « Courrier »…), in the active language."""
    from relances.models import Canal

    if not canal:
        return ""
    try:
        return str(Canal(canal).label)
    except ValueError:
        return canal
