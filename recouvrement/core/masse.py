"""What a bulk write (API bulk endpoints, CSV/XLSX imports) answers, line by line.

The bulk upserts (``clients.masse``, ``factures.masse``) take a list of rows
already converted to Python values (``Decimal``, ``date``, ``bool``…) by their
caller (the API's parsing of JSON, the import's parsing of French CSV cells);
they check every row against the business rules and the database, and report
per row. With ``tout_ou_rien`` a single bad row writes nothing; without it, the
good rows are written (in one transaction) and the bad ones reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class StatutLigne(StrEnum):
    CREE = "cree"
    MIS_A_JOUR = "mis_a_jour"
    INCHANGE = "inchange"
    ERREUR = "erreur"
    # A good row not written because another row was bad and the call was all-or-nothing.
    NON_ECRIT = "non_ecrit"


@dataclass(frozen=True)
class ErreurLigne:
    """One problem of one row: ``index`` is its 0-based position in the input, ``champ``
    the field (its path, e.g. ``lettrages.0.montant``), ``message`` translated in the active language."""

    index: int
    champ: str
    code: str
    message: str


@dataclass
class ResultatLigne:
    index: int
    statut: StatutLigne
    id: int | None = None
    erreurs: list[ErreurLigne] = field(default_factory=list)


@dataclass
class ResultatMasse:
    lignes: list[ResultatLigne]
    # Whether anything was written (False when all-or-nothing met a bad row, or every row was bad).
    ecrit: bool

    def _compter(self, statut: StatutLigne) -> int:
        return sum(1 for ligne in self.lignes if ligne.statut == statut)

    @property
    def crees(self) -> int:
        return self._compter(StatutLigne.CREE)

    @property
    def mis_a_jour(self) -> int:
        return self._compter(StatutLigne.MIS_A_JOUR)

    @property
    def inchanges(self) -> int:
        return self._compter(StatutLigne.INCHANGE)

    @property
    def en_erreur(self) -> int:
        return self._compter(StatutLigne.ERREUR)

    @property
    def erreurs(self) -> list[ErreurLigne]:
        return [erreur for ligne in self.lignes for erreur in ligne.erreurs]


# ---------------------------------------------------------------------------
# Helpers shared by the bulk upserts (``clients.masse``, ``factures.masse``).
# ---------------------------------------------------------------------------

import datetime  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from decimal import Decimal, InvalidOperation  # noqa: E402
from typing import Any, cast  # noqa: E402

from django.db import connection, models  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.db.models.expressions import RawSQL  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402

# Rows read, validated and written per chunk: one query per chunk for each lookup,
# so the number of queries does not grow with the rows (up to this size).
TAILLE_LOT = 5000
# Called with the number of rows done, after each chunk (an import's progress bar).
Progression = Callable[[int], None] | None
# Characters a text value of a field without ``max_length`` (a TextField) may have.
TEXTE_MAX = 20000

TEXTE, ENTIER, BOOLEEN, MONTANT, DATE, LISTE = "texte", "entier", "booleen", "montant", "date", "liste"


@dataclass(frozen=True)
class Champ:
    """What a bulk row may carry in one field, and how it is checked before any query."""

    nom: str
    type: str
    max_length: int | None = None
    choix: tuple[str, ...] = ()
    # Required when the row creates (absent, None or blank is refused).
    requis: bool = False
    # ``None`` accepted (stored as NULL, or as "" for a text field).
    nullable: bool = True
    minimum: int | Decimal | None = None
    maximum: int | Decimal | None = None


def champ_du_modele(model: type[models.Model], nom: str, **autres: Any) -> Champ:
    """A ``Champ`` from the model field's type, max length, choices and blank/null."""
    field = cast("models.Field[Any, Any]", model._meta.get_field(nom))
    if isinstance(field, models.BooleanField):
        genre = BOOLEEN
    elif isinstance(field, models.DecimalField):
        genre = MONTANT
    elif isinstance(field, models.IntegerField):
        genre = ENTIER
    elif isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
        genre = DATE
    else:
        genre = TEXTE
    valeurs: dict[str, Any] = {
        "type": genre,
        "max_length": getattr(field, "max_length", None),
        "choix": tuple(str(v) for v, _label in field.choices) if field.choices else (),
        "requis": not field.blank and not field.has_default(),
        "nullable": field.null or genre == TEXTE,
    }
    if isinstance(field, (models.PositiveSmallIntegerField, models.PositiveIntegerField)):
        valeurs["minimum"] = 0
    if isinstance(field, (models.SmallIntegerField, models.PositiveSmallIntegerField)):
        valeurs["maximum"] = 32767
    elif isinstance(field, (models.IntegerField, models.PositiveIntegerField)) and not isinstance(
        field, models.BigIntegerField
    ):
        valeurs["maximum"] = 2147483647
    if genre == MONTANT:
        max_digits = cast("models.DecimalField[Any, Any]", field).max_digits or 14
        decimal_places = cast("models.DecimalField[Any, Any]", field).decimal_places or 2
        valeurs["maximum"] = Decimal(10) ** (max_digits - decimal_places)
    valeurs.update(autres)
    return Champ(nom=nom, **valeurs)


def _nom_du_type(genre: str) -> str:
    noms = {
        TEXTE: _("texte"),
        ENTIER: _("nombre entier"),
        BOOLEEN: _("booléen"),
        MONTANT: _("montant décimal"),
        DATE: _("date"),
        LISTE: _("liste"),
    }
    return noms[genre]


def message_requis() -> str:
    return _("Ce champ est obligatoire.")


class Lignes:
    """The per-row outcome being built: errors by row, then the final ``ResultatMasse``."""

    def __init__(self, nombre: int) -> None:
        self.erreurs: list[list[ErreurLigne]] = [[] for _i in range(nombre)]
        self.statuts: list[StatutLigne | None] = [None] * nombre
        self.ids: list[int | None] = [None] * nombre

    def erreur(self, index: int, champ: str, code: str, message: str) -> None:
        self.erreurs[index].append(ErreurLigne(index=index, champ=champ, code=code, message=str(message)))

    def en_erreur(self, index: int) -> bool:
        return bool(self.erreurs[index])

    def a_des_erreurs(self) -> bool:
        return any(self.erreurs)

    def resultat(self, *, bloque: bool) -> ResultatMasse:
        """``bloque``: all-or-nothing met a bad row, nothing was written (good rows are ``non_ecrit``)."""
        lignes = []
        for index, erreurs in enumerate(self.erreurs):
            if erreurs:
                lignes.append(ResultatLigne(index=index, statut=StatutLigne.ERREUR, erreurs=list(erreurs)))
            elif bloque:
                lignes.append(ResultatLigne(index=index, statut=StatutLigne.NON_ECRIT, id=self.ids[index]))
            else:
                statut = self.statuts[index] or StatutLigne.INCHANGE
                lignes.append(ResultatLigne(index=index, statut=statut, id=self.ids[index]))
        ecrit = not bloque and any(not erreurs for erreurs in self.erreurs)
        return ResultatMasse(lignes=lignes, ecrit=ecrit)


def valeur_verifier(*, champ: Champ, valeur: Any, index: int, lignes: Lignes, prefixe: str = "") -> tuple[bool, Any]:
    """Check one typed value against ``champ``; return (ok, value normalised: text stripped, None → "")."""
    nom = prefixe + champ.nom
    if valeur is None:
        if not champ.nullable or champ.requis:
            lignes.erreur(index, nom, "requis", message_requis())
            return False, None
        return True, "" if champ.type == TEXTE else None
    genre = champ.type
    if genre == TEXTE:
        if not isinstance(valeur, str):
            return _type_invalide(champ, nom, index, lignes)
        if "\x00" in valeur:
            lignes.erreur(index, nom, "caractere_invalide", _("Le caractère nul n'est pas accepté."))
            return False, None
        valeur = valeur.strip()
        if not valeur and champ.requis:
            lignes.erreur(index, nom, "requis", message_requis())
            return False, None
        limite = champ.max_length or TEXTE_MAX
        if len(valeur) > limite:
            lignes.erreur(
                index,
                nom,
                "trop_long",
                _("Au plus %(max)s caractères (%(n)s donnés).") % {"max": limite, "n": len(valeur)},
            )
            return False, None
        if champ.choix and valeur not in champ.choix and not (valeur == "" and champ.nullable and not champ.requis):
            lignes.erreur(
                index,
                nom,
                "choix_invalide",
                _("Valeur non reconnue : « %(valeur)s ». Valeurs possibles : %(choix)s.")
                % {"valeur": valeur[:50], "choix": ", ".join(champ.choix)},
            )
            return False, None
        return True, valeur
    if genre == BOOLEEN:
        if not isinstance(valeur, bool):
            return _type_invalide(champ, nom, index, lignes)
        return True, valeur
    if genre == ENTIER:
        if isinstance(valeur, bool) or not isinstance(valeur, int):
            return _type_invalide(champ, nom, index, lignes)
        if (champ.minimum is not None and valeur < champ.minimum) or (
            champ.maximum is not None and valeur > champ.maximum
        ):
            lignes.erreur(
                index,
                nom,
                "hors_bornes",
                _("La valeur doit être comprise entre %(min)s et %(max)s.")
                % {"min": champ.minimum if champ.minimum is not None else "…", "max": champ.maximum or "…"},
            )
            return False, None
        if abs(valeur) > 2**63 - 1:
            lignes.erreur(index, nom, "hors_bornes", _("Valeur trop grande."))
            return False, None
        return True, valeur
    if genre == MONTANT:
        if isinstance(valeur, bool) or not isinstance(valeur, (Decimal, int)):
            return _type_invalide(champ, nom, index, lignes)
        montant = montant_verifier(valeur, maximum=cast("Decimal | None", champ.maximum))
        if montant is None:
            lignes.erreur(index, nom, "montant_invalide", _("Un montant s'exprime en euros et centimes."))
            return False, None
        if champ.minimum is not None and montant < champ.minimum:
            lignes.erreur(index, nom, "montant_invalide", _("Le montant ne peut être négatif."))
            return False, None
        return True, montant
    if genre == DATE:
        if isinstance(valeur, datetime.datetime) or not isinstance(valeur, datetime.date):
            return _type_invalide(champ, nom, index, lignes)
        return True, valeur
    if genre == LISTE:
        if isinstance(valeur, (str, bytes, Mapping)) or not isinstance(valeur, Sequence):
            return _type_invalide(champ, nom, index, lignes)
        return True, list(valeur)
    raise AssertionError(genre)


CENTIME = Decimal("0.01")


def montant_verifier(valeur: Decimal | int, *, maximum: Decimal | None = None) -> Decimal | None:
    """The amount with two decimals, or None when it is not a finite amount in cents within ``maximum``."""
    try:
        montant = Decimal(valeur)
        if not montant.is_finite() or montant != montant.quantize(CENTIME):
            return None
        montant = montant.quantize(CENTIME)
    except (ArithmeticError, InvalidOperation, TypeError, ValueError):
        return None
    if maximum is not None and abs(montant) >= maximum:
        return None
    return montant


def _type_invalide(champ: Champ, nom: str, index: int, lignes: Lignes) -> tuple[bool, Any]:
    lignes.erreur(
        index,
        nom,
        "type_invalide",
        _("Valeur de type incorrect (attendu : %(type)s).") % {"type": _nom_du_type(champ.type)},
    )
    return False, None


def ligne_verifier(
    *, ligne: Any, champs: Mapping[str, Champ], index: int, lignes: Lignes, prefixe: str = ""
) -> dict[str, Any]:
    """Check the keys and the types of one row; return its good fields (normalised)."""
    propres: dict[str, Any] = {}
    if not isinstance(ligne, Mapping):
        lignes.erreur(
            index, prefixe.rstrip("."), "type_invalide", _("Chaque ligne doit être un objet (champ : valeur).")
        )
        return propres
    for cle, valeur in ligne.items():
        champ = champs.get(cle) if isinstance(cle, str) else None
        if champ is None:
            lignes.erreur(index, prefixe + str(cle)[:100], "champ_inconnu", _("Champ inconnu."))
            continue
        ok, propre = valeur_verifier(champ=champ, valeur=valeur, index=index, lignes=lignes, prefixe=prefixe)
        if ok:
            propres[cle] = propre
    return propres


def requis_verifier(
    *, propres: Mapping[str, Any], ligne: Any, champs: Iterable[Champ], index: int, lignes: Lignes, prefixe: str = ""
) -> None:
    """On create: every required field is given and not blank (fields already in error are skipped)."""
    for champ in champs:
        if not champ.requis:
            continue
        if isinstance(ligne, Mapping) and champ.nom in ligne and champ.nom not in propres:
            continue  # already reported
        valeur = propres.get(champ.nom)
        if valeur is None or valeur == "":
            lignes.erreur(index, prefixe + champ.nom, "requis", message_requis())


@contextmanager
def sans_ramasse_miettes() -> Iterator[None]:
    """The cyclic garbage collector paused during a bulk write (as a ``with`` or a decorator).

    A call of 5,000 rows makes and keeps hundreds of thousands of small objects (typed rows,
    model rows read, array literals, per-row results): each burst of allocations started a
    collection that walked every object of the process, about 0.2 s per call. None of these
    objects forms a cycle that must be freed during the call; whatever does is collected once
    the collector is back. The previous state is restored (nested uses keep it paused).
    """
    actif = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if actif:
            gc.enable()


def par_lots(nombre: int, taille: int = TAILLE_LOT) -> Iterable[range]:
    for debut in range(0, nombre, taille):
        yield range(debut, min(debut + taille, nombre))


def auteur_id(auteur: Any) -> int | None:
    return auteur.pk if auteur is not None and getattr(auteur, "is_authenticated", False) else None


def _element_pg(valeur: Any) -> str:
    """One element of a PostgreSQL array literal (``{…}``), quoted when it is text."""
    if valeur is None:
        return "NULL"
    if valeur is True:
        return "t"
    if valeur is False:
        return "f"
    if isinstance(valeur, (int, Decimal)):
        return str(valeur)
    if isinstance(valeur, (datetime.date, datetime.datetime)):
        return valeur.isoformat()
    if isinstance(valeur, (dict, list)):
        valeur = json.dumps(valeur)
    texte = str(valeur).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{texte}"'


def _texte_pg(valeur: str) -> str:
    return '"' + valeur.replace("\\", "\\\\").replace('"', '\\"') + '"'


# The usual types, looked up by exact type (a ``bool`` is not taken for an ``int``, a ``StrEnum``
# goes through ``_element_pg``): one dict lookup per value instead of a chain of ``isinstance``.
_ELEMENTS_PG: dict[type, Callable[[Any], str]] = {
    str: _texte_pg,
    int: int.__repr__,
    Decimal: Decimal.__str__,
    datetime.date: datetime.date.isoformat,
    datetime.datetime: datetime.datetime.isoformat,
    type(None): lambda _v: "NULL",
    bool: lambda v: "t" if v else "f",
}


def _element_pg_rapide(valeur: Any) -> str:
    convertir = _ELEMENTS_PG.get(type(valeur))
    return convertir(valeur) if convertir is not None else _element_pg(valeur)


# A column whose values all have one of these exact types is written with one ``str.join``
# over a C-level conversion (no Python call per value).
_COLONNES_PG: dict[type, Callable[[Any], str]] = {
    int: int.__repr__,
    Decimal: Decimal.__str__,
    datetime.date: datetime.date.isoformat,
}


def tableau_pg(valeurs: Iterable[Any]) -> str:
    """A PostgreSQL array literal of ``valeurs``, passed as ONE text parameter and cast in SQL.

    With psycopg's client-side binding (Django's default), a statement with tens of thousands
    of parameters spends most of its time merging them into the SQL text; one array literal
    per column, built with ``str.join``, costs a fraction of it. A column of one type (what a
    bulk write has: every ``numero`` a ``str``, every amount a ``Decimal``) is converted without
    a Python call per value; text is escaped value by value only when some value holds ``"`` or ``\\``.
    """
    valeurs = valeurs if isinstance(valeurs, list) else list(valeurs)
    types = set(map(type, valeurs))
    if len(types) == 1:
        (genre,) = types
        if genre is str:
            brut = "".join(valeurs)
            if '"' not in brut and "\\" not in brut:
                return '{"' + '","'.join(valeurs) + '"}'
        elif genre in _COLONNES_PG:
            return "{" + ",".join(map(_COLONNES_PG[genre], valeurs)) + "}"
    return "{" + ",".join(map(_element_pg_rapide, valeurs)) + "}"


def _type_pg(model: type[models.Model], attname: str) -> str:
    field = cast("models.Field[Any, Any]", model._meta.get_field(attname))  # attnames are accepted
    return "bigint" if isinstance(field, models.ForeignKey) else cast("str", field.db_type(connection))


def inserer(
    model: type[models.Model],
    colonnes: Sequence[str],
    lignes: Sequence[Sequence[Any]],
    constantes: Mapping[str, Any] | None = None,
) -> list[int]:
    """Insert ``lignes`` (tuples of values in ``colonnes`` order, attribute names such as
    ``client_id``) into the current organisation, plus ``constantes`` (the same value for every
    row); return their ids, in order.

    PostgreSQL: ``INSERT … SELECT … FROM unnest(…) RETURNING id``, one text array literal per
    column, per chunk. SQLite (the demo): the ORM's ``bulk_create``.
    """
    from recouvrement.tenancy.context import current_organisation_id

    if not lignes:
        return []
    tenant_id = current_organisation_id()
    if tenant_id is None:
        from recouvrement.core.errors import TenantScopeError

        raise TenantScopeError(f"{model.__name__}: no active organisation, refusing to write.")
    constantes = dict(constantes or {})
    if connection.vendor != "postgresql":
        objets = [model(**dict(zip(colonnes, ligne, strict=True)), **constantes) for ligne in lignes]
        model._default_manager.bulk_create(objets, batch_size=500)
        return [cast("int", objet.pk) for objet in objets]
    meta = model._meta
    noms_constantes = list(constantes)
    noms = ["tenant_id", *noms_constantes, *colonnes]
    colonnes_sql = ", ".join(f'"{cast("models.Field[Any, Any]", meta.get_field(n)).column}"' for n in noms)
    types = [_type_pg(model, c) for c in colonnes]
    selection = ", ".join(["%s"] * (1 + len(noms_constantes)))
    tableaux = ", ".join(f"%s::{t}[]" for t in types)
    sql = (
        f'INSERT INTO "{meta.db_table}" ({colonnes_sql}) '  # noqa: S608  (names from the model, values bound)
        f"SELECT {selection}, v.* FROM unnest({tableaux}) AS v RETURNING id"
    )
    ids: list[int] = []
    valeurs_constantes = [_valeur_pg(v) for v in constantes.values()]
    for lot in par_lots(len(lignes)):
        params: list[Any] = [tenant_id, *valeurs_constantes]
        params += [tableau_pg(lignes[i][k] for i in lot) for k in range(len(colonnes))]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids += [row[0] for row in cursor.fetchall()]
    return ids


def _valeur_pg(valeur: Any) -> Any:
    return json.dumps(valeur) if isinstance(valeur, (dict, list)) else valeur


def mettre_a_jour(model: type[models.Model], objets: Sequence[models.Model], champs: Sequence[str]) -> None:
    """Save ``champs`` of saved ``objets`` in one ``UPDATE … FROM unnest(…)`` per chunk (PostgreSQL),
    one text array literal per column (see ``tableau_pg``).

    On SQLite (the demo) the ORM's ``bulk_update``. Row-level security applies as to any statement,
    and the statement is also restricted to the objects' organisation.
    """
    if not objets:
        return
    if connection.vendor != "postgresql":
        instances = [o if isinstance(o, models.Model) else model(**vars(o)) for o in objets]
        model._default_manager.bulk_update(instances, list(champs), batch_size=500)
        return
    meta = model._meta
    colonnes = [cast("models.Field[Any, Any]", meta.get_field(champ)) for champ in champs]
    types = [_type_pg(model, c.attname) for c in colonnes]
    affectations = ", ".join(f'"{c.column}" = v."{c.column}"' for c in colonnes)
    noms = ", ".join(f'"{c.column}"' for c in colonnes)
    tableaux = ", ".join(f"%s::{t}[]" for t in types)
    tenant_id = objets[0].tenant_id  # type: ignore[attr-defined]
    for lot in par_lots(len(objets)):
        params: list[Any] = [tableau_pg(objets[i].pk for i in lot)]
        params += [tableau_pg(getattr(objets[i], c.attname) for i in lot) for c in colonnes]
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE "{meta.db_table}" AS t SET {affectations} '  # noqa: S608  (names from the model, values bound)
                f"FROM unnest(%s::bigint[], {tableaux}) AS v (id, {noms}) "
                "WHERE t.id = v.id AND t.tenant_id = %s",
                [*params, tenant_id],
            )


def appeler_progression(progression: Callable[[int], None] | None, faites: int) -> None:
    if progression is not None:
        progression(faites)


# Up to this many keys, a lookup is the ORM's ``IN (…)`` and the planner chooses freely (an index
# probe per key); beyond, one array literal and hash joins (``jointures_par_hachage``).
PEU_DE_CLES = 100


def parmi(model: type[models.Model], champ: str, valeurs: Iterable[Any], *, non_vide: bool = False) -> Q:
    """``Q(<champ>__in=valeurs)``; on PostgreSQL, beyond ``PEU_DE_CLES`` keys, as
    ``<column> IN (SELECT unnest(<one array literal>))``.

    Django prepares every element of an ``__in`` list and psycopg merges each into the SQL
    text: for thousands of keys per chunk that costs more than the query; and ``= ANY`` of a
    constant array makes the planner estimate every element (200 ms for 10,000 keys). A few keys
    (the API's one-object upserts) keep the ORM's lookup: one probe of the unique index each,
    whatever the organisation's size. SQLite (the demo) keeps it too. ``non_vide`` adds
    ``<champ> <> ''``: what lets PostgreSQL use a partial unique index such as
    ``(tenant, external_id) WHERE external_id <> ''``.
    """
    valeurs = sorted(set(valeurs))
    if connection.vendor != "postgresql" or len(valeurs) <= PEU_DE_CLES:
        dans = Q(**{f"{champ}__in": valeurs})
        return dans & ~Q(**{champ: ""}) if non_vide else dans
    field = cast("models.Field[Any, Any]", model._meta.get_field(champ))
    colonne = f'"{model._meta.db_table}"."{field.column}"'
    return Q(
        RawSQL(  # noqa: S611  (names from the model, values bound)
            f"{colonne} IN (SELECT unnest(%s::{_type_pg(model, field.attname)}[]))"
            + (f" AND {colonne} <> ''" if non_vide else ""),
            (tableau_pg(valeurs),),
            output_field=models.BooleanField(),
        )
    )


def par_external_id(model: type[models.Model], externes: set[str]) -> dict[str, Any]:
    """The model instances of the organisation whose ``external_id`` is among ``externes``, by external id
    (hash joins beyond ``PEU_DE_CLES`` keys, as ``lire_parmi``)."""
    if not externes:
        return {}
    with jointures_par_hachage(len(externes)):
        return {
            objet.external_id: objet  # type: ignore[attr-defined]
            for objet in model._default_manager.filter(parmi(model, "external_id", externes, non_vide=True))
        }


class Enregistrement:
    """A row read by a bulk upsert: its columns as attributes (``client_id``…), ``pk`` its id.

    Reading thousands of rows as plain attributes costs a fraction of model instances; the
    rows are changed in memory and written back by ``mettre_a_jour``.
    """

    def __init__(self, valeurs: Mapping[str, Any]) -> None:
        self.__dict__.update(valeurs)

    @property
    def pk(self) -> Any:
        return self.__dict__["id"]


def lire(queryset: models.QuerySet[Any]) -> list[Any]:
    """Every concrete column of the rows of ``queryset``, as ``Enregistrement``s (same order)."""
    champs = [field.attname for field in queryset.model._meta.concrete_fields]
    return [Enregistrement(valeurs) for valeurs in queryset.values(*champs)]


def lire_parmi(
    queryset: models.QuerySet[Any], criteres: Sequence[tuple[str, Iterable[Any]]], *, verrouiller: bool = False
) -> list[Any]:
    """The rows of ``queryset`` whose ``champ`` is among ``valeurs``, for any of ``criteres``, read as
    ``Enregistrement``s in primary-key order; locked (``FOR NO KEY UPDATE``, in primary-key order, as
    ``factures.services.lock_factures``) when ``verrouiller``.

    One query for all the criteria (``… IN (…) OR … IN (…)``): planned with hash joins only (see
    ``jointures_par_hachage``), PostgreSQL reads the organisation's rows once and tests each
    against one hashed set of keys per criterion; one query per criterion read them once per
    criterion. External ids and SIRETs (partial unique indexes on non-empty values) are matched
    only when non-empty.
    """
    if verrouiller:
        queryset = queryset.select_for_update(no_key=True)
    condition: Q | None = None
    nombre = 0
    for champ, valeurs in criteres:
        cles = set(valeurs)
        if not cles:
            continue
        nombre = max(nombre, len(cles))
        q = parmi(queryset.model, champ, cles, non_vide=champ in ("external_id", "siret"))
        condition = q if condition is None else condition | q
    if condition is None:
        return []
    with jointures_par_hachage(nombre):
        return lire(queryset.filter(condition).order_by("pk"))


# Planner settings turned off for the key lookups (see ``jointures_par_hachage``).
_SANS_BOUCLES = ("enable_nestloop", "enable_mergejoin")


@contextmanager
def jointures_par_hachage(cles: int) -> Iterator[None]:
    """PostgreSQL: a lookup of more than ``PEU_DE_CLES`` keys (``parmi``) planned with hash joins only,
    settings restored after. With fewer keys, nothing is changed (see ``parmi``).

    Right after a bulk load the statistics lag: the planner believes the organisation has about one
    invoice (and the row-level security range on ``tenant_id`` divides every estimate by 200 more).
    With ``<key> IN (SELECT unnest(keys))`` it then picked a nested loop with the organisation's
    rows outside and the 5,000 keys inside: 76 s for one chunk among 20,000 invoices (a table never
    analysed; EXPLAIN ANALYZE in bench/README.md). Key-driven probes of the unique index
    (``unnest … CROSS JOIN LATERAL``) were tried and are not safe either: with the organisation
    estimated at one row every ``(tenant_id, …)`` index costs the same as the unique one, and the
    planner took ``(tenant_id, id)``, scanning the organisation once per key (15 s per chunk).
    A hash join reads the organisation's rows once per lookup: linear in its size (87 ms for
    5,000 keys among 40,000 invoices), never quadratic. ``SET LOCAL`` through ``set_config(…,
    true)``, the previous values put back afterwards (a caller's own settings survive).
    """
    if connection.vendor != "postgresql" or not connection.in_atomic_block or cles <= PEU_DE_CLES:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT "
            + ", ".join(f"current_setting('{nom}'), set_config('{nom}', 'off', true)" for nom in _SANS_BOUCLES)
        )
        rangee = cursor.fetchone()
    precedents = [rangee[2 * k] for k in range(len(_SANS_BOUCLES))]
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(f"set_config('{nom}', %s, true)" for nom in _SANS_BOUCLES), precedents)
