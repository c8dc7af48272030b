"""Translate GrowthBook's JavaScript regular expressions into Python patterns."""

import re
from functools import lru_cache
from typing import Final

# GrowthBook patterns are JavaScript RegExp source (no flags but "i"). Python's re differs in
# details that change results, so patterns are translated: \d \w \s \b keep JavaScript's
# character sets, "." excludes every line terminator, "$" only matches at the very end, named
# groups use (?<name>...), and syntax JavaScript rejects ((?P...), inline flags, possessive
# quantifiers) stays invalid. Lookbehinds must be fixed-width, a limit of Python's engine.


class RegexSyntaxError(ValueError):
    """A pattern that JavaScript's RegExp would reject."""


_WORD_SET: Final = "A-Za-z0-9_"
_SPACE_SET: Final = (
    "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
)
_SHORTHAND_SETS: Final = {"d": "0-9", "w": _WORD_SET, "s": _SPACE_SET}
_ANY_BUT_LINE_TERMINATOR: Final = "[^\\n\\r\\u2028\\u2029]"
_WORD_BOUNDARY: Final = (
    f"(?:(?<=[{_WORD_SET}])(?![{_WORD_SET}])|(?<![{_WORD_SET}])(?=[{_WORD_SET}]))"
)
_NOT_WORD_BOUNDARY: Final = (
    f"(?:(?<=[{_WORD_SET}])(?=[{_WORD_SET}])|(?<![{_WORD_SET}])(?![{_WORD_SET}]))"
)
_QUANTIFIER: Final = re.compile(r"\{[0-9]+(?:,[0-9]*)?\}")
_NAMED_GROUP: Final = re.compile(r"\(\?<([A-Za-z_][A-Za-z0-9_]*)>")
_BACK_REFERENCE: Final = re.compile(r"k<([A-Za-z_][A-Za-z0-9_]*)>")
_HEX2: Final = re.compile(r"[0-9a-fA-F]{2}")
_HEX4: Final = re.compile(r"[0-9a-fA-F]{4}")
_PLAIN_GROUPS: Final = ("(?:", "(?=", "(?!", "(?<=", "(?<!")


def _translate_escape(source: str, index: int, *, in_class: bool, named: bool) -> tuple[str, int]:
    """Translate the escape whose backslash precedes source[index]; return it and the next index."""
    if index >= len(source):
        raise RegexSyntaxError("\\ at end of pattern")
    char = source[index]
    following = index + 1
    if char in "dws":
        shorthand = _SHORTHAND_SETS[char]
        return (shorthand if in_class else f"[{shorthand}]"), following
    if char in "DWS":
        # Only reached outside classes: _translate_class handles negated shorthands itself.
        return f"[^{_SHORTHAND_SETS[char.lower()]}]", following
    if char in "bB" and not in_class:
        return (_WORD_BOUNDARY if char == "b" else _NOT_WORD_BOUNDARY), following
    if char == "b":
        return "\\x08", following
    if char == "k" and named and not in_class:
        reference = _BACK_REFERENCE.match(source, index)
        if reference is not None:
            return f"(?P={reference[1]})", reference.end()
    if char == "c" and following < len(source) and source[following].isascii():
        letter = source[following]
        if letter.isalpha():
            return re.escape(chr(ord(letter) % 32)), following + 1
    if char == "c":
        # Annex B: a \c without a control letter is a literal backslash and "c".
        return "\\\\c", following
    if char == "x":
        hex_digits = _HEX2.match(source, following)
        return ("\\x" + hex_digits[0], hex_digits.end()) if hex_digits else ("x", following)
    if char == "u":
        hex_digits = _HEX4.match(source, following)
        return ("\\u" + hex_digits[0], hex_digits.end()) if hex_digits else ("u", following)
    if char in "tnrvf0123456789":
        return "\\" + char, following
    if char.isascii() and char.isalpha():
        # JavaScript reads unknown letter escapes (\A, \Z, \e, \k ...) as the letter itself.
        return char, following
    return re.escape(char), following


def _translate_class(source: str, index: int) -> tuple[str, int]:
    """Translate the class whose "[" precedes source[index]; return it and the next index."""
    negated = source.startswith("^", index)
    if negated:
        index += 1
    if source.startswith("]", index):
        # JavaScript's [] matches nothing and [^] matches anything.
        return ("[\\s\\S]" if negated else "(?!)"), index + 1
    members: list[str] = []
    excluded: list[str] = []
    while True:
        if index >= len(source):
            raise RegexSyntaxError("unterminated character set")
        char = source[index]
        if char == "]":
            index += 1
            break
        if char == "\\" and source[index + 1 : index + 2] in ("D", "W", "S"):
            excluded.append(_SHORTHAND_SETS[source[index + 1].lower()])
            index += 2
        elif char == "\\":
            member, index = _translate_escape(source, index + 1, in_class=True, named=False)
            members.append(member)
        else:
            # Escape what Python would read as nested sets or set operations.
            repeated_dash = char == "-" and members[-1:] == ["-"]
            members.append("\\" + char if char in "[&~|" or repeated_dash else char)
            index += 1
    listed = "".join(members)
    if not excluded:
        return f"[{'^' if negated else ''}{listed}]", index
    if not negated:
        options = ([f"[{listed}]"] if listed else []) + [f"[^{s}]" for s in excluded]
        return "(?:" + "|".join(options) + ")", index
    # [^a\D] is a character that is not "a" and lies inside every excluded shorthand's set.
    inside = "".join(f"(?=[{s}])" for s in excluded)
    outside = f"(?![{listed}])" if listed else ""
    return f"(?:{outside}{inside}[\\s\\S])", index


def _translate_js_regex(source: str) -> str:
    named = _NAMED_GROUP.search(source) is not None
    out: list[str] = []
    index = 0
    # What the previous token was: JavaScript refuses to quantify a quantifier (Python would
    # read "a*+" as possessive), and only allows one lazy "?" after it.
    previous = "start"
    while index < len(source):
        char = source[index]
        kind = "atom"
        if char == "\\":
            token, index = _translate_escape(source, index + 1, in_class=False, named=named)
        elif char == "[":
            token, index = _translate_class(source, index + 1)
        elif char == "(":
            token = next((g for g in _PLAIN_GROUPS if source.startswith(g, index)), "")
            if token or not source.startswith("(?", index):
                token = token or "("
                index += len(token)
            else:
                group = _NAMED_GROUP.match(source, index)
                if group is None:
                    raise RegexSyntaxError("invalid group syntax")
                token, index = f"(?P<{group[1]}>", group.end()
        elif char in "*+?":
            if previous == "quantifier" and char == "?":
                kind = "lazy"
            elif previous in ("quantifier", "lazy"):
                raise RegexSyntaxError("nothing to repeat")
            else:
                kind = "quantifier"
            token, index = char, index + 1
        elif char == "{" and (bounds := _QUANTIFIER.match(source, index)) is not None:
            if previous in ("quantifier", "lazy"):
                raise RegexSyntaxError("nothing to repeat")
            token, index, kind = bounds[0], bounds.end(), "quantifier"
        elif char == "{":
            # JavaScript reads a brace that isn't a quantifier (even "{,3}") as a literal.
            token, index = "\\{", index + 1
        elif char == ".":
            token, index = _ANY_BUT_LINE_TERMINATOR, index + 1
        elif char == "$":
            token, index = "\\Z", index + 1
        else:
            token, index = char, index + 1
        out.append(token)
        previous = kind
    return "".join(out)


@lru_cache(maxsize=1024)
def compile_js_regex(source: str, ignore_case: bool) -> re.Pattern[str]:
    """Compile a JavaScript pattern, raising RegexSyntaxError with a readable reason."""
    try:
        return re.compile(_translate_js_regex(source), re.IGNORECASE if ignore_case else 0)
    except re.error as error:
        raise RegexSyntaxError(error.msg) from None
    except (RecursionError, OverflowError) as error:
        raise RegexSyntaxError("the pattern is too complex") from error
