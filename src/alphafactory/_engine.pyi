"""Type stub of the compiled module ``alphafactory._engine`` (private: use alphafactory.engine).

Record arrays cross the boundary as 1-d uint8 byte arrays that the facade views with
``ORDER_DTYPE``, ``TRADE_DTYPE``, ``EVENT_DTYPE`` and ``BOOK_CHANGE_DTYPE``.
"""

from typing import Any

import numpy as np
import numpy.typing as npt

NO_PRICE: int
MAX_QTY: int
MAX_PRICE: int

def engine_version() -> str: ...
def record_layouts() -> dict[str, tuple[int, dict[str, dict[str, Any]]]]: ...

class MatchingEngine:
    def __init__(
        self,
        *,
        tick_size: float,
        lot_size: float,
        stp: int = 0,
        max_order_qty: int = -1,
        max_order_notional: float = -1.0,
        max_position: int = -1,
        max_open_orders: int = -1,
        collar_ticks: int = -1,
        collar_fraction: float = -1.0,
        emit_accepted: bool = True,
        log_book_changes: bool = False,
    ) -> None: ...
    def add_instrument(self, instrument: int, tick_size: float, lot_size: float) -> None: ...
    def has_instrument(self, instrument: int) -> bool: ...
    def instruments(self) -> list[int]: ...
    def process(
        self, orders: npt.NDArray[np.void]
    ) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]: ...
    def reset(self) -> None: ...
    def book_changes(self) -> npt.NDArray[np.uint8]: ...
    def best_bid(self, instrument: int = 0) -> int: ...
    def best_ask(self, instrument: int = 0) -> int: ...
    def last_trade_price(self, instrument: int = 0) -> int: ...
    def depth(
        self, instrument: int, side: int, levels: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
    def lookup(self, order_id: int) -> dict[str, int] | None: ...
    def l2_hash(self) -> int: ...
    def position(self, account: int, instrument: int = 0) -> int: ...
    def open_orders(self, account: int) -> int: ...
    def set_kill_switch(self, account: int, on: bool) -> None: ...
    def resting_orders(self) -> int: ...
    def memory_bytes(self) -> int: ...
    def tick_size(self, instrument: int = 0) -> float: ...
    def lot_size(self, instrument: int = 0) -> float: ...

class PoissonOrderFlow:
    def __init__(
        self,
        *,
        instrument: int,
        account: int,
        initial_price: int,
        levels: int,
        limit_rate_scale: float,
        limit_rate_exponent: float,
        market_rate: float,
        cancel_rates: list[float],
        order_qty: int,
        initial_depth: int,
        time_unit_ns: float,
        first_order_id: int,
        start_ts: int,
        seed: int,
    ) -> None: ...
    def run(
        self, engine: MatchingEngine, max_events: int, until_ts: int
    ) -> tuple[int, npt.NDArray[np.uint8], npt.NDArray[np.uint8], npt.NDArray[np.uint8]]: ...
    def now(self) -> int: ...
    def live_orders(self) -> int: ...

def simulate_csv(
    orders: str,
    trades: str,
    events: str,
    tick_size: str,
    strict: bool,
    stp: int,
    emit_accepted: bool,
    overwrite: bool = False,
) -> dict[str, Any]: ...
def replay_lobster(
    type: npt.NDArray[np.int64],
    order_id: npt.NDArray[np.int64],
    size: npt.NDArray[np.int64],
    price: npt.NDArray[np.int64],
    direction: npt.NDArray[np.int64],
    levels: int,
    reference: npt.NDArray[np.int64] | None,
) -> npt.NDArray[np.int64]: ...
def benchmark_workload(n: int, seed: int, live_target: int) -> npt.NDArray[np.uint8]: ...

# The vectorized backtest loop (wrapped by alphafactory.backtest.backtest).
BACKTEST_LEDGER_ROWS: dict[str, int]

def run_backtest(
    exec_price: npt.NDArray[np.float64],
    mark_price: npt.NDArray[np.float64],
    targets: npt.NDArray[np.float64],
    lag: int,
    volume: npt.NDArray[np.float64],
    participation_cap: float,
    carry_unfilled: bool,
    half_spread: npt.NDArray[np.float64],
    impact_coef: npt.NDArray[np.float64],
    impact_exponent: float,
    commission_per_share: float,
    commission_bps: float,
    commission_min: float,
    borrow_per_bar: float,
    initial_cash: float,
    whole_shares: bool,
    max_leverage: float,
    column_major: bool,
    shares_out: npt.NDArray[np.float64],
    ledger_out: npt.NDArray[np.float64],
) -> None: ...

# Names bound by other parts of the package (e.g. the backtest loop) are typed where they are
# wrapped; they resolve through this fallback.
def __getattr__(name: str) -> Any: ...

class TalibApi:
    def __init__(self, library: str) -> None: ...

class TalibFunction:
    def __init__(
        self,
        api: TalibApi,
        name: str,
        inputs: list[int],
        opt_is_integer: list[bool],
        output_is_integer: list[bool],
    ) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def n_series(self) -> int: ...
    @property
    def n_outputs(self) -> int: ...
    def lookback(self, opt_values: list[float]) -> int: ...
    def run(
        self,
        inputs: list[npt.NDArray[np.float64]],
        opt_values: list[float],
        out: list[npt.NDArray[np.float64]],
    ) -> None: ...
