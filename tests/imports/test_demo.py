"""The demo's imports: a default preset and a finished import; the sample files offered."""

from __future__ import annotations

import datetime

from django.urls import reverse

from factures.models import Facture
from imports.demo import NOM_MODELE, imports_demo_creer
from imports.models import ModeleCorrespondance, StatutImport
from tests.factories import ClientFactory
from tests.imports.outils import fichier_csv, importer

JOUR = datetime.date(2026, 11, 27)


def test_the_demo_leaves_a_default_preset_and_a_finished_import(tenant_a):
    with tenant_a.scope():
        for n in range(1, 4):
            ClientFactory(external_id=f"C{n:05d}")
        import_ = imports_demo_creer(organisation=tenant_a.organisation, jour=JOUR)
        assert import_ is not None
        assert (import_.statut, import_.crees) == (StatutImport.TERMINE, 6), import_.erreurs
        assert ModeleCorrespondance.objects.get(nom=NOM_MODELE).par_defaut
        premiere = Facture.objects.get(numero="ERP-202611-001")
        assert (str(premiere.montant_ht), str(premiere.montant_ttc), premiere.client.external_id) == (
            "1250.00", "1500.00", "C00001",
        )  # fmt: skip
        assert imports_demo_creer(organisation=tenant_a.organisation, jour=JOUR) is None
        assert Facture.objects.count() == 6


def test_the_sample_files_import_as_they_are(client, tenant_a):
    with tenant_a.scope():
        ClientFactory(external_id="C00001")
    tenant_a.login(client)
    for type, attendu in (("clients", 3), ("factures", 6)):
        response = client.get(reverse(f"imports:exemple_{type}"))
        assert response.status_code == 200
        import_ = importer(client, tenant_a, type=type, contenu=response.content)
        assert (import_.statut, import_.crees) == (StatutImport.TERMINE, attendu), import_.erreurs
    assert fichier_csv([["a"]]) == b"a\r\n"
