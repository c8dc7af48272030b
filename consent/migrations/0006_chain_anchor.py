"""Seal consent chains with a key outside the database: each event, and each subject's head.

Chains written before this migration are trusted as they are now: their events and heads are
sealed as found (a break already in them is still reported, since hashes are still checked).
"""

import hmac

from django.conf import settings
from django.db import migrations, models


def _keyed(secret, message):
    # A frozen copy of consent.chain's sealing as it was when this migration was written.
    key = hmac.digest(secret.encode(), b"tactful.consent-chain.v1", "sha256")
    return hmac.new(key, message.encode(), "sha256").hexdigest()


def seal_existing_chains(apps, schema_editor):
    """Seal every event's hash, and every subject's head (its last event, or an empty chain)."""
    secret = settings.TACTFUL.get("CHAIN_KEY") or settings.SECRET_KEY
    ConsentEvent = apps.get_model("consent", "ConsentEvent")
    Subject = apps.get_model("consent", "Subject")
    for subject in Subject.objects.order_by("pk").iterator(chunk_size=500):
        events = list(ConsentEvent.objects.filter(subject=subject).order_by("sequence", "pk"))
        for event in events:
            event.seal = _keyed(secret, f"event\n{event.hash}")
        ConsentEvent.objects.bulk_update(events, ["seal"], batch_size=500)
        length, last_hash = (events[-1].sequence, events[-1].hash) if events else (0, "")
        Subject.objects.filter(pk=subject.pk).update(
            chain_length=length,
            chain_head=last_hash,
            chain_seal=_keyed(secret, f"head\n{subject.public_id}\n{length}\n{last_hash}"),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0005_subject_consent_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="consentevent",
            name="seal",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="subject",
            name="chain_length",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="subject",
            name="chain_head",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="subject",
            name="chain_seal",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.RunPython(seal_existing_chains, migrations.RunPython.noop),
    ]
