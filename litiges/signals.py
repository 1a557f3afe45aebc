"""Signals of the disputes, sent after the commit: other apps (webhooks) react without ``litiges`` knowing them."""

from django.dispatch import Signal

# ``litige_id`` and ``organisation_id``: a dispute was opened.
litige_ouvert = Signal()
# ``litige_id``, ``organisation_id`` and ``statut``: a dispute left the active statuses (resolved).
litige_resolu = Signal()
