"""Broker adapters: each a :class:`~alphafactory.execution.venue.Venue` on a real broker.

:class:`~alphafactory.live.brokers.alpaca.AlpacaBroker` (extra ``alpaca``) is imported lazily so
that ``alphafactory.live`` works without alpaca-py installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alphafactory.live.brokers.alpaca import AlpacaBroker
    from alphafactory.live.brokers.alpaca_mapping import AlpacaCredentials

__all__ = ["AlpacaBroker", "AlpacaCredentials"]


def __getattr__(name: str) -> object:
    if name == "AlpacaBroker":
        from alphafactory.live.brokers.alpaca import AlpacaBroker

        return AlpacaBroker
    if name == "AlpacaCredentials":
        from alphafactory.live.brokers.alpaca_mapping import AlpacaCredentials

        return AlpacaCredentials
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
