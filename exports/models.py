"""Exports of the lists (issue: browser app)."""
