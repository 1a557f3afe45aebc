"""Disputes and litigation files (issue: disputes, payment plans, risk)."""
