"""A Faust schema that hands record keys and values on as the bytes Kafka returned."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import faust
from faust.types import AppT, EventT, Message

__all__ = ["BytesSchema"]


class BytesSchema(faust.Schema[bytes | None, bytes | None]):
    """A schema that passes keys and values on undecoded, as the `raw` serializer does.

    Faust's own decode looks up the serializer and the event class in the app's
    settings for every record, and this one looks up the event class once. It does not
    decode, so it ignores the decode-error callbacks that Faust passes to `compile`.
    """

    def __init__(self) -> None:
        super().__init__(key_serializer="raw", value_serializer="raw")

    def compile(
        self,
        app: AppT,
        *,
        on_key_decode_error: Any = None,
        on_value_decode_error: Any = None,
        default_propagate: bool = False,
    ) -> Any:
        """Return the decode function Faust calls for every record of the topic."""
        event_type = cast(Callable[..., EventT[Any]], app.conf.Event)

        async def decode(message: Message, *, propagate: bool = default_propagate) -> EventT[Any]:
            return event_type(app, message.key, message.value, message.headers, message)

        return decode
