"""The yearly callback sample (DOMAIN §5, beyond the seed): drawn once a year, reproducible by
anyone who holds the record.

Population: the clients on record at the previous year end (opened on or before 31 December),
neither transferred nor closed at the draw, and not dormant (class G). n = ceil(rate ×
population). A seed of 32 hex characters is drawn and kept with the population's size and the
SHA-256 of its sorted client ids, one per line; the drawn clients are the first n client ids
ordered by the hex SHA-256 of `seed + ":" + client_id`. An auditor reproduces a draw with:

    ranked = sorted(ids, key=lambda c: hashlib.sha256(f"{seed}:{c}".encode()).hexdigest())
    assert hashlib.sha256("\\n".join(sorted(ids)).encode()).hexdigest() == population_digest
    assert ranked[: math.ceil(rate * len(ids))] == drawn
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

DORMANT = "G"


@dataclass(frozen=True)
class Candidate:
    client_id: str
    opened_on: date
    client_class: str | None
    active: bool


def eligible(candidate: Candidate, year: int, dormant_class: str = DORMANT) -> bool:
    """In `year`'s population: on record at the previous year end, still a client, not dormant."""
    return (
        candidate.opened_on <= date(year - 1, 12, 31) and candidate.active and candidate.client_class != dormant_class
    )


def population_digest(client_ids: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(client_ids)).encode()).hexdigest()


def new_seed() -> str:
    return secrets.token_hex(16)


def sample_size(rate: Decimal, population: int) -> int:
    """ceil(rate × population) in exact arithmetic: 10 % of 101 clients is 11."""
    return math.ceil(rate * population)


def rank(seed: str, client_id: str) -> str:
    return hashlib.sha256(f"{seed}:{client_id}".encode()).hexdigest()


def draw_ids(seed: str, population: Iterable[str], rate: Decimal) -> list[str]:
    ids = sorted(set(population))
    return sorted(ids, key=lambda client_id: (rank(seed, client_id), client_id))[: sample_size(rate, len(ids))]


@dataclass(frozen=True)
class Sample:
    year: int
    seed: str
    rate: Decimal
    population: int
    population_digest: str
    drawn: tuple[str, ...]
    drawn_at: datetime
    rules_version: str


def draw(
    year: int, seed: str, candidates: Iterable[Candidate], *, rate: Decimal, at: datetime, rules_version: str
) -> Sample:
    population = [c.client_id for c in candidates if eligible(c, year)]
    return Sample(
        year=year,
        seed=seed,
        rate=rate,
        population=len(set(population)),
        population_digest=population_digest(set(population)),
        drawn=tuple(draw_ids(seed, population, rate)),
        drawn_at=at,
        rules_version=rules_version,
    )
