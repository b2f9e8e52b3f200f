"""Fixtures for the Alpaca broker tests: the fake Alpaca of ``fake_alpaca.py`` on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("alpaca")


def load_fake():
    """``fake_alpaca`` loaded by path (tests run with ``--import-mode=importlib``)."""
    name = "alphafactory_tests_fake_alpaca"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).with_name("fake_alpaca.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def fake_module():
    return load_fake()


@pytest.fixture
def broker(fake_module):
    """A started broker on a freshly reset fake; closed afterwards."""
    broker = fake_module.fresh_broker()
    yield broker
    fake_module.close_shared()


@pytest.fixture
def fake(broker):
    return broker.fake
