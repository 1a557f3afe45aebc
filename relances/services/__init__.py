"""Writes of the dunning engine, one module per area:

- ``parametres``: the organisation's dunning settings and its ready scenarios;
- ``pauses``: manual holds (and the pauses disputes, plans and promises write);
- ``planification``: the daily, set-based planning of reminders and their grouping;
- ``envoi``: the outbox that sends each grouped reminder exactly once;
- ``taches``: calls and manual actions, and their outcome;
- ``livraison``: what the ESP's tracking webhooks report.
"""
