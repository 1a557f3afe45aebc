"""Dunning scenarios, reminders, pauses, payment plans and promises (issue: dunning engine)."""
