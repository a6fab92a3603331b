"""lmms-eval model classes of the project, one module per ``--model`` name (entry points in pyproject.toml)."""
