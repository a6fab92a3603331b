"""Getting SEED-Bench-R1 right on disk before any run: ``download``, ``verify`` and ``extract_frames`` (the
frame cache's writer)."""
