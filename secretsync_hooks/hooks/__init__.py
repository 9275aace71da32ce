"""The pre-commit hooks: thin argparse fronts over the same core as the command line."""
