"""The cache: content-addressed facts, the per-file manifest, and what each result read."""
