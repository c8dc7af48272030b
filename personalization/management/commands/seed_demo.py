"""Create the demo storefront's configuration; safe to run again (it never overwrites edits)."""

from typing import Any

from django.core.management.base import BaseCommand

from personalization import services
from personalization.models import EventType, Experiment, Placement, Revision, Segment
from personalization.outcomes.demo import demo_goals_seed

SEGMENTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "shoe-intent": (
        "Shoe intent",
        "Viewed at least 3 shoes in the last 30 minutes.",
        {"signals.product_view.category.shoes.count_30m": {"$gte": 3}},
    ),
    "prefers-outdoor": (
        "Prefers outdoor",
        "Chose the outdoor interest in the privacy center.",
        {"prefs.interests": {"$elemMatch": {"$eq": "outdoor"}}},
    ),
    "prefers-running": (
        "Prefers running",
        "Chose the running interest in the privacy center.",
        {"prefs.interests": {"$elemMatch": {"$eq": "running"}}},
    ),
    "mobile-visitors": ("Mobile visitors", "On a phone.", {"context.device": "mobile"}),
    "spring-campaign": (
        "Spring campaign",
        "Arrived from the spring sale campaign.",
        {"context.utm_campaign": "spring-sale"},
    ),
}


def _hero(theme: str, headline: str, cta: str) -> dict[str, str]:
    return {"theme": theme, "headline": headline, "cta": cta, "image": f"hero-{theme}.svg"}


THEMES = ["generic", "shoes", "outdoor", "mobile"]
# The hero's fields, so marketers edit it as a form (and the storefront always gets what it reads).
HERO_SCHEMA = {
    "type": "object",
    "required": ["theme", "headline", "cta", "image"],
    "additionalProperties": False,
    "properties": {
        "headline": {"type": "string", "title": "Headline", "minLength": 1, "maxLength": 80},
        "cta": {"type": "string", "title": "Button text", "minLength": 1, "maxLength": 40},
        "theme": {"title": "Colour theme", "enum": THEMES},
        "image": {"title": "Image", "enum": [f"hero-{theme}.svg" for theme in THEMES]},
    },
}
HERO_PREVIEW = (
    '<link rel="stylesheet" href="/static/storefront/storefront.css">'
    '<div class="hero hero--{{ value.theme }}"><div class="hero__text">'
    '<h1 class="hero__headline">{{ value.headline }}</h1>'
    '<a class="button button--primary hero__cta" href="#">{{ value.cta }}</a></div>'
    '<img class="hero__image" src="/static/storefront/img/{{ value.image }}" alt=""'
    ' width="420" height="320"></div>'
)

PLACEMENTS: dict[str, dict[str, Any]] = {
    "home-hero": {
        "name": "Home hero",
        "value_type": "json",
        "schema": HERO_SCHEMA,
        "template": HERO_PREVIEW,
        "default": _hero("generic", "Gear for every day", "Shop the collection"),
        "variants": {
            "shoes": _hero("shoes", "Find your next pair", "Shop shoes"),
            "outdoor": _hero("outdoor", "Made for the trail", "Explore outdoor"),
            "mobile": _hero("mobile", "Shop on the go", "Browse"),
        },
        "rules": [
            ("shoe-intent", "shoes"),
            ("prefers-outdoor", "outdoor"),
            ("mobile-visitors", "mobile"),
        ],
    },
    "recommendations": {
        "name": "Recommendations",
        "value_type": "string",
        "default": "bestsellers",
        "variants": {"shoes-first": "shoes-first", "running-first": "running-first"},
        "rules": [("shoe-intent", "shoes-first"), ("prefers-running", "running-first")],
    },
    "free-shipping-banner": {
        "name": "Free shipping banner",
        "value_type": "boolean",
        "default": False,
        "variants": {"on": True, "off": False},
        "rules": [("spring-campaign", "on")],
        # Context and an experiment only: browsers may decide it themselves.
        "client_evaluable": True,
    },
}


class Command(BaseCommand):
    help = "Create the demo storefront's segments, placements, rules and experiment if missing."

    def handle(self, *args: Any, **options: Any) -> None:
        goals = demo_goals_seed()
        if goals:
            self.stdout.write(self.style.SUCCESS(f"Demo outcomes created: {', '.join(goals)}."))
        missing = (
            not EventType.objects.filter(key="product_view").exists()
            or Segment.objects.filter(key__in=SEGMENTS).count() < len(SEGMENTS)
            or Placement.objects.filter(key__in=PLACEMENTS).count() < len(PLACEMENTS)
            or not Revision.objects.exists()
        )
        if not missing:
            self.stdout.write("Demo data already present; nothing changed.")
            return
        created: list[str] = []
        with services.config_batch(message="Demo storefront (seed_demo)"):
            event, new = EventType.objects.get_or_create(
                key="product_view",
                defaults={"description": "A product page was viewed.", "properties": ["category"]},
            )
            if new:
                created.append(f"event type {event.key}")
            for key, (name, description, condition) in SEGMENTS.items():
                if not Segment.objects.filter(key=key).exists():
                    services.segment_create(
                        key=key, name=name, description=description, condition=condition
                    )
                    created.append(f"segment {key}")
            for key, spec in PLACEMENTS.items():
                if Placement.objects.filter(key=key).exists():
                    continue
                placement = services.placement_create(
                    key=key,
                    name=spec["name"],
                    value_type=spec["value_type"],
                    default_value=spec["default"],
                    variants=spec["variants"],
                    client_evaluable=spec.get("client_evaluable", False),
                    value_schema=spec.get("schema"),
                    preview_template=spec.get("template", ""),
                )
                for segment_key, variant in spec["rules"]:
                    services.rule_create(
                        placement=placement,
                        segment=Segment.objects.get(key=segment_key),
                        variant=variant,
                    )
                if key == "free-shipping-banner":
                    experiment = services.experiment_create(
                        key="free-shipping-test",
                        name="Free shipping test",
                        placement=placement,
                        arms=[("on", 0.5), ("off", 0.5)],
                        status=Experiment.Status.RUNNING,
                    )
                    services.rule_create(placement=placement, experiment=experiment)
                created.append(f"placement {key}")
        self.stdout.write(
            self.style.SUCCESS(f"Demo data created: {', '.join(created) or 'first revision'}.")
        )
