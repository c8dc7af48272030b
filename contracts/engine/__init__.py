"""The shared engine fixtures: generated cases and the Python engine's answers."""
