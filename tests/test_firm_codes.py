import pytest

from diagnosis.credit_codes import normalise_uscc, uscc_check_char, uscc_error
from diagnosis.industries import division, sections, size_class


def test_check_character_of_the_standards_example():
    # The sample code printed in GB 32100-2015 and on countless licences.
    assert uscc_error("91350100M000100Y43") is None
    assert uscc_check_char("91350100M000100Y4") == "3"


@pytest.mark.parametrize("code, reason", [
    ("91350100M000100Y4", "length"),
    ("91350100M000100Y433", "length"),
    ("91350100M000100I43", "character"),   # I is not used
    ("913501O0M000100Y43", "character"),   # nor O
    ("9135A100M000100Y43", "region"),
    ("91350100M000100Y44", "check"),
    ("91350100M000101Y43", "check"),       # one mistyped digit
])
def test_bad_codes_name_their_fault(code, reason):
    assert uscc_error(code) == reason


def test_normalise_accepts_lowercase_and_spaces():
    assert uscc_error(normalise_uscc(" 91350100m000100y43 ")) is None


def test_industry_classification_is_complete():
    assert len(sections()) == 20
    assert sum(len(s["divisions"]) for s in sections().values()) == 97
    assert division("34").section == "C" and division("65").section == "I" and division("99") is None


@pytest.mark.parametrize("div, employees, revenue, expected", [
    ("34", 1000, 40000, "large"),
    ("34", 999, 40000, "medium"),    # misses the large headcount: one class down
    ("34", 1500, 39999, "medium"),   # misses the large revenue
    ("34", 300, 2000, "medium"),
    ("34", 299, 50000, "small"),
    ("34", 20, 300, "small"),
    ("34", 19, 100000, "micro"),     # micro needs only one bound missed
    ("34", 500, 299, "micro"),
    ("44", 2000, 100000, "large"),   # electricity is industrial too
    ("65", 100, 1000, "medium"),     # software: its own bounds
    ("65", 9, 5000, "micro"),
    ("52", 60, 600, "medium"),       # retail
    ("72", 150, 1, "medium"),        # other services: headcount only
    ("72", 9, 1e6, "micro"),
])
def test_size_class_follows_the_statistical_rules(div, employees, revenue, expected):
    assert size_class(div, employees, revenue) == expected
