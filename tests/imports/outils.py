"""Drive an import through its pages as a user does: upload, mapping, preview, commit."""

from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from imports.models import Import


def deposer(client, *, type: str, contenu: bytes, nom: str = "fichier.csv", modele: int | None = None):
    donnees = {"type": type, "fichier": SimpleUploadedFile(nom, contenu)}
    if modele is not None:
        donnees["modele"] = modele
    return client.post(reverse("imports:liste"), donnees)


def id_de(response) -> int:
    assert response.status_code == 302, response.content.decode()[:3000]
    return int(response.url.rstrip("/").split("/")[-2])


def importer(
    client,
    tenant,
    *,
    type: str,
    contenu: bytes,
    nom: str = "fichier.csv",
    correspondance: dict[str, str] | None = None,
    modele_nom: str = "",
    par_defaut: bool = False,
) -> Import:
    """Upload, keep the proposed mapping (changed by ``correspondance``: header → field),
    look at the preview, commit; the job as it ends (small files run at once)."""
    import_id = id_de(deposer(client, type=type, contenu=contenu, nom=nom))
    page = client.get(reverse("imports:correspondance", args=[import_id]))
    assert page.status_code == 200
    with tenant.scope():
        import_ = Import.objects.get(pk=import_id)
    cibles = list(import_.correspondance)
    for entete, champ in (correspondance or {}).items():
        cibles[import_.entetes.index(entete)] = champ
    donnees = {f"colonne_{i}": c for i, c in enumerate(cibles)}
    donnees["modele_nom"] = modele_nom
    if par_defaut:
        donnees["par_defaut"] = "on"
    response = client.post(reverse("imports:correspondance", args=[import_id]), donnees)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response.url == reverse("imports:apercu", args=[import_id])
    assert client.get(response.url).status_code == 200
    response = client.post(reverse("imports:lancer", args=[import_id]))
    assert response.status_code == 302
    assert response.url == reverse("imports:suivi", args=[import_id])
    assert client.get(response.url).status_code == 200
    with tenant.scope():
        return Import.objects.get(pk=import_id)


def fichier_csv(lignes: list[list[str]], *, encodage: str = "utf-8", sep: str = ";") -> bytes:
    sortie = io.StringIO()
    csv.writer(sortie, delimiter=sep, lineterminator="\r\n").writerows(lignes)
    return sortie.getvalue().encode(encodage)


def rapport(client, import_id: int) -> list[list[str]]:
    response = client.get(reverse("imports:rapport", args=[import_id]))
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
