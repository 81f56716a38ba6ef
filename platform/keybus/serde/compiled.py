"""Compile a schema's encoder and decoder into Python functions once, cached by fingerprint.

This is the approach of Avro Java's generated `customEncode`/`customDecode`: the schema
is walked once at startup instead of for every value, so encoding and decoding run
straight-line code with the field names, enum symbols and union branches as constants.
"""

from __future__ import annotations

import json
import logging
import struct
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Protocol

from keybus.serde.decoder import DecodeBindings, decoder_source
from keybus.serde.encoder import FieldAttribute, encoder_source
from keybus.serde.runtime import ValueRejectedError
from keybus.serde.schema import ParsedSchema

__all__ = [
    "DECODE_ERRORS",
    "CompiledCodec",
    "Decode",
    "ValueRejectedError",
    "compiled_codec",
    "same_decoding",
]

logger = logging.getLogger(__name__)

DECODE_ERRORS = (EOFError, ValueError, TypeError, IndexError, KeyError, OverflowError, struct.error)
"""The exceptions a compiled decoder raises on bytes that are not a value of its schema."""


class Decode(Protocol):
    """A compiled decoder, which returns the value whose Avro binary starts at `data[pos]`."""

    def __call__(self, data: bytes | memoryview, pos: int = 0, /) -> Any: ...


@dataclass(frozen=True)
class CompiledCodec:
    """The compiled encoder and decoder of one schema.

    Attributes:
        encode: `encode(datum, out)` appends the Avro binary of `datum` to the bytearray
            `out`; it raises ValueRejectedError for a value that does not fit the schema.
        decode: `decode(data, pos=0)` returns the value whose Avro binary starts at byte
            `pos` of `data`, so a framed record decodes without copying its body; it
            raises one of DECODE_ERRORS for bytes that are not such a value.
        encoder_text: the generated source of `encode`, for debugging.
        decoder_text: the generated source of `decode`.
        reads_attributes: True when `encode` reads records from attributes (models)
            instead of mapping keys.
    """

    encode: Callable[[Any, bytearray], None]
    decode: Decode
    encoder_text: str
    decoder_text: str
    reads_attributes: bool = False


_cache: dict[tuple[str, Hashable], CompiledCodec] = {}
_lock = threading.Lock()


def compiled_codec(
    schema: ParsedSchema,
    *,
    field_attribute: FieldAttribute | None = None,
    bindings: DecodeBindings | None = None,
    variant: Hashable = None,
) -> CompiledCodec:
    """Return the compiled codec of `schema`, compiling it on first use.

    Codecs are cached by schema fingerprint and `variant`. Callers that pass
    `field_attribute` or `bindings` (generated models) name their variant, so the plain
    codec of the same schema stays a separate entry.
    """
    key = (schema.fingerprint, variant)
    codec = _cache.get(key)
    if codec is not None:
        return codec
    with _lock:
        codec = _cache.get(key)
        if codec is None:
            codec = _compile(schema, field_attribute, bindings)
            _cache[key] = codec
    return codec


def same_decoding(writer: ParsedSchema, reader: ParsedSchema) -> bool:
    """Tell whether reading `writer`'s bytes with `reader` gives what `writer` alone gives.

    That holds when both schemas agree on everything decoding uses: names, field names
    and order, types, symbols, sizes and logical types. Docs, aliases, defaults and
    custom properties do not matter, so a schema the registry returns in its canonical
    spelling still matches the packaged one it was registered from.
    """
    if writer.fingerprint == reader.fingerprint:
        return True
    return _decoding_key(writer) == _decoding_key(reader)


_DECODING_ATTRIBUTES = (
    "type",
    "name",
    "symbols",
    "items",
    "values",
    "size",
    "logicalType",
    "precision",
    "scale",
)
_decoding_keys: dict[str, str] = {}


def _decoding_key(schema: ParsedSchema) -> str:
    key = _decoding_keys.get(schema.fingerprint)
    if key is None:
        key = json.dumps(_decoding_form(schema.parsed), sort_keys=True, default=str)
        _decoding_keys[schema.fingerprint] = key
    return key


def _decoding_form(node: Any) -> Any:
    if isinstance(node, list):
        return [_decoding_form(branch) for branch in node]
    if not isinstance(node, dict):
        return node
    form = {key: _decoding_form(node[key]) for key in _DECODING_ATTRIBUTES if key in node}
    if "fields" in node:
        form["fields"] = [
            {"name": field["name"], "type": _decoding_form(field["type"])}
            for field in node["fields"]
        ]
    return form


def _compile(
    schema: ParsedSchema, field_attribute: FieldAttribute | None, bindings: DecodeBindings | None
) -> CompiledCodec:
    encoder_text, encoder_globals = encoder_source(schema, field_attribute)
    decoder_text, decoder_globals = decoder_source(schema, bindings)
    encode = _load(encoder_text, encoder_globals, "encode", schema)
    decode = _load(decoder_text, decoder_globals, "decode", schema)
    logger.debug(
        "compiled codec schema=%s encoder_lines=%s decoder_lines=%s",
        schema.name,
        encoder_text.count("\n"),
        decoder_text.count("\n"),
    )
    return CompiledCodec(encode, decode, encoder_text, decoder_text, field_attribute is not None)


def _load(text: str, namespace: dict[str, Any], name: str, schema: ParsedSchema) -> Any:
    filename = f"<keybus {name} {schema.name or 'schema'} {schema.fingerprint[:12]}>"
    exec(compile(text, filename, "exec"), namespace)
    return namespace[name]
