"""Decision statistics for the marketer's dashboard: outcome counts per placement and 5 minutes."""
