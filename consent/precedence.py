"""Which consent source decides a purpose: deterministic, documented, and shown to visitors.

From strongest to weakest:

1. `necessary` is always on.
2. Global Privacy Control turns `advertising` off, over any earlier choice or TC string. Only an
   explicit re-consent in the privacy center, made after the signal and told of the conflict,
   outranks it (California 11 CCR §7025(c)(3)).
3. The visitor's own latest choice in Tactful (banner, privacy center, consent API), unless the
   grant has lapsed (`CONSENT_GRANT_DAYS`) or a newer notice version asks that purpose again.
4. A TC string or a GPP string from the host's CMP, for purposes the visitor has not chosen in
   Tactful: a Tactful purpose is granted only if every TCF purpose it maps to has consent; a GPP
   string's US sections refuse advertising on an opt-out (or their GPC bit) and grant it only
   when none was made (`consent.gpp`). The later string of the two decides.
5. Otherwise not granted (deny by default, in every region).
"""

from dataclasses import dataclass
from enum import StrEnum

from consent.models import CMP_SOURCES, OWN_SOURCES, Source

# The privacy center's control for an advertising grant made while GPC is honoured.
GPC_RECONSENT_CONTROL = "gpc-reconsent"


class Basis(StrEnum):
    """What decided a purpose's state; shown in explanations and in the privacy center."""

    ALWAYS_ON = "always_on"
    GPC = "gpc"
    CHOICE = "choice"
    TCF = "tcf"
    GPP = "gpp"
    EXPIRED = "expired"
    RECONSENT = "reconsent"
    DEFAULT = "default"


# A purpose decided by a signal rather than a choice says which signal.
_SIGNAL_BASIS: dict[str, Basis] = {
    Source.TCF: Basis.TCF,
    Source.GPP: Basis.GPP,
    Source.GPC: Basis.GPC,
}

# A purpose in one of these states should be asked about (again).
ASK = frozenset({Basis.DEFAULT, Basis.EXPIRED, Basis.RECONSENT})


@dataclass(frozen=True, slots=True)
class Choice:
    """The projected state of one purpose for one subject, as cached for the hot path."""

    granted: bool
    source: str
    at: float
    expires: float | None = None
    over_gpc: bool = False


def purpose_state(
    *,
    always_on: bool,
    choice: Choice | None,
    gpc: bool,
    advertising: bool,
    reconsent_cutoff: float | None,
    now: float,
) -> tuple[bool, Basis]:
    """Whether a purpose is granted now, and why."""
    if always_on:
        return True, Basis.ALWAYS_ON
    granted, basis = _choice_state(choice, reconsent_cutoff, now)
    if advertising and gpc and not (granted and choice is not None and choice.over_gpc):
        return False, Basis.GPC
    return granted, basis


def _choice_state(
    choice: Choice | None, reconsent_cutoff: float | None, now: float
) -> tuple[bool, Basis]:
    if choice is None:
        return False, Basis.DEFAULT
    if choice.source == Source.SYSTEM:
        return False, Basis.EXPIRED
    basis = _SIGNAL_BASIS.get(choice.source, Basis.CHOICE)
    if not choice.granted:
        return False, basis
    if choice.expires is not None and choice.expires <= now:
        return False, Basis.EXPIRED
    if reconsent_cutoff is not None and choice.at < reconsent_cutoff <= now:
        return False, Basis.RECONSENT
    return True, basis


def event_replaces_state(*, state_source: str | None, event_source: str) -> bool:
    """Whether a new event changes the projection: a CMP's string never overrides an own choice."""
    return not (event_source in CMP_SOURCES and state_source in OWN_SOURCES)
