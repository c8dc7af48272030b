"""Who a decisions socket serves, and what of them it keeps between pushes.

A socket keeps its subject's token, the GPC signal of its handshake, their consent (with the
preferences that come with it) and their signal window, so a push never leaves the event loop,
and it belongs to the subject's channel-layer group to hear of their changes. All of it is read
again — consent through `consent.services.aconsent_for`, like every transport — whenever the
socket is told the subject changed; what consent no longer allows is dropped before anything is
read, and an erased subject's socket serves nobody in particular from then on.
"""

from typing import Any

from consent.selectors import ConsentSnapshot, consent_deny_all, subject_group_name
from consent.services import aconsent_for
from consent.tokens import SubjectToken
from personalization.signals.selectors import asignals_window_get, signals_allowed
from personalization.signals.windows import SignalWindow


class SocketVisitor:
    def __init__(self, layer: Any, channel: str, *, gpc: bool = False) -> None:
        self.layer, self.channel, self.gpc = layer, channel, gpc
        self.token: SubjectToken | None = None
        self.consent: ConsentSnapshot = consent_deny_all(gpc=gpc)
        self.signals: SignalWindow | None = None

    @property
    def subject_id(self) -> str | None:
        return self.token.public_id if self.token is not None else None

    async def identify(self, token: SubjectToken) -> None:
        """Serve this subject: join their group first, so no change falls before the read."""
        self.token = token
        await self.layer.group_add(subject_group_name(token.public_id), self.channel)

    def newer(self, token: SubjectToken) -> None:
        """The subject's own token, issued later (its version is what counts)."""
        if self.token is None or token.version > self.token.version:
            self.token = token

    async def load(self, *, version: int = 0) -> None:
        """Read consent again, at `version` at least, then the window it allows."""
        self.signals = None
        if self.token is not None and version > self.token.version:
            self.token = SubjectToken(self.token.public_id, version)
        consent = await aconsent_for(token=self.token, gpc=self.gpc)
        if self.token is not None and consent.subject_id is None:
            await self.forget()
            return
        self.consent = consent
        if consent.subject_id is not None and signals_allowed(consent):
            self.signals = await asignals_window_get(subject_id=consent.subject_id)

    async def forget(self) -> None:
        """Serve nobody in particular from now on (the subject was erased)."""
        await self.leave()
        self.token, self.signals = None, None
        self.consent = await aconsent_for(token=None, gpc=self.gpc)

    async def stay(self) -> None:
        """Renew the group membership: channel layers drop a member after a day
        (`group_expiry`), and a tab may stay open for days."""
        if (subject_id := self.subject_id) is not None:
            await self.layer.group_add(subject_group_name(subject_id), self.channel)

    async def leave(self) -> None:
        if (subject_id := self.subject_id) is not None:
            await self.layer.group_discard(subject_group_name(subject_id), self.channel)
