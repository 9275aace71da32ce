"""The ``secretsync`` command line: a thin click front over the core."""
