"""HTTP content negotiation (RFC 9110, section 12.5.1): ``Accept`` with q-values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MediaRange:
    """One entry of an ``Accept`` header."""

    type: str
    subtype: str
    q: float

    def matches(self, media_type: str) -> int:
        """Return how specifically this range matches a media type (-1: not at all)."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 0
        if self.type == kind and self.subtype == "*":
            return 1
        if self.type == kind and self.subtype == sub:
            return 2
        return -1


def parse_accept(header: str | None) -> list[MediaRange]:
    """Parse an ``Accept`` header; a missing or empty one accepts anything.

    >>> [(r.type, r.subtype, r.q) for r in parse_accept("text/turtle;q=0.9, */*;q=0.1")]
    [('text', 'turtle', 0.9), ('*', '*', 0.1)]
    """
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0)]
    ranges = []
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if "/" not in media:
            continue
        kind, _, sub = media.partition("/")
        q = 1.0
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value.strip())))
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(kind.strip(), sub.strip(), q))
    return ranges


def negotiate(header: str | None, offers: Sequence[str]) -> str | None:
    """Return the offer the client prefers (ties go to the earlier offer), or None (406).

    Each offer takes the q-value of the most specific range that matches it.

    >>> negotiate("text/turtle;q=0.5, application/ld+json", ["text/html", "text/turtle",
    ...           "application/ld+json"])
    'application/ld+json'
    >>> negotiate("image/png", ["text/html"]) is None
    True
    """
    ranges = parse_accept(header)
    best: tuple[float, int] | None = None
    chosen = None
    for position, offer in enumerate(offers):
        specificity, q = -1, 0.0
        for media_range in ranges:
            level = media_range.matches(offer)
            if level > specificity:
                specificity, q = level, media_range.q
        if specificity < 0 or q <= 0:
            continue
        key = (q, -position)
        if best is None or key > best:
            best, chosen = key, offer
    return chosen
