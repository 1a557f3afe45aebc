"""What each role may do. Views check these; selectors narrow querysets with them.

| capability            | admin | chargé | commercial | DAF | lecture |
|-----------------------|:-----:|:------:|:----------:|:---:|:-------:|
| read every client     |   x   |   x    |            |  x  |    x    |
| write anything        |   x   |   x    |     x      |  x  |         |
| manage receivables    |   x   |   x    |            |  x  |         |
| administer the org    |   x   |        |            |     |         |

A commercial sees only the clients assigned to him and their invoices; he
may add notes and log actions on them (later issues) but not change amounts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from recouvrement.tenancy.models import Role

if TYPE_CHECKING:
    from recouvrement.tenancy.models import Membre


def voit_tous_les_clients(membre: Membre) -> bool:
    return membre.role != Role.COMMERCIAL


def peut_ecrire(membre: Membre) -> bool:
    return membre.role != Role.LECTURE


def peut_gerer_creances(membre: Membre) -> bool:
    """Create and edit clients, invoices, payments and allocations."""
    return membre.role in (Role.ADMIN, Role.CHARGE, Role.DAF)


def peut_administrer(membre: Membre) -> bool:
    """Organisation profile, members, invitations."""
    return membre.role == Role.ADMIN
