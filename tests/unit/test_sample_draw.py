"""The yearly callback sample (DOMAIN §5): who is eligible, how many, and a draw anyone holding
the record reproduces."""

from __future__ import annotations

import hashlib
import math
from datetime import date, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from crm.domain.sample import Candidate, draw, draw_ids, eligible, new_seed, population_digest, sample_size
from crm.domain.time import BEIJING

AT = datetime(2027, 1, 1, 6, 0, tzinfo=BEIJING)
IDS = st.lists(st.from_regex(r"[A-Z][0-9]{1,6}", fullmatch=True), unique=True, max_size=300)
SEEDS = st.from_regex(r"[0-9a-f]{32}", fullmatch=True)
RATES = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1"), places=2)


def test_eligible_means_on_record_at_the_previous_year_end_still_a_client_and_not_dormant() -> None:
    assert eligible(Candidate("C1", date(2026, 12, 31), "E", True), 2027)
    assert eligible(Candidate("C1", date(2020, 1, 1), None, True), 2027)  # no class yet is not dormant
    assert not eligible(Candidate("C1", date(2027, 1, 1), "E", True), 2027)
    assert not eligible(Candidate("C1", date(2020, 1, 1), "G", True), 2027)
    assert not eligible(Candidate("C1", date(2020, 1, 1), "A", False), 2027)


def test_the_size_is_the_rate_of_the_population_rounded_up() -> None:
    assert [sample_size(Decimal("0.10"), n) for n in (0, 1, 9, 10, 11, 101)] == [0, 1, 1, 1, 2, 11]


def test_a_seed_is_32_hex_characters_and_fresh() -> None:
    seeds = {new_seed() for _ in range(20)}
    assert len(seeds) == 20
    assert all(len(s) == 32 and int(s, 16) >= 0 for s in seeds)


@given(IDS, SEEDS, RATES)
def test_the_draw_is_the_first_n_by_sha256_of_seed_and_id(ids: list[str], seed: str, rate: Decimal) -> None:
    drawn = draw_ids(seed, ids, rate)
    ranked = sorted(ids, key=lambda c: hashlib.sha256(f"{seed}:{c}".encode()).hexdigest())
    assert drawn == ranked[: math.ceil(rate * len(ids))]
    assert len(drawn) >= rate * len(ids)


@given(IDS, SEEDS, RATES)
def test_the_draw_depends_on_the_population_not_on_its_order(ids: list[str], seed: str, rate: Decimal) -> None:
    assert draw_ids(seed, ids, rate) == draw_ids(seed, list(reversed(ids)), rate)
    assert population_digest(ids) == population_digest(reversed(ids))


@given(
    st.lists(
        st.tuples(st.from_regex(r"C[0-9]{1,5}", fullmatch=True), st.booleans(), st.booleans(), st.booleans()),
        unique_by=lambda t: t[0],
        max_size=100,
    ),
    SEEDS,
)
def test_a_draw_records_the_population_its_digest_and_a_sample_of_it(
    rows: list[tuple[str, bool, bool, bool]], seed: str
) -> None:
    candidates = [
        Candidate(client_id, date(2026 + new, 6, 1), "G" if dormant else "C", active)
        for client_id, new, dormant, active in rows
    ]
    population = [c.client_id for c in candidates if eligible(c, 2027)]
    sample = draw(2027, seed, candidates, rate=Decimal("0.10"), at=AT, rules_version="2026.1")
    assert (sample.population, sample.population_digest) == (len(population), population_digest(population))
    assert set(sample.drawn) <= set(population)
    assert len(sample.drawn) == math.ceil(Decimal("0.10") * len(population))
    assert (sample.seed, sample.year, sample.drawn_at, sample.rules_version) == (seed, 2027, AT, "2026.1")
