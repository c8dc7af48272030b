"""Consent writes, one module per concern; the public names are re-exported here."""

from consent.services.chains import Reseal, chain_reseal, chains_reseal
from consent.services.consent import (
    GPC_RAW_SIGNAL,
    consent_grant,
    consent_record_gpc,
    consent_record_tcf,
    consent_refuse,
    consent_state_rebuild,
    consent_update,
    consent_withdraw,
    purpose_delete,
    purpose_save,
    subject_create,
)
from consent.services.erasure import ErasureReceipt, erasure_keeps_consent_proof, subject_erase
from consent.services.gpp import consent_record_gpp
from consent.services.notices import notice_publish, notice_save, notice_translation_save
from consent.services.preferences import (
    preference_key_delete,
    preference_key_save,
    preference_option_delete,
    preference_option_save,
    preferences_update,
)
from consent.services.requests import (
    aconsent_for,
    consent_for,
    consent_for_request,
    gpc_of,
    subject_for_change,
)
from consent.services.retention import PurgeReport, grants_expire, retention_purge

__all__ = [
    "GPC_RAW_SIGNAL",
    "ErasureReceipt",
    "PurgeReport",
    "Reseal",
    "aconsent_for",
    "chain_reseal",
    "chains_reseal",
    "consent_for",
    "consent_for_request",
    "consent_grant",
    "consent_record_gpc",
    "consent_record_gpp",
    "consent_record_tcf",
    "consent_refuse",
    "consent_state_rebuild",
    "consent_update",
    "consent_withdraw",
    "erasure_keeps_consent_proof",
    "gpc_of",
    "grants_expire",
    "notice_publish",
    "notice_save",
    "notice_translation_save",
    "preference_key_delete",
    "preference_key_save",
    "preference_option_delete",
    "preference_option_save",
    "preferences_update",
    "purpose_delete",
    "purpose_save",
    "retention_purge",
    "subject_create",
    "subject_erase",
    "subject_for_change",
]
