"""Read an assessment run back as per-city records (for tables, JSON, CSV and charts)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rdflib import Literal, URIRef
from rdflib.term import Identifier

from cityculture.namespaces import CSP
from cityculture.queries import load_query
from cityculture.store.interface import Backend

SOFT_POWER_INDEX = str(CSP.softPowerIndex)


@dataclass
class CityResult:
    """One city in one year: its scores and ranks on every framework node above indicators."""

    city: str
    name: str
    year: int
    scores: dict[str, float | None] = field(default_factory=dict)
    ranks: dict[str, int | None] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    levels: dict[str, int] = field(default_factory=dict)
    not_scored: dict[str, str] = field(default_factory=dict)

    aspects: dict[str, str] = field(default_factory=dict)

    def top_code(self) -> str:
        """Return the code of the index cities are ranked by, as the framework states it.

        The framework's top-level node that stands for the cultural soft power index (the
        paper's subject; SOFT in the paper's framework, beside HARD), else its one top-level
        node (GPCI's Comprehensive).

        :raises ValueError: several top-level nodes, none of them the soft power index.
        """
        top = max(self.levels.values())
        roots = sorted(code for code, level in self.levels.items() if level == top)
        soft = [code for code in roots if self.aspects.get(code) == SOFT_POWER_INDEX]
        if len(soft) == 1 or len(roots) == 1:
            return (soft or roots)[0]
        raise ValueError(f"the framework has {len(roots)} top-level nodes ({', '.join(roots)}) "
                         "and not one standing for csp:softPowerIndex: which one ranks the "
                         "cities is not stated")

    def as_dict(self) -> dict[str, object]:
        """Return a JSON-ready dict."""
        return {"city": self.city, "name": self.name, "year": self.year,
                "scores": self.scores, "ranks": self.ranks, "not_scored": self.not_scored}


def city_results(store: Backend, run: str, year: int | None = None) -> list[CityResult]:
    """Collect the results of a run per city and year (CQ4 for every city)."""
    bindings: dict[str, URIRef | Literal] = {"run": URIRef(run)}
    if year is not None:
        bindings["year"] = Literal(year)
    return results_from_rows(
        store.select(load_query("cq04-city-scores").text, bindings))


def results_from_rows(rows: Iterable[Mapping[str, Identifier | None]]) -> list[CityResult]:
    """Collect the rows of ``queries/cq04-city-scores.rq`` per city and year."""
    results: dict[tuple[str, int], CityResult] = {}
    for row in rows:
        key = (str(row["city"]), int(row["year"]))  # type: ignore[arg-type]
        result = results.get(key)
        if result is None:
            name = str(row["cityName"]) if row.get("cityName") is not None else key[0]
            result = results[key] = CityResult(city=key[0], name=name, year=key[1])
        code = str(row["code"]) if row.get("code") is not None else str(row["node"])
        score = row.get("score")
        rank = row.get("rank")
        result.scores[code] = float(score) if score is not None else None  # type: ignore[arg-type]
        result.ranks[code] = int(rank) if rank is not None else None  # type: ignore[arg-type]
        result.labels[code] = str(row["label"])
        result.levels[code] = int(row["level"])  # type: ignore[arg-type]
        if row.get("aspect") is not None:
            result.aspects[code] = str(row["aspect"])
        if row.get("notScoredReason") is not None:
            result.not_scored[code] = str(row["notScoredReason"])
    ordered = sorted(results.values(), key=lambda r: (r.year, _rank_key(r), r.name))
    return ordered


def _rank_key(result: CityResult) -> int:
    rank = result.ranks.get(result.top_code()) if result.levels else None
    return rank if rank is not None else 10**9
