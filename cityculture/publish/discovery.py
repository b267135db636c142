"""What search engines and dataset search read: schema.org markup, a sitemap, robots.txt.

Dataset search engines (Google Dataset Search and others) read a schema.org ``Dataset`` in
JSON-LD on the landing page rather than DCAT; it is made here from the DCAT description, so
both say the same. The sitemap lists every HTML page (split, with a sitemap index, past
the protocol's 50,000 URLs per file); robots.txt points at it and keeps crawlers off the
SPARQL endpoint, whose answers are computed per request.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from markupsafe import Markup
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF

from cityculture.publish.describe import CATALOG, DATASET
from cityculture.publish.iris import IriRewriter

SITEMAP_LIMIT = 50_000
"""URLs per sitemap file (the sitemaps.org protocol's limit)."""


def schema_org_dataset(description: Graph, rewriter: IriRewriter) -> Markup:
    """Return the schema.org ``Dataset`` of the whole, as JSON-LD safe inside ``<script>``."""
    dataset = URIRef(DATASET)

    def text(node: object, predicate: URIRef) -> str | None:
        value = description.value(node, predicate)  # type: ignore[arg-type]
        return str(value) if value is not None else None

    def url(node: object) -> str:
        return rewriter.iri(str(node))

    agent = description.value(dataset, DCTERMS.publisher)
    publisher: dict[str, object] = {"@type": "Organization", "name": text(agent, FOAF.name)}
    if description.value(agent, FOAF.homepage) is not None:
        publisher["url"] = url(description.value(agent, FOAF.homepage))
    parts = sorted(description.objects(dataset, DCTERMS.hasPart), key=str)
    licences = {str(description.value(p, DCTERMS.license)) for p in parts}
    markup: dict[str, object] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": url(dataset),
        "name": text(dataset, DCTERMS.title),
        "description": text(dataset, DCTERMS.description),
        "url": url(description.value(URIRef(CATALOG), FOAF.homepage)),
        "identifier": url(dataset),
        "keywords": sorted(str(k) for k in description.objects(dataset, DCAT.keyword)),
        "inLanguage": "en",
        "isAccessibleForFree": True,
        "publisher": publisher,
        "creator": publisher,
        "dateModified": text(dataset, DCTERMS.modified),
        "datePublished": text(dataset, DCTERMS.issued),
        "includedInDataCatalog": {"@type": "DataCatalog", "@id": url(CATALOG),
                                  "name": text(URIRef(CATALOG), DCTERMS.title)},
        "distribution": [
            {"@type": "DataDownload",
             "contentUrl": url(description.value(d, DCAT.downloadURL)),
             "encodingFormat": str(description.value(d, DCAT.mediaType)).rsplit(
                 "media-types/", 1)[-1],
             "name": text(d, DCTERMS.title)}
            for part in (dataset, *parts)
            for d in sorted(description.objects(part, DCAT.distribution), key=str)],
        "hasPart": [
            {"@type": "Dataset", "@id": url(p), "name": text(p, DCTERMS.title),
             "description": text(p, DCTERMS.description),
             **({"license": str(description.value(p, DCTERMS.license))}
                if description.value(p, DCTERMS.license) is not None else {})}
            for p in parts],
    }
    if len(licences) == 1 and "None" not in licences:
        markup["license"] = licences.pop()  # one licence covers every part
    period = description.value(dataset, DCTERMS.temporal)
    if period is not None:
        start = str(description.value(period, DCAT.startDate))[:4]
        end = str(description.value(period, DCAT.endDate))[:4]
        markup["temporalCoverage"] = start if start == end else f"{start}/{end}"
    places = sorted(description.objects(dataset, DCTERMS.spatial), key=str)
    if places:
        markup["spatialCoverage"] = [{"@type": "Place", "@id": url(p)} for p in places]
    document = json.dumps({k: v for k, v in markup.items() if v not in (None, [], {})},
                          ensure_ascii=False, indent=1)
    # Data are untrusted: nothing in a string may close the script element or open markup.
    safe = document.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(safe)  # escaped above for the script context


def discovery_files(pages: Sequence[str], base: str) -> dict[str, bytes]:
    """Return ``sitemap.xml`` (and its parts past 50,000 URLs) and ``robots.txt``."""
    urls = [base if page == "index.html" else base + page for page in sorted(pages)]
    files: dict[str, bytes] = {}
    chunks = [urls[i:i + SITEMAP_LIMIT] for i in range(0, len(urls), SITEMAP_LIMIT)] or [[]]
    if len(chunks) == 1:
        files["sitemap.xml"] = _urlset(chunks[0])
    else:
        names = [f"sitemap-{n}.xml" for n in range(1, len(chunks) + 1)]
        for name, chunk in zip(names, chunks, strict=True):
            files[name] = _urlset(chunk)
        files["sitemap.xml"] = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "".join(f"<sitemap><loc>{escape(base + n)}</loc></sitemap>\n" for n in names)
            + "</sitemapindex>\n").encode("utf-8")
    path = urlsplit(base).path or "/"
    files["robots.txt"] = (f"User-agent: *\nDisallow: {path}sparql\nAllow: {path}\n\n"
                           f"Sitemap: {base}sitemap.xml\n").encode()
    return files


def _urlset(urls: Sequence[str]) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "".join(f"<url><loc>{escape(u)}</loc></url>\n" for u in urls)
            + "</urlset>\n").encode("utf-8")
