"""Decision statistics for the marketer's dashboard: outcomes and distinct visitors per placement
and 5 minutes."""
