"""Each kind of file through the pages (upload → mapping → preview → commit) with figures
worked out by hand; French formats; the report by line and column; all or nothing;
idempotent re-import; presets; roles and isolation."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from clients.models import Client, Contact
from factures.models import Facture, Paiement, Statut
from imports.models import Import, ModeleCorrespondance, StatutImport
from recouvrement.tenancy.models import Role
from tests.conftest import compter_requetes
from tests.factories import ClientFactory, FactureFactory, siren_valide
from tests.imports.outils import deposer, fichier_csv, id_de, importer, rapport

SIREN_1 = siren_valide(1)
SIREN_2 = siren_valide(2)


def test_clients_from_a_french_excel_csv_then_the_same_file_again(client, tenant_a):
    tenant_a.login(client)
    contenu = fichier_csv(
        [
            ["Code client", "Raison sociale", "SIREN", "Délai de paiement", "Fin de mois", "Plafond", "Client depuis"],
            ["C001", "Société Générale d'Étanchéité", SIREN_1, "45", "oui", "10 000,00", "15/03/2019"],
            ["C002", "Bêta SAS", SIREN_2, "30 jours", "non", "", "01.01.20"],
        ],
        encodage="cp1252",
    )
    import_ = importer(client, tenant_a, type="clients", contenu=contenu)
    assert (import_.statut, import_.total, import_.crees, import_.erreurs) == (StatutImport.TERMINE, 2, 2, [])
    with tenant_a.scope():
        c1, c2 = Client.objects.order_by("external_id")
    assert (c1.external_id, c1.raison_sociale, c1.siren) == ("C001", "Société Générale d'Étanchéité", SIREN_1)
    assert (c1.delai_paiement_jours, c1.fin_de_mois, c1.plafond_credit) == (45, True, Decimal("10000.00"))
    assert c1.date_debut_relation == datetime.date(2019, 3, 15)
    assert (c2.delai_paiement_jours, c2.fin_de_mois, c2.plafond_credit) == (30, False, None)
    assert c2.date_debut_relation == datetime.date(2020, 1, 1)

    again = importer(client, tenant_a, type="clients", contenu=contenu)
    assert (again.statut, again.crees, again.mises_a_jour, again.inchangees) == (StatutImport.TERMINE, 0, 0, 2)
    with tenant_a.scope():
        assert Client.objects.count() == 2


def test_contacts_of_known_clients(client, tenant_a):
    with tenant_a.scope():
        alpha = ClientFactory(external_id="C001")
        ClientFactory(external_id="C002")
    tenant_a.login(client)
    contenu = fichier_csv(
        [
            ["Code client", "Nom", "Prénom", "E-mail", "Comptabilité", "Achats", "Langue"],
            ["C001", "Durand", "Alex", "Compta@Alpha.FR", "oui", "non", "Français"],
            ["C001", "Martin", "Lou", "achats@alpha.fr", "0", "1", "en"],
            ["C002", "Petit", "", "", "vrai", "faux", ""],
        ]
    )
    import_ = importer(client, tenant_a, type="contacts", contenu=contenu)
    assert (import_.statut, import_.crees, import_.erreurs) == (StatutImport.TERMINE, 3, [])
    with tenant_a.scope():
        durand = Contact.objects.get(nom="Durand")
        martin = Contact.objects.get(nom="Martin")
        assert Contact.objects.count() == 3
    assert (durand.client_id, durand.email, durand.role_comptabilite, durand.role_achats) == (
        alpha.pk, "compta@alpha.fr", True, False,
    )  # fmt: skip
    assert (martin.role_comptabilite, martin.role_achats, martin.langue) == (False, True, "en")

    again = importer(client, tenant_a, type="contacts", contenu=contenu)
    assert again.statut == StatutImport.TERMINE
    with tenant_a.scope():
        # Keyed by (client, e-mail): the two with an e-mail are found again; the one without is new.
        assert Contact.objects.count() == 4


FACTURES_ENTETE = ["N° facture", "Code client", "Date", "Date échéance", "Montant HT", "TVA", "Montant TTC", "Type"]


def test_invoices_in_french_formats_then_updated_by_a_second_file(client, tenant_a):
    with tenant_a.scope():
        alpha = ClientFactory(external_id="C001")
    tenant_a.login(client)
    contenu = fichier_csv(
        [
            FACTURES_ENTETE,
            ["F-001", "C001", "01/09/2026", "31/10/26", "1 000,00", "200,00", "1 200,00", "Facture"],
            ["F-002", "C001", "2026-09-15", "15.11.2026", "1234.5", "246,90", "1\u00a0481,40 €", ""],
            ["AV-001", "C001", "20/09/2026", "20/09/2026", "-100,00", "-20,00", "-120,00", "Avoir"],
        ]
    )
    import_ = importer(client, tenant_a, type="factures", contenu=contenu)
    assert (import_.statut, import_.crees, import_.erreurs) == (StatutImport.TERMINE, 3, []), import_.erreurs
    with tenant_a.scope():
        f1 = Facture.objects.get(numero="F-001")
        f2 = Facture.objects.get(numero="F-002")
        avoir = Facture.objects.get(numero="AV-001")
    assert (f1.client_id, f1.date_emission, f1.date_echeance) == (
        alpha.pk,
        datetime.date(2026, 9, 1),
        datetime.date(2026, 10, 31),
    )
    assert (f1.montant_ht, f1.montant_tva, f1.montant_ttc, f1.reste_du) == (
        Decimal("1000.00"), Decimal("200.00"), Decimal("1200.00"), Decimal("1200.00"),
    )  # fmt: skip
    assert (f2.montant_ttc, f2.date_echeance) == (Decimal("1481.40"), datetime.date(2026, 11, 15))
    # Negative amounts (as ERPs export credit notes): an avoir with positive amounts.
    assert (avoir.nature, avoir.montant_ht, avoir.montant_ttc) == ("avoir", Decimal("100.00"), Decimal("120.00"))

    # The ERP sends the file again with F-002 corrected: updated, nothing duplicated.
    corrige = fichier_csv(
        [
            FACTURES_ENTETE,
            ["F-001", "C001", "01/09/2026", "31/10/26", "1 000,00", "200,00", "1 200,00", "Facture"],
            ["F-002", "C001", "2026-09-15", "15.11.2026", "1 300,00", "260,00", "1 560,00", ""],
        ]
    )
    again = importer(client, tenant_a, type="factures", contenu=corrige)
    assert (again.statut, again.crees, again.mises_a_jour, again.inchangees) == (StatutImport.TERMINE, 0, 1, 1)
    with tenant_a.scope():
        assert Facture.objects.count() == 3
        f2 = Facture.objects.get(numero="F-002")
    assert (f2.montant_ttc, f2.reste_du) == (Decimal("1560.00"), Decimal("1560.00"))


def test_payments_allocated_to_their_invoice(client, tenant_a):
    with tenant_a.scope():
        alpha = ClientFactory(external_id="C001")
        facture = FactureFactory(client=alpha, numero="F-001", montant_ttc=Decimal("1200.00"))
    tenant_a.login(client)
    contenu = fichier_csv(
        [
            ["Id paiement", "Code client", "Date de règlement", "Montant", "N° facture", "Moyen de paiement"],
            ["VIR-1", "C001", "15/10/2026", "500,00", "F-001", "Virement"],
            ["VIR-2", "C001", "20/10/2026", "300", "", "chèque"],
        ]
    )
    import_ = importer(client, tenant_a, type="paiements", contenu=contenu)
    assert (import_.statut, import_.crees, import_.erreurs) == (StatutImport.TERMINE, 2, []), import_.erreurs
    with tenant_a.scope():
        facture.refresh_from_db()
        vir1 = Paiement.objects.get(external_id="VIR-1")
        vir2 = Paiement.objects.get(external_id="VIR-2")
    assert (facture.reste_du, facture.statut) == (Decimal("700.00"), Statut.PARTIELLEMENT_PAYEE)
    assert (vir1.montant, vir1.montant_non_affecte, vir1.date_paiement) == (
        Decimal("500.00"), Decimal("0.00"), datetime.date(2026, 10, 15),
    )  # fmt: skip
    assert (vir2.montant_non_affecte, vir2.moyen) == (Decimal("300.00"), "cheque")

    again = importer(client, tenant_a, type="paiements", contenu=contenu)
    assert (again.statut, again.crees) == (StatutImport.TERMINE, 0)
    with tenant_a.scope():
        facture.refresh_from_db()
        assert Paiement.objects.count() == 2
    assert facture.reste_du == Decimal("700.00")


def test_every_bad_line_is_reported_by_line_and_column_and_nothing_is_written(client, tenant_a):
    with tenant_a.scope():
        ClientFactory(external_id="C001")
        FactureFactory(numero="F-EXISTE", client=ClientFactory(external_id="C009"))
    tenant_a.login(client)
    bonnes = [[f"F-{i:03d}", "C001", "01/09/2026", "01/10/2026", "100,00", "20,00", "120,00", ""] for i in range(1, 41)]
    contenu = fichier_csv(
        [
            FACTURES_ENTETE,
            *bonnes,  # lines 2 to 41
            ["F-900", "INCONNU", "01/09/2026", "01/10/2026", "100,00", "20,00", "120,00", ""],  # 42
            ["F-901", "C001", "31/02/2026", "01/10/2026", "100,00", "20,00", "120,00", ""],  # 43
            ["F-001", "C001", "01/09/2026", "01/10/2026", "100,00", "20,00", "120,00", ""],  # 44: twice in the file
            ["F-902", "C001", "01/09/2026", "01/10/2026", "cent", "20,00", "120,00", ""],  # 45
            ["", "C001", "01/09/2026", "01/10/2026", "100,00", "20,00", "120,00", ""],  # 46
            ["F-903", "C001", "01/09/2026", "01/10/2026", "100,00", "20,00", "150,00", ""],  # 47: HT + TVA ≠ TTC
            ["F-904", "C001", "01/09/2026", "01/10/2026", "100,00", "20,00", "120,00", "Devis"],  # 48
        ]
    )
    with tenant_a.scope():
        avant = Facture.objects.count()
    import_ = importer(client, tenant_a, type="factures", contenu=contenu)
    assert import_.statut == StatutImport.REJETE
    assert (import_.crees, import_.mises_a_jour, import_.lignes_en_erreur) == (0, 0, 7)
    with tenant_a.scope():
        assert Facture.objects.count() == avant
    par_ligne = {(e["ligne"], e["colonne"], e["champ"]): e["code"] for e in import_.erreurs}
    assert par_ligne[(42, "Code client", "client_external_id")] == "client_inconnu"
    assert par_ligne[(43, "Date", "date_emission")] == "date_invalide"
    assert par_ligne[(44, "N° facture", "numero")] == "numero_en_double"
    assert par_ligne[(45, "Montant HT", "montant_ht")] == "montant_invalide"
    assert par_ligne[(46, "N° facture", "numero")] == "requis"
    assert 47 in {ligne for ligne, _c, _ch in par_ligne}
    assert par_ligne[(48, "Type", "nature")] == "choix_invalide"
    assert {ligne for ligne, _c, _ch in par_ligne} == {42, 43, 44, 45, 46, 47, 48}

    lignes = rapport(client, import_.pk)
    assert lignes[0] == ["Ligne", "Colonne", "Champ", "Code", "Message"]
    assert lignes[2][:4] == ["43", "Date", "Date d'émission", "date_invalide"]
    assert "31/02/2026" in lignes[2][4]
    page = client.get(reverse("imports:suivi", args=[import_.pk])).content.decode()
    assert "7 lignes en erreur" in page


def test_a_file_with_one_bad_line_at_the_end_changes_nothing(client, tenant_a):
    with tenant_a.scope():
        ClientFactory(external_id="C001")
        FactureFactory(
            numero="F-001",
            client=ClientFactory(),
            montant_ttc=Decimal("50.00"),
            montant_ht=Decimal("50.00"),
            montant_tva=Decimal("0.00"),
        )
    tenant_a.login(client)
    lignes = [
        [f"F-{i:03d}", "C001", "01/09/2026", "01/10/2026", "100,00", "20,00", "120,00", ""] for i in range(2, 301)
    ]
    lignes.append(["F-999", "C001", "01/09/2026", "pas une date", "100,00", "20,00", "120,00", ""])
    import_ = importer(client, tenant_a, type="factures", contenu=fichier_csv([FACTURES_ENTETE, *lignes]))
    assert (import_.statut, import_.lignes_en_erreur, import_.total) == (StatutImport.REJETE, 1, 300)
    assert [(e["ligne"], e["colonne"], e["code"]) for e in import_.erreurs] == [(301, "Date échéance", "date_invalide")]
    with tenant_a.scope():
        assert list(Facture.objects.values_list("numero", "montant_ttc")) == [("F-001", Decimal("50.00"))]


def test_a_saved_preset_maps_the_next_file_and_a_default_one_is_proposed(client, tenant_a):
    with tenant_a.scope():
        ClientFactory(external_id="C001")
    tenant_a.login(client)
    # Headers no synonym knows: the user maps them once and saves the preset as default.
    entete = ["Pièce", "Tiers", "Le", "Exigible", "Brut", "Taxe"]
    contenu = fichier_csv([entete, ["F-1", "C001", "01/09/2026", "01/10/2026", "120,00", "0"]])
    import_ = importer(
        client,
        tenant_a,
        type="factures",
        contenu=contenu,
        correspondance={
            "Pièce": "numero",
            "Tiers": "client_external_id",
            "Le": "date_emission",
            "Exigible": "date_echeance",
            "Brut": "montant_ht",
            "Taxe": "montant_tva",
        },
        modele_nom="Export Sage",
        par_defaut=True,
    )
    assert import_.statut == StatutImport.TERMINE, import_.erreurs
    with tenant_a.scope():
        modele = ModeleCorrespondance.objects.get()
    assert (modele.nom, modele.type, modele.par_defaut) == ("Export Sage", "factures", True)
    assert modele.colonnes["piece"] == "numero"

    # Next month's file, columns in another order, case changed: the default preset maps it.
    suivant = fichier_csv(
        [["exigible", "PIÈCE", "Brut", "Tiers", "Le", "taxe"], ["01/11/2026", "F-2", "60", "C001", "01/10/2026", "0"]]
    )
    import_id = id_de(deposer(client, type="factures", contenu=suivant))
    with tenant_a.scope():
        propose = Import.objects.get(pk=import_id)
    assert propose.correspondance == [
        "date_echeance", "numero", "montant_ht", "client_external_id", "date_emission", "montant_tva",
    ]  # fmt: skip
    assert propose.modele_id == modele.pk
    page = client.get(reverse("imports:liste")).content.decode()
    assert "Export Sage" in page


def test_the_mapping_page_refuses_a_field_twice_and_a_missing_required_field(client, tenant_a):
    tenant_a.login(client)
    contenu = fichier_csv([["N° facture", "Code client", "Date", "HT", "TVA"], ["F-1", "C1", "01/09/2026", "1", "0"]])
    import_id = id_de(deposer(client, type="factures", contenu=contenu))
    url = reverse("imports:correspondance", args=[import_id])
    montants = {"colonne_3": "montant_ht", "colonne_4": "montant_tva"}
    double = {"colonne_0": "numero", "colonne_1": "numero", "colonne_2": "date_emission", **montants}
    response = client.post(url, double)
    assert response.status_code == 400
    assert "plusieurs colonnes" in response.content.decode()
    sans_client = {"colonne_0": "numero", "colonne_1": "", "colonne_2": "date_emission", **montants}
    response = client.post(url, sans_client)
    assert response.status_code == 400
    assert "Aucune colonne pour" in response.content.decode()


def test_the_preview_shows_typed_values_and_unreadable_cells(client, tenant_a):
    tenant_a.login(client)
    contenu = fichier_csv(
        [FACTURES_ENTETE, ["F-1", "C1", "01/09/2026", "31/13/2026", "1 234,5", "0", "1 234,50", "avoir"]]
    )
    import_id = id_de(deposer(client, type="factures", contenu=contenu))
    page = client.get(reverse("imports:apercu", args=[import_id])).content.decode()
    assert "1 234,50" in page or "1\u00a0234,50" in page
    assert "01/09/2026" in page
    assert "Date illisible : 31/13/2026" in page
    assert "Importer 1 ligne" in page


def test_upload_errors_are_form_errors(client, tenant_a, settings):
    tenant_a.login(client)
    response = deposer(client, type="factures", contenu=b"%PDF-1.4", nom="facture.pdf")
    assert response.status_code == 400
    assert "CSV ou XLSX" in response.content.decode()
    response = deposer(client, type="factures", contenu=b"", nom="vide.csv")
    assert response.status_code == 400
    settings.IMPORTS_TAILLE_MAX = 100
    response = deposer(client, type="factures", contenu=b"numero;montant\n" + b"F;1\n" * 50, nom="gros.csv")
    assert response.status_code == 400
    assert "trop volumineux" in response.content.decode()
    response = deposer(client, type="factures", contenu=b"PK\x03\x04 pas un classeur", nom="faux.xlsx")
    assert response.status_code == 400
    with tenant_a.scope():
        assert not Import.objects.exists()


def test_the_report_neutralises_formulas(client, tenant_a):
    tenant_a.login(client)
    contenu = fichier_csv([['=HYPERLINK("http://x")', "Raison sociale", "SIREN"], ["x", "Acme", "=1+1"]])
    import_ = importer(
        client, tenant_a, type="clients", contenu=contenu, correspondance={'=HYPERLINK("http://x")': "external_id"}
    )
    assert import_.statut == StatutImport.REJETE
    lignes = rapport(client, import_.pk)
    erreur = lignes[1]
    assert erreur[0] == "2"
    assert erreur[1] == "SIREN"
    assert all(not cellule.startswith(("=", "+", "-", "@")) for ligne in lignes for cellule in ligne)


@pytest.mark.parametrize("role", [Role.COMMERCIAL, Role.LECTURE])
def test_members_who_may_not_manage_receivables_get_403(client, tenant_a, role):
    tenant_a.login(client, role=role)
    assert client.get(reverse("imports:liste")).status_code == 403
    response = deposer(client, type="clients", contenu=fichier_csv([["Raison sociale"], ["Acme"]]))
    assert response.status_code == 403
    with tenant_a.scope():
        assert not Import.objects.exists()


def test_another_organisation_gets_404_on_every_page_of_an_import(client, tenant_a, tenant_b):
    tenant_a.login(client)
    import_ = importer(client, tenant_a, type="clients", contenu=fichier_csv([["Raison sociale"], ["Acme"]]))
    tenant_b.login(client)
    for nom in ("suivi", "progression", "rapport", "correspondance", "apercu"):
        assert client.get(reverse(f"imports:{nom}", args=[import_.pk])).status_code == 404, nom
    assert client.post(reverse("imports:lancer", args=[import_.pk])).status_code == 404
    assert import_.pk not in [ligne.pk for ligne in client.get(reverse("imports:liste")).context["import_list"]]


def test_the_imports_page_keeps_its_number_of_queries(client, tenant_a):
    tenant_a.login(client)
    importer(client, tenant_a, type="clients", contenu=fichier_csv([["Raison sociale"], ["Acme"]]))
    une = compter_requetes(client, reverse("imports:liste"))
    for n in range(3):
        importer(client, tenant_a, type="clients", contenu=fichier_csv([["Raison sociale"], [f"Acme {n}"]]))
    assert compter_requetes(client, reverse("imports:liste")) == une
