"""Message templates: the restricted engine, the checks at save time, the rendering, the contexts."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from factures.models import Statut, SupportPaiement
from relances.gabarits import (
    SCHEMA,
    VARIABLES,
    contexte_construire,
    contexte_exemple,
    gabarit_rendre,
    gabarit_valider,
)
from relances.scenarios_defaut import modeles_defaut
from tests.factories import ClientFactory, ContactFactory, FactureFactory

NBSP = "\u00a0"

SUJET = "Relance {{ client.raison_sociale }} : {{ total_du|montant:devise }}"
CORPS = """Bonjour {{ contact.nom_complet }},

Les factures suivantes restent dues :

{{ tableau_factures }}

{% for f in factures %}
- {{ f.numero }} : {{ f.reste_du|montant:f.devise }}, {{ f.jours_retard }} jour{{ f.jours_retard|pluralize }} de retard
{% endfor %}

Total : {{ total_du|montant:devise }}.

{{ signataire.nom }}"""


def contexte(**remplacements) -> dict:
    """The sample context with one invoice of 1 234,56 € and the given parts replaced."""
    base = contexte_exemple()
    base["factures"] = [dict(base["factures"][1], reste_du=Decimal("1234.56"), montant_ttc=Decimal("1234.56"))]
    base["total_du"] = Decimal("1234.56")
    base.update(remplacements)
    return base


def erreurs(*, sujet: str = "Objet", corps: str = "Corps") -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        gabarit_valider(sujet=sujet, corps=corps)
    return excinfo.value.message_dict


# --- Rendering ---------------------------------------------------------------


def test_a_valid_template_renders_subject_text_and_html():
    gabarit_valider(sujet=SUJET, corps=CORPS)

    rendu = gabarit_rendre(sujet=SUJET, corps=CORPS, contexte=contexte())

    assert rendu.sujet == f"Relance Boulangeries Dupré SAS : 1{NBSP}234,56{NBSP}€"
    assert "\n" not in rendu.sujet
    assert "Bonjour Sophie Lefèvre," in rendu.texte
    assert f"- F2026-0457 : 1{NBSP}234,56{NBSP}€, 18 jours de retard" in rendu.texte
    assert f"Total : 1{NBSP}234,56{NBSP}€." in rendu.texte
    assert "<p" in rendu.html
    assert "Sophie Lefèvre" in rendu.html
    assert "Alpha Industrie SAS" in rendu.html  # the organisation as header
    assert rendu.corps_html in rendu.html


def test_montant_formats_money_the_french_way():
    rendu = gabarit_rendre(sujet="{{ total_du|montant }}", corps="{{ total_du|montant }}", contexte=contexte())

    assert rendu.sujet.replace(NBSP, " ") == "1 234,56 €"
    assert rendu.texte.startswith(f"1{NBSP}234,56{NBSP}€")


def test_montant_follows_the_language_of_the_message():
    rendu = gabarit_rendre(sujet="{{ total_du|montant }}", corps="x", contexte=contexte(), langue="en")

    assert rendu.sujet == f"1,234.56{NBSP}€"


def test_the_invoice_table_is_html_in_the_html_part_and_aligned_text_in_the_text_part():
    rendu = gabarit_rendre(sujet="Objet", corps="Avant\n\n{{ tableau_factures }}\n\nAprès", contexte=contexte_exemple())

    lignes = rendu.texte.splitlines()
    entete = next(ligne for ligne in lignes if ligne.startswith("Facture"))
    f0412 = next(ligne for ligne in lignes if ligne.startswith("F2026-0412"))
    f0457 = next(ligne for ligne in lignes if ligne.startswith("F2026-0457"))
    assert "Reste dû" in entete
    assert len(f0412) == len(f0457)  # right-aligned amounts end in the same column
    assert f0412.endswith("42 j")
    assert "<table" not in rendu.texte
    assert rendu.corps_html.count("<table") == 1
    assert "<td" in rendu.corps_html
    assert "F2026-0412" in rendu.corps_html
    # The table stands between paragraphs, never inside one.
    assert "<p" not in rendu.corps_html.split("<table")[1].split("</table>")[0]
    assert rendu.corps_html.index("Avant") < rendu.corps_html.index("<table") < rendu.corps_html.index("Après")


def test_html_escapes_every_value_and_the_text_part_escapes_nothing():
    donnees = contexte()
    donnees["client"] = dict(donnees["client"], raison_sociale="<script>alert(1)</script>")
    donnees["contact"] = dict(donnees["contact"], nom_complet="<b>Sophie</b>")
    donnees["organisation"] = dict(donnees["organisation"], raison_sociale="Alpha & <i>Fils</i>")

    rendu = gabarit_rendre(
        sujet="{{ client.raison_sociale }}",
        corps="Bonjour {{ contact.nom_complet }} de {{ client.raison_sociale }}",
        contexte=donnees,
    )

    assert "<script>" not in rendu.html
    assert "<b>" not in rendu.html
    assert "<i>" not in rendu.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendu.html
    assert "&lt;b&gt;Sophie&lt;/b&gt;" in rendu.html
    assert "Alpha &amp; &lt;i&gt;Fils&lt;/i&gt;" in rendu.html
    assert rendu.sujet == "<script>alert(1)</script>"
    assert rendu.texte.startswith("Bonjour <b>Sophie</b> de <script>alert(1)</script>")


def test_the_organisation_cannot_write_raw_html_either():
    corps = '<img src=x onerror=alert(1)> {{ liens.releve|default:"<u>x</u>" }} {% firstof "" "<s>y</s>" %}'

    rendu = gabarit_rendre(sujet="Objet", corps=corps, contexte=contexte(liens={"releve": ""}))

    assert "<img" not in rendu.html
    assert "<u>" not in rendu.html
    assert "<s>" not in rendu.html
    assert "&lt;img src=x onerror=alert(1)&gt; &lt;u&gt;x&lt;/u&gt; &lt;s&gt;y&lt;/s&gt;" in rendu.corps_html
    assert rendu.texte.startswith("<img src=x onerror=alert(1)> <u>x</u> <s>y</s>")


def test_line_breaks_become_paragraphs_and_lines_holding_only_tags_leave_no_trace():
    corps = "Bonjour,\n{% if nombre_factures %}\nVous nous devez\nune somme.\n{% endif %}\n\nCordialement"

    rendu = gabarit_rendre(sujet="Objet", corps=corps, contexte=contexte())

    assert rendu.texte == "Bonjour,\nVous nous devez\nune somme.\n\nCordialement\n\n-- \n" + (
        contexte()["organisation"]["signature"] + "\n"
    )
    assert '<p style="margin:0 0 14px 0;">Bonjour,<br>\nVous nous devez<br>\nune somme.</p>' in rendu.corps_html


def test_the_subject_is_collapsed_to_one_line():
    rendu = gabarit_rendre(
        sujet="Relance   {% for f in factures %}{{ f.numero }} {% endfor %}", corps="x", contexte=contexte_exemple()
    )

    assert rendu.sujet == "Relance F2026-0412 F2026-0457 F2026-0501"


def test_rendering_refuses_a_template_that_should_not_have_been_saved():
    with pytest.raises(ValidationError):
        gabarit_rendre(sujet="Objet", corps="{{ client.mot_de_passe }}", contexte=contexte())


# --- Checks at save time -------------------------------------------------------


@pytest.mark.parametrize(
    ("champ", "sujet", "corps", "ligne", "extrait"),
    [
        ("corps", "Objet", "Bonjour\n\n{% if client.siren %}\nSIREN", 3, "« if » non fermée"),
        ("corps", "Objet", "Bonjour\n{% endfor %}", 2, "« endfor » inattendue"),
        ("corps", "Objet", "a\nb\nc\n{{ client.raison_sociale| }}", 4, "client.raison_sociale|"),
        ("corps", "Objet", "a\n{{ }}", 2, "variable vide"),
        ("sujet", "Relance {% if total_du %}", "Corps", 1, "« if » non fermée"),
    ],
)
def test_a_syntax_error_is_reported_on_its_field_with_its_line(champ, sujet, corps, ligne, extrait):
    messages = erreurs(sujet=sujet, corps=corps)

    assert list(messages) == [champ]
    assert messages[champ][0].startswith(f"Ligne {ligne} : ")
    assert extrait in messages[champ][0]


@pytest.mark.parametrize(
    ("corps", "ligne", "nom", "disponible"),
    [
        ("Bonjour\n{{ client_nom }}", 2, "client_nom", "client"),
        ("Bonjour,\n\n\n{{ client.nom_commercial }}", 4, "client.nom_commercial", "client.raison_sociale"),
        ("{% for f in factures %}\n{{ f.numero }}\n{{ f.inconnu }}\n{% endfor %}", 3, "f.inconnu", "f.reste_du"),
        ("a\n{% if penalites.montant > 0 %}oui{% endif %}", 2, "penalites.montant", "penalites.interets"),
        ("a\n{% if total_du %}x{% elif client.code %}y{% endif %}", 2, "client.code", "client.siren"),
        ("a\n\n{% if total_du %}\nx\n{% elif client.code %}\ny{% endif %}", 5, "client.code", "client.siren"),
        ("{% with c=client %}\n{{ c.nom }}{% endwith %}", 2, "c.nom", "c.raison_sociale"),
        ("{% with f=factures|first %}{{ f.total }}{% endwith %}", 1, "f.total", "f.montant_ttc"),
        ("{{ total_du|default:organisation.rib }}", 1, "organisation.rib", "organisation.iban"),
        ("{% firstof contact.prenom contact.surnom %}", 1, "contact.surnom", "contact.nom_complet"),
    ],
)
def test_an_unknown_variable_is_refused_with_its_line_and_name(corps, ligne, nom, disponible):
    messages = erreurs(corps=corps)["corps"]

    assert len(messages) == 1
    assert messages[0].startswith(f"Ligne {ligne} : variable inconnue « {nom} ».")
    assert "Variables disponibles : " in messages[0]
    assert disponible in messages[0]


def test_methods_of_values_are_out_of_reach():
    message = erreurs(corps="{{ client.raison_sociale.upper }}")["corps"][0]

    assert "variable inconnue « client.raison_sociale.upper »" in message


def test_the_invoices_must_be_looped_over():
    messages = erreurs(corps="{{ factures.numero }}\n{% for c in client %}{% endfor %}")["corps"]

    assert messages[0].startswith("Ligne 1 : variable inconnue « factures.numero ».")
    assert "{% for f in factures %}" in messages[0]
    assert messages[1] == "Ligne 2 : « client » n'est pas une liste."


def test_every_error_of_a_field_is_reported_in_line_order():
    corps = "{{ inconnue_1 }}\nbien : {{ client.ville }}\n{{ client.inconnue_2 }}\n{{ inconnue_3 }}"

    messages = erreurs(corps=corps)["corps"]

    assert [message.split(" : ")[0] for message in messages] == ["Ligne 1", "Ligne 3", "Ligne 4"]
    assert "inconnue_1" in messages[0]
    assert "client.inconnue_2" in messages[1]
    assert "inconnue_3" in messages[2]


def test_errors_of_both_fields_are_reported_together():
    messages = erreurs(sujet="{{ sujet_inconnu }}", corps="{% load i18n %}")

    assert "sujet_inconnu" in messages["sujet"][0]
    assert "load" in messages["corps"][0]


@pytest.mark.parametrize(
    "balise",
    [
        "{% load i18n %}",
        "{% include 'base.html' %}",
        "{% url 'accueil' %}",
        "{% now 'Y' %}",
        "{% extends 'base.html' %}",
        "{% autoescape off %}x{% endautoescape %}",
        "{% csrf_token %}",
        "{% debug %}",
        "{% templatetag openblock %}",
        "{% widthratio 1 2 3 %}",
        "{% cycle 'a' 'b' %}",
        "{% verbatim %}x{% endverbatim %}",
        "{% spaceless %}x{% endspaceless %}",
        "{% filter upper %}x{% endfilter %}",
        "{% translate 'x' %}",
    ],
)
def test_a_forbidden_tag_is_refused_with_its_line_and_name(balise):
    nom = balise.split()[1]

    message = erreurs(corps=f"Bonjour,\n\n{balise}")["corps"][0]

    assert message == f"Ligne 3 : balise inconnue ou interdite « {nom} »."


@pytest.mark.parametrize("filtre", ["safe", "escape", "safeseq", "force_escape", "urlize", "slice:':2'", "add:'1'"])
def test_a_forbidden_filter_is_refused_with_its_line_and_name(filtre):
    nom = filtre.split(":")[0]

    message = erreurs(corps=f"Bonjour\n{{{{ client.raison_sociale|{filtre} }}}}")["corps"][0]

    assert message == f"Ligne 2 : filtre inconnu ou interdit « {nom} »."


def test_the_subject_must_hold_on_one_line():
    messages = erreurs(sujet="Relance\n{{ client.raison_sociale }}")["sujet"]

    assert messages == ["L'objet doit tenir sur une seule ligne."]


def test_the_invoice_table_has_no_place_in_the_subject():
    message = erreurs(sujet="Relance {{ tableau_factures }}")["sujet"][0]

    assert "tableau_factures" in message


def test_translation_markers_are_refused():
    message = erreurs(corps='{{ _("Bonjour") }}')["corps"][0]

    assert message.startswith("Ligne 1 : _(…) n'est pas permis")


def test_windows_line_endings_count_lines_like_the_editor():
    message = erreurs(corps="a\r\nb\r\n{{ inconnue }}")["corps"][0]

    assert message.startswith("Ligne 3 : ")


def test_every_documented_variable_is_accepted():
    for chemin, _description, _exemple in VARIABLES:
        if chemin.startswith("f."):
            gabarit_valider(sujet="Objet", corps=f"{{% for f in factures %}}{{{{ {chemin} }}}}{{% endfor %}}")
        elif chemin != "tableau_factures":
            gabarit_valider(sujet=f"{{{{ {chemin} }}}}", corps=f"{{{{ {chemin} }}}}")


def test_the_sample_context_has_every_variable_of_the_schema():
    def verifier(schema, valeur):
        if isinstance(schema, dict):
            assert isinstance(valeur, dict)
            assert set(schema) == set(valeur)
            for cle, sous_schema in schema.items():
                verifier(sous_schema, valeur[cle])
        elif isinstance(schema, list):
            assert isinstance(valeur, list)
            assert valeur
            for element in valeur:
                verifier(schema[0], element)
        else:
            assert isinstance(valeur, str | int | Decimal | datetime.date | bool)

    schema = {cle: valeur for cle, valeur in SCHEMA.items() if cle != "tableau_factures"}
    verifier(schema, contexte_exemple())


# --- Contexts from real rows ---------------------------------------------------


def test_contexte_construire_gives_days_late_and_totals_as_plain_data(scope_a):
    organisation = scope_a.organisation
    organisation.iban = "FR7630006000011234567890189"
    organisation.adresse = "3 quai Perrache"
    organisation.code_postal = "69002"
    organisation.ville = "Lyon"
    client = ClientFactory(raison_sociale="<script>Dupré</script>", ville="Grenoble", external_id="C-7")
    contact = ContactFactory(client=client, prenom="Sophie", nom="<b>Lefèvre</b>", fonction="Comptable")
    aujourd_hui = datetime.date(2026, 11, 20)
    echue = FactureFactory(client=client, numero="F-1", date_echeance=datetime.date(2026, 10, 1))
    partielle = FactureFactory(
        client=client,
        numero="F-2",
        date_emission=datetime.date(2026, 10, 1),
        date_echeance=datetime.date(2026, 11, 5),
        montant_ht=Decimal("500.00"),
        montant_tva=Decimal("100.00"),
        montant_ttc=Decimal("600.00"),
        reste_du=Decimal("250.00"),
        statut=Statut.PARTIELLEMENT_PAYEE,
        numero_commande="BC-9",
    )
    a_echoir = FactureFactory(
        client=client, numero="F-3", date_emission=datetime.date(2026, 11, 1), date_echeance=datetime.date(2026, 12, 1)
    )
    penalites = SimpleNamespace(
        total_interets=Decimal("18.40"), total_indemnites=Decimal("80.00"), total=Decimal("1548.40")
    )

    donnees = contexte_construire(
        organisation=organisation,
        client=client,
        contact=contact,
        factures=[echue, partielle, a_echoir],
        penalites=penalites,
        signataire={"nom": "Camille Bernard", "fonction": "Chargée de recouvrement"},
        liens={"releve": "https://exemple.fr/releve/7"},
        aujourd_hui=aujourd_hui,
    )

    assert [f["jours_retard"] for f in donnees["factures"]] == [50, 15, 0]
    assert donnees["nombre_factures"] == 3
    assert donnees["total_du"] == Decimal("2650.00")
    assert donnees["total_echu"] == Decimal("1450.00")
    assert donnees["retard_max"] == 50
    assert donnees["devise"] == "EUR"
    assert donnees["penalites"] == {
        "interets": Decimal("18.40"),
        "indemnites": Decimal("80.00"),
        "total": Decimal("98.40"),
        "taux": Decimal("0.00"),
    }
    assert donnees["contact"]["nom_complet"] == "Sophie <b>Lefèvre</b>"
    assert donnees["client"]["reference"] == "C-7"
    assert donnees["organisation"]["adresse"] == "3 quai Perrache, 69002 Lyon"
    assert donnees["organisation"]["iban"] == "FR76 3000 6000 0112 3456 7890 189"
    assert donnees["signataire"] == {
        "nom": "Camille Bernard",
        "fonction": "Chargée de recouvrement",
        "email": "",
        "telephone": "",
    }
    assert donnees["affacturage"] == {"mention": "", "affactureur": ""}
    assert donnees["date"] == aujourd_hui

    def donnees_simples(valeur):
        if isinstance(valeur, dict):
            return all(isinstance(cle, str) and donnees_simples(v) for cle, v in valeur.items())
        if isinstance(valeur, list):
            return all(donnees_simples(v) for v in valeur)
        return isinstance(valeur, str | int | bool | Decimal | datetime.date)

    assert donnees_simples(donnees)  # no model instance: a template cannot call a method

    rendu = gabarit_rendre(sujet=SUJET, corps=CORPS, contexte=donnees)
    assert "&lt;b&gt;Lefèvre&lt;/b&gt;" in rendu.html
    assert "<b>" not in rendu.html
    assert "&lt;script&gt;Dupré&lt;/script&gt;" in rendu.html
    assert "<script>" not in rendu.html
    assert "Sophie <b>Lefèvre</b>" in rendu.texte
    assert "BC-9" in rendu.texte
    assert "50 j" in rendu.texte


def test_contexte_construire_without_contact_nor_penalties(scope_a):
    client = ClientFactory()
    facture = FactureFactory(client=client, date_echeance=datetime.date(2026, 10, 1))

    donnees = contexte_construire(
        organisation=scope_a.organisation,
        client=client,
        contact=None,
        factures=[facture],
        aujourd_hui=datetime.date(2026, 9, 21),
    )

    assert donnees["contact"] == dict.fromkeys(("civilite", "prenom", "nom", "nom_complet", "fonction"), "")
    assert donnees["penalites"]["total"] == Decimal("0.00")
    assert donnees["factures"][0]["jours_retard"] == 0
    assert donnees["total_echu"] == Decimal("0.00")
    assert donnees["liens"] == {"releve": ""}


def test_a_factored_invoice_brings_the_mention_and_the_factor(scope_a):
    client = ClientFactory()
    facture = FactureFactory(client=client, support_paiement=SupportPaiement.AFFACTURAGE, affactureur="Factor SA")

    donnees = contexte_construire(
        organisation=scope_a.organisation,
        client=client,
        contact=None,
        factures=[facture],
        aujourd_hui=datetime.date(2026, 11, 1),
        mention_affacturage="Payez l'affactureur.",
    )

    assert donnees["affacturage"] == {"mention": "Payez l'affactureur.", "affactureur": "Factor SA"}
    assert donnees["factures"][0]["affacturee"] is True


def test_contexte_exemple_uses_the_organisation_own_details_and_renders_every_default_template(scope_a):
    organisation = scope_a.organisation
    organisation.iban = "FR7630006000011234567890189"

    donnees = contexte_exemple(organisation=organisation)

    assert donnees["organisation"]["raison_sociale"] == "Alpha Industrie"
    assert donnees["organisation"]["iban"] == "FR76 3000 6000 0112 3456 7890 189"
    for scenario, etape, langue, modele in modeles_defaut():
        rendu = gabarit_rendre(
            sujet=modele.sujet,
            corps=modele.corps,
            contexte=contexte_exemple(
                organisation=organisation, langue=langue, mention_affacturage=scenario.mention_affacturage
            ),
            langue=langue,
        )
        assert rendu.sujet, (scenario.nom, etape.nom)
        assert "Alpha Industrie" in rendu.html, (scenario.nom, etape.nom)
