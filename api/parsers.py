"""The API's JSON parser (a module of its own: DRF's settings import it while building its views)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


class JSONDecimalParser(parsers.JSONParser):
    """JSON with every non-integer number read as ``Decimal`` (amounts never go through a float);
    NaN and Infinity are refused."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encodage = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.loads(stream.read().decode(encodage), parse_float=Decimal, parse_constant=_refuser)
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(_("JSON invalide : %(detail)s") % {"detail": exc}) from None


def _refuser(valeur: str) -> Any:
    raise ValueError(valeur)
