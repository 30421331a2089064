"""Who is asking: the client's address as the rate limits see it.

``X-Forwarded-For`` is believed only from the proxies the operator names (``--trusted-proxy``,
nothing by default): behind the documented nginx, the reader's address; without a trusted
proxy, the connection's own. Anyone may write that header, so the address taken is the
last one added by a trusted proxy. IPv6 clients are grouped by /64, what one home or one
phone usually holds: rotating through it does not buy more requests."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(values: Iterable[str]) -> tuple[Network, ...]:
    """``127.0.0.1``, ``10.0.0.0/8``, ``::1``...; ValueError names a bad one."""
    found = []
    for value in values:
        try:
            found.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"--trusted-proxy {value!r} is not an address or a network "
                             "such as 10.0.0.0/8") from None
    return tuple(found)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.7:5000
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_key(peer: str, forwarded_for: str, trusted: tuple[Network, ...]) -> str:
    """The address a limit counts: the peer, or when the peer is a trusted proxy the
    nearest address in X-Forwarded-For that is not one; an IPv6 one as its /64."""
    address = _address(peer)

    def is_trusted(candidate: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(candidate in network for network in trusted)

    if address is not None and trusted and is_trusted(address) and forwarded_for:
        for hop in reversed(forwarded_for.split(",")):
            candidate = _address(hop)
            if candidate is None:
                break  # a garbled hop: trust nothing before it
            address = candidate
            if not is_trusted(candidate):
                break
    if address is None:
        return peer or "?"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
