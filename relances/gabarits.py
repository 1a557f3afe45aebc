"""The message templates of the dunning steps: check, context, render.

An organisation writes the subject and the body of each step, per language, in
Django template syntax. They are compiled by a dedicated engine that knows only
a few tags (``if``, ``for``, ``with``, ``comment``, ``firstof``) and filters
(``FILTRES_PERMIS``): no ``load``, ``include``, ``url``, ``now``, ``autoescape``
nor ``safe``. They are rendered against plain data (dicts, lists, str,
``Decimal``, ``date``), never model instances, so a template cannot call a
method nor reach a row it was not given.

``gabarit_valider`` refuses, when the organisation saves, a template that does
not compile or that names a variable outside the schema below, with the line
and the name; ``gabarit_rendre`` turns a template and a context into a subject,
a plain-text body and an HTML e-mail.

Schema of the context (``VARIABLES`` lists it for the editor, with examples)::

    organisation   raison_sociale, adresse (one line), telephone, email, iban, bic, banque, signature
    client         raison_sociale, siren, reference (external id), adresse (one line), ville
    contact        civilite, prenom, nom, nom_complet, fonction (empty strings without a contact)
    factures       list of {numero, date_emission, date_echeance, montant_ttc, reste_du,
                   jours_retard, devise, numero_commande, affacturee}
    nombre_factures, total_du, total_echu, retard_max (days), devise
    penalites      interets, indemnites, total, taux (zeros when not computed)
    signataire     nom, fonction, email, telephone
    liens          releve (URL of the account statement, may be empty)
    affacturage    mention, affactureur (empty strings when no invoice is factored)
    date           today
    tableau_factures   the invoices as a ready-made table: HTML in the HTML part, aligned text in the text part

In the HTML part everything a template outputs is escaped, its own text
included: the body is plain text whose line breaks become paragraphs.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar, Protocol, cast

from django.core.exceptions import ValidationError
from django.template import Context, Engine, Library, TemplateSyntaxError, defaultfilters, defaulttags
from django.template.base import (
    DebugLexer,
    FilterExpression,
    Node,
    NodeList,
    Parser,
    Template,
    TextNode,
    Token,
    TokenType,
    Variable,
    VariableNode,
)
from django.template.defaulttags import FirstOfNode, ForNode, IfNode, TemplateLiteral, WithNode
from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.models import Client, Contact
from factures.models import Facture
from recouvrement.core.formats import iban_lisible, montant_texte
from recouvrement.tenancy.models import Organisation

# ---------------------------------------------------------------------------
# The schema of the context
# ---------------------------------------------------------------------------

# (path, description, example). ``factures[]`` marks the list and its items;
# ``VARIABLES`` shows the items as ``f.…``, the name of the loop variable in
# the help text and in the default templates.
_DECLARATION: tuple[tuple[str, Any, str], ...] = (
    ("organisation.raison_sociale", gettext_lazy("Raison sociale de votre société"), "Alpha Industrie SAS"),
    ("organisation.adresse", gettext_lazy("Adresse de votre société, sur une ligne"), "12 rue Garibaldi, 69006 Lyon"),
    ("organisation.telephone", gettext_lazy("Téléphone de votre société (peut être vide)"), "04 72 00 00 00"),
    ("organisation.email", gettext_lazy("Adresse e-mail d'expédition"), "recouvrement@alpha-industrie.fr"),
    ("organisation.iban", gettext_lazy("IBAN du compte à créditer"), "FR76 3000 6000 0112 3456 7890 189"),
    ("organisation.bic", gettext_lazy("BIC du compte à créditer"), "AGRIFRPP"),
    ("organisation.banque", gettext_lazy("Banque du compte à créditer"), "Crédit Agricole"),
    ("organisation.signature", gettext_lazy("Signature des e-mails"), "Alpha Industrie SAS — Service clients"),
    ("client.raison_sociale", gettext_lazy("Raison sociale du client"), "Boulangeries Dupré SAS"),
    ("client.siren", gettext_lazy("SIREN du client"), "732829320"),
    ("client.reference", gettext_lazy("Référence du client dans votre logiciel"), "C-00412"),
    ("client.adresse", gettext_lazy("Adresse du client, sur une ligne"), "8 avenue Jean Jaurès, 38000 Grenoble"),
    ("client.ville", gettext_lazy("Ville du client"), "Grenoble"),
    ("contact.civilite", gettext_lazy("Civilité du contact (peut être vide)"), "Mme"),
    ("contact.prenom", gettext_lazy("Prénom du contact"), "Sophie"),
    ("contact.nom", gettext_lazy("Nom du contact"), "Lefèvre"),
    ("contact.nom_complet", gettext_lazy("Prénom et nom du contact (vide sans contact)"), "Sophie Lefèvre"),
    ("contact.fonction", gettext_lazy("Fonction du contact"), "Responsable comptabilité fournisseurs"),
    ("factures[]", gettext_lazy("Factures concernées, à parcourir avec {% for f in factures %}…{% endfor %}"), "…"),
    ("factures[].numero", gettext_lazy("Numéro de la facture (dans la boucle)"), "F2026-0412"),
    ("factures[].date_emission", gettext_lazy("Date d'émission (dans la boucle)"), "15/01/2026"),
    ("factures[].date_echeance", gettext_lazy("Date d'échéance (dans la boucle)"), "14/02/2026"),
    ("factures[].montant_ttc", gettext_lazy("Montant TTC (dans la boucle)"), "4 800,00 €"),
    ("factures[].reste_du", gettext_lazy("Reste dû (dans la boucle)"), "4 800,00 €"),
    ("factures[].jours_retard", gettext_lazy("Jours de retard, 0 avant l'échéance (dans la boucle)"), "42"),
    ("factures[].devise", gettext_lazy("Devise de la facture (dans la boucle)"), "EUR"),
    ("factures[].numero_commande", gettext_lazy("N° de bon de commande (dans la boucle)"), "BC-2026-118"),
    ("factures[].affacturee", gettext_lazy("Facture cédée à l'affactureur, oui ou non (dans la boucle)"), "False"),
    ("nombre_factures", gettext_lazy("Nombre de factures concernées"), "3"),
    ("total_du", gettext_lazy("Total restant dû sur ces factures"), "7 114,56 €"),
    ("total_echu", gettext_lazy("Part échue de ce total"), "7 114,56 €"),
    ("retard_max", gettext_lazy("Plus grand retard, en jours"), "42"),
    ("devise", gettext_lazy("Devise des montants"), "EUR"),
    ("penalites.interets", gettext_lazy("Pénalités de retard calculées"), "64,12 €"),
    ("penalites.indemnites", gettext_lazy("Indemnités forfaitaires (40 € par facture)"), "120,00 €"),
    ("penalites.total", gettext_lazy("Pénalités plus indemnités, hors principal"), "184,12 €"),
    ("penalites.taux", gettext_lazy("Taux annuel des pénalités en %, 0 si non fixé"), "12,15"),
    ("signataire.nom", gettext_lazy("Nom du signataire"), "Camille Bernard"),
    ("signataire.fonction", gettext_lazy("Fonction du signataire"), "Chargée de recouvrement"),
    ("signataire.email", gettext_lazy("E-mail du signataire"), "c.bernard@alpha-industrie.fr"),
    ("signataire.telephone", gettext_lazy("Téléphone du signataire"), "04 72 00 00 01"),
    ("liens.releve", gettext_lazy("Lien vers le relevé de compte du client (peut être vide)"), "https://…"),
    ("affacturage.mention", gettext_lazy("Mention d'affacturage (vide si aucune facture n'est cédée)"), "…"),
    ("affacturage.affactureur", gettext_lazy("Nom de l'affactureur (vide si aucune facture n'est cédée)"), "…"),
    ("date", gettext_lazy("Date du jour"), "28/03/2026"),
    ("tableau_factures", gettext_lazy("Tableau des factures concernées, prêt à insérer"), "…"),
)

# A node of the schema: ``None`` is a value, a dict an object, ``[item]`` a list.
Schema = dict[str, Any]


def _schema_depuis(declaration: Iterable[tuple[str, Any, str]]) -> Schema:
    racine: Schema = {}
    for chemin, _description, _exemple in declaration:
        noeud = racine
        *parents, dernier = chemin.split(".")
        for partie in parents:
            noeud = noeud.setdefault(partie[:-2], [{}])[0] if partie.endswith("[]") else noeud.setdefault(partie, {})
        if dernier.endswith("[]"):
            noeud.setdefault(dernier[:-2], [{}])
        else:
            noeud.setdefault(dernier, None)
    return racine


SCHEMA: Schema = _schema_depuis(_DECLARATION)

VARIABLES: list[tuple[str, Any, str]] = [
    (chemin.replace("factures[].", "f.").replace("[]", ""), description, exemple)
    for chemin, description, exemple in _DECLARATION
]

_FORLOOP_CHAMPS = ("counter", "counter0", "revcounter", "revcounter0", "first", "last", "length")

# ---------------------------------------------------------------------------
# The restricted engine
# ---------------------------------------------------------------------------

BALISES_PERMISES = ("if", "for", "with", "comment", "firstof")
# Intermediate and closing words of the tags above: met out of place, they are
# misplaced rather than unknown.
_BALISES_INTERNES = frozenset(("elif", "else", "endif", "empty", "endfor", "endwith", "endcomment"))
FILTRES_PERMIS = (
    "date",
    "default",
    "upper",
    "lower",
    "title",
    "capfirst",
    "length",
    "pluralize",
    "yesno",
    "join",
    "floatformat",
    "linebreaksbr",
    "first",
    "last",
)


def _montant(value: Any, devise: Any = "EUR") -> str:
    """« 1 234,56 € »; a value that is not a number comes out as it is."""
    try:
        return montant_texte(value, str(devise or "EUR"))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


def _sans_effet(value: Any) -> Any:
    """``linebreaksbr`` in the text part: line breaks are already line breaks there."""
    return value


def _bibliotheque(*, html: bool) -> Library:
    bibliotheque = Library()
    for nom in BALISES_PERMISES:
        bibliotheque.tags[nom] = defaulttags.register.tags[nom]
    for nom in FILTRES_PERMIS:
        bibliotheque.filters[nom] = defaultfilters.register.filters[nom]
    bibliotheque.filters["montant"] = _montant
    if not html:
        bibliotheque.filters["linebreaksbr"] = _sans_effet
    return bibliotheque


class _MoteurRestreint(Engine):
    """An engine with only our library: ``Engine`` otherwise always prepends
    ``default_builtins`` (every built-in tag and filter, ``load`` included) to
    ``builtins``, so ``builtins=[]`` alone would restrict nothing. No loaders:
    nothing can be read from disk. ``debug`` keeps each node's line number."""

    default_builtins: ClassVar[list[str]] = []

    def __init__(self, *, bibliotheque: Library) -> None:
        super().__init__(debug=True, loaders=[], libraries={}, builtins=[], autoescape=True)
        self.template_builtins = [bibliotheque]


_MOTEUR_TEXTE = _MoteurRestreint(bibliotheque=_bibliotheque(html=False))
_MOTEUR_HTML = _MoteurRestreint(bibliotheque=_bibliotheque(html=True))


class _ErreurGabarit(TemplateSyntaxError):
    """A syntax error whose message is already the French one shown to the organisation."""


class _Parser(Parser):
    def invalid_block_tag(self, token: Token, command: str, parse_until: Any = None) -> None:
        if command in _BALISES_INTERNES:
            message = _("balise « %(nom)s » inattendue (ouverture manquante ou mal fermée).")
        else:
            message = _("balise inconnue ou interdite « %(nom)s ».")
        raise self.error(token, _ErreurGabarit(message % {"nom": command}))

    def unclosed_block_tag(self, parse_until: Any) -> None:
        command, token = self.command_stack.pop()
        attendu = next((nom for nom in parse_until if nom.startswith("end")), parse_until[-1])
        message = _("balise « %(nom)s » non fermée : « %(attendu)s » manquant.")
        raise self.error(token, _ErreurGabarit(message % {"nom": command, "attendu": attendu}))

    def find_filter(self, filter_name: str) -> Any:
        if filter_name in self.filters:
            return self.filters[filter_name]
        raise _ErreurGabarit(_("filtre inconnu ou interdit « %(nom)s ».") % {"nom": filter_name})


_LIGNE_COMMENCEE = re.compile(r"\n[ \t]*\Z")
_FIN_DE_LIGNE = re.compile(r"\A[ \t]*\n")
_BLANC_SANS_LIGNE = re.compile(r"\A[ \t]*\Z")


def _rogner_lignes_de_balises(tokens: list[Token]) -> None:
    """Drop the lines that hold only block tags (``{% if %}``, ``{% endfor %}``…).

    Without it every such line leaves an empty line in the output, and the
    paragraphs of the HTML part split where the author wrote none. Tokens keep
    their line numbers, so errors still point at the right line.
    """

    def muette(token: Token) -> bool:
        # ``firstof`` prints something: its line is a line of text.
        return token.token_type == TokenType.COMMENT or (
            token.token_type == TokenType.BLOCK and not token.contents.startswith("firstof")
        )

    coupes: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        if not muette(tokens[i]):
            i += 1
            continue
        # A run of tags, perhaps separated by spaces, on one line.
        j = i
        while j + 1 < len(tokens):
            suivant = tokens[j + 1]
            if muette(suivant):
                j += 1
            elif (
                suivant.token_type == TokenType.TEXT
                and j + 2 < len(tokens)
                and muette(tokens[j + 2])
                and _BLANC_SANS_LIGNE.match(suivant.contents)
            ):
                j += 2
            else:
                break
        avant = tokens[i - 1] if i > 0 else None
        apres = tokens[j + 1] if j + 1 < len(tokens) else None
        debut = avant is None or (
            avant.token_type == TokenType.TEXT
            and bool(_LIGNE_COMMENCEE.search(avant.contents) or (i == 1 and _BLANC_SANS_LIGNE.match(avant.contents)))
        )
        fin = apres is None or (
            apres.token_type == TokenType.TEXT
            and bool(_FIN_DE_LIGNE.match(apres.contents) or (j + 2 == len(tokens) and not apres.contents.strip()))
        )
        if debut and fin:
            coupes.append((i, j))
        i = j + 1
    for i, j in coupes:
        if i > 0:
            tokens[i - 1].contents = re.sub(r"[ \t]*\Z", "", tokens[i - 1].contents)
        for k in range(i, j + 1):
            if tokens[k].token_type == TokenType.TEXT:
                tokens[k].contents = ""
        if j + 1 < len(tokens):
            tokens[j + 1].contents = re.sub(r"\A[ \t]*\n?", "", tokens[j + 1].contents, count=1)


class _Gabarit(Template):
    def compile_nodelist(self) -> NodeList:
        tokens = DebugLexer(self.source).tokenize()
        _rogner_lignes_de_balises(tokens)
        parser = _Parser(tokens, self.engine.template_libraries, self.engine.template_builtins, self.origin)
        nodelist = parser.parse()
        self.extra_data = parser.extra_data
        return nodelist


class _Litteral:
    """A quoted string of a template, as a filter argument that is not marked safe."""

    def __init__(self, valeur: str) -> None:
        self.valeur = valeur

    def resolve(self, context: Any) -> str:
        return self.valeur


def _sans_marque(valeur: Any) -> Any:
    # Django marks quoted strings safe; here they are text to escape like any other.
    return str.__str__(valeur) if isinstance(valeur, str) else valeur


def _expressions_condition(condition: Any) -> Iterator[FilterExpression]:
    if condition is None:
        return
    if isinstance(condition, TemplateLiteral):
        yield cast(FilterExpression, condition.value)
        return
    for membre in (condition.first, condition.second):
        yield from _expressions_condition(membre)


def _expressions(node: Node) -> Iterator[FilterExpression]:
    if isinstance(node, VariableNode):
        yield node.filter_expression
    elif isinstance(node, IfNode):
        for condition, _nodelist in node.conditions_nodelists:
            yield from _expressions_condition(condition)
    elif isinstance(node, ForNode):
        yield cast(FilterExpression, node.sequence)
    elif isinstance(node, WithNode):
        yield from node.extra_context.values()
    elif isinstance(node, FirstOfNode):
        yield from node.vars


def _normaliser(source: str) -> str:
    return source.replace("\r\n", "\n").replace("\r", "\n")


@functools.lru_cache(maxsize=512)
def _compiler(source: str, *, html: bool) -> Template:
    """The compiled template; for the HTML part its own text is escaped and its
    quoted strings lose their « safe » mark. Raises ``TemplateSyntaxError``."""
    gabarit = _Gabarit(source, engine=_MOTEUR_HTML if html else _MOTEUR_TEXTE)
    if html:
        for node in gabarit.nodelist.get_nodes_by_type(Node):
            if isinstance(node, TextNode):
                node.s = escape(node.s)
            for expression in _expressions(node):
                expression.var = _sans_marque(expression.var)
                expression.filters = [
                    (
                        fonction,
                        [
                            (True, _Litteral(_sans_marque(str(arg)))) if not lookup else (lookup, arg)
                            for lookup, arg in args
                        ],
                    )
                    for fonction, args in expression.filters
                ]
    return gabarit


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------

_ERREUR = object()  # the type of an expression already reported as wrong


class _Verificateur:
    """Walks a compiled nodelist and checks every variable path against the schema."""

    def __init__(self) -> None:
        self.erreurs: list[tuple[int, str]] = []

    def signaler(self, ligne: int, message: str) -> None:
        if (ligne, message) not in self.erreurs:
            self.erreurs.append((ligne, message))

    def nodelist(self, nodes: Iterable[Node], portee: Schema) -> None:
        for node in nodes:
            self.node(node, portee)

    def node(self, node: Node, portee: Schema) -> None:
        ligne = _ligne(node)
        if isinstance(node, VariableNode):
            self.expression(node.filter_expression, portee, ligne)
        elif isinstance(node, IfNode):
            for rang, (condition, branche) in enumerate(node.conditions_nodelists):
                # An ``elif`` keeps no token; its branch starts on its line.
                ligne_condition = ligne if rang == 0 or not branche else _ligne(branche[0])
                for expression in _expressions_condition(condition):
                    self.expression(expression, portee, ligne_condition)
                self.nodelist(branche, portee)
        elif isinstance(node, ForNode):
            # (django-stubs type these attributes loosely.)
            expression_sequence = cast(FilterExpression, node.sequence)
            sequence = self.expression(expression_sequence, portee, ligne)
            if len(node.loopvars) > 1:
                self.signaler(
                    ligne, _("Ligne %(ligne)s : une boucle « for » ne prend qu'une variable.") % {"ligne": ligne}
                )
            if isinstance(sequence, list):
                element: Any = sequence[0]
            else:
                if sequence is not _ERREUR:
                    self.signaler(
                        ligne,
                        _("Ligne %(ligne)s : « %(nom)s » n'est pas une liste.")
                        % {"ligne": ligne, "nom": expression_sequence.token},
                    )
                element = _ERREUR
            forloop = dict.fromkeys(_FORLOOP_CHAMPS)
            forloop["parentloop"] = portee.get("forloop", {})
            interieur = {**portee, "forloop": forloop}
            interieur.update(dict.fromkeys(node.loopvars, element))
            self.nodelist(cast(NodeList, node.nodelist_loop), interieur)
            self.nodelist(cast(NodeList, node.nodelist_empty), portee)
        elif isinstance(node, WithNode):
            valeurs = {
                nom: self.expression(expression, portee, ligne) for nom, expression in node.extra_context.items()
            }
            self.nodelist(node.nodelist, {**portee, **valeurs})
        elif isinstance(node, FirstOfNode):
            for expression in node.vars:
                self.expression(expression, portee, ligne)
            if node.asvar:
                portee[node.asvar] = None
        else:
            for attribut in node.child_nodelists:
                self.nodelist(getattr(node, attribut, None) or (), portee)

    def expression(self, expression: FilterExpression, portee: Schema, ligne: int) -> Any:
        """Check an expression; return the schema node of its value."""
        var = expression.var
        if isinstance(var, Variable):
            type_: Any = None if var.lookups is None else self.chemin(var.lookups, portee, ligne)
            if var.translate:
                self.traduction(ligne)
        else:
            type_ = None
            if isinstance(var, Promise):
                self.traduction(ligne)
        for fonction, args in expression.filters:
            for lookup, arg in args:
                if lookup and isinstance(arg, Variable) and arg.lookups is not None:
                    self.chemin(arg.lookups, portee, ligne)
                elif isinstance(arg, Promise) or (isinstance(arg, Variable) and arg.translate):
                    self.traduction(ligne)
            if type_ is _ERREUR:
                continue
            if fonction in (defaultfilters.first, defaultfilters.last) and isinstance(type_, list):
                type_ = type_[0]
            else:
                type_ = None
        return type_

    def chemin(self, parties: tuple[str, ...], portee: Schema, ligne: int) -> Any:
        noeud: Any = portee
        for rang, partie in enumerate(parties):
            parcouru = ".".join(parties[:rang])
            if noeud is _ERREUR:
                return _ERREUR
            if isinstance(noeud, dict) and partie in noeud:
                noeud = noeud[partie]
                continue
            if isinstance(noeud, list) and partie.isdigit():
                noeud = noeud[0]
                continue
            message = _("Ligne %(ligne)s : variable inconnue « %(nom)s ».") % {
                "ligne": ligne,
                "nom": ".".join(parties),
            }
            if isinstance(noeud, dict) and noeud:
                prefixe = f"{parcouru}." if parcouru else ""
                disponibles = ", ".join(f"{prefixe}{nom}" for nom in noeud if nom != "forloop" or not prefixe)
                message += " " + _("Variables disponibles : %(liste)s.") % {"liste": disponibles}
            elif isinstance(noeud, list):
                message += " " + _("« %(nom)s » est une liste : parcourez-la avec {%% for f in %(nom)s %%}.") % {
                    "nom": parcouru
                }
            elif noeud is None:
                message += " " + _("« %(nom)s » est une valeur, sans attributs.") % {"nom": parcouru}
            self.signaler(ligne, message)
            return _ERREUR
        return noeud

    def traduction(self, ligne: int) -> None:
        self.signaler(
            ligne,
            _("Ligne %(ligne)s : _(…) n'est pas permis ; écrivez le texte dans la langue du modèle.")
            % {"ligne": ligne},
        )


def _ligne(node: Node) -> int:
    token = getattr(node, "token", None)
    return int(getattr(token, "lineno", None) or 1)


def _message_syntaxe(erreur: TemplateSyntaxError) -> str:
    token = getattr(erreur, "token", None)
    ligne = getattr(token, "lineno", None) or 1
    if isinstance(erreur, _ErreurGabarit):
        detail = str(erreur)
    elif token is not None and token.token_type == TokenType.VAR and not token.contents:
        detail = _("variable vide « {{ }} ».")
    elif token is not None and token.token_type == TokenType.BLOCK and not token.contents:
        detail = _("balise vide « {% %} ».")
    else:
        detail = _("syntaxe incorrecte dans « %(texte)s » (%(detail)s).") % {
            "texte": getattr(token, "contents", ""),
            "detail": erreur,
        }
    return _("Ligne %(ligne)s : %(detail)s") % {"ligne": ligne, "detail": detail}


@functools.lru_cache(maxsize=512)
def _erreurs(source: str, *, sujet: bool, langue: str | None) -> tuple[str, ...]:
    """The French (or active language) messages of what is wrong in ``source``.

    ``langue`` is only part of the cache key: messages are translated.
    """
    erreurs: list[tuple[int, str]] = []
    if not source.strip():
        return ((_("L'objet est vide.") if sujet else _("Le message est vide.")),)
    if sujet and "\n" in source.strip():
        erreurs.append((1, _("L'objet doit tenir sur une seule ligne.")))
    try:
        gabarit = _compiler(source, html=False)
    except TemplateSyntaxError as erreur:
        return (*(message for _ligne_, message in erreurs), _message_syntaxe(erreur))
    verificateur = _Verificateur()
    verificateur.nodelist(gabarit.nodelist, dict(SCHEMA))
    erreurs.extend(verificateur.erreurs)
    # Django leaves an unclosed "{{ x" or "{% if" as plain text: it would reach the customer as is.
    for node in gabarit.nodelist.get_nodes_by_type(TextNode):
        texte = cast(TextNode, node).s
        for marqueur in ("{{", "{%", "}}", "%}"):
            position = texte.find(marqueur)
            if position >= 0:
                ligne = _ligne(node) + texte.count("\n", 0, position)
                erreurs.append(
                    (
                        ligne,
                        _("Ligne %(ligne)s : « %(marqueur)s » sans sa contrepartie ; vérifiez les accolades.")
                        % {"ligne": ligne, "marqueur": marqueur},
                    )
                )
                break
    if sujet:
        for node in gabarit.nodelist.get_nodes_by_type(VariableNode):
            var = cast(VariableNode, node).filter_expression.var
            if isinstance(var, Variable) and var.lookups == ("tableau_factures",):
                ligne = _ligne(node)
                erreurs.append(
                    (
                        ligne,
                        _("Ligne %(ligne)s : « tableau_factures » n'a pas sa place dans l'objet.") % {"ligne": ligne},
                    )
                )
    return tuple(message for _ligne_, message in sorted(erreurs, key=lambda erreur: erreur[0]))


def gabarit_valider(*, sujet: str, corps: str) -> None:
    """Refuse a subject or a body that does not compile or that names a variable outside ``SCHEMA``.

    Raises ``ValidationError({"sujet": [...], "corps": [...]})`` with every
    message of each field, each giving the line and the name at fault. Call it
    when the organisation saves a template, so nothing fails at send time.
    """
    langue = translation.get_language()
    erreurs = {
        champ: list(messages)
        for champ, messages in (
            ("sujet", _erreurs(_normaliser(sujet), sujet=True, langue=langue)),
            ("corps", _erreurs(_normaliser(corps), sujet=False, langue=langue)),
        )
        if messages
    }
    if erreurs:
        raise ValidationError(erreurs)


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageRendu:
    """A rendered message: ``html`` is the whole e-mail; ``corps_html`` the body
    alone (paragraphs and table), for a PDF letter laid out elsewhere."""

    sujet: str
    texte: str
    html: str
    corps_html: str


# Stands for the table while the HTML body is turned into paragraphs; no
# filter changes it and no text carries it.
_PLACE_DU_TABLEAU = "\ufffc"

_POLICE = "font-family:Arial,Helvetica,sans-serif;"
_STYLE_P = "margin:0 0 14px 0;"
_STYLE_TABLE = f"border-collapse:collapse;width:100%;margin:4px 0 18px 0;{_POLICE}font-size:13px;color:#1f2933;"
_STYLE_TH = "padding:6px 8px;border-bottom:2px solid #1f3a5f;background:#f1f4f8;font-weight:bold;white-space:nowrap;"
_STYLE_TD = "padding:6px 8px;border-bottom:1px solid #e4e7eb;white-space:nowrap;"
_STYLE_TOTAL = "padding:6px 8px;border-top:2px solid #1f3a5f;font-weight:bold;white-space:nowrap;"


def _date_courte(valeur: Any) -> str:
    if isinstance(valeur, datetime.date):
        return formats.date_format(valeur, "SHORT_DATE_FORMAT")
    return str(valeur or "")


def _retard(jours: Any) -> str:
    return _("%(n)s j") % {"n": jours} if isinstance(jours, int) and jours > 0 else "—"


def _somme(factures: list[Mapping[str, Any]], cle: str) -> Decimal:
    total = Decimal("0.00")
    for facture in factures:
        try:
            total += Decimal(facture.get(cle) or 0)
        except (InvalidOperation, TypeError, ValueError):
            continue
    return total


def _lignes_tableau(contexte: Mapping[str, Any]) -> tuple[list[str], list[list[str]], list[str], list[bool]]:
    """Header, rows, total row and right alignment of each column of the invoice table."""
    factures: list[Mapping[str, Any]] = list(contexte.get("factures") or [])
    devise = str(contexte.get("devise") or "EUR")
    avec_commande = any(facture.get("numero_commande") for facture in factures)
    entete = [_("Facture"), _("Date"), _("Échéance"), _("Montant TTC"), _("Reste dû"), _("Retard")]
    a_droite = [False, False, False, True, True, True]
    if avec_commande:
        entete.insert(1, _("Commande"))
        a_droite.insert(1, False)
    lignes = []
    for facture in factures:
        devise_facture = str(facture.get("devise") or devise)
        ligne = [
            str(facture.get("numero", "")),
            _date_courte(facture.get("date_emission")),
            _date_courte(facture.get("date_echeance")),
            _montant(facture.get("montant_ttc"), devise_facture),
            _montant(facture.get("reste_du"), devise_facture),
            _retard(facture.get("jours_retard")),
        ]
        if avec_commande:
            ligne.insert(1, str(facture.get("numero_commande") or ""))
        lignes.append(ligne)
    total = [
        _("Total"),
        "",
        "",
        _montant(_somme(factures, "montant_ttc"), devise),
        _montant(_somme(factures, "reste_du"), devise),
        "",
    ]
    if avec_commande:
        total.insert(1, "")
    return entete, lignes, total, a_droite


def _tableau_texte(contexte: Mapping[str, Any]) -> str:
    entete, lignes, total, a_droite = _lignes_tableau(contexte)
    if not lignes:
        return ""
    largeurs = [max(len(ligne[col]) for ligne in (entete, *lignes, total)) for col in range(len(entete))]

    def aligner(ligne: list[str]) -> str:
        cellules = [
            cellule.rjust(largeur) if droite else cellule.ljust(largeur)
            for cellule, largeur, droite in zip(ligne, largeurs, a_droite, strict=True)
        ]
        return "  ".join(cellules).rstrip()

    trait = "-" * len("  ".join(" " * largeur for largeur in largeurs))
    return "\n".join([aligner(entete), trait, *(aligner(ligne) for ligne in lignes), trait, aligner(total)])


def _tableau_html(contexte: Mapping[str, Any]) -> str:
    entete, lignes, total, a_droite = _lignes_tableau(contexte)
    if not lignes:
        return ""

    def cellules(ligne: list[str], balise: str, style: str) -> str:
        return "".join(
            f'<{balise} style="{style}text-align:{"right" if droite else "left"};">{escape(cellule)}</{balise}>'
            for cellule, droite in zip(ligne, a_droite, strict=True)
        )

    corps = "".join(f"<tr>{cellules(ligne, 'td', _STYLE_TD)}</tr>" for ligne in lignes)
    return (
        f'<table cellpadding="0" cellspacing="0" style="{_STYLE_TABLE}">'
        f"<thead><tr>{cellules(entete, 'th', _STYLE_TH)}</tr></thead>"
        f"<tbody>{corps}</tbody>"
        f"<tfoot><tr>{cellules(total, 'td', _STYLE_TOTAL)}</tr></tfoot>"
        "</table>"
    )


_BLANCS = re.compile(r"[ \t\n\r\f\v]+")


def _nettoyer(texte: str) -> str:
    """Trailing spaces off, at most one empty line in a row, no blank edges."""
    lignes = [ligne.rstrip() for ligne in _normaliser(texte).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lignes)).strip("\n")


def _paragraphes(html_echappe: str, tableau: str) -> str:
    """Escaped text → ``<p>`` per paragraph, ``<br>`` per line, the table in its own block."""
    blocs = []
    for paragraphe in re.split(r"\n{2,}", _nettoyer(html_echappe)):
        for rang, morceau in enumerate(paragraphe.split(_PLACE_DU_TABLEAU)):
            if rang:
                blocs.append(tableau)
            texte = morceau.strip()
            if texte:
                lignes = "<br>\n".join(ligne.strip() for ligne in texte.split("\n"))
                blocs.append(f'<p style="{_STYLE_P}">{lignes}</p>')
    return "\n".join(blocs)


def _mise_en_page(*, sujet: str, corps: str, contexte: Mapping[str, Any]) -> str:
    organisation: Mapping[str, Any] = contexte.get("organisation") or {}
    liens: Mapping[str, Any] = contexte.get("liens") or {}
    nom = escape(organisation.get("raison_sociale") or "")
    signature = _nettoyer(str(organisation.get("signature") or ""))
    bloc_signature = (
        f'<p style="{_STYLE_P}color:#52606d;">{"<br>".join(escape(ligne) for ligne in signature.split(chr(10)))}</p>'
        if signature
        else ""
    )
    pied = " · ".join(
        escape(valeur)
        for valeur in (
            organisation.get("raison_sociale"),
            organisation.get("adresse"),
            organisation.get("telephone"),
            organisation.get("email"),
        )
        if valeur
    )
    releve = str(liens.get("releve") or "")
    if releve:
        libelle = _("Consulter votre relevé de compte")
        pied += f'<br><a href="{escape(releve)}" style="color:#1f3a5f;">{escape(libelle)}</a>'
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(translation.get_language() or "fr")}">\n'
        '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(sujet)}</title></head>\n"
        '<body style="margin:0;padding:0;background:#f4f5f7;">\n'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f5f7;">'
        '<tr><td align="center" style="padding:24px 12px;">\n'
        '<table role="presentation" width="640" cellpadding="0" cellspacing="0" '
        'style="width:100%;max-width:640px;background:#ffffff;border:1px solid #e4e7eb;">\n'
        f'<tr><td style="padding:18px 28px;border-bottom:3px solid #1f3a5f;{_POLICE}font-size:18px;'
        f'font-weight:bold;color:#1f3a5f;">{nom}</td></tr>\n'
        f'<tr><td style="padding:24px 28px;{_POLICE}font-size:14px;line-height:1.5;color:#1f2933;">\n'
        f"{corps}\n{bloc_signature}\n</td></tr>\n"
        f'<tr><td style="padding:14px 28px;background:#f9fafb;border-top:1px solid #e4e7eb;{_POLICE}'
        f'font-size:12px;line-height:1.4;color:#7b8794;">{pied}</td></tr>\n'
        "</table>\n</td></tr></table>\n</body>\n</html>\n"
    )


def gabarit_rendre(*, sujet: str, corps: str, contexte: Mapping[str, Any], langue: str | None = None) -> MessageRendu:
    """Render a subject and a body against ``contexte`` (from ``contexte_construire`` or ``contexte_exemple``).

    ``tableau_factures`` is computed here from ``contexte["factures"]``. Dates,
    amounts and the table headers follow ``langue`` (default: the active
    language). Raises ``ValidationError`` like ``gabarit_valider`` for a
    template that should never have been saved: better no e-mail than a wrong one.
    """
    with translation.override(langue) if langue else nullcontext():
        gabarit_valider(sujet=sujet, corps=corps)
        sujet, corps = _normaliser(sujet), _normaliser(corps)
        texte_ctx = {**contexte, "tableau_factures": _tableau_texte(contexte)}
        html_ctx = {**contexte, "tableau_factures": mark_safe(_PLACE_DU_TABLEAU)}  # noqa: S308 (a constant)

        # Collapse ordinary white space only: the no-break spaces of amounts stay.
        sujet_rendu = _BLANCS.sub(
            " ", _compiler(sujet, html=False).render(Context(texte_ctx, autoescape=False))
        ).strip()
        texte = _nettoyer(_compiler(corps, html=False).render(Context(texte_ctx, autoescape=False)))
        signature = _nettoyer(str((contexte.get("organisation") or {}).get("signature") or ""))
        if signature:
            texte = f"{texte}\n\n-- \n{signature}"
        html_echappe = _compiler(corps, html=True).render(Context(html_ctx, autoescape=True))
        corps_html = _paragraphes(html_echappe, _tableau_html(contexte))
        html = _mise_en_page(sujet=sujet_rendu, corps=corps_html, contexte=contexte)
    return MessageRendu(sujet=sujet_rendu, texte=texte + "\n", html=html, corps_html=corps_html)


# ---------------------------------------------------------------------------
# Contexts
# ---------------------------------------------------------------------------


class PenalitesCalculees(Protocol):
    """What ``contexte_construire`` reads of computed penalties (``relances.penalites.Penalites`` fits).

    An optional ``taux`` (or ``taux_contractuel``), in percent, is read too.
    """

    @property
    def total_interets(self) -> Decimal: ...

    @property
    def total_indemnites(self) -> Decimal: ...


_ZERO = Decimal("0.00")


def _une_ligne(*parties: str) -> str:
    return ", ".join(partie.strip() for partie in parties if partie and partie.strip())


def _organisation(organisation: Organisation) -> dict[str, Any]:
    return {
        "raison_sociale": organisation.raison_sociale,
        "adresse": _une_ligne(
            organisation.adresse,
            organisation.adresse_complement,
            f"{organisation.code_postal} {organisation.ville}",
            "" if organisation.pays == "FR" else organisation.pays,
        ),
        # Not a field of Organisation yet: read it when it becomes one.
        "telephone": str(getattr(organisation, "telephone", "") or ""),
        "email": organisation.expediteur_email,
        "iban": iban_lisible(organisation.iban),
        "bic": organisation.bic,
        "banque": organisation.banque,
        "signature": organisation.signature,
    }


def _vide(*cles: str) -> dict[str, str]:
    return dict.fromkeys(cles, "")


def _totaux(factures: list[dict[str, Any]], aujourd_hui: datetime.date) -> dict[str, Any]:
    return {
        "nombre_factures": len(factures),
        "total_du": sum((f["reste_du"] for f in factures), _ZERO),
        "total_echu": sum((f["reste_du"] for f in factures if f["date_echeance"] < aujourd_hui), _ZERO),
        "retard_max": max((f["jours_retard"] for f in factures), default=0),
    }


def contexte_construire(
    *,
    organisation: Organisation,
    client: Client,
    contact: Contact | None,
    factures: Iterable[Facture],
    penalites: PenalitesCalculees | None = None,
    signataire: Mapping[str, Any] | None = None,
    liens: Mapping[str, Any] | None = None,
    aujourd_hui: datetime.date,
    mention_affacturage: str = "",
) -> dict[str, Any]:
    """The context of a message from real rows, as plain data.

    ``organisation``: a tenancy ``Organisation``; ``client``: a ``Client``;
    ``contact``: a ``Contact`` or ``None``; ``factures``: the ``Facture`` rows
    concerned, all of this client and in one currency (the totals add them up);
    ``penalites``: anything with ``total_interets``, ``total_indemnites`` and
    optionally ``taux`` (its own ``total`` is not read: the context's
    ``penalites.total`` is interest plus indemnities, without the principal);
    ``mention_affacturage``: the scenario's mention, shown only when an
    invoice is factored. Reads only the objects' own fields: no query.
    """
    lignes = []
    for facture in factures:
        lignes.append(
            {
                "numero": facture.numero,
                "date_emission": facture.date_emission,
                "date_echeance": facture.date_echeance,
                "montant_ttc": facture.montant_ttc,
                "reste_du": facture.reste_du,
                "jours_retard": max(0, (aujourd_hui - facture.date_echeance).days),
                "devise": facture.devise,
                "numero_commande": facture.numero_commande,
                "affacturee": bool(facture.est_affacturee),
                "_affactureur": facture.affactureur,
            }
        )
    affactureur = next((ligne["_affactureur"] or client.affactureur for ligne in lignes if ligne["affacturee"]), None)
    for ligne in lignes:
        del ligne["_affactureur"]
    devises = {ligne["devise"] for ligne in lignes}
    return {
        "organisation": _organisation(organisation),
        "client": {
            "raison_sociale": client.raison_sociale,
            "siren": client.siren,
            "reference": client.external_id,
            "adresse": _une_ligne(
                client.adresse,
                client.adresse_complement,
                f"{client.code_postal} {client.ville}",
                "" if client.pays == "FR" else client.pays,
            ),
            "ville": client.ville,
        },
        "contact": (
            {
                "civilite": contact.civilite,
                "prenom": contact.prenom,
                "nom": contact.nom,
                "nom_complet": " ".join(partie for partie in (contact.prenom, contact.nom) if partie),
                "fonction": contact.fonction,
            }
            if contact is not None
            else _vide("civilite", "prenom", "nom", "nom_complet", "fonction")
        ),
        "factures": lignes,
        **_totaux(lignes, aujourd_hui),
        "devise": devises.pop() if len(devises) == 1 else client.devise,
        "penalites": (
            {
                "interets": penalites.total_interets,
                "indemnites": penalites.total_indemnites,
                # Interest plus indemnities, whatever ``penalites.total`` adds
                # (``relances.penalites`` includes the principal there).
                "total": penalites.total_interets + penalites.total_indemnites,
                "taux": getattr(penalites, "taux", None) or getattr(penalites, "taux_contractuel", None) or _ZERO,
            }
            if penalites is not None
            else {"interets": _ZERO, "indemnites": _ZERO, "total": _ZERO, "taux": _ZERO}
        ),
        "signataire": {
            cle: str((signataire or {}).get(cle) or "") for cle in ("nom", "fonction", "email", "telephone")
        },
        "liens": {"releve": str((liens or {}).get("releve") or "")},
        "affacturage": (
            {"mention": mention_affacturage, "affactureur": affactureur}
            if affactureur is not None
            else _vide("mention", "affactureur")
        ),
        "date": aujourd_hui,
    }


_EXEMPLE = {
    "fr": {
        "contact_fonction": "Responsable comptabilité fournisseurs",
        "signataire_fonction": "Chargée de recouvrement",
    },
    "en": {
        "contact_fonction": "Accounts payable manager",
        "signataire_fonction": "Credit controller",
    },
}


def contexte_exemple(
    *, organisation: Organisation | None = None, langue: str = "fr", mention_affacturage: str = ""
) -> dict[str, Any]:
    """Sample data for a preview without real rows: a client company, three
    overdue invoices, totals and penalties, a signer. With ``organisation``,
    its own name, address, bank details and signature; with
    ``mention_affacturage``, the invoices are factored and the mention shows."""
    aujourd_hui = timezone.localdate()
    textes = _EXEMPLE.get(langue, _EXEMPLE["fr"])
    taux = Decimal("12.15")
    factures: list[dict[str, Any]] = []
    for numero, commande, emission, echeance, ttc, reste in (
        ("F2026-0412", "BC-2026-118", 72, 42, Decimal("4800.00"), Decimal("4800.00")),
        ("F2026-0457", "", 48, 18, Decimal("1234.56"), Decimal("1234.56")),
        ("F2026-0501", "BC-2026-131", 33, 3, Decimal("2160.00"), Decimal("1080.00")),
    ):
        factures.append(
            {
                "numero": numero,
                "date_emission": aujourd_hui - datetime.timedelta(days=emission),
                "date_echeance": aujourd_hui - datetime.timedelta(days=echeance),
                "montant_ttc": ttc,
                "reste_du": reste,
                "jours_retard": echeance,
                "devise": "EUR",
                "numero_commande": commande,
                "affacturee": bool(mention_affacturage),
            }
        )
    interets = sum((f["reste_du"] * taux / 100 * f["jours_retard"] / 365 for f in factures), Decimal("0")).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    indemnites = Decimal("40.00") * len(factures)
    if organisation is not None:
        donnees_organisation = _organisation(organisation)
    else:
        donnees_organisation = {
            "raison_sociale": "Alpha Industrie SAS",
            "adresse": "12 rue Garibaldi, 69006 Lyon",
            "telephone": "04 72 00 00 00",
            "email": "recouvrement@alpha-industrie.fr",
            "iban": "FR76 3000 6000 0112 3456 7890 189",
            "bic": "AGRIFRPP",
            "banque": "Crédit Agricole",
            "signature": "Alpha Industrie SAS\n12 rue Garibaldi, 69006 Lyon — 04 72 00 00 00",
        }
    return {
        "organisation": donnees_organisation,
        "client": {
            "raison_sociale": "Boulangeries Dupré SAS",
            "siren": "732829320",
            "reference": "C-00412",
            "adresse": "8 avenue Jean Jaurès, 38000 Grenoble",
            "ville": "Grenoble",
        },
        "contact": {
            "civilite": "Mme",
            "prenom": "Sophie",
            "nom": "Lefèvre",
            "nom_complet": "Sophie Lefèvre",
            "fonction": textes["contact_fonction"],
        },
        "factures": factures,
        **_totaux(factures, aujourd_hui),
        "devise": "EUR",
        "penalites": {"interets": interets, "indemnites": indemnites, "total": interets + indemnites, "taux": taux},
        "signataire": {
            "nom": "Camille Bernard",
            "fonction": textes["signataire_fonction"],
            "email": "c.bernard@alpha-industrie.fr",
            "telephone": "04 72 00 00 01",
        },
        "liens": {"releve": "https://recouvrement.example/releve/exemple"},
        "affacturage": (
            {"mention": mention_affacturage, "affactureur": "Factor Exemple SA"}
            if mention_affacturage
            else _vide("mention", "affactureur")
        ),
        "date": aujourd_hui,
    }
