"""Business days: not a weekend, not a public holiday of the organisation's calendar."""

from __future__ import annotations

import datetime
from functools import lru_cache

import holidays


@lru_cache(maxsize=256)
def _feries(calendrier: str, annee: int) -> frozenset[datetime.date]:
    if not calendrier:
        return frozenset()
    pays, _sep, subdivision = calendrier.partition("-")
    return frozenset(holidays.country_holidays(pays, subdiv=subdivision or None, years=annee).keys())


def est_jour_ouvre(jour: datetime.date, calendrier: str) -> bool:
    return jour.weekday() < 5 and jour not in _feries(calendrier, jour.year)


def prochain_jour_ouvre(jour: datetime.date, calendrier: str) -> datetime.date:
    """``jour`` itself if it is a business day, else the next one."""
    while not est_jour_ouvre(jour, calendrier):
        jour += datetime.timedelta(days=1)
    return jour
