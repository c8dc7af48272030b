"""Signal stores, in the pattern of Django's session backends: one module per implementation."""
