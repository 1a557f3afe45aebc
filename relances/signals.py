"""Signals of the dunning engine, sent after the commit: other apps (webhooks) react to them."""

from django.dispatch import Signal

# ``envoi_id``, ``organisation_id``: a reminder (e-mail, letter, call task) was recorded as sent.
relance_envoyee = Signal()
# ``promesse_id``, ``organisation_id``: a promise to pay was recorded.
promesse_enregistree = Signal()
