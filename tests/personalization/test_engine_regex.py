"""Regexes on RE2: linear time on hostile input, plain refusals of what RE2 cannot run."""

import re
from unittest import mock

import pytest

from personalization.engine.conditions import (
    compile_condition,
    evaluate_condition,
    validate_condition,
)
from personalization.engine.conditions.regex import compile_js_regex

LONGEST = 1024  # the longest context string the APIs accept

# Patterns on which a backtracking engine (Python's re, JavaScript's) takes exponential or high
# polynomial time, each with a failing and a matching input of the longest context string.
CATASTROPHIC = [
    ("^(a+)+$", "a" * (LONGEST - 1) + "!", "a" * LONGEST),
    ("(a|aa)+$", "a" * (LONGEST - 1) + "!", "a" * LONGEST),
    ("^(a|a)*$", "a" * (LONGEST - 1) + "b", "a" * LONGEST),
    ("^(a*)*b$", "a" * LONGEST, "a" * (LONGEST - 1) + "b"),
    ("(.*a){20}", "a" * 19 + "b" * (LONGEST - 19), "ab" * (LONGEST // 2)),
    ("(x+x+)+y", "x" * LONGEST, "x" * (LONGEST - 1) + "y"),
    ("^(\\w+\\s?)*$", "word " * 204 + "!!!!", "word " * 204 + "word"),
    ("^(\\d+)*[a-z]$", "1" * (LONGEST - 1) + "!", "1" * (LONGEST - 1) + "z"),
    ("^(([a-z])+.)+[A-Z]([a-z])+$", "a" * (LONGEST - 1) + "!", "a" * (LONGEST - 4) + "Abc"),
    (
        "^([a-zA-Z0-9])(([\\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}"
        "(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$",
        "a" * (LONGEST - 1) + "!",
        "a" * (LONGEST - 12) + "@example.com",
    ),
    ("[a-q][^u-z]{13}x", "a" * LONGEST, "a" * (LONGEST - 1) + "x"),
    ("(?:a+|b+|ab)*c", "ab" * (LONGEST // 2), "ab" * (LONGEST // 2 - 1) + "c"),
]


@pytest.fixture
def no_python_re(monkeypatch):
    """Python's re compiles every pattern through re._compile; any call means a fallback."""
    compile_js_regex.cache_clear()
    spy = mock.Mock(side_effect=AssertionError("Python's re was used"))
    monkeypatch.setattr(re, "_compile", spy)
    yield spy
    monkeypatch.undo()
    compile_js_regex.cache_clear()


@pytest.mark.parametrize(("pattern", "failing", "matching"), CATASTROPHIC)
def test_regex__catastrophic_pattern_on_longest_input__answers_on_re2(
    no_python_re, pattern: str, failing: str, matching: str
) -> None:
    # Given conditions with a pattern that backtracks catastrophically, and its negation
    conditions = [
        compile_condition({"context.q": {op: pattern}})
        for op in ("$regex", "$notRegex", "$regexi", "$notRegexi")
    ]
    # When tested against 1,024-character inputs that fail and that match
    results = [
        [test({"context": {"q": text}}) for test in conditions] for text in (failing, matching)
    ]
    # Then each answer is right, and Python's re was never asked
    assert results == [[False, True, False, True], [True, False, True, False]]
    assert validate_condition({"context.q": {"$regex": pattern}}) == []
    no_python_re.assert_not_called()


def test_regex__catastrophic_pattern_inside_elem_match__answers(no_python_re) -> None:
    # Given a catastrophic pattern applied to every element of a list
    condition = {"context.tags": {"$elemMatch": {"$regex": "^(a+)+$"}}}
    # When the list holds long failing strings and one match
    attributes = {"context": {"tags": ["a" * 1023 + "!"] * 49 + ["aaa"]}}
    # Then the match is found
    assert evaluate_condition(condition, attributes) is True
    no_python_re.assert_not_called()


LINEAR_TIME = "which Tactful does not support: regexes must run in linear time."
STAY_SMALL = "which Tactful does not support: regexes must stay small to run in linear time."


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("(?=x)", f'the pattern "(?=x)" uses lookahead, {LINEAR_TIME}'),
        ("a(?!b)", f'the pattern "a(?!b)" uses negative lookahead, {LINEAR_TIME}'),
        ("(?<=a)b", f'the pattern "(?<=a)b" uses lookbehind, {LINEAR_TIME}'),
        ("(?<!a)b", f'the pattern "(?<!a)b" uses negative lookbehind, {LINEAR_TIME}'),
        ("(a)\\1", f'the pattern "(a)\\1" uses a backreference (\\1), {LINEAR_TIME}'),
        ("\\2(a)(b)", f'the pattern "\\2(a)(b)" uses a backreference (\\2), {LINEAR_TIME}'),
        (
            "(?<y>\\d{4})-\\k<y>",
            f'the pattern "(?<y>\\d{{4}})-\\k<y>" uses a backreference (\\k<y>), {LINEAR_TIME}',
        ),
        ("a{1001}", f'the pattern "a{{1001}}" repeats more than 1,000 times, {STAY_SMALL}'),
        (
            "(a{40}){30}",
            f'the pattern "(a{{40}}){{30}}" repeats more than 1,000 times, {STAY_SMALL}',
        ),
        ("\\w{400}", '"\\w{400}" is too large (1,'),
        ("\\w{400}", f"1,000 at most), {STAY_SMALL}"),
    ],
)
def test_validate_condition__pattern_re2_cannot_run__refused_in_plain_words(
    pattern: str, message: str
) -> None:
    # Given a pattern JavaScript accepts but that cannot run in linear time
    condition = {"context.q": {"$regex": pattern}}
    # When validated
    problems = validate_condition(condition)
    # Then it is refused with a plain reason, at its path
    assert len(problems) == 1
    assert problems[0].startswith('"$regex" at context.q: the pattern ')
    assert message in problems[0]


@pytest.mark.parametrize("pattern", ["(?=x)", "(a)\\1", "a{1001}", "\\w{400}"])
def test_compile_condition__pattern_re2_cannot_run__neither_it_nor_its_negation_matches(
    pattern: str,
) -> None:
    # Given a revision saved before the check (or edited by hand) holding such a pattern
    conditions = [compile_condition({"context.q": {op: pattern}}) for op in ("$regex", "$notRegex")]
    # When evaluated against any text
    results = [test({"context": {"q": "xa" * 600}}) for test in conditions]
    # Then nothing raises and the leaf fails both ways, so the rule is skipped
    assert results == [False, False]


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        # Annex B: a digit escape beyond the group count is octal, "\8" is "8".
        ("^\\1$", "\x01", True),
        ("^(a)|\\2$", "\x02", True),
        ("^\\101$", "A", True),
        ("^\\8$", "8", True),
        ("^[\\1]$", "\x01", True),
        # A class escape at a range's end makes the dash a literal.
        ("^[\\w-.]+$", "a-.", True),
        # Named groups without backreferences are fine, even with "$" in the name.
        ("^(?<$id>\\d+)$", "42", True),
        # An escaped surrogate pair is the character it encodes.
        ("^\\uD83D\\uDE00$", "\U0001f600", True),
        # Line terminators: "." excludes them, [^] includes them.
        ("^.$", "\u2028", False),
        ("^[^]$", "\u2028", True),
    ],
)
def test_regex__javascript_legacy_forms__read_as_javascript_does(
    pattern: str, value: str, expected: bool
) -> None:
    # Given a pattern in a form JavaScript reads in its own way
    condition = {"context.x": {"$regex": pattern}}
    # When tested
    result = evaluate_condition(condition, {"context": {"x": value}})
    # Then the answer is JavaScript's RegExp's (checked against Node.js)
    assert result is expected
    assert validate_condition(condition) == []


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [("^\\W$", "k", False), ("^\\W$", "s", False), ("^[^\\W]+$", "KkSs", True), ("K", "k", True)],
)
def test_regexi__word_shorthands__fold_case_like_javascript(
    pattern: str, value: str, expected: bool
) -> None:
    # Given a case-insensitive pattern with \W, whose set holds letters' folding partners
    condition = {"context.x": {"$regexi": pattern}}
    # When tested against ASCII letters
    result = evaluate_condition(condition, {"context": {"x": value}})
    # Then \W still matches no letter, as in JavaScript
    assert result is expected


def test_regex__lone_surrogate_in_value__evaluates_without_raising() -> None:
    # Given a value with a lone surrogate, which JSON allows
    value = {"context": {"x": "a\ud800b"}}
    # When tested by a regex and its negation
    results = [
        evaluate_condition({"context.x": {"$regex": "^a.b$"}}, value),
        evaluate_condition({"context.x": {"$notRegex": "z"}}, value),
    ]
    # Then both answer instead of failing
    assert results == [True, True]
