"""Django signals through which other apps react to a subject's consent and data requests.

`consent` never imports the apps that hold subject data (personalization's signal windows and
decision log); they connect receivers here instead, so consent can still announce a change,
export everything about a subject and erase it.
"""

from django.dispatch import Signal

# Sent after commit with `subject_id: str` and `purposes: dict[str, bool]` (the new state).
consent_changed = Signal()
# Sent with `subject_id: str`; each receiver returns {section name: JSON-able data}.
subject_data_export = Signal()
# Sent with `subject_id: str`; each receiver erases what it holds and returns
# {section name: number of items erased}.
subject_data_erase = Signal()
# Sent by `purge_expired` with `now: datetime`; each receiver deletes what it holds past its
# retention and returns {section name: number of items deleted}.
retention_purge = Signal()
