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
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from cityculture.namespaces import CSP
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


GROUP_SIZE_DIGITS = 3
"""Observations and scores are described a thousand (10**3) to a document."""
_GROUPED = re.compile(r"^((?:submission|run)/[^/#]+/(?:obs|score)/)([^/#]*?)"
                      rf"([^/#]{{1,{GROUP_SIZE_DIGITS}}})$")
GROUP_SUFFIX = "xxx"
"""A group document is named by its members' common start and this (``obs/0012xxx``)."""


def group_of(rest: str) -> tuple[str, str] | None:
    """Return (document path, fragment) of a grouped resource, from its IRI after the base.

    The observations of a submission (``submission/{id}/obs/{row}``) and the scores of a run
    (``run/{id}/score/{n}``) are too many for a document each: they are described in
    documents of up to a thousand, named by the local name without its last three
    characters, each resource under a fragment named by its local name. The rule needs
    no lookup, so a static host can follow it with one rewrite rule.

    >>> group_of("submission/ab12/obs/0012345")
    ('submission/ab12/obs/0012xxx', '0012345')
    >>> group_of("run/r1/score/7")
    ('run/r1/score/xxx', '7')
    >>> group_of("city/Q90") is None
    True
    """
    match = _GROUPED.match(rest)
    if match is None:
        return None
    folder, start, end = match.groups()
    return file_key(iri_to_uri(folder + start + GROUP_SUFFIX)), start + end


def grouped_document(iri: str) -> tuple[str, str] | None:
    """Return (document path, fragment) of a resource described in a group document."""
    if not iri.startswith(DEFAULT_BASE) or "#" in iri:
        return None
    return group_of(iri[len(DEFAULT_BASE):])


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
        self._links: dict[tuple[str, str, str | None], Markup] = {}

    # -- links and terms ------------------------------------------------------------------

    def href(self, iri: str, page: str) -> str | None:
        """Return a relative link from a page to the page of an IRI, or None (no page)."""
        if under_base(iri):
            rest = iri[len(DEFAULT_BASE):]
            if rest.startswith("dumps/") or rest == SPARQL_PATH:  # files and the endpoint
                return relative_link(page, rest)
            if rest == "":
                return relative_link(page, "index.html")
            grouped = group_of(rest) if "#" not in rest else None
            if grouped is not None:
                return relative_link(page, grouped[0] + ".html") + "#" + grouped[1]
            return relative_link(page, site_path(iri) + ".html") + (
                "#" + iri.split("#", 1)[1] if "#" in iri else "")
        if iri.startswith(("http://", "https://")):
            return self.rewriter.iri(iri)
        return None  # never link other schemes (javascript:, data:, file:...)

    def link(self, iri: str, page: str, text: str | None = None) -> Markup:
        """Return an escaped ``<a>`` to an IRI's page, labelled with its label."""
        key = (page.rpartition("/")[0], iri, text)  # a link depends on the page's folder only
        found = self._links.get(key)
        if found is None:
            if len(self._links) >= 500_000:
                self._links.clear()
            found = self._links[key] = self._link(iri, page, text)
        return found

    def _link(self, iri: str, page: str, text: str | None) -> Markup:
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
        return self.twins_at(site_path(iri), triples)

    def twins_at(self, path: str, triples: Sequence[ox.Triple]) -> list[Alternate]:
        """Write the twins of the page at site path ``path`` (no suffix); return alternates."""
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

    def write_group(self, path: str, members: Sequence[str]) -> str:
        """Write one document describing several resources, each under its fragment.

        Its twins hold what each member's own twins would: its description, or what
        points at it. Returns the page's site path.
        """
        page = path + ".html"
        triples: dict[str, ox.Triple] = {}
        sections = []
        for iri in members:
            for triple in self.twin_triples(iri):
                triples.setdefault(str(triple), triple)
            context = self.resource_context(iri, page)
            grouped = grouped_document(iri)
            context["anchor"] = grouped[1] if grouped else iri.rsplit("/", 1)[-1]
            sections.append(context)
        alternates = self.twins_at(path, list(triples.values()))
        first, last = sections[0]["anchor"], sections[-1]["anchor"]
        folder = path.rsplit("/", 1)[0]
        self.render("group.html", page, alternates=alternates, iri=None, sections=sections,
                    title=f"{folder} {first} to {last}")
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


@dataclass(frozen=True)
class QuadrantPoint:
    """One city in the soft-versus-hard chart."""

    label: str
    hard: float
    soft: float
    highlighted: bool = False


_QUADRANT_LEFT, _QUADRANT_TOP, _QUADRANT_SIZE = 60, 20, 300


def _quadrant_x(value: float) -> float:
    return _QUADRANT_LEFT + _QUADRANT_SIZE * max(0.0, min(value, 100.0)) / 100


def _quadrant_y(value: float) -> float:
    return _QUADRANT_TOP + _QUADRANT_SIZE - _QUADRANT_SIZE * max(0.0, min(value, 100.0)) / 100


def _quadrant_head(title: str) -> Markup:
    """Return the opening ``<svg>`` of a quadrant chart, with its title."""
    width, height = _QUADRANT_LEFT + _QUADRANT_SIZE + 30, _QUADRANT_TOP + _QUADRANT_SIZE + 50
    return Markup('<svg class="quadrant" role="img" xmlns="http://www.w3.org/2000/svg" '
                  'width="{0}" height="{1}" viewBox="0 0 {0} {1}"><title>{2}</title>'
                  ).format(width, height, title)


def _quadrant_frame(strong: float, dislocation: float) -> Markup:
    """Return what every chart of the same thresholds draws: frame, band, lines, axes."""
    left, top, size = _QUADRANT_LEFT, _QUADRANT_TOP, _QUADRANT_SIZE
    x, y = _quadrant_x, _quadrant_y
    band = [(0, dislocation), (0, 0), (100 - dislocation, 0) if dislocation < 100 else (100, 0),
            (100, 100 - dislocation), (100, 100), (dislocation, 100)]
    parts = [Markup('<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#ccd3db"/>')
             .format(left, top, size, size),
             Markup('<polygon class="harmony" points="{}" fill="#7fb77e" fill-opacity="0.18"/>')
             .format(" ".join(f"{x(h):.1f},{y(s):.1f}" for h, s in band)),
             Markup('<line x1="{0:.1f}" y1="{1}" x2="{0:.1f}" y2="{2}" stroke="#8894a0" '
                    'stroke-dasharray="4 3"/>').format(x(strong), top, top + size),
             Markup('<line x1="{0}" y1="{1:.1f}" x2="{2}" y2="{1:.1f}" stroke="#8894a0" '
                    'stroke-dasharray="4 3"/>').format(left, y(strong), left + size)]
    corners = [("soft-led", 2, 98, "start"), ("strong-strong", 98, 98, "end"),
               ("weak-weak", 2, 3, "start"), ("hard-led", 98, 3, "end")]
    for name, h, s, anchor in corners:
        parts.append(Markup('<text class="corner" x="{:.1f}" y="{:.1f}" text-anchor="{}" '
                            'fill="#5b6670">{}</text>').format(x(h), y(s) + 4, anchor, name))
    parts.append(Markup('<text x="{}" y="{}" text-anchor="middle">hard power index</text>')
                 .format(left + size / 2, top + size + 35))
    parts.append(Markup('<text x="15" y="{0}" text-anchor="middle" transform="rotate(-90 15 {0})">'
                        'cultural soft power index</text>').format(top + size / 2))
    for tick in (0, 50, 100):
        parts.append(Markup('<text x="{:.1f}" y="{}" text-anchor="middle">{}</text>')
                     .format(x(tick), top + size + 15, tick))
        parts.append(Markup('<text x="{}" y="{:.1f}" text-anchor="end">{}</text>')
                     .format(left - 5, y(tick) + 4, tick))
    return Markup("").join(parts)


def _quadrant_point(point: QuadrantPoint) -> Markup:
    """Return one city's circle in a quadrant chart (larger and red when highlighted)."""
    css = "city highlighted" if point.highlighted else "city"
    fill, radius = ("#d8573b", 6) if point.highlighted else ("#3b7dd8", 3.5)
    return Markup('<circle class="{}" cx="{:.1f}" cy="{:.1f}" r="{}" fill="{}">'
                  '<title>{}: soft {:.1f}, hard {:.1f}</title></circle>').format(
        css, _quadrant_x(point.hard), _quadrant_y(point.soft), radius, fill, point.label,
        point.soft, point.hard)


class QuadrantChart:
    """Cities by hard power (x) and soft power (y), 0-100, as an inline SVG.

    The lines at ``strong`` on both axes divide the quadrants of CQ5 (strong-strong, soft-led,
    hard-led, weak-weak); the band where |soft - hard| is at most ``dislocation`` holds the
    cities in harmony (paper §3.1), those outside it are in dislocation. Both thresholds are
    the framework's (``csp:strongThreshold``, ``csp:dislocationThreshold``). Labels are
    escaped.

    The chart is drawn once; ``svg(title, city)`` joins the parts drawn beforehand with
    ``city`` highlighted on top (a national chart has hundreds of cities, drawn on each of
    their pages).

    >>> chart = QuadrantChart([("urn:x", QuadrantPoint("a<b", 80.0, 20.0))], 50, 20)
    >>> svg = chart.svg("t", "urn:x")
    >>> "a&lt;b" in svg and 'class="city highlighted"' in svg and "hard-led" in svg
    True
    """

    def __init__(self, points: Sequence[tuple[str, QuadrantPoint]], strong: float,
                 dislocation: float) -> None:
        """Draw ``points`` (city IRI, point not highlighted) between the two thresholds."""
        self.frame = _quadrant_frame(strong, dislocation)
        self.plain = [_quadrant_point(point) for _, point in points]
        self.highlighted = [_quadrant_point(QuadrantPoint(point.label, point.hard, point.soft,
                                                          True)) for _, point in points]
        self.positions: dict[str, list[int]] = {}
        for position, (city, _) in enumerate(points):
            self.positions.setdefault(city, []).append(position)

    def svg(self, title: str, highlight: str | None = None) -> Markup:
        """Return the chart with ``title``, the city ``highlight`` (if any) drawn on top."""
        chosen = self.positions.get(highlight, []) if highlight is not None else []
        circles = self.plain
        if chosen:
            skipped = set(chosen)
            circles = [c for i, c in enumerate(self.plain) if i not in skipped]
            circles += [self.highlighted[i] for i in chosen]
        # every part is markup already: joined as text, with nothing left to escape
        return Markup("".join([_quadrant_head(title), self.frame, *circles, "</svg>"]))


def framework_thresholds(index: SiteIndex, framework: str | None) -> tuple[float, float] | None:
    """Return the framework's (strong, dislocation) thresholds, read from its triples."""
    if framework is None:
        return None
    values = []
    for name in ("strongThreshold", "dislocationThreshold"):
        term = index.value(framework, str(CSP) + name)
        if term is None:
            return None
        values.append(float(term.value))  # type: ignore[attr-defined]
    return values[0], values[1]


def quadrant_chart(index: SiteIndex, framework: str | None, balance_rows: Sequence[Mapping],
                   title: str, highlight: str | None = None) -> Markup | None:
    """Draw the soft-versus-hard chart of CQ5 rows (one year), or None without thresholds."""
    chart = quadrant_drawing(index, framework, balance_rows)
    return None if chart is None else chart.svg(title, highlight)


def quadrant_drawing(index: SiteIndex, framework: str | None,
                     balance_rows: Sequence[Mapping]) -> QuadrantChart | None:
    """Draw the chart of CQ5 rows (one year) once, or None without thresholds or rows."""
    thresholds = framework_thresholds(index, framework)
    if thresholds is None or not balance_rows:
        return None
    points = [(str(r["city"]), QuadrantPoint(str(r.get("cityName") or index.label(str(r["city"]))),
                                             float(r["hard"]), float(r["soft"])))
              for r in balance_rows]
    return QuadrantChart(points, thresholds[0], thresholds[1])


PEERS_SHOWN = 3
"""On a city page, each element lists this many of the peers the city draws lessons from."""


def peer_summary(writer: PageWriter, rows: Sequence[Mapping], page: str) -> list[dict]:
    """Summarise CQ6 rows of one city and year, element by element (paper §3.3).

    For each element: the comparable cities scoring highest above the city (it draws lessons
    from them), and how many comparable cities it is stronger than.
    """
    by_element: dict[str, list[Mapping]] = {}
    for row in rows:
        by_element.setdefault(str(row["element"]), []).append(row)
    summary = []
    for element, found in by_element.items():
        above = sorted((r for r in found if str(r["relation"]) == "draws lessons from"),
                       key=lambda r: -float(r["peerScore"]))
        below = [r for r in found if str(r["relation"]) == "stronger than"]
        summary.append({
            "element": writer.link(element, page, str(found[0].get("elementLabel") or "")
                                   or None),
            "own": fmt_number(found[0]["own"]),
            "lessons": [Markup("{} ({}, {})").format(
                writer.link(str(r["peer"]), page, str(r.get("peerName") or "") or None),
                fmt_number(r["peerScore"]), r["comparable"]) for r in above[:PEERS_SHOWN]],
            "lessons_more": max(0, len(above) - PEERS_SHOWN),
            "stronger": len(below),
            "peers": len(found),
        })
    return summary
