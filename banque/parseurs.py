"""Reading bank statement files: CAMT.053 (ISO 20022 XML) and CSV (French formats).

Pure functions, no database: they return a ``ReleveLu`` or raise ``ApplicationError``
whose ``extra["erreurs"]`` lists every problem found, each naming the line (and the
element or column) and the reason. Nothing is written by the caller when they raise.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from lxml import etree

from banque import error_codes
from recouvrement.core.errors import ApplicationError

ESPACE_CAMT = "urn:iso:std:iso:20022:tech:xsd:camt.053."
MAX_ERREURS = 20
CENTIME = Decimal("0.01")


@dataclass
class LigneLue:
    position: int
    sens: str  # "credit" / "debit"
    montant: Decimal
    devise: str
    date_operation: datetime.date
    date_valeur: datetime.date | None
    libelle: str
    references: str
    payeur_nom: str
    payeur_iban: str
    reference_banque: str


@dataclass
class ReleveLu:
    format: str
    identifiant: str = ""
    iban: str = ""
    lignes: list[LigneLue] = field(default_factory=list)

    @property
    def date_debut(self) -> datetime.date | None:
        return min((ligne.date_operation for ligne in self.lignes), default=None)

    @property
    def date_fin(self) -> datetime.date | None:
        return max((ligne.date_operation for ligne in self.lignes), default=None)


def _refuser(erreurs: list[str]) -> ApplicationError:
    message = _("Relevé refusé, rien n'a été importé : %(erreurs)s") % {"erreurs": " ; ".join(erreurs[:5])}
    if len(erreurs) > 5:
        message += _(" (et %(n)s autres erreurs)") % {"n": len(erreurs) - 5}
    return ApplicationError(
        message, code=error_codes.FICHIER_INVALIDE, field="fichier", extra={"erreurs": erreurs[:MAX_ERREURS]}
    )


def _empreinte(*parties: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parties).encode()).hexdigest()[:40]


def _iban(texte: str) -> str:
    return re.sub(r"\s+", "", texte or "").upper()[:34]


def montant_lire(texte: str) -> Decimal:
    """« 1 234,56 », « -1234.56 », « 1.234,56 € », « +12 » → Decimal; ValueError otherwise."""
    brut = re.sub(r"[\s\u00a0\u202f€]|EUR", "", texte or "")
    if not brut:
        raise ValueError("vide")
    if "," in brut:
        brut = brut.replace(".", "").replace(",", ".")
    elif brut.count(".") > 1:
        brut = brut.replace(".", "")
    if not re.fullmatch(r"[+-]?\d+(\.\d{1,2})?", brut):
        raise ValueError(brut)
    try:
        return Decimal(brut)
    except InvalidOperation:
        raise ValueError(brut) from None


def date_lire(texte: str) -> datetime.date:
    """« 31/12/2026 », « 31-12-2026 », « 31.12.2026 », « 31/12/26 », « 2026-12-31 » → date."""
    brut = (texte or "").strip()[:10] if re.match(r"\d{4}-", (texte or "").strip()) else (texte or "").strip()
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(brut, fmt).date()  # noqa: DTZ007  (a calendar date, no time)
        except ValueError:
            continue
    raise ValueError(brut)


# --- CAMT.053 -------------------------------------------------------------------------------


def camt053_lire(contenu: bytes) -> ReleveLu:
    """Parse a ``camt.053.001.xx`` statement: one line per transaction (``TxDtls``) of each
    booked entry (``Ntry``). No DTD, no entity expansion, no network access."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        racine = etree.fromstring(contenu, parser=parser)
    except etree.XMLSyntaxError as erreur:
        ligne = erreur.lineno or "?"
        raise _refuser(
            [_("ligne %(ligne)s : XML mal formé (%(raison)s)") % {"ligne": ligne, "raison": erreur.msg}]
        ) from None
    docinfo = racine.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise _refuser([_("ligne 1 : une déclaration DOCTYPE n'est pas admise dans un relevé")])
    espace = etree.QName(racine).namespace or ""
    if not espace.startswith(ESPACE_CAMT) or etree.QName(racine).localname != "Document":
        raise _refuser(
            [
                _("ligne %(ligne)s : ce n'est pas un relevé CAMT.053 (Document camt.053.001.xx attendu)")
                % {"ligne": racine.sourceline}
            ]
        )
    ns = {"c": espace}

    def un(el: etree._Element, chemin: str) -> etree._Element | None:
        trouves = el.xpath(chemin, namespaces=ns)
        return trouves[0] if trouves else None

    def texte(el: etree._Element | None, chemin: str) -> str:
        if el is None:
            return ""
        trouve = un(el, chemin)
        return (trouve.text or "").strip() if trouve is not None else ""

    erreurs: list[str] = []
    releve = ReleveLu(format="camt053")
    releves = racine.xpath("c:BkToCstmrStmt/c:Stmt", namespaces=ns)
    if not releves:
        raise _refuser([_("ligne %(ligne)s : élément BkToCstmrStmt/Stmt manquant") % {"ligne": racine.sourceline}])
    position = 0
    for stmt in releves:
        releve.identifiant = releve.identifiant or texte(stmt, "c:Id")
        iban = _iban(texte(stmt, "c:Acct/c:Id/c:IBAN") or texte(stmt, "c:Acct/c:Id/c:Othr/c:Id"))
        releve.iban = releve.iban or iban
        for ntry in stmt.xpath("c:Ntry", namespaces=ns):
            n = ntry.sourceline
            statut = texte(ntry, "c:Sts") or texte(ntry, "c:Sts/c:Cd")
            if statut and statut not in ("BOOK",):
                continue  # pending or information-only entries are not money on the account yet
            amt = un(ntry, "c:Amt")
            sens_code = texte(ntry, "c:CdtDbtInd")
            date_txt = texte(ntry, "c:BookgDt/c:Dt") or texte(ntry, "c:BookgDt/c:DtTm")[:10]
            manque = [
                nom
                for nom, valeur in (("Amt", amt), ("CdtDbtInd", sens_code), ("BookgDt", date_txt))
                if valeur is None or valeur == ""
            ]
            if manque:
                erreurs.extend(
                    _("ligne %(ligne)s : élément Ntry/%(element)s manquant") % {"ligne": n, "element": m}
                    for m in manque
                )
                continue
            assert amt is not None
            if sens_code not in ("CRDT", "DBIT"):
                erreurs.append(
                    _("ligne %(ligne)s : CdtDbtInd vaut « %(valeur)s » (CRDT ou DBIT attendu)")
                    % {"ligne": n, "valeur": sens_code}
                )
                continue
            try:
                montant_entree = _montant_camt(amt.text or "")
                date_operation = datetime.date.fromisoformat(date_txt)
            except ValueError:
                erreurs.append(
                    _("ligne %(ligne)s : montant ou date de comptabilisation illisible (%(amt)s, %(date)s)")
                    % {"ligne": n, "amt": amt.text, "date": date_txt}
                )
                continue
            devise = (amt.get("Ccy") or "").upper()
            if not re.fullmatch(r"[A-Z]{3}", devise):
                erreurs.append(_("ligne %(ligne)s : attribut Amt@Ccy manquant ou invalide") % {"ligne": n})
                continue
            valeur_txt = texte(ntry, "c:ValDt/c:Dt") or texte(ntry, "c:ValDt/c:DtTm")[:10]
            try:
                date_valeur = datetime.date.fromisoformat(valeur_txt) if valeur_txt else None
            except ValueError:
                date_valeur = None
            ref_entree = texte(ntry, "c:AcctSvcrRef") or texte(ntry, "c:NtryRef")
            transactions = ntry.xpath("c:NtryDtls/c:TxDtls", namespaces=ns)
            if not transactions:
                transactions = [None]
            for index, tx in enumerate(transactions):
                montant = montant_entree
                if len(transactions) > 1:
                    tx_amt = None
                    if tx is not None:
                        tx_amt = un(tx, "c:Amt")
                        if tx_amt is None:
                            tx_amt = un(tx, "c:AmtDtls/c:TxAmt/c:Amt")
                    if tx_amt is None:
                        erreurs.append(
                            _("ligne %(ligne)s : TxDtls/Amt manquant (plusieurs transactions dans l'écriture)")
                            % {"ligne": tx.sourceline if tx is not None else n}
                        )
                        continue
                    try:
                        montant = _montant_camt(tx_amt.text or "")
                    except ValueError:
                        erreurs.append(
                            _("ligne %(ligne)s : montant TxDtls/Amt illisible") % {"ligne": tx_amt.sourceline}
                        )
                        continue
                sens_tx = texte(tx, "c:CdtDbtInd") or sens_code
                ustrd = (
                    " ".join(t.text.strip() for t in tx.xpath("c:RmtInf/c:Ustrd", namespaces=ns) if t.text)
                    if tx is not None
                    else ""
                )
                if tx is None:
                    ustrd = texte(ntry, "c:AddtlNtryInf")
                strd = (
                    [
                        (t.text or "").strip()
                        for t in tx.xpath(
                            "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref | c:RmtInf/c:Strd/c:RfrdDocInf/c:Nb", namespaces=ns
                        )
                        if (t.text or "").strip()
                    ]
                    if tx is not None
                    else []
                )
                payeur = texte(tx, "c:RltdPties/c:Dbtr/c:Nm") or texte(tx, "c:RltdPties/c:Dbtr/c:Pty/c:Nm")
                payeur_iban = _iban(texte(tx, "c:RltdPties/c:DbtrAcct/c:Id/c:IBAN"))
                ref_tx = texte(tx, "c:Refs/c:AcctSvcrRef")
                e2e = texte(tx, "c:Refs/c:EndToEndId")
                if ref_tx:
                    reference = ref_tx
                elif ref_entree:
                    reference = f"{ref_entree}/{index + 1}" if len(transactions) > 1 else ref_entree
                elif e2e and e2e.upper() != "NOTPROVIDED":
                    reference = f"e2e:{e2e}:{date_operation}:{montant}"
                else:
                    reference = "h:" + _empreinte(date_operation, sens_tx, montant, ustrd, payeur, position)
                position += 1
                releve.lignes.append(
                    LigneLue(
                        position=position,
                        sens="credit" if sens_tx == "CRDT" else "debit",
                        montant=montant,
                        devise=devise,
                        date_operation=date_operation,
                        date_valeur=date_valeur,
                        libelle=ustrd[:500],
                        references=" ".join(strd)[:500],
                        payeur_nom=payeur[:140],
                        payeur_iban=payeur_iban,
                        reference_banque=f"{iban}:{reference}"[:140],
                    )
                )
    if erreurs:
        raise _refuser(erreurs)
    return releve


def _montant_camt(texte: str) -> Decimal:
    brut = texte.strip()
    if not re.fullmatch(r"\d+(\.\d{1,5})?", brut):
        raise ValueError(brut)
    montant = Decimal(brut)
    if montant <= 0 or montant != montant.quantize(CENTIME):
        raise ValueError(brut)
    return montant


# --- CSV ------------------------------------------------------------------------------------

COLONNES: dict[str, tuple[str, ...]] = {
    "date": (
        "date",
        "date operation",
        "date d'operation",
        "date comptable",
        "date de comptabilisation",
        "booking date",
    ),
    "montant": ("montant", "amount", "montant eur", "montant (eur)"),
    "credit": ("credit", "credit eur", "encaissement"),
    "debit": ("debit", "debit eur", "decaissement"),
    "libelle": ("libelle", "label", "description", "intitule", "motif", "communication", "libelle operation"),
    "payeur": ("payeur", "tiers", "donneur d'ordre", "emetteur", "nom du payeur", "contrepartie"),
    "iban": ("iban", "iban payeur", "compte payeur"),
    "reference": ("reference", "ref", "reference banque", "reference bancaire"),
    "date_valeur": ("date de valeur", "date valeur", "value date"),
}


def _cle(texte: str) -> str:
    sans_accents = unicodedata.normalize("NFKD", texte).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", sans_accents.replace("’", "'").strip().lower())


def csv_colonnes(entetes: list[str], correspondance: dict[str, str] | None = None) -> dict[str, int]:
    """Which column holds what: the explicit ``correspondance`` (field → header), else by header name."""
    cles = [_cle(e) for e in entetes]
    trouvees: dict[str, int] = {}
    for champ, entete in (correspondance or {}).items():
        if entete and _cle(entete) in cles:
            trouvees[champ] = cles.index(_cle(entete))
    for champ, noms in COLONNES.items():
        if champ not in trouvees:
            for i, cle in enumerate(cles):
                if cle in noms and i not in trouvees.values():
                    trouvees[champ] = i
                    break
    return trouvees


def csv_lire(contenu: bytes, *, correspondance: dict[str, str] | None = None) -> ReleveLu:
    """Parse a CSV statement: a header row, then one operation per row. A negative amount
    (or a value in a « Débit » column) is a debit."""
    try:
        texte = contenu.decode("utf-8-sig")
    except UnicodeDecodeError:
        texte = contenu.decode("cp1252", errors="replace")
    lignes_brutes = [ligne for ligne in texte.splitlines() if ligne.strip()]
    if not lignes_brutes:
        raise _refuser([_("ligne 1 : fichier vide")])
    echantillon = "\n".join(lignes_brutes[:5])
    separateur = max((";", ",", "\t", "|"), key=echantillon.count)
    lecteur = csv.reader(io.StringIO(texte), delimiter=separateur)
    try:
        rangees = list(lecteur)
    except csv.Error as erreur:
        raise _refuser([_("CSV illisible : %(raison)s") % {"raison": erreur}]) from None
    entetes, numero_entete = [], 0
    for numero_entete, rangee in enumerate(rangees, start=1):  # noqa: B007
        if any(c.strip() for c in rangee):
            entetes = rangee
            break
    colonnes = csv_colonnes(entetes, correspondance)
    manquantes = []
    if "date" not in colonnes:
        manquantes.append(_("date"))
    if "montant" not in colonnes and "credit" not in colonnes:
        manquantes.append(_("montant"))
    if manquantes:
        raise _refuser(
            [
                _("ligne %(ligne)s : colonne(s) introuvable(s) : %(colonnes)s (en-têtes lus : %(entetes)s)")
                % {"ligne": numero_entete, "colonnes": ", ".join(manquantes), "entetes": ", ".join(entetes)}
            ]
        )

    def cellule(rangee: list[str], champ: str) -> str:
        i = colonnes.get(champ)
        return rangee[i].strip() if i is not None and i < len(rangee) else ""

    erreurs: list[str] = []
    releve = ReleveLu(format="csv")
    vus: dict[str, int] = {}
    position = 0
    for numero, rangee in enumerate(rangees[numero_entete:], start=numero_entete + 1):
        if not any(c.strip() for c in rangee):
            continue
        try:
            date_operation = date_lire(cellule(rangee, "date"))
        except ValueError:
            erreurs.append(
                _("ligne %(ligne)s, colonne date : « %(valeur)s » n'est pas une date (JJ/MM/AAAA)")
                % {"ligne": numero, "valeur": cellule(rangee, "date")}
            )
            continue
        try:
            if "montant" in colonnes:
                signe = montant_lire(cellule(rangee, "montant"))
            else:
                credit, debit = cellule(rangee, "credit"), cellule(rangee, "debit")
                signe = montant_lire(credit) if credit else -abs(montant_lire(debit))
        except ValueError:
            erreurs.append(
                _("ligne %(ligne)s, colonne montant : montant illisible (format 1 234,56 attendu)") % {"ligne": numero}
            )
            continue
        if signe == 0:
            erreurs.append(_("ligne %(ligne)s, colonne montant : montant nul") % {"ligne": numero})
            continue
        try:
            valeur_txt = cellule(rangee, "date_valeur")
            date_valeur = date_lire(valeur_txt) if valeur_txt else None
        except ValueError:
            date_valeur = None
        libelle, payeur = cellule(rangee, "libelle"), cellule(rangee, "payeur")
        reference = cellule(rangee, "reference")
        if not reference:
            # No bank reference: the line's content, numbered among identical lines, so that
            # the same file (or an overlapping export) imported again matches the same keys.
            cle = _empreinte(date_operation, signe, libelle, payeur)
            vus[cle] = vus.get(cle, 0) + 1
            reference = f"csv:{cle}:{vus[cle]}"
        position += 1
        releve.lignes.append(
            LigneLue(
                position=position,
                sens="credit" if signe > 0 else "debit",
                montant=abs(signe),
                devise="EUR",
                date_operation=date_operation,
                date_valeur=date_valeur,
                libelle=libelle[:500],
                references="",
                payeur_nom=payeur[:140],
                payeur_iban=_iban(cellule(rangee, "iban")),
                reference_banque=reference[:140],
            )
        )
    if erreurs:
        raise _refuser(erreurs)
    if not releve.lignes:
        raise _refuser([_("aucune opération dans le fichier")])
    return releve


def releve_lire(contenu: bytes, *, nom_fichier: str = "", correspondance: dict[str, str] | None = None) -> ReleveLu:
    """CAMT.053 when the file is XML, CSV otherwise."""
    debut = contenu.lstrip()[:200].lower()
    if debut.startswith(b"<") or nom_fichier.lower().endswith(".xml") or b"<?xml" in debut:
        return camt053_lire(contenu)
    return csv_lire(contenu, correspondance=correspondance)
