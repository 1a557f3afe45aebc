from typing import Any

from django.http import HttpRequest

from recouvrement.tenancy import roles


def organisation(request: HttpRequest) -> dict[str, Any]:
    membre = getattr(request, "membre", None)
    return {
        "organisation": getattr(request, "organisation", None),
        "membre": membre,
        "membres": getattr(request, "membres", []),
        "peut_ecrire": bool(membre and roles.peut_ecrire(membre)),
        "peut_gerer_creances": bool(membre and roles.peut_gerer_creances(membre)),
        "peut_administrer": bool(membre and roles.peut_administrer(membre)),
    }
