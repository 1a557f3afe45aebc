"""The client's credit (payments not yet allocated), for the client sheet."""

from __future__ import annotations

from decimal import Decimal

from django import template

from banque.selectors import credit_client as _credit_client
from clients.models import Client

register = template.Library()


@register.simple_tag
def credit_client(client: Client) -> Decimal:
    """One query: the sum of the client's unallocated payments."""
    return _credit_client(client=client)
