"""Every label builder records its forward horizon and the future bars it uses (walk_forward
reads them for the purge and refuses a label that is not strictly after its features)."""

from __future__ import annotations

import pandas as pd
import pytest

from alphafactory.data import synthetic_market
from alphafactory.labels import direction, forward_returns, meta_labels, triple_barrier


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return synthetic_market(3, 60, seed=1).bars


BUILDERS = {
    "forward_returns": lambda b: forward_returns(b, 3),
    "forward_returns_next_open": lambda b: forward_returns(b, 2, entry="next_open"),
    "direction": lambda b: direction(b, 4),
    "triple_barrier": lambda b: triple_barrier(b, horizon=5, vol_window=5)["label"],
    "meta_labels": lambda b: meta_labels(b["close"].groupby(level="symbol").diff(), b,
                                         horizon=2, vol_window=5),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_label_builder_records_horizon_entry_kind_and_uses(bars, name):
    labels = BUILDERS[name](bars)
    attrs = labels.attrs
    assert isinstance(attrs["horizon"], int) and attrs["horizon"] >= 1
    assert attrs["entry"] in ("close", "next_open")
    assert attrs["kind"]
    assert f"t+{attrs['horizon']}" in attrs["uses"]


@pytest.mark.parametrize("horizon", [0, -1, 1.5])
def test_label_builder_refuses_a_horizon_not_in_the_future(bars, horizon):
    with pytest.raises(ValueError, match=r"horizon must be a positive integer number of bars"):
        forward_returns(bars, horizon)
    with pytest.raises(ValueError, match=r"horizon must be a positive integer number of bars"):
        triple_barrier(bars, horizon=horizon)
