"""HTTP APIs of personalization, one module per endpoint family."""
