"""Notice versions, the preference registry, erasure, and a hash chain over existing events."""

import hashlib
from datetime import UTC

import django.db.models.deletion
import django.utils.timezone
import orjson
from django.db import migrations, models


def _digest(event, subject_id, sequence, prev_hash):
    # A frozen copy of consent.chain.event_digest as it was when this migration was written.
    content = {
        "subject": subject_id,
        "sequence": sequence,
        "at": event.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "kind": event.kind,
        "purpose": event.purpose.key,
        "granted": event.granted,
        "source": event.source,
        "control": event.control,
        "raw_signal": event.raw_signal,
        "signal_data": {},
        "notice": "",
        "prev": prev_hash,
    }
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def chain_existing_events(apps, schema_editor):
    """Give the events written before the chain existed their place and hash in it."""
    ConsentEvent = apps.get_model("consent", "ConsentEvent")
    Subject = apps.get_model("consent", "Subject")
    for subject in Subject.objects.filter(consent_events__isnull=False).distinct():
        prev_hash = ""
        events = ConsentEvent.objects.filter(subject=subject).select_related("purpose")
        for sequence, event in enumerate(events.order_by("created_at", "pk"), start=1):
            digest = _digest(event, subject.public_id, sequence, prev_hash)
            ConsentEvent.objects.filter(pk=event.pk).update(
                sequence=sequence, prev_hash=prev_hash, hash=digest
            )
            prev_hash = digest


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0002_seed_purposes"),
    ]

    operations = [
        migrations.CreateModel(
            name="NoticeVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.PositiveIntegerField(unique=True)),
                ("title", models.CharField(max_length=200)),
                (
                    "text",
                    models.TextField(help_text="The full notice, exactly as visitors read it."),
                ),
                (
                    "language",
                    models.CharField(
                        default="en", help_text="Language of the text.", max_length=10
                    ),
                ),
                (
                    "reconsent_purposes",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text="Keys of the purposes whose earlier grants this version makes void: only those are asked again.",
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, editable=False),
                ),
                ("published_at", models.DateTimeField(blank=True, editable=False, null=True)),
                (
                    "effective_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="When it replaces the previous version; blank: now.",
                        null=True,
                    ),
                ),
                ("content_hash", models.CharField(blank=True, editable=False, max_length=64)),
            ],
            options={
                "ordering": ["-version"],
            },
        ),
        migrations.CreateModel(
            name="PreferenceKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "key",
                    models.SlugField(
                        help_text="Segments read it as prefs.<key>, e.g. interests.", unique=True
                    ),
                ),
                (
                    "label",
                    models.CharField(
                        help_text="Shown to visitors, e.g. Interests.", max_length=100
                    ),
                ),
                (
                    "noun",
                    models.CharField(
                        help_text='One value, in a sentence: "Because you chose the interest …".',
                        max_length=50,
                    ),
                ),
                (
                    "description",
                    models.TextField(blank=True, help_text="Plain language: what it changes."),
                ),
                (
                    "multiple",
                    models.BooleanField(
                        default=True, help_text="Visitors may choose several values."
                    ),
                ),
                ("order", models.PositiveSmallIntegerField(default=0)),
            ],
            options={
                "ordering": ["order", "key"],
            },
        ),
        migrations.CreateModel(
            name="PreferenceOption",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("value", models.SlugField()),
                ("label", models.CharField(max_length=100)),
                ("order", models.PositiveSmallIntegerField(default=0)),
            ],
            options={
                "ordering": ["preference", "order", "value"],
            },
        ),
        migrations.CreateModel(
            name="SubjectPreferences",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("values", models.JSONField(default=dict)),
                ("updated_at", models.DateTimeField()),
            ],
            options={
                "verbose_name_plural": "subject preferences",
            },
        ),
        migrations.AddField(
            model_name="consentevent",
            name="hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="consentevent",
            name="prev_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="consentevent",
            name="sequence",
            field=models.PositiveIntegerField(
                default=0, help_text="Position in the subject's chain, from 1."
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="consentevent",
            name="signal_data",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="The external signal decoded (a TC string's fields).",
            ),
        ),
        migrations.AddField(
            model_name="consentstate",
            name="control",
            field=models.CharField(blank=True, max_length=50),
        ),
        migrations.AddField(
            model_name="subject",
            name="erased_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the visitor erased their data; only the consent proof is left.",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="consentevent",
            name="source",
            field=models.CharField(
                choices=[
                    ("banner", "Banner"),
                    ("privacy_center", "Privacy center"),
                    ("api", "API"),
                    ("gpc", "Global Privacy Control"),
                    ("tcf", "TCF string"),
                    ("system", "Expiry"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="consentstate",
            name="source",
            field=models.CharField(
                choices=[
                    ("banner", "Banner"),
                    ("privacy_center", "Privacy center"),
                    ("api", "API"),
                    ("gpc", "Global Privacy Control"),
                    ("tcf", "TCF string"),
                    ("system", "Expiry"),
                ],
                max_length=20,
            ),
        ),
        migrations.CreateModel(
            name="NoticeTranslation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("language", models.CharField(help_text="e.g. fr, de, pt-br.", max_length=10)),
                ("title", models.CharField(max_length=200)),
                ("text", models.TextField()),
                (
                    "notice",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="translations",
                        to="consent.noticeversion",
                    ),
                ),
            ],
            options={
                "ordering": ["notice", "language"],
            },
        ),
        migrations.AddField(
            model_name="consentevent",
            name="notice",
            field=models.ForeignKey(
                blank=True,
                help_text="The notice version in force, as shown to the visitor.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="consent_events",
                to="consent.noticeversion",
            ),
        ),
        migrations.RunPython(chain_existing_events, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="consentevent",
            constraint=models.UniqueConstraint(
                fields=("subject", "sequence"), name="consent_event_chain"
            ),
        ),
        migrations.AddField(
            model_name="preferenceoption",
            name="preference",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="options",
                to="consent.preferencekey",
            ),
        ),
        migrations.AddField(
            model_name="subjectpreferences",
            name="subject",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="preferences",
                to="consent.subject",
            ),
        ),
        migrations.AddConstraint(
            model_name="noticetranslation",
            constraint=models.UniqueConstraint(
                fields=("notice", "language"), name="notice_translation_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="preferenceoption",
            constraint=models.UniqueConstraint(
                fields=("preference", "value"), name="preference_option_unique"
            ),
        ),
    ]
