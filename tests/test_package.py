import alphafactory
from alphafactory import _engine


def test_engine_module_version_matches_package():
    assert _engine.engine_version() == alphafactory.__version__
