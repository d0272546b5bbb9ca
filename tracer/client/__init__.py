"""tracer.client: the ``Index`` query methods over gRPC.

- ``TracerClient(address)``: one ``tracer serve`` (``single``);
- ``FanOutClient([addresses])``: an index split into shard groups, one server each, answers merged
  as the whole index would give them (``fanout``; traces merged by ``trace_merge``);
- ``connect(address_or_addresses, **kw)``: the right one of the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tracer.client.fanout import FanOutClient
from tracer.client.single import ClientTLS, TracerClient

__all__ = ["ClientTLS", "FanOutClient", "TracerClient", "connect"]


def connect(address: str | Sequence[str], *args: Any, **kwargs: Any) -> TracerClient | FanOutClient:
    """A ``TracerClient`` for one address (a str or a one-element list), a ``FanOutClient`` for several
    (shard groups of one index, in corpus order); the other arguments are theirs (token, tls, index, ...)."""
    if isinstance(address, str):
        return TracerClient(address, *args, **kwargs)
    addresses = list(address)
    if len(addresses) == 1:
        return TracerClient(addresses[0], *args, **kwargs)
    return FanOutClient(addresses, *args, **kwargs)
