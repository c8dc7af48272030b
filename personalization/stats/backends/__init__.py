"""Where decision statistics are kept: one module per backend, picked by a setting."""
