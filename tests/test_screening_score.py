"""Evidence besides the name: what raises a hit and what rules it out."""

import pytest

from hoptac.screening.score import (
    HIT_THRESHOLD,
    Evidence,
    birth_date,
    document_key,
    evidence,
    explain,
    name_factor,
    name_level,
    probability,
)


def _score(name: float, a: Evidence, b: Evidence, namesakes: int = 1) -> float:
    level = name_level(name)
    assert level is not None
    return probability([name_factor(level, namesakes), *evidence(a, b)])


BORN = Evidence(birth=birth_date("1985-03-07"), sex="M")


def test_an_exact_birth_date_lifts_a_similar_name_over_the_threshold() -> None:
    assert _score(0.85, BORN, BORN) >= HIT_THRESHOLD
    assert _score(0.85, Evidence(), Evidence()) < HIT_THRESHOLD


def test_a_same_name_alone_is_a_hit_only_when_the_name_is_rare_in_the_register() -> None:
    unknown = Evidence(sex="M")
    assert _score(1.0, unknown, BORN, namesakes=1) >= HIT_THRESHOLD
    assert _score(1.0, unknown, BORN, namesakes=5) < HIT_THRESHOLD
    # with the birth date, even a common name is a hit
    assert _score(1.0, BORN, BORN, namesakes=30) >= HIT_THRESHOLD


def test_day_and_month_swapped_counts_less_than_exact_but_more_than_year_only() -> None:
    swapped = Evidence(birth=birth_date("1985-07-03"))
    year = Evidence(birth=birth_date("1985"))
    exact, swap, only = (_score(0.8, BORN, x, namesakes=8) for x in (BORN, swapped, year))
    assert exact > swap > only > _score(0.8, BORN, Evidence(), namesakes=8)


def test_a_different_birth_date_rules_out_a_same_name() -> None:
    for other in ("1985-11-23", "1972-03-07", "1986-03-07"):
        assert _score(1.0, BORN, Evidence(birth=birth_date(other))) < HIT_THRESHOLD


def test_a_different_sex_rules_out_a_name_and_a_shared_document_confirms() -> None:
    woman = Evidence(birth=BORN.birth, sex="F")
    assert _score(1.0, Evidence(sex="M"), Evidence(sex="F")) < HIT_THRESHOLD
    assert _score(1.0, BORN, woman) < _score(1.0, BORN, BORN) / 1.02  # a slip, or not
    doc = _score(0.75, Evidence(document="e 1234-5678"), Evidence(document="E12345678"), 20)
    assert doc >= HIT_THRESHOLD


def test_unknowns_neither_help_nor_hurt() -> None:
    assert evidence(Evidence(), Evidence(sex="M", nationality="CN", birth=BORN.birth)) == []
    assert _score(0.9, Evidence(), BORN) == _score(0.9, Evidence(), Evidence())


def test_a_name_below_the_lowest_level_has_no_level() -> None:
    assert name_level(0.69) is None and name_level(1.0) == 0


def test_probabilities_stay_within_zero_and_one() -> None:
    sure = Evidence(birth=birth_date("1985-03-07"), document="E1", sex="M")
    assert 0.99 < _score(1.0, sure, sure) <= 1.0
    apart = Evidence(birth=birth_date("1950"), sex="M")
    assert 0.0 <= _score(0.7, apart, Evidence(birth=birth_date("2001"), sex="F"), 50) < 0.001


@pytest.mark.parametrize("text", ["1985-02-30", "85", "03.07.1985x"])
def test_a_bad_birth_date_is_refused_with_its_reason(text: str) -> None:
    with pytest.raises(ValueError, match=r"not a date|does not exist|outside"):
        birth_date(text)


def test_blank_values_are_unknown() -> None:
    assert birth_date("  ") is None and document_key(" - ") is None


def test_the_explanation_names_every_reason() -> None:
    a = Evidence(birth=birth_date("1985-03-07"), nationality="CN")
    b = Evidence(birth=birth_date("1985-07-03"), nationality="VN")
    factors = [name_factor(1, 3), *evidence(a, b)]
    text = explain(0.95, "Vương ~ Wang via 王", factors)
    assert text.startswith("name 0.95 (Vương ~ Wang via 王); variant of the name: 1 of 3 records")
    assert "day and month swapped (x32.9)" in text
    assert "nationality CN / VN (x0.2)" in text


def test_probabilities_over_arrays_equal_the_scalar_ones() -> None:
    """The engines filter pairs with `probabilities` (arrays); it must give exactly what
    `probability` of `name_factor` and `evidence` gives, for every kind of evidence."""
    import itertools

    import numpy as np

    from hoptac.screening.score import (
        NAME_LEVELS,
        code_evidence,
        evidence,
        name_factor,
        probabilities,
        probability,
    )

    births = [
        None,
        "1980",
        "1981",
        "1983",
        "1980-03",
        "1980-07",
        "1980-03-07",
        "1980-07-03",
        "1980-03-08",
        "1981-03-07",
    ]
    people = [
        Evidence(birth=birth_date(b), sex=s, nationality=n, document=d)
        for b, s, n, d in itertools.product(
            births, [None, "M", "F"], [None, "VN", "CN"], [None, "E123", "E124"]
        )
    ]
    a, b = code_evidence(people, people)
    ia, ib = (x.ravel() for x in np.meshgrid(np.arange(len(people)), np.arange(len(people))))
    levels = np.arange(len(ia)) % len(NAME_LEVELS)
    namesakes = np.arange(len(ia)) % 5
    got = probabilities(levels, namesakes, a, b, ia, ib)
    want = [
        probability([name_factor(int(lv), int(n)), *evidence(people[i], people[j])])
        for lv, n, i, j in zip(levels, namesakes, ia, ib, strict=True)
    ]
    assert got.tolist() == want


def test_different_document_numbers_count_against_and_are_said() -> None:
    """A newcomer's finding: a hit whose two sides carry different document numbers
    scored 1.00 and its reasons never mentioned the documents."""
    notice = Evidence(birth=BORN.birth, sex="M", document="E12345678")
    other = Evidence(birth=BORN.birth, sex="M", document="G 9876-5432")
    factors = evidence(notice, other)
    assert "different document numbers E12345678 / G98765432" in [f.reason for f in factors]
    same = _score(0.85, notice, notice, namesakes=8)
    unknown = _score(0.85, notice, Evidence(birth=BORN.birth, sex="M"), namesakes=8)
    different = _score(0.85, notice, other, namesakes=8)
    assert same > unknown > different
    reasons = explain(0.85, "", factors)
    assert "different document numbers" in reasons
