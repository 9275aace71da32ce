"""Masking a stream as it flows, and where it ends when the writer's leftovers hold it open."""

from __future__ import annotations

import io
import os
import threading

from secretsync_hooks.guard.needles import Finder, Needle
from secretsync_hooks.guard.redact_stream import pump

VALUE = b"Qx7Zp2Lm9Vb4Nc8Ks1Hd"


def test_pump_ends_at_stop_with_what_the_pipe_holds_masked() -> None:
    # The writer's end stays open, as a program left running in the background keeps it:
    # after `stop`, what was written is passed on (a value split across two writes still
    # masked) and the pump returns instead of waiting for an end that never comes.
    source, writer = os.pipe()
    stop_read, stop_write = os.pipe()
    finder = Finder({VALUE: Needle("TOKEN", "the value")})
    sink = io.BytesIO()
    try:
        os.write(writer, b"started\ntoken=" + VALUE[:7])
        thread = threading.Thread(
            target=pump, args=(source, sink, finder), kwargs={"stop": stop_read}
        )
        thread.start()
        # less than a pipe holds: on a pump that never reads, the write must not block
        os.write(writer, VALUE[7:] + b"\n" + b"x" * 30_000)
        os.write(stop_write, b"x")
        thread.join(timeout=10)
        assert not thread.is_alive()
        assert sink.getvalue() == b"started\ntoken=********\n" + b"x" * 30_000
    finally:
        for fd in (source, writer, stop_read, stop_write):
            os.close(fd)
