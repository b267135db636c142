"""HTML pages of a published site, one per resource, each with Turtle, JSON-LD and N-Triples twins.

Every IRI under the base gets a page: cities, nations, indicators, elements and assessment
runs get pages made for people (the radar of the five elements, scores and ranks, the
soft/hard balance, where each number came from); every other resource (observations,
scores, units, ontology terms...) gets a generic page listing what the data says about it
and what points at it, as Trifid and LodView show resources. Everything put into HTML is
escaped (Jinja2 autoescaping, :func:`markupsafe.escape`): data are untrusted. Pages use no
external CSS, JavaScript or fonts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from cityculture.publish.dumps import DUMP_FORMATS, serialise
from cityculture.publish.files import SiteFiles
from cityculture.publish.index import SiteIndex
from cityculture.publish.iris import (
    DEFAULT_BASE,
    IriRewriter,
    file_key,
    iri_to_uri,
    relative_link,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"
TWIN_FORMATS = ("turtle", "jsonld")
FORMAT_NAMES = {name: DUMP_FORMATS[name].label for name in ("turtle", "jsonld", "nt")}
MAX_INCOMING = 200
"""At most this many referring resources are listed on a page (and put in its twins)."""
SPARQL_PATH = "sparql"


def site_path(iri: str) -> str:
    """Return the site path (without suffix) of an IRI under the default base."""
    return file_key(iri_to_uri(iri[len(DEFAULT_BASE):]))


def under_base(iri: str) -> bool:
    """Tell whether an IRI is under the default base (so it has a page in the site)."""
    return iri.startswith(DEFAULT_BASE)


def fmt_number(value: object, digits: int = 2) -> str:
    """Format a score or value for a table ("-" when missing)."""
    if value is None:
        return "-"
    try:
        number = float(str(value))
    except ValueError:
        return str(value)
    if math.isnan(number):
        return "-"
    if number == int(number) and abs(number) < 1e15 and digits == 0:
        return str(int(number))
    return f"{number:.{digits}f}"


@dataclass
class Alternate:
    """A twin of a page: the same resource in an RDF format."""

    name: str
    media_type: str
    href: str


class PageWriter:
    """Writes pages and twins into a site folder, with links relative to each page."""

    def __init__(self, index: SiteIndex, rewriter: IriRewriter, prefixes: Mapping[str, str],
                 outdir: Path, files: SiteFiles | None = None) -> None:
        """Write into ``outdir`` (through ``files``); show IRIs as ``rewriter`` makes them."""
        self.index = index
        self.rewriter = rewriter
        self.prefixes = dict(prefixes)
        self.outdir = outdir
        self.files = files if files is not None else SiteFiles(outdir)
        self.env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                               autoescape=select_autoescape(default=True, default_for_string=True),
                               trim_blocks=True, lstrip_blocks=True)
        self.written: list[str] = []

    # -- links and terms ------------------------------------------------------------------

    def href(self, iri: str, page: str) -> str | None:
        """Return a relative link from a page to the page of an IRI, or None (no page)."""
        if under_base(iri):
            rest = iri[len(DEFAULT_BASE):]
            if rest.startswith("dumps/") or rest == SPARQL_PATH:  # files and the endpoint
                return relative_link(page, rest)
            if rest == "":
                return relative_link(page, "index.html")
            return relative_link(page, site_path(iri) + ".html") + (
                "#" + iri.split("#", 1)[1] if "#" in iri else "")
        if iri.startswith(("http://", "https://")):
            return self.rewriter.iri(iri)
        return None  # never link other schemes (javascript:, data:, file:...)

    def link(self, iri: str, page: str, text: str | None = None) -> Markup:
        """Return an escaped ``<a>`` to an IRI's page, labelled with its label."""
        label = text if text is not None else self.index.label(iri)
        target = self.href(iri, page)
        if target is None:
            return Markup(f'<span class="iri">{escape(iri)}</span>')
        return Markup(f'<a href="{escape(target)}">{escape(label)}</a>')

    def term(self, term: object, page: str, predicate: str | None = None) -> Markup:
        """Return an escaped rendering of an RDF term for a table cell."""
        if isinstance(term, ox.NamedNode):
            return self.link(term.value, page)
        if isinstance(term, ox.BlankNode):
            described = self.index.description(f"_:{term.value}")
            parts = [Markup("{}: {}").format(self.link(t.predicate.value, page),
                                             self.term(t.object, page))
                     for t in described if t.subject == term]
            return Markup("[ ") + Markup("; ").join(parts) + Markup(" ]")
        if isinstance(term, ox.Literal):
            term = self.rewriter.term(term, predicate)  # IRI-valued literals follow the base
            if term.language:
                return Markup('<span lang="{}">{}</span> <span class="note">@{}</span>').format(
                    term.language, term.value, term.language)
            datatype = term.datatype.value
            if datatype == "http://www.w3.org/2001/XMLSchema#string":
                return Markup("{}").format(term.value)
            short = datatype.rsplit("#", 1)[-1]
            return Markup('{} <span class="note">({})</span>').format(term.value, short)
        return Markup("{}").format(str(term))

    # -- writing ----------------------------------------------------------------------------

    def twins(self, iri: str, triples: Sequence[ox.Triple]) -> list[Alternate]:
        """Write the Turtle, JSON-LD and N-Triples twins of a page; return the alternates."""
        path = site_path(iri)
        page = path + ".html"
        rewritten = [ox.Triple(self.rewriter.term(t.subject),  # type: ignore[arg-type]
                               self.rewriter.term(t.predicate),  # type: ignore[arg-type]
                               self.rewriter.term(t.object, t.predicate.value))
                     for t in triples]
        rewritten.sort(key=str)
        alternates = []
        for fmt in TWIN_FORMATS:
            suffix = DUMP_FORMATS[fmt].suffix
            self.files.write(path + suffix, serialise(rewritten, fmt, self.prefixes))
            self.written.append(path + suffix)
            alternates.append(Alternate(FORMAT_NAMES[fmt], DUMP_FORMATS[fmt].media_type,
                                        relative_link(page, path + suffix)))
        # N-Triples are made from the Turtle twin on request (one file fewer per resource).
        alternates.append(Alternate("N-Triples", DUMP_FORMATS["nt"].media_type,
                                    relative_link(page, path + ".nt")))
        return alternates

    def render(self, template: str, page: str, **context: object) -> None:
        """Render a template into a site page (``page`` is its site path)."""
        links = {
            "ontology": relative_link(page, site_path(DEFAULT_BASE + "ontology") + ".html"),
            "dataset": relative_link(page, site_path(DEFAULT_BASE + "dataset") + ".html"),
            "sparql": relative_link(page, SPARQL_PATH),
        }
        html = self.env.get_template(template).render(
            home=relative_link(page, "index.html"), links=links,
            alternates=context.pop("alternates", []), formats=context.pop("formats", True),
            **context)
        self.files.write(page, html.encode("utf-8"))
        self.written.append(page)

    def resource_context(self, iri: str, page: str) -> dict[str, object]:
        """Return the generic part of a resource page: title, types, properties, referrers."""
        index = self.index
        properties: dict[str, list[Markup]] = {}
        for triple in sorted(index.out.get(iri, ()), key=lambda t: (t.predicate.value,
                                                                    str(t.object))):
            properties.setdefault(triple.predicate.value, []).append(
                self.term(triple.object, page, triple.predicate.value))
        incoming = sorted(index.inc.get(iri, ()), key=lambda t: (t.predicate.value,
                                                                 str(t.subject)))
        shown = [{"subject": self.term(t.subject, page),
                  "predicate": self.link(t.predicate.value, page)}
                 for t in incoming[:MAX_INCOMING]]
        types = [self.link(t, page) for t in sorted(index.types.get(iri, ()))]
        doc_link = None
        if iri.startswith(DEFAULT_BASE + "ontology/"):
            local = iri[len(DEFAULT_BASE + "ontology/"):]
            doc_link = relative_link(page, "ontology.html") + "#" + local
        return {
            "iri": self.rewriter.iri(iri),
            "title": index.label(iri),
            "title_zh": index.label_in(iri, "zh"),
            "types": types,
            "doc_link": doc_link,
            "properties": [{"predicate": self.link(p, page), "objects": v}
                           for p, v in properties.items()],
            "incoming": shown,
            "incoming_more": max(0, len(incoming) - MAX_INCOMING),
        }

    def twin_triples(self, iri: str) -> list[ox.Triple]:
        """Return what a resource's twins hold: its description, or what points at it."""
        described = self.index.description(iri)
        if described:
            return described
        return sorted(self.index.inc.get(iri, ()), key=str)[:MAX_INCOMING]

    def write_resource(self, iri: str, template: str = "resource.html", *,
                       twins: Sequence[ox.Triple] | None = None, **extra: object) -> str:
        """Write the page and twins of one resource; return the page's site path."""
        page = site_path(iri) + ".html"
        alternates = self.twins(iri, self.twin_triples(iri) if twins is None else twins)
        context = self.resource_context(iri, page)
        context.update(extra)
        self.render(template, page, alternates=alternates, **context)
        return page


def radar_svg(axes: Sequence[tuple[str, float | None]], title: str) -> Markup:
    """Draw element scores (0-100) as an inline SVG radar; labels are escaped.

    >>> svg = radar_svg([("a<b", 50.0), ("b", 100.0), ("c", None)], "t")
    >>> "a&lt;b" in svg and "<polygon" in svg
    True
    """
    width, height, cx, cy, radius = 560, 340, 280, 170, 120
    count = len(axes)
    if count < 3:
        return Markup("")

    def point(i: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / count
        r = radius * max(0.0, min(value, 100.0)) / 100
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    parts = [Markup('<svg class="radar" role="img" xmlns="http://www.w3.org/2000/svg" '
                    'width="{0}" height="{1}" viewBox="0 0 {0} {1}"><title>{2}</title>')
             .format(width, height, title)]
    for level in (25, 50, 75, 100):
        ring = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, level) for i in range(count)))
        parts.append(Markup('<polygon points="{}" fill="none" stroke="#ccd3db"/>').format(ring))
    for i, (label, value) in enumerate(axes):
        x, y = point(i, 100)
        lx, ly = point(i, 118)
        anchor = "middle" if abs(lx - cx) < 10 else ("start" if lx > cx else "end")
        parts.append(Markup('<line x1="{}" y1="{}" x2="{:.1f}" y2="{:.1f}" stroke="#ccd3db"/>')
                     .format(cx, cy, x, y))
        shown = "-" if value is None else f"{value:.1f}"
        parts.append(Markup('<text x="{:.1f}" y="{:.1f}" text-anchor="{}">{} ({})</text>')
                     .format(lx, ly, anchor, label, shown))
    shape = " ".join(f"{x:.1f},{y:.1f}" for x, y in (
        point(i, value or 0.0) for i, (_, value) in enumerate(axes)))
    parts.append(Markup('<polygon class="scores" points="{}" fill="#3b7dd8" fill-opacity="0.3" '
                        'stroke="#3b7dd8" stroke-width="2"/>').format(shape))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
