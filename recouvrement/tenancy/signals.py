"""Signals of the tenancy layer, for the apps above it (which tenancy must not import).

``organisation_creee`` is sent, inside the creating transaction, once a new
organisation and its first admin exist: the dunning engine gives it its
settings and ready scenarios. Receivers call a service; no rule lives here.
"""

from django.dispatch import Signal

organisation_creee = Signal()  # kwargs: organisation
