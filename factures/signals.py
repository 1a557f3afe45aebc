"""Signals of the receivables: other apps react to them without ``factures`` knowing them."""

from django.dispatch import Signal

# Sent after the commit of an allocation (lettrage) made or cancelled, with
# ``facture_ids`` (the invoices whose remaining due changed) and ``organisation_id``.
# ``relances`` follows its payment plans and promises on it.
reglement_enregistre = Signal()

# Sent after the commit with ``facture_ids`` (invoices that became fully paid) and ``organisation_id``.
facture_payee = Signal()
