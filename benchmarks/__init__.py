"""secretsync benchmarks: whole processes, side by side, medians and ratios.

Every scenario runs its contenders interleaved (A B C A B C ...) against a moto server behind
the latency-and-throttling proxy of the test suite (``tests/aws_proxy.py``) on 127.0.0.1, and
reports medians of at least 5 whole-process runs and their ratios; absolute times drift on
shared machines, the ratios much less.  Results go to ``benchmarks/RESULTS.md``.

Run from the repository root, as a module (``tests`` is imported as a package):

    bash benchmarks/run.sh                    # sets up .venv and an awscli venv, then runs this
    .venv/bin/python -m benchmarks --only 4,6  # some scenarios; RESULTS.md keeps the others

The harness (``harness.py``: timing, interleaved races, projects; ``report.py``: RESULTS.md;
``__main__.py``: options) is shared by one module per scenario in ``scenarios/``.
"""
