"""Where per-visitor exposure marks and pending aggregates live: one module per backend."""
