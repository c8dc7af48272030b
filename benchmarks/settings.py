"""Benchmark settings: the production settings plus a bare JSON view to compare against."""

from config.settings.base import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
