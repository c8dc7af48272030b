"""Translate GrowthBook's JavaScript regular expressions into RE2, which runs in linear time."""

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Final

import re2

# GrowthBook patterns are JavaScript RegExp source (no flags but "i" for $regexi, tested with
# RegExp.prototype.test: a search anywhere, not a full match). They run on RE2, whose time is
# linear in the input whatever the pattern: Python's re (like JavaScript's engines) backtracks,
# and "^(a+)+$" against 27 "a"s and a "!" took seconds. No pattern ever falls back to re.
#
# Patterns are translated token by token so that they mean what they mean in JavaScript:
# \d \w \s \D \W \S keep JavaScript's sets (\s includes U+00A0, U+FEFF and the other Unicode
# spaces, RE2's does not), "." excludes every line terminator, "$" only matches at the very end,
# \b is the ASCII word boundary in both, named groups become (?P<name>...), Annex B's legacy
# forms are read as JavaScript reads them (octal escapes, "\q" for "q", "{,3}" as text), and
# syntax JavaScript rejects ((?P...), inline flags, possessive quantifiers) stays invalid.
#
# Where RE2 differs from JavaScript's RegExp, and what Tactful does about it:
# - Lookahead, lookbehind and backreferences cannot run in linear time and RE2 has none: such
#   patterns are refused when a segment is saved (RegexUnsupportedError, in plain words), and
#   one that reaches the engine anyway (an old revision, a hand-edited snapshot) fails its leaf:
#   neither $regex nor $notRegex matches, so the rule is skipped and the default is served.
# - RE2 repeats at most 1,000 times ({1001} is refused) and Tactful caps a pattern's compiled
#   size (MAX_PROGRAM_SIZE) and memory (MAX_MEMORY_BYTES), refusing larger ones in the same way.
#   The time of one test is at most proportional to the input times the program size.
# - JavaScript without the "u" flag reads UTF-16 code units, RE2 reads code points: outside the
#   Basic Multilingual Plane (emoji) "." and classes see one character where JavaScript sees
#   two. Escaped surrogate pairs ("\uD83D\uDE00") are read as the one character they encode.
# - $regexi folds case with Unicode's simple case folding, so "k" and "s" also match the Kelvin
#   sign and the long s, which JavaScript without the "u" flag does not; and \W never matches
#   those two signs (JavaScript's does), lest folding make it match "k" and "s".


class RegexError(ValueError):
    """A pattern the engine cannot evaluate."""


class RegexSyntaxError(RegexError):
    """A pattern that JavaScript's RegExp would reject."""


class RegexUnsupportedError(RegexError):
    """A pattern JavaScript accepts but that cannot be evaluated in linear time.

    Its message completes "the pattern ... ", e.g. "uses lookahead, which Tactful does not
    support: regexes must run in linear time".
    """


#: Compiled RE2 programs larger than this are refused. At this size one test of a 1,024
#: character input costs milliseconds at worst (RE2's NFA); typical patterns are under 200.
MAX_PROGRAM_SIZE: Final = 1_000
#: RE2's memory budget per pattern (program and DFA cache); past it RE2 falls back to its NFA,
#: slower but still linear. Bounded because every segment's patterns stay compiled.
MAX_MEMORY_BYTES: Final = 1 << 20

_LINEAR_TIME: Final = "which Tactful does not support: regexes must run in linear time"
_TOO_LARGE: Final = "which Tactful does not support: regexes must stay small to run in linear time"
_LOOKAROUNDS: Final = {
    "(?=": "lookahead",
    "(?!": "negative lookahead",
    "(?<=": "lookbehind",
    "(?<!": "negative lookbehind",
}

Ranges = tuple[tuple[int, int], ...]

_MAX_CODE_POINT: Final = 0x10FFFF
_DIGIT: Final[Ranges] = ((0x30, 0x39),)
_WORD: Final[Ranges] = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
# JavaScript's WhiteSpace and LineTerminator: tab to carriage return, the space, and Zs.
_SPACE: Final[Ranges] = (
    (0x09, 0x0D),
    (0x20, 0x20),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
    (0xFEFF, 0xFEFF),
)
_LINE_TERMINATORS: Final[Ranges] = ((0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029))
_EVERYTHING: Final[Ranges] = ((0, _MAX_CODE_POINT),)


def _complement(ranges: Ranges) -> Ranges:
    out: list[tuple[int, int]] = []
    start = 0
    for low, high in ranges:
        if low > start:
            out.append((start, low - 1))
        start = high + 1
    if start <= _MAX_CODE_POINT:
        out.append((start, _MAX_CODE_POINT))
    return tuple(out)


_SHORTHANDS: Final[dict[str, Ranges]] = {
    "d": _DIGIT,
    "w": _WORD,
    "s": _SPACE,
    "D": _complement(_DIGIT),
    # Without the long s and the Kelvin sign, which $regexi's case folding would carry to "s" and
    # "k", making \W match letters.
    "W": _complement((*_WORD, (0x17F, 0x17F), (0x212A, 0x212A))),
    "S": _complement(_SPACE),
}

_QUANTIFIER: Final = re.compile(r"\{([0-9]+)(?:(,)([0-9]*))?\}")
_GROUP_NAME: Final = re.compile(r"\(\?<([A-Za-z_$][A-Za-z0-9_$]*)>")
_NAMED_REFERENCE: Final = re.compile(r"k<([A-Za-z_$][A-Za-z0-9_$]*)>")
_HEX2: Final = re.compile(r"[0-9a-fA-F]{2}")
_HEX4: Final = re.compile(r"[0-9a-fA-F]{4}")
_LOW_SURROGATE_ESCAPE: Final = re.compile(r"\\u([dD][c-fC-F][0-9a-fA-F]{2})")
_DECIMAL: Final = re.compile(r"[0-9]+")
_OCTAL: Final = re.compile(r"[0-3][0-7]{0,2}|[4-7][0-7]?")

# A character escape gives a code point, a class escape a set of ranges.
_Atom = int | Ranges


def _hex(code_point: int) -> str:
    return f"\\x{{{code_point:X}}}"


def _set_body(ranges: Ranges) -> str:
    return "".join(
        _hex(low) if low == high else f"{_hex(low)}-{_hex(high)}" for low, high in ranges
    )


def _literal(code_point: int) -> str:
    char = chr(code_point)
    if char.isascii() and (char.isalnum() or char == "_"):
        return char
    if char.isascii() and char.isprintable():
        return "\\" + char
    return _hex(code_point)


class _Groups:
    """What the whole pattern declares, which decides how \\1 and \\k<name> read."""

    def __init__(self, source: str) -> None:
        self.count = 0
        self.names: set[str] = set()
        index = 0
        while index < len(source):
            char = source[index]
            if char == "\\":
                index += 2
                continue
            if char == "[":
                index = _class_end(source, index + 1)
                continue
            if char == "(":
                name = _GROUP_NAME.match(source, index)
                if name is not None:
                    if name[1] in self.names:
                        raise RegexSyntaxError(f"duplicate group name {name[1]}")
                    self.names.add(name[1])
                if name is not None or not source.startswith("(?", index):
                    self.count += 1
            index += 1


def _class_end(source: str, index: int) -> int:
    """The index after the class whose "[" precedes source[index] (or the end of the source)."""
    if source.startswith("^", index):
        index += 1
    if source.startswith("]", index):
        return index + 1
    while index < len(source) and source[index] != "]":
        index += 2 if source[index] == "\\" else 1
    return index + 1


def _legacy_decimal(source: str, index: int) -> tuple[int, int]:
    """Annex B: a digit escape that isn't a backreference is octal, or "8" and "9" themselves."""
    octal = _OCTAL.match(source, index)
    if octal is None:
        return ord(source[index]), index + 1
    return int(octal[0], 8), octal.end()


def _escape(source: str, index: int, *, in_class: bool) -> tuple[_Atom, int]:
    """The character or class escape whose backslash precedes source[index], and the next index."""
    if index >= len(source):
        raise RegexSyntaxError("\\ at end of pattern")
    char = source[index]
    following = index + 1
    if char in _SHORTHANDS:
        return _SHORTHANDS[char], following
    if char == "b":
        # Only reached inside classes, where \b is the backspace.
        return 0x08, following
    control = source[following : following + 1]
    if char == "c" and control.isascii() and control.isalpha():
        return ord(control) % 32, following + 1
    if char == "x" and (digits := _HEX2.match(source, following)) is not None:
        return int(digits[0], 16), digits.end()
    if char == "u" and (digits := _HEX4.match(source, following)) is not None:
        unit = int(digits[0], 16)
        low = None if in_class else _LOW_SURROGATE_ESCAPE.match(source, digits.end())
        if 0xD800 <= unit <= 0xDBFF and low is not None:
            return 0x10000 + ((unit - 0xD800) << 10) + int(low[1], 16) - 0xDC00, low.end()
        return unit, digits.end()
    if char.isdigit() and char.isascii():
        return _legacy_decimal(source, index)
    if char == "c":
        # Annex B: a \c without a control letter is a literal backslash; "c" follows as itself.
        return ord("\\"), index
    return {"t": 0x09, "n": 0x0A, "v": 0x0B, "f": 0x0C, "r": 0x0D}.get(char, ord(char)), following


def _class(source: str, index: int) -> tuple[str, int]:
    """Translate the class whose "[" precedes source[index]; return it and the next index."""
    negated = source.startswith("^", index)
    if negated:
        index += 1
    members: list[str] = []

    def atom() -> _Atom:
        nonlocal index
        if index >= len(source):
            raise RegexSyntaxError("unterminated character set")
        if source[index] == "\\":
            value, index = _escape(source, index + 1, in_class=True)
            return value
        index += 1
        return ord(source[index - 1])

    while True:
        if index >= len(source):
            raise RegexSyntaxError("unterminated character set")
        if source[index] == "]":
            index += 1
            break
        low = atom()
        if source.startswith("-", index) and source[index + 1 : index + 2] not in ("", "]"):
            index += 1
            high = atom()
            if isinstance(low, int) and isinstance(high, int):
                if low > high:
                    raise RegexSyntaxError("range out of order in character class")
                members.append(_set_body(((low, high),)))
                continue
            # Annex B: with a class escape at either end, the dash is a literal.
            members.extend((_member(low), "\\-", _member(high)))
            continue
        members.append(_member(low))
    if not members:
        # JavaScript's [] matches nothing and [^] matches anything.
        return f"[{'' if negated else '^'}{_set_body(_EVERYTHING)}]", index
    return f"[{'^' if negated else ''}{''.join(members)}]", index


def _member(atom: _Atom) -> str:
    return _set_body(((atom, atom),)) if isinstance(atom, int) else _set_body(atom)


def _translate(source: str) -> str:
    groups = _Groups(source)
    out: list[str] = []
    index = 0
    # What the previous token was: JavaScript only repeats an atom, refuses to quantify a
    # quantifier (Python and RE2 would read "a*+" as possessive or repeated), and allows one lazy
    # "?" after it.
    previous = "start"
    while index < len(source):
        char = source[index]
        kind = "atom"
        if char == "\\":
            token, index, kind = _escape_outside_class(source, index + 1, groups)
        elif char == "[":
            token, index = _class(source, index + 1)
        elif char == "(":
            token, index = _group_opening(source, index)
            kind = "start"
        elif char in "*+?" or (char == "{" and _QUANTIFIER.match(source, index)):
            token, index, kind = _quantifier(source, index, previous)
        elif char == "|":
            token, index, kind = "|", index + 1, "start"
        elif char in "^$":
            token, index, kind = ("^" if char == "^" else "\\z"), index + 1, "assertion"
        elif char == ".":
            token, index = f"[^{_set_body(_LINE_TERMINATORS)}]", index + 1
        elif char == ")":
            token, index = ")", index + 1
        else:
            # Annex B: "{" that isn't a quantifier (even "{,3}"), "}" and "]" are literals.
            token, index = _literal(ord(char)), index + 1
        out.append(token)
        previous = kind
    return "".join(out)


def _escape_outside_class(source: str, index: int, groups: _Groups) -> tuple[str, int, str]:
    char = source[index : index + 1]
    if char in ("b", "B"):
        # RE2's \b, like JavaScript's without the "u" flag, is the ASCII word boundary.
        return "\\" + char, index + 1, "assertion"
    if char.isdigit() and char != "0" and char.isascii():
        number = _DECIMAL.match(source, index)
        assert number is not None
        if int(number[0]) <= groups.count:
            raise RegexUnsupportedError(f"uses a backreference (\\{number[0]}), {_LINEAR_TIME}")
    if char == "k" and groups.names:
        reference = _NAMED_REFERENCE.match(source, index)
        if reference is None or reference[1] not in groups.names:
            raise RegexSyntaxError("invalid named reference")
        raise RegexUnsupportedError(f"uses a backreference (\\{reference[0]}), {_LINEAR_TIME}")
    value, index = _escape(source, index, in_class=False)
    token = _literal(value) if isinstance(value, int) else f"[{_set_body(value)}]"
    return token, index, "atom"


def _group_opening(source: str, index: int) -> tuple[str, int]:
    if not source.startswith("(?", index):
        return "(", index + 1
    if source.startswith("(?:", index):
        return "(?:", index + 3
    for opening, name in _LOOKAROUNDS.items():
        if source.startswith(opening, index):
            raise RegexUnsupportedError(f"uses {name}, {_LINEAR_TIME}")
    group = _GROUP_NAME.match(source, index)
    if group is None:
        raise RegexSyntaxError("invalid group syntax")
    # Nothing is captured and backreferences are refused, so the name has no use in RE2 (whose
    # names, unlike JavaScript's, cannot hold "$").
    return "(?:", group.end()


def _quantifier(source: str, index: int, previous: str) -> tuple[str, int, str]:
    char = source[index]
    if char == "?" and previous == "quantifier":
        return "?", index + 1, "lazy"
    if previous != "atom":
        raise RegexSyntaxError("nothing to repeat")
    if char != "{":
        return char, index + 1, "quantifier"
    bounds = _QUANTIFIER.match(source, index)
    assert bounds is not None
    low, comma, high = bounds.groups()
    if comma and high and int(high) < int(low):
        raise RegexSyntaxError("numbers out of order in {} quantifier")
    return bounds[0], bounds.end(), "quantifier"


# RE2's error texts for patterns JavaScript also rejects, in the words Python's re used.
_RE2_ERRORS: Final = {
    "missing )": "missing ), unterminated group",
    "unexpected )": "unbalanced parenthesis",
    "missing argument to repetition operator": "nothing to repeat",
    "bad repetition operator": "nothing to repeat",
}


def _options(ignore_case: bool) -> re2.Options:
    options = re2.Options()
    options.case_sensitive = not ignore_case
    options.never_capture = True
    options.log_errors = False
    options.max_mem = MAX_MEMORY_BYTES
    return options


@lru_cache(maxsize=1024)
def compile_js_regex(source: str, ignore_case: bool) -> Callable[[str], bool]:
    """RegExp.prototype.test for a JavaScript pattern, in time linear in the tested text.

    Raises RegexSyntaxError for a pattern JavaScript rejects and RegexUnsupportedError for one
    that could not run in linear time, each with a readable reason.
    """
    try:
        program = re2.compile(_translate(source), _options(ignore_case))
    except re2.error as error:
        reason = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else ""
        what = reason.partition(": ")[0]
        if what == "invalid repetition size":
            # Counts out of order were refused above; RE2 repeats 1,000 times at most in all.
            raise RegexUnsupportedError(f"repeats more than 1,000 times, {_TOO_LARGE}") from None
        if what in ("pattern too large - compile failed", "expression nests too deeply"):
            raise RegexUnsupportedError(f"is too large, {_TOO_LARGE}") from None
        raise RegexSyntaxError(_RE2_ERRORS.get(what, what or "invalid pattern")) from None
    if program.programsize > MAX_PROGRAM_SIZE:
        size = f"{program.programsize:,} steps once compiled, {MAX_PROGRAM_SIZE:,} at most"
        raise RegexUnsupportedError(f"is too large ({size}), {_TOO_LARGE}")
    search = program.search

    def test(text: str) -> bool:
        # A lone surrogate (JSON allows "\ud800") is passed through rather than failing.
        return search(text.encode("utf-8", "surrogatepass")) is not None

    return test
