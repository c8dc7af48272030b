"""Short-lived behavioural signals: event windows per subject and the `signals.*` attributes."""
