"""Parse a 10,000-line .env, change 200 values and add 100 keys, render it; print seconds."""

from __future__ import annotations

import time

from secretsync_hooks.local.env_file import EnvFile

STYLES = [
    "# comment {i}",
    "KEY_{i}=value-{i}",
    "export KEY_{i}='single {i}'",
    'KEY_{i}="double\\n{i}" # note',
    "",
]
TEXT = "\n".join(STYLES[i % 5].format(i=i) for i in range(10_000)) + "\n"

start = time.perf_counter()
env = EnvFile.parse(TEXT)
for i in range(1, 10_000, 50):
    env.set(f"KEY_{i}", f"new value {i}")
for i in range(100):
    env.set(f"NEW_{i}", f"added {i}")
data = env.render()
elapsed = time.perf_counter() - start
assert len(data) > len(TEXT)
print(f"{elapsed:.6f}")
