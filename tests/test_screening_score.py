"""Evidence besides the name: what raises a hit and what rules it out."""

import pytest

from hoptac.screening.score import (
    THRESHOLD,
    Evidence,
    birth_date,
    combine,
    document_key,
    evidence,
    explain,
)


def _score(name: float, a: Evidence, b: Evidence) -> float:
    return combine(name, evidence(a, b))


def test_an_exact_birth_date_lifts_a_borderline_name_over_the_threshold() -> None:
    born = Evidence(birth=birth_date("1985-03-07"))
    assert _score(0.80, born, born) >= THRESHOLD
    assert _score(0.80, Evidence(), Evidence()) < THRESHOLD


def test_day_and_month_swapped_counts_less_than_exact_but_more_than_year_only() -> None:
    a = Evidence(birth=birth_date("1985-03-07"))
    swapped = Evidence(birth=birth_date("1985-07-03"))
    year = Evidence(birth=birth_date("1985"))
    exact, swap, only = _score(0.7, a, a), _score(0.7, a, swapped), _score(0.7, a, year)
    assert exact > swap > only > 0.7


def test_a_different_birth_year_rules_out_a_same_name() -> None:
    a, b = Evidence(birth=birth_date("1985-03-07")), Evidence(birth=birth_date("1972-03-07"))
    assert _score(1.0, a, b) < THRESHOLD


def test_a_different_sex_rules_out_and_a_shared_document_confirms() -> None:
    assert _score(1.0, Evidence(sex="M"), Evidence(sex="F")) < THRESHOLD
    doc = _score(0.6, Evidence(document="e 1234-5678"), Evidence(document="E12345678"))
    assert doc >= THRESHOLD


def test_unknowns_neither_help_nor_hurt() -> None:
    assert _score(0.9, Evidence(), Evidence(sex="M", nationality="CN")) == 0.9


def test_scores_stay_within_zero_and_one() -> None:
    born = Evidence(birth=birth_date("1985-03-07"), document="E1")
    assert _score(1.0, born, born) == 1.0
    apart = Evidence(birth=birth_date("1950"), sex="M")
    assert _score(0.1, apart, Evidence(birth=birth_date("2001"), sex="F")) == 0.0


@pytest.mark.parametrize("text", ["1985-02-30", "85", "03.07.1985x"])
def test_a_bad_birth_date_is_refused_with_its_reason(text: str) -> None:
    with pytest.raises(ValueError, match=r"not a date|does not exist|outside"):
        birth_date(text)


def test_blank_values_are_unknown() -> None:
    assert birth_date("  ") is None and document_key(" - ") is None


def test_the_explanation_names_every_reason() -> None:
    a = Evidence(birth=birth_date("1985-03-07"), nationality="CN")
    b = Evidence(birth=birth_date("1985-07-03"), nationality="VN")
    text = explain(0.9, "Vương ~ Wang via 王", evidence(a, b))
    assert "name 0.90 (Vương ~ Wang via 王)" in text
    assert "day and month swapped (+0.08)" in text
    assert "nationality CN / VN (-0.10)" in text
