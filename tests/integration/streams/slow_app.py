"""A Faust app for offset-commit tests: slow per event, and it records what it handled.

Built with keybus's `make_app`, so the tests exercise the commit settings every keybus
topology runs with. Each handled record appends `partition offset pid` to the file named
by SLOW_APP_LOG.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import faust

from keybus.streams import StreamSettings, make_app

settings = StreamSettings()
app = make_app(settings.app_id or "slow-app", settings)
source = app.topic(os.environ["SLOW_APP_TOPIC"], key_serializer="raw", value_serializer="raw")
DELAY_S = float(os.environ.get("SLOW_APP_DELAY_S", "0.5"))


@app.agent(source)
async def handle(stream: faust.StreamT[Any]) -> AsyncIterator[None]:
    """Take DELAY_S per record, then record it as handled."""
    async for event in stream.events():
        await asyncio.sleep(DELAY_S)
        message = event.message
        with Path(os.environ["SLOW_APP_LOG"]).open("a") as log:
            log.write(f"{message.partition} {message.offset} {os.getpid()}\n")
        yield None
