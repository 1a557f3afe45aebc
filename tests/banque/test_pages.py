"""The reconciliation pages: import, lists (roles, fixed query counts), manual matching with
several invoices and edited amounts, credit on a client, ignore, undo, and isolation."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from banque.models import LigneReleve, StatutLigne
from banque.services import releve_importer
from factures.models import Lettrage, Paiement, Statut
from recouvrement.tenancy.models import Role
from tests.banque.conftest import Ntry, Tx, camt, client_, facture_
from tests.conftest import compter_requetes

D = datetime.date


def _inconnu(ref: str, montant: str = "1000.00", payeur: str = "M DUPONT") -> bytes:
    return camt([Ntry(montant, ref=ref, tx=[Tx(ustrd=["VIREMENT"], payeur=payeur)])], releve=ref)


@pytest.fixture
def attente(tenant_a):
    """Two invoices of Acme (700 and 500), one of Beta, and a line of 1,000 nobody recognises."""
    with tenant_a.scope():
        acme = client_("Acme")
        f1 = facture_(acme, "A-1", "700.00", echeance=D(2026, 10, 15))
        f2 = facture_(acme, "A-2", "500.00", echeance=D(2026, 10, 31))
        beta = client_("Beta")
        fb = facture_(beta, "B-1", "1000.00", echeance=D(2026, 11, 20))
        releve_importer(contenu=_inconnu("U1"), nom_fichier="u1.xml")
        ligne = LigneReleve.objects.get()
    return {"acme": acme, "beta": beta, "f1": f1, "f2": f2, "fb": fb, "ligne": ligne}


@pytest.mark.parametrize(
    ("role", "attendu"), [(None, 200), (Role.CHARGE, 200), (Role.DAF, 200), (Role.COMMERCIAL, 403), (Role.LECTURE, 403)]
)
def test_who_sees_the_pages(client, tenant_a, attente, role, attendu):
    tenant_a.login(client, role)
    for url in (
        reverse("banque:releves"),
        reverse("banque:a_rapprocher"),
        reverse("banque:releve", args=[attente["ligne"].releve_id]),
        reverse("banque:ligne", args=[attente["ligne"].pk]),
    ):
        assert client.get(url).status_code == attendu, url


def test_the_daf_reads_but_does_not_act(client, tenant_a, attente):
    tenant_a.login(client, Role.DAF)
    ligne = attente["ligne"]
    page = client.get(reverse("banque:releves")).content.decode()
    assert "Importer un relevé" not in page
    assert client.post(reverse("banque:ligne_ignorer", args=[ligne.pk])).status_code == 403
    fichier = SimpleUploadedFile("r.csv", b"Date;Montant\n20/11/2026;10,00\n")
    assert client.post(reverse("banque:releves"), {"fichier": fichier}).status_code == 403


def test_importing_through_the_page(client, tenant_a):
    with tenant_a.scope():
        facture = facture_(client_("Acme"), "F-1001", "1200.00")
    tenant_a.login(client)
    contenu = "Date;Libellé;Montant;Payeur\n20/11/2026;VIR F-1001;1 200,00;ACME\n21/11/2026;?;80,00;X\n".encode()
    reponse = client.post(reverse("banque:releves"), {"fichier": SimpleUploadedFile("releve.csv", contenu)})
    with tenant_a.scope():
        ligne = LigneReleve.objects.get(position=1)
        facture.refresh_from_db()
    assert reponse.status_code == 302
    assert reponse.url == reverse("banque:releve", args=[ligne.releve_id])
    assert facture.statut == Statut.PAYEE
    page = client.get(reponse.url).content.decode()
    assert "1 rapprochées automatiquement, 1 à rapprocher" in page
    liste = client.get(reverse("banque:releves")).content.decode()
    assert 'data-compteur="a_rapprocher">1<' in liste
    assert 'data-compteur="rapprochee">1<' in liste


def test_a_bad_file_through_the_page_names_the_line(client, tenant_a):
    tenant_a.login(client)
    contenu = b"Date;Montant\n20/11/2026;10,00\n32/11/2026;10,00\n"
    reponse = client.post(reverse("banque:releves"), {"fichier": SimpleUploadedFile("x.csv", contenu)})
    assert reponse.status_code == 400
    assert "ligne 3, colonne date" in reponse.content.decode()
    with tenant_a.scope():
        assert not LigneReleve.objects.exists()


def test_the_to_match_list_shows_ranked_suggestions(client, tenant_a, attente):
    tenant_a.login(client)
    page = client.get(reverse("banque:a_rapprocher")).content.decode()
    # B-1: equal amount (30) + due on the day (10): too far from 1,000 to be candidates
    assert 'data-facture="B-1"' in page
    assert 'data-facture="A-1"' not in page


def test_the_lists_keep_a_fixed_number_of_queries(client, tenant_a):
    tenant_a.login(client)
    urls = [reverse("banque:releves"), reverse("banque:a_rapprocher")]
    client.get(urls[0])

    def grandir(n, debut):
        with tenant_a.scope():
            for i in range(debut, debut + n):
                c = client_(f"Client {i}")
                facture_(c, f"Q-{i}", f"{100 + i}.00")
                contenu = camt(
                    [
                        Ntry(f"{100 + i}.00", ref=f"Q{i}a", tx=[Tx(ustrd=[f"Q-{i}"])]),
                        Ntry(f"{300 + i}.00", ref=f"Q{i}b", tx=[Tx(ustrd=["?"], payeur=f"Client {i}")]),
                    ],
                    releve=f"Q{i}",
                )
                releve_importer(contenu=contenu, nom_fichier=f"q{i}.xml")

    grandir(2, 0)
    petit = [compter_requetes(client, url) for url in urls]
    grandir(6, 10)
    grand = [compter_requetes(client, url) for url in urls]
    assert petit == grand
    assert max(grand) <= 12


def test_manual_matching_of_two_invoices_with_an_edited_amount_then_undo(client, tenant_a, attente):
    tenant_a.login(client)
    ligne, f1, f2 = attente["ligne"], attente["f1"], attente["f2"]
    # the HTMX row for an invoice typed by its number
    rangee = client.get(reverse("banque:ligne_facture", args=[ligne.pk]), {"numero": "a-2"}, HTTP_HX_REQUEST="true")
    assert f'name="montant_{f2.pk}" id="montant-{f2.pk}" value="500.00"' in rangee.content.decode()
    reponse = client.post(
        reverse("banque:ligne_rapprocher", args=[ligne.pk]),
        {"facture": [f1.pk, f2.pk], f"montant_{f1.pk}": "700,00", f"montant_{f2.pk}": "200"},
    )
    assert reponse.status_code == 302
    with tenant_a.scope():
        f1.refresh_from_db()
        f2.refresh_from_db()
        ligne.refresh_from_db()
        paiement = Paiement.objects.get()
        assert (f1.statut, f2.reste_du) == (Statut.PAYEE, Decimal("300.00"))
        assert (ligne.statut, ligne.mode, ligne.client_id) == (StatutLigne.RAPPROCHEE, "manuel", attente["acme"].pk)
        assert paiement.montant_non_affecte == Decimal("100.00")  # 1,000 − 700 − 200: Acme's credit
    fiche = client.get(reverse("clients:detail", args=[attente["acme"].pk])).content.decode()
    assert "Crédit non affecté" in fiche
    assert "100,00" in fiche

    reponse = client.post(reverse("banque:ligne_annuler", args=[ligne.pk]))
    assert reponse.status_code == 302
    with tenant_a.scope():
        f1.refresh_from_db()
        f2.refresh_from_db()
        ligne.refresh_from_db()
        paiement.refresh_from_db()
        assert (f1.reste_du, f2.reste_du) == (Decimal("700.00"), Decimal("500.00"))
        assert ligne.statut == StatutLigne.A_RAPPROCHER
        assert (paiement.client_id, paiement.montant_non_affecte) == (None, Decimal("1000.00"))
        assert Lettrage.objects.filter(annule_le__isnull=False).count() == 2  # the history stays
    assert "Crédit non affecté" not in client.get(reverse("clients:detail", args=[attente["acme"].pk])).content.decode()

    # matched again, to another client: the same payment moves to it
    client.post(
        reverse("banque:ligne_rapprocher", args=[ligne.pk]),
        {"facture": [attente["fb"].pk], f"montant_{attente['fb'].pk}": "1000.00"},
    )
    with tenant_a.scope():
        assert Paiement.objects.get().client_id == attente["beta"].pk
        attente["fb"].refresh_from_db()
        assert attente["fb"].statut == Statut.PAYEE


def test_manual_matching_refuses_too_much_and_two_clients(client, tenant_a, attente):
    tenant_a.login(client)
    ligne, f1, fb = attente["ligne"], attente["f1"], attente["fb"]
    trop = client.post(
        reverse("banque:ligne_rapprocher", args=[ligne.pk]),
        {"facture": [f1.pk, attente["f2"].pk], f"montant_{f1.pk}": "700", f"montant_{attente['f2'].pk}": "500"},
    )
    assert trop.status_code == 400
    assert "dépassent le virement" in trop.content.decode()
    deux = client.post(
        reverse("banque:ligne_rapprocher", args=[ligne.pk]),
        {"facture": [f1.pk, fb.pk], f"montant_{f1.pk}": "100", f"montant_{fb.pk}": "100"},
    )
    assert deux.status_code == 400
    with tenant_a.scope():
        assert not Paiement.objects.exists()
        assert not Lettrage.objects.exists()


def test_credit_on_a_client_then_ignore_another_line(client, tenant_a, attente):
    tenant_a.login(client)
    ligne = attente["ligne"]
    reponse = client.post(reverse("banque:ligne_avoir", args=[ligne.pk]), {"client_recherche": "acme"})
    assert reponse.status_code == 302
    with tenant_a.scope():
        ligne.refresh_from_db()
        assert ligne.statut == StatutLigne.AVOIR_CLIENT
        assert Paiement.objects.get().montant_non_affecte == Decimal("1000.00")
        releve_importer(contenu=_inconnu("U2", "12.00"), nom_fichier="u2.xml")
        autre = LigneReleve.objects.get(reference_banque__endswith=":U2")
    assert client.post(reverse("banque:ligne_ignorer", args=[autre.pk])).status_code == 302
    with tenant_a.scope():
        autre.refresh_from_db()
        assert autre.statut == StatutLigne.IGNOREE
    page = client.get(reverse("banque:a_rapprocher")).content.decode()
    assert "Aucun virement en attente" in page


def test_another_organisation_gets_404(client, tenant_a, tenant_b, attente):
    tenant_b.login(client)
    ligne = attente["ligne"]
    assert client.get(reverse("banque:ligne", args=[ligne.pk])).status_code == 404
    assert client.get(reverse("banque:releve", args=[ligne.releve_id])).status_code == 404
    assert client.post(reverse("banque:ligne_ignorer", args=[ligne.pk])).status_code == 404
    assert "VIREMENT" not in client.get(reverse("banque:a_rapprocher")).content.decode()


def test_a_statements_lines_keep_a_fixed_number_of_queries(client, tenant_a):
    tenant_a.login(client)

    def releve(n):
        lignes = "".join(f"2{i % 9}/11/2026;VIR {i};{10 + i},00;Payeur {i}\n" for i in range(n))
        with tenant_a.scope():
            resultat = releve_importer(
                contenu=f"Date;Libellé;Montant;Payeur\n{lignes}".encode(), nom_fichier=f"{n}.csv"
            )
        return reverse("banque:releve", args=[resultat.releve.pk])

    client.get(reverse("banque:releves"))
    assert compter_requetes(client, releve(2)) == compter_requetes(client, releve(30))
