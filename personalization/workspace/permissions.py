"""What the Marketers group may do in the workspace, added after every `migrate`."""

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from consent.permissions import MARKETERS

# (codename) of personalization permissions marketers get on top of consent's grant.
MARKETER_PERMISSIONS = (
    "add_contextkey",
    "change_contextkey",
    "view_contextkey",
    "view_changeset",
    "publish_changeset",
    "approve_changeset",
    "view_auditentry",
)


def workspace_permissions_assign(**kwargs: Any) -> None:
    """Give Marketers the workspace's permissions (post_migrate receiver; adds, never removes)."""
    using = kwargs.get("using", "default")
    group = Group.objects.using(using).filter(name=MARKETERS).first()
    if group is None:
        return
    query = Q(content_type__app_label="personalization", codename__in=MARKETER_PERMISSIONS)
    group.permissions.add(*Permission.objects.using(using).filter(query))
