"""The dispute pages: detail (status, owner and due date, comments, attachments), the list's
filters, the SLA settings, the dashboard block; access and query counts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clients.models import Evenement
from factures.models import Facture, Nature, Statut
from litiges.models import CommentaireLitige, DelaiLitige, Litige, ParametresLitige, PieceJointeLitige
from litiges.services import litige_ouvrir, litige_statut_changer
from recouvrement.tenancy.models import Role
from tableau.selectors import litiges_ouverts
from tests.conftest import compter_requetes
from tests.factories import MembreFactory

AUJOURD_HUI = datetime.date.today()
J = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _litige(r, client=None, *, ttc="1200.00", montant=None, echeance=None, type="prix", responsable=None):
    client = client or r.client()
    facture = r.facture(client, echeance=AUJOURD_HUI - 20 * J, ttc=ttc)
    return litige_ouvrir(
        client=client,
        factures=[(facture, montant)],
        type=type,
        description="Prix contesté",
        auteur=None,
        echeance=echeance,
        responsable=responsable,
    )


# --- status and resolution from the page ---------------------------------------------------


def test_resolving_with_a_credit_note_from_the_page(client, relances):
    r = relances
    with r.tenant.scope():
        litige = _litige(r, montant=Decimal("300.00"))
        ligne = litige.lignes.get()
    client.force_login(r.charge.user)
    page = client.get(reverse("litiges:detail", args=[litige.pk])).content.decode()
    assert f'name="avoir_{ligne.pk}"' in page
    assert '<option value="clos"' not in page  # only the moves allowed from « ouvert » are offered
    reponse = client.post(
        reverse("litiges:statut", args=[litige.pk]),
        {"statut": "resolu_avoir", "resolution": "Remise accordée", f"avoir_{ligne.pk}": "120,50"},
    )
    assert reponse.status_code == 302
    with r.tenant.scope():
        facture = Facture.objects.get(pk=ligne.facture_id)
        assert (facture.reste_du, facture.statut) == (Decimal("1079.50"), Statut.PARTIELLEMENT_PAYEE)
        assert Facture.objects.get(nature=Nature.AVOIR).montant_ttc == Decimal("120.50")
        litige.refresh_from_db()
        assert (litige.statut, litige.resolution) == ("resolu_avoir", "Remise accordée")
        avoir = Facture.objects.get(nature=Nature.AVOIR)
    page = client.get(reverse("litiges:detail", args=[litige.pk])).content.decode()
    assert f"{avoir.numero}</a> (120,50\xa0€)" in page
    assert avoir.numero == f"AV-L{litige.pk}-{facture.numero}"


def test_a_refused_move_or_amount_shows_a_clear_error_and_changes_nothing(client, relances):
    r = relances
    with r.tenant.scope():
        litige = _litige(r, montant=Decimal("300.00"))
        ligne = litige.lignes.get()
    client.force_login(r.charge.user)
    url = reverse("litiges:statut", args=[litige.pk])
    reponse = client.post(url, {"statut": "clos"})
    assert reponse.status_code == 400
    assert "Un litige « Ouvert » ne peut pas passer à « Clos »" in reponse.content.decode()
    reponse = client.post(url, {"statut": "resolu_avoir", f"avoir_{ligne.pk}": "300.01"})
    assert reponse.status_code == 400
    assert "doit être entre 0 et le montant contesté (300,00" in reponse.content.decode()
    assert 'value="300.01"' in reponse.content.decode()  # the typed amount is kept
    with r.tenant.scope():
        litige.refresh_from_db()
        assert litige.statut == "ouvert"
        assert not Facture.objects.filter(nature=Nature.AVOIR).exists()


def test_a_commercial_may_comment_but_not_resolve(client, relances):
    r = relances
    with r.tenant.scope():
        litige = _litige(r)  # r.client() is assigned to r.commercial
    client.force_login(r.commercial.user)
    assert client.get(reverse("litiges:detail", args=[litige.pk])).status_code == 200
    assert client.post(reverse("litiges:statut", args=[litige.pk]), {"statut": "resolu_rejete"}).status_code == 403
    assert (
        client.post(reverse("litiges:commenter", args=[litige.pk]), {"texte": "Vu avec le client"}).status_code == 302
    )


def test_reassigning_and_changing_the_due_date_from_the_page(client, relances):
    r = relances
    with r.tenant.scope():
        litige = _litige(r, echeance=AUJOURD_HUI + 10 * J)
        nouveau = MembreFactory(role=Role.CHARGE)
    client.force_login(r.charge.user)
    reponse = client.post(
        reverse("litiges:suivi", args=[litige.pk]),
        {"responsable": nouveau.pk, "echeance": (AUJOURD_HUI + 3 * J).isoformat()},
    )
    assert reponse.status_code == 302
    with r.tenant.scope():
        litige.refresh_from_db()
        assert (litige.responsable_id, litige.echeance) == (nouveau.pk, AUJOURD_HUI + 3 * J)
        assert Evenement.objects.filter(type="litige.suivi").count() == 1
    reponse = client.post(reverse("litiges:suivi", args=[litige.pk]), {"responsable": nouveau.pk, "echeance": ""})
    assert reponse.status_code == 400


# --- comments ------------------------------------------------------------------------------


def test_comment_with_htmx_is_appended_and_the_form_comes_back_empty(client, relances):
    r = relances
    with r.tenant.scope():
        litige = _litige(r)
    client.force_login(r.charge.user)
    url = reverse("litiges:commenter", args=[litige.pk])
    reponse = client.post(url, {"texte": "Client rappelé, <b>photos</b> demandées"}, headers={"HX-Request": "true"})
    contenu = reponse.content.decode()
    assert reponse.status_code == 200
    with r.tenant.scope():
        commentaire = CommentaireLitige.objects.get()
    assert contenu.startswith(f'<li id="commentaire-{commentaire.pk}"')
    assert "Client rappelé, &lt;b&gt;photos&lt;/b&gt; demandées" in contenu
    assert 'id="aucun-commentaire" hx-swap-oob="delete"' in contenu
    assert 'id="form-commentaire"' in contenu
    assert 'hx-swap-oob="true"' in contenu
    assert "<textarea" in contenu
    assert "photos" not in contenu.split("<textarea", 1)[1]

    vide = client.post(url, {"texte": "   "}, headers={"HX-Request": "true"}).content.decode()
    assert "Écrivez un commentaire." in vide
    assert '<li id="commentaire-' not in vide


def test_comment_without_javascript_redirects_to_the_thread(client, relances):
    r = relances
    with r.tenant.scope():
        litige = _litige(r)
    client.force_login(r.charge.user)
    reponse = client.post(reverse("litiges:commenter", args=[litige.pk]), {"texte": "Premier échange"})
    with r.tenant.scope():
        commentaire = CommentaireLitige.objects.get()
        assert (commentaire.auteur_id, commentaire.texte) == (r.charge.user_id, "Premier échange")
    assert reponse["Location"] == reverse("litiges:detail", args=[litige.pk]) + f"#commentaire-{commentaire.pk}"
    page = client.get(reverse("litiges:detail", args=[litige.pk])).content.decode()
    assert "Premier échange" in page
    assert client.post(reverse("litiges:commenter", args=[litige.pk]), {"texte": ""}).status_code == 400


# --- attachments ---------------------------------------------------------------------------


def test_attachment_upload_and_download(client, relances):
    r = relances
    with r.tenant.scope():
        litige = _litige(r)
    client.force_login(r.charge.user)
    fichier = SimpleUploadedFile("Bon de livraison n°12.pdf", b"%PDF-1.4 contenu", content_type="application/pdf")
    reponse = client.post(reverse("litiges:piece_ajouter", args=[litige.pk]), {"fichier": fichier})
    assert reponse.status_code == 302
    with r.tenant.scope():
        piece = PieceJointeLitige.objects.get()
    assert (piece.nom_original, piece.taille, piece.depose_par_id) == (
        "Bon de livraison n°12.pdf",
        16,
        r.charge.user_id,
    )
    assert piece.fichier.name.startswith(f"litiges/{AUJOURD_HUI:%Y}/{AUJOURD_HUI:%m}/")
    assert piece.fichier.name.endswith(".pdf")
    assert "livraison" not in piece.fichier.name
    telechargement = client.get(reverse("litiges:piece", args=[piece.pk]))
    assert telechargement.status_code == 200
    assert b"".join(telechargement.streaming_content) == b"%PDF-1.4 contenu"
    assert "attachment" in telechargement["Content-Disposition"]
    assert "Bon%20de%20livraison%20n%C2%B012.pdf" in telechargement["Content-Disposition"]


@pytest.mark.parametrize(
    ("nom", "taille", "erreur"),
    [
        ("script.exe", 10, "Type de fichier non accepté (exe). Formats acceptés : pdf, png, jpg"),
        ("sans-extension", 10, "Type de fichier non accepté (sans extension)"),
        ("photo.PNG.js", 10, "Type de fichier non accepté (js)"),
        ("gros.pdf", 10 * 1024 * 1024 + 1, "Le fichier dépasse 10 Mo (10,0 Mo)."),
    ],
)
def test_attachment_errors_are_shown_next_to_the_field(client, relances, nom, taille, erreur):
    r = relances
    with r.tenant.scope():
        litige = _litige(r)
    client.force_login(r.charge.user)
    fichier = SimpleUploadedFile(nom, b"x" * taille)
    reponse = client.post(reverse("litiges:piece_ajouter", args=[litige.pk]), {"fichier": fichier})
    assert reponse.status_code == 400
    contenu = reponse.content.decode()
    assert 'id="id_fichier_erreurs"' in contenu
    assert erreur in contenu.split('id="id_fichier_erreurs"', 1)[1]
    with r.tenant.scope():
        assert not PieceJointeLitige.objects.exists()


def test_exactly_10_mb_is_accepted(client, relances):
    r = relances
    with r.tenant.scope():
        litige = _litige(r)
    client.force_login(r.charge.user)
    fichier = SimpleUploadedFile("export.csv", b"x" * (10 * 1024 * 1024))
    assert client.post(reverse("litiges:piece_ajouter", args=[litige.pk]), {"fichier": fichier}).status_code == 302


def test_download_is_404_for_another_organisation_and_another_commercials_client(client, relances, tenant_b):
    r = relances
    with r.tenant.scope():
        autre_commercial = MembreFactory(role=Role.COMMERCIAL)
        litige = _litige(r, r.client(commercial=autre_commercial))
    client.force_login(r.charge.user)
    client.post(reverse("litiges:piece_ajouter", args=[litige.pk]), {"fichier": SimpleUploadedFile("a.txt", b"secret")})
    with r.tenant.scope():
        piece = PieceJointeLitige.objects.get()
    url = reverse("litiges:piece", args=[piece.pk])
    assert client.get(url).status_code == 200
    client.force_login(r.commercial.user)  # not his client
    assert client.get(url).status_code == 404
    assert client.get(reverse("litiges:detail", args=[litige.pk])).status_code == 404
    tenant_b.login(client)
    assert client.get(url).status_code == 404
    client.force_login(autre_commercial.user)  # his client
    assert client.get(url).status_code == 200


# --- settings ------------------------------------------------------------------------------


def test_settings_page_saves_the_sla_per_type_and_the_reminder_lead_time(client, relances):
    r = relances
    client.force_login(r.charge.user)
    url = reverse("litiges:parametres")
    page = client.get(url).content.decode()
    assert 'name="delai_livraison" value="10"' in page
    assert 'name="rappel_jours_avant" value="2"' in page
    donnees = {f"delai_{t}": 12 for t in ("prix", "quantite", "qualite", "administratif", "deja_paye", "autre")}
    reponse = client.post(url, {**donnees, "delai_livraison": 5, "rappel_jours_avant": 3})
    assert reponse.status_code == 302
    with r.tenant.scope():
        assert dict(DelaiLitige.objects.values_list("type", "jours")) == {
            **{t[6:]: 12 for t in donnees},
            "livraison": 5,
        }
        assert ParametresLitige.objects.get().rappel_jours_avant == 3
    reponse = client.post(url, {**donnees, "delai_livraison": 0, "rappel_jours_avant": 3})
    assert reponse.status_code == 400
    assert "supérieure ou égale à 1" in reponse.content.decode()
    assert reverse("litiges:parametres") in client.get(reverse("litiges:liste")).content.decode()


@pytest.mark.parametrize(
    ("role", "code"), [(Role.ADMIN, 200), (Role.CHARGE, 200), (Role.DAF, 403), (Role.COMMERCIAL, 403)]
)
def test_settings_page_is_for_admins_and_credit_managers(client, tenant_a, role, code):
    tenant_a.login(client, role)
    assert client.get(reverse("litiges:parametres")).status_code == code


def test_settings_of_one_organisation_do_not_apply_to_another(client, relances, tenant_b):
    from litiges.selectors import delai_jours
    from litiges.services import litige_parametres_enregistrer

    with relances.tenant.scope():
        litige_parametres_enregistrer(delais={"prix": 3}, rappel_jours_avant=0)
    with tenant_b.scope():
        assert delai_jours(type="prix") == 15


# --- list, filters, dashboard --------------------------------------------------------------


def test_list_filters_by_status_type_owner_and_overdue(client, relances):
    r = relances
    with r.tenant.scope():
        retard = _litige(r, echeance=AUJOURD_HUI - J, type="prix", responsable=r.charge)
        a_temps = _litige(r, echeance=AUJOURD_HUI + 5 * J, type="qualite")
        rejete = _litige(r, echeance=AUJOURD_HUI - 9 * J, type="prix")
        litige_statut_changer(litige=rejete, statut="resolu_rejete", auteur=None)
    client.force_login(r.charge.user)

    def lignes(parametres):
        contenu = client.get(reverse("litiges:liste"), parametres).content.decode()
        return {pk for pk in (retard.pk, a_temps.pk, rejete.pk) if f'data-litige="{pk}"' in contenu}

    assert lignes({}) == {retard.pk, a_temps.pk}
    assert lignes({"statut": "tous"}) == {retard.pk, a_temps.pk, rejete.pk}
    assert lignes({"statut": "resolu_rejete"}) == {rejete.pk}
    assert lignes({"type": "prix"}) == {retard.pk}
    assert lignes({"responsable": r.charge.pk}) == {retard.pk}
    assert lignes({"responsable": "aucun"}) == {a_temps.pk}
    assert lignes({"en_retard": "on"}) == {retard.pk}
    assert lignes({"en_retard": "on", "statut": "tous"}) == {retard.pk}  # a resolved one is not late
    contenu = client.get(reverse("litiges:liste")).content.decode()
    ligne_retard = contenu.split(f'data-litige="{retard.pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'class="badge retard"' in ligne_retard
    assert "en retard" in ligne_retard
    ligne_a_temps = contenu.split(f'data-litige="{a_temps.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "badge retard" not in ligne_a_temps


def test_dashboard_counts_and_flags_the_disputes_past_their_sla(client, relances):
    r = relances
    with r.tenant.scope():
        a_temps = _litige(r, montant=Decimal("100.00"), echeance=AUJOURD_HUI)
        retard1 = _litige(r, montant=Decimal("200.00"), echeance=AUJOURD_HUI - J)
        retard2 = _litige(r, montant=Decimal("50.00"), echeance=AUJOURD_HUI - 30 * J)
        resolu = _litige(r, montant=Decimal("999.00"), echeance=AUJOURD_HUI - 30 * J)
        litige_statut_changer(litige=resolu, statut="resolu_rejete", auteur=None)
        bloc = litiges_ouverts(aujourd_hui=AUJOURD_HUI)
    assert (bloc.nombre, bloc.en_retard, bloc.montant) == (3, 2, Decimal("350.00"))
    # The overdue first, then the oldest.
    assert [(x.litige_id, x.en_retard) for x in bloc.apercu] == [
        (retard1.pk, True),
        (retard2.pk, True),
        (a_temps.pk, False),
    ]
    client.force_login(r.charge.user)
    page = client.get(reverse("tableau:index")).content.decode()
    assert "2 en retard sur leur délai de résolution" in page
    assert f"{reverse('litiges:liste')}?en_retard=on" in page


def test_dashboard_block_is_one_query(relances, django_assert_num_queries):
    r = relances
    with r.tenant.scope():
        for _i in range(3):
            _litige(r, echeance=AUJOURD_HUI - J)
        with django_assert_num_queries(1):
            litiges_ouverts(aujourd_hui=AUJOURD_HUI)


# --- query counts --------------------------------------------------------------------------


def _peupler(r, n):
    for i in range(n):
        client = r.client()
        litige = _litige(r, client, echeance=AUJOURD_HUI - (i % 3) * J, responsable=r.charge if i % 2 else None)
        CommentaireLitige.objects.create(litige=litige, texte=f"Commentaire {i}")
        PieceJointeLitige.objects.create(litige=litige, fichier="litiges/x.pdf", nom_original=f"p{i}.pdf", taille=3)
    return litige


def test_list_page_queries_do_not_grow_with_the_number_of_disputes(client, relances):
    r = relances
    client.force_login(r.charge.user)
    client.get(reverse("litiges:liste"))  # the session is written on the first request
    with r.tenant.scope():
        _peupler(r, 2)
    peu = compter_requetes(client, reverse("litiges:liste"), {"statut": "tous"})
    with r.tenant.scope():
        _peupler(r, 12)
    assert compter_requetes(client, reverse("litiges:liste"), {"statut": "tous"}) == peu


def test_detail_page_queries_do_not_grow_with_comments_attachments_and_invoices(client, relances):
    r = relances
    client.force_login(r.charge.user)
    with r.tenant.scope():
        petit = _litige(r)
        CommentaireLitige.objects.create(litige=petit, texte="un", auteur=r.charge.user)
        PieceJointeLitige.objects.create(
            litige=petit, fichier="litiges/a.pdf", nom_original="a.pdf", taille=3, depose_par=r.charge.user
        )
        client_gros = r.client()
        factures = [r.facture(client_gros, echeance=AUJOURD_HUI - J) for _i in range(8)]
        gros = litige_ouvrir(
            client=client_gros, factures=[(f, None) for f in factures], type="prix", description="x", auteur=None
        )
        for i in range(10):
            CommentaireLitige.objects.create(litige=gros, texte=f"c{i}", auteur=MembreFactory().user)
            PieceJointeLitige.objects.create(
                litige=gros, fichier=f"litiges/{i}.pdf", nom_original=f"{i}.pdf", taille=3, depose_par=r.charge.user
            )
        MembreFactory.create_batch(5, role=Role.CHARGE)
    client.get(reverse("litiges:liste"))  # the session is written on the first request
    assert compter_requetes(client, reverse("litiges:detail", args=[gros.pk])) == compter_requetes(
        client, reverse("litiges:detail", args=[petit.pk])
    )


def test_litige_is_visible_only_in_its_organisation(client, relances, tenant_b):
    with relances.tenant.scope():
        litige = _litige(relances)
    tenant_b.login(client)
    for nom in ("litiges:detail",):
        assert client.get(reverse(nom, args=[litige.pk])).status_code == 404
    for nom in ("litiges:statut", "litiges:suivi", "litiges:commenter", "litiges:piece_ajouter"):
        assert client.post(reverse(nom, args=[litige.pk]), {"statut": "resolu_rejete", "texte": "x"}).status_code == 404
    with relances.tenant.scope():
        assert Litige.objects.get().statut == "ouvert"
        assert not CommentaireLitige.objects.exists()
