"""Staff groups and what they may do in the admin, assigned after every `migrate`."""

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

MARKETERS = "Marketers"
PRIVACY_OFFICERS = "Privacy officers"

_MARKETING_MODELS = (
    "segment",
    "placement",
    "variant",
    "rule",
    "experiment",
    "experimentarm",
    "eventtype",
    "goal",
)
_CRUD = ("add", "change", "delete", "view")

# (app label, codename) by group. Marketers never see consent data; privacy officers never
# change what marketers configure. Consent events and subjects are read-only for everyone.
GROUP_PERMISSIONS: dict[str, tuple[tuple[str, str], ...]] = {
    MARKETERS: (
        *(("personalization", f"{a}_{m}") for m in _MARKETING_MODELS for a in _CRUD),
        ("personalization", "view_revision"),
    ),
    PRIVACY_OFFICERS: (
        ("consent", "view_consentevent"),
        ("consent", "view_subject"),
        *(("consent", f"{a}_noticeversion") for a in ("add", "change", "view")),
        *(("consent", f"{a}_purpose") for a in ("add", "change", "view")),
        *(("consent", f"{a}_noticetranslation") for a in _CRUD),
        *(("consent", f"{a}_preferencekey") for a in _CRUD),
        *(("consent", f"{a}_preferenceoption") for a in _CRUD),
    ),
}


def group_permissions_assign(**kwargs: Any) -> None:
    """Give each group its permissions (post_migrate receiver; adds, never removes).

    The groups themselves come from a data migration: a flush also sends post_migrate, and rows
    created here would then clash with the ones a serialized rollback restores.
    """
    using = kwargs.get("using", "default")
    for name, wanted in GROUP_PERMISSIONS.items():
        group = Group.objects.using(using).filter(name=name).first()
        if group is None:
            continue
        query = Q()
        for app_label, codename in wanted:
            query |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.add(*Permission.objects.using(using).filter(query))
