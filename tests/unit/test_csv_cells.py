"""Every CSV the system writes opens in a spreadsheet as text, never as a formula (OWASP)."""

from __future__ import annotations

import pytest

from crm.domain.csv_cells import safe_cell


@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=B1/../B2", "-", "+"],
)
def test_a_cell_that_would_be_a_formula_is_shown_as_text(cell: str) -> None:
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["B001", "mgr-1", "clients_class_A+", "12", "-12", "-0.5", "0.2500", "", "客户数"])
def test_data_is_left_as_it_is(cell: str) -> None:
    assert safe_cell(cell) == cell
