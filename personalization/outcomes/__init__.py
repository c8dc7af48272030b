"""Outcomes: goals, exposures, conversions, holdouts and experiment results, aggregates only."""
