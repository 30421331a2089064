"""The API's log under a flood of one error: one line a minute, then a count."""

from __future__ import annotations

import io
import logging

from masthead.api.logs import OncePerInterval


def test_a_flood_of_one_message_is_one_line() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    flood = OncePerInterval(interval=60)
    handler.addFilter(flood)
    logger = logging.getLogger("masthead.test.flood")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for _ in range(100_000):
            logger.error("socket.accept() out of system resource")
        logger.error("another kind of trouble")
        assert out.getvalue().splitlines() == ["socket.accept() out of system resource",
                                               "another kind of trouble"]
        flood.interval = 0  # the minute is over
        logger.error("socket.accept() out of system resource")
        assert out.getvalue().splitlines()[-1] == (
            "socket.accept() out of system resource (and 99999 more like it in the last "
            "minute)")
    finally:
        logger.removeHandler(handler)
