"""Imports for the demo organisation: a saved default preset for the invoices of its "ERP",
and one finished import of a small invoices file. For ``recouvrement.core.demo`` (call after
the clients are written, inside the organisation's scope; works on SQLite). The import page
also offers a sample file built on the organisation's clients (``imports:exemple``)."""

from __future__ import annotations

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from imports.models import Import, ModeleCorrespondance, TypeImport
from imports.selectors import exemple_csv
from imports.services import import_correspondance_enregistrer, import_deposer, import_lancer
from recouvrement.tenancy.models import Membre, Organisation, Role

NOM_MODELE = "Export de l'ERP (factures)"


def imports_demo_creer(*, organisation: Organisation, jour: datetime.date) -> Import | None:
    """The preset and the finished import (nothing when the preset exists already: idempotent).
    Returns the import."""
    if ModeleCorrespondance.objects.filter(type=TypeImport.FACTURES, nom=NOM_MODELE).exists():
        return None
    membre = (
        Membre.objects.filter(role__in=(Role.CHARGE, Role.ADMIN)).select_related("user").order_by("role", "pk").first()
    )
    if membre is None:
        return None
    contenu = exemple_csv(type=TypeImport.FACTURES, jour=jour, prefixe="ERP").encode("utf-8-sig")
    import_ = import_deposer(
        membre=membre,
        type=TypeImport.FACTURES,
        fichier=SimpleUploadedFile(f"export-erp-{jour:%Y%m%d}.csv", contenu, content_type="text/csv"),
    )
    import_ = import_correspondance_enregistrer(
        import_=import_, correspondance=import_.correspondance, modele_nom=NOM_MODELE, par_defaut=True
    )
    return import_lancer(import_=import_)
