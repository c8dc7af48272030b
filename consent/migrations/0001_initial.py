"""Initial consent schema: purposes, subjects, the consent event log and its projection."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import consent.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Purpose",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.SlugField(unique=True)),
                ("name", models.CharField(max_length=100)),
                (
                    "description",
                    models.TextField(help_text="Plain language: what this purpose does with data."),
                ),
                (
                    "example",
                    models.TextField(help_text="One concrete example a visitor recognises."),
                ),
                ("retention_days", models.PositiveIntegerField()),
                (
                    "always_on",
                    models.BooleanField(
                        default=False,
                        help_text="Cannot be refused; only for strictly necessary processing.",
                    ),
                ),
                (
                    "tcf_purposes",
                    models.JSONField(
                        blank=True, default=list, help_text="IAB TCF v2.2 purpose ids (1-11)."
                    ),
                ),
                (
                    "consent_mode_types",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text="Google Consent Mode types: ad_storage, ad_user_data, ad_personalization, analytics_storage, personalization_storage, functionality_storage, security_storage.",
                    ),
                ),
                ("order", models.PositiveSmallIntegerField(default=0)),
            ],
            options={
                "ordering": ["order", "key"],
            },
        ),
        migrations.CreateModel(
            name="Subject",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "public_id",
                    models.CharField(
                        default=consent.models.public_id_new,
                        editable=False,
                        max_length=32,
                        unique=True,
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, editable=False),
                ),
                (
                    "gpc_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="When a Global Privacy Control signal was first honoured.",
                        null=True,
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tactful_subjects",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="ConsentState",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("granted", models.BooleanField()),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("banner", "Banner"),
                            ("privacy_center", "Privacy center"),
                            ("api", "API"),
                            ("gpc", "Global Privacy Control"),
                            ("tcf", "TCF string"),
                        ],
                        max_length=20,
                    ),
                ),
                ("updated_at", models.DateTimeField()),
                ("expires_at", models.DateTimeField(blank=True, null=True)),
                (
                    "purpose",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="consent.purpose",
                    ),
                ),
                (
                    "subject",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="consent_states",
                        to="consent.subject",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("subject", "purpose"), name="consent_state_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ConsentEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("grant", "Grant"),
                            ("refuse", "Refuse"),
                            ("withdraw", "Withdraw"),
                            ("expire", "Expire"),
                            ("signal", "Signal"),
                        ],
                        max_length=10,
                    ),
                ),
                ("granted", models.BooleanField()),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("banner", "Banner"),
                            ("privacy_center", "Privacy center"),
                            ("api", "API"),
                            ("gpc", "Global Privacy Control"),
                            ("tcf", "TCF string"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "control",
                    models.CharField(
                        blank=True, help_text="Which control was used.", max_length=50
                    ),
                ),
                (
                    "raw_signal",
                    models.TextField(blank=True, help_text="The external signal verbatim, if any."),
                ),
                (
                    "purpose",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="consent_events",
                        to="consent.purpose",
                    ),
                ),
                (
                    "subject",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="consent_events",
                        to="consent.subject",
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "pk"],
                "indexes": [
                    models.Index(
                        fields=["subject", "created_at"], name="consent_con_subject_200273_idx"
                    )
                ],
            },
        ),
    ]
