"""IPv4 and IPv6 networks for the `cidr` operator, with EventBridge's address rules."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

__all__ = ["Network", "parse_address", "parse_network"]

# Event values count as addresses only in these shapes, as in event-ruler 2.1.0: four decimal
# groups (leading zeros allowed, so "010.0.0.1" is 10.0.0.1) or hex groups with colons.
_IPV4 = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$")
_IPV6 = re.compile(r"^[0-9a-fA-F:]*:[0-9a-fA-F:]*$")


@dataclass(frozen=True)
class Network:
    """An address block: IP version, network bits and mask as integers."""

    version: int
    network: int
    mask: int

    def contains(self, address: tuple[int, int] | None) -> bool:
        """Check whether a parsed `(version, integer)` address lies inside the block."""
        return (
            address is not None
            and address[0] == self.version
            and address[1] & self.mask == self.network
        )


def _ipv4_to_int(text: str) -> int | None:
    value = 0
    for group in text.split("."):
        number = int(group)
        if number > 255:
            return None
        value = value << 8 | number
    return value


def parse_address(text: str) -> tuple[int, int] | None:
    """Parse an event value as `(version, integer)`, or return None if it is no address."""
    if _IPV4.match(text):
        value = _ipv4_to_int(text)
        return None if value is None else (4, value)
    if _IPV6.match(text):
        try:
            return 6, int(ipaddress.IPv6Address(text))
        except ValueError:
            return None
    return None


def parse_network(text: str) -> Network:
    """Parse `address/bits`; host bits may be set, and are ignored.

    Raises:
        ValueError: With a message that names the text and the rule it breaks.
    """
    address_text, slash, bits_text = text.partition("/")
    if not slash or "/" in bits_text:
        raise ValueError(f"cidr {text!r} must have one '/', as in 10.0.0.0/24 or 2001:db8::/32")
    if not bits_text.isdigit():
        raise ValueError(f"cidr {text!r} must end in a non-negative number of mask bits")

    address = parse_address(address_text)
    if address is None:
        raise ValueError(f"cidr {text!r} does not start with a valid IPv4 or IPv6 address")

    version, value = address
    width = 32 if version == 4 else 128
    bits = int(bits_text)
    # event-ruler 2.1.0 rejects /32 and /128; a single address is matched by its exact string.
    if bits >= width:
        raise ValueError(
            f"cidr {text!r} has {bits} mask bits; IPv{version} allows 0 to {width - 1}, "
            "and a single address is matched with an exact string value"
        )
    mask = ((1 << bits) - 1) << (width - bits)
    return Network(version, value & mask, mask)
