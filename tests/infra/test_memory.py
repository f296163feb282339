"""Each function's memory size is the one `crm.topology.memory_size` derives from its measured
peak RSS (tests/bench/memory.py measures it), in the template `make synth` writes."""

from __future__ import annotations

import pytest

from crm import topology


def _memory_sizes(built) -> dict[str, int]:
    functions = built.properties("AWS::Lambda::Function")
    return {spec.name: functions[built.function_id(spec.name)]["MemorySize"] for spec in built.functions}


def test_every_function_has_its_peak_rss_measured():
    unmeasured = [spec.name for spec in topology.FUNCTIONS if spec.peak_rss_mb is None]
    assert not unmeasured, "python -m tests.bench --only memory, then record peak_rss_mb"


def test_each_function_gets_the_size_derived_from_its_peak_rss(synthesised):
    sizes = _memory_sizes(synthesised)
    for spec in synthesised.functions:
        assert spec.peak_rss_mb is not None
        assert sizes[spec.name] == topology.memory_size(spec.peak_rss_mb, floor_mb=spec.memory_floor_mb), spec.name
        assert sizes[spec.name] >= spec.peak_rss_mb * topology.HEADROOM, spec.name
        assert sizes[spec.name] % topology.MEMORY_STEP_MB == 0, spec.name
        assert sizes[spec.name] >= topology.MIN_MEMORY_MB, spec.name


def test_floors_are_for_api_functions_and_long_runs_only(synthesised):
    sizes = _memory_sizes(synthesised)
    for spec in synthesised.functions:
        if spec.routes:
            assert sizes[spec.name] >= topology.API_MEMORY_FLOOR_MB, spec.name
        elif spec.timeout_s >= topology.LONGEST_TIMEOUT_S:
            assert sizes[spec.name] >= topology.LONG_RUN_MEMORY_FLOOR_MB, spec.name
        else:  # the stream consumers and short jobs: their measured memory alone
            assert spec.peak_rss_mb is not None
            assert sizes[spec.name] == topology.memory_size(spec.peak_rss_mb), spec.name


def test_sizes_are_not_one_for_all(synthesised):
    sizes = _memory_sizes(synthesised)
    assert len(set(sizes.values())) > 1, sizes
    assert min(sizes.values()) < topology.API_MEMORY_FLOOR_MB  # not every function sized as an API one


def test_a_size_of_its_own_reaches_the_template(extended):
    """A function whose measured peak lifts it above its floor gets that size, not the floor."""
    (report,) = [spec for spec in extended.functions if spec.name == "journal_report"]
    assert report.peak_rss_mb is not None
    assert report.memory_mb > report.memory_floor_mb
    assert _memory_sizes(extended)["journal_report"] == report.memory_mb


@pytest.mark.parametrize(
    ("peak_rss_mb", "floor_mb", "size"),
    [(0.0, 128, 128), (85.0, 128, 128), (86.0, 128, 192), (290.0, 128, 448), (100.0, 512, 512), (400.0, 512, 640)],
)
def test_the_rule(peak_rss_mb, floor_mb, size):
    assert topology.memory_size(peak_rss_mb, floor_mb=floor_mb) == size
