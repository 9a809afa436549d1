"""Probability tables written as text, ``"1:0.25,2:0.75"`` — for demand and lead
times typed on the command line or in a catalog file. Pure Python (no numpy), so the
CLI can parse options without loading the numeric stack."""

from __future__ import annotations

from subzero.domain.errors import InvalidParameter

__all__ = ["parse_pmf"]


def parse_pmf(text: str, *, name: str) -> dict[int, float]:
    """Parse ``"1:0.25,2:0.75"`` (commas or spaces between parts) into
    {value: probability}; probabilities of a repeated value add up. No normalisation
    check here (``demand_from_pmf`` and ``LeadTimeDistribution`` make it)."""
    pmf: dict[int, float] = {}
    for part in text.replace(",", " ").split():
        try:
            key, prob = part.split(":")
            pmf[int(key)] = pmf.get(int(key), 0.0) + float(prob)
        except ValueError:
            raise InvalidParameter(
                f"{name}: {part!r} is not of the form VALUE:PROBABILITY (e.g. 2:0.25)"
            ) from None
    if not pmf:
        raise InvalidParameter(f"{name}: empty pmf")
    return pmf
