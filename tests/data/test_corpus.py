"""A corpus of hostile bars files (tests/data/corpus/), each refused with its one expected line.

Every file is loaded as a user would (``load_bars``) and validated (``data validate``); the error
is a DataError of one line holding the fragment below, and the file is left byte for byte as it
was.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from alphafactory.cli import main
from alphafactory.data import load_bars
from alphafactory.errors import DataError

CORPUS = Path(__file__).parent / "corpus"
EXPECTED: dict[str, str] = {
    "empty.csv": "line 1: empty file",
    "only_newlines.csv": "line 1: empty file",
    "binary.csv": "got a NUL byte at offset 0",
    "utf16.csv": "got UTF-16 (byte-order mark at offset 0)",
    "latin1.csv": "line 3: not UTF-8 text (rule: CSV files are UTF-8); got byte 0xe9",
    "semicolons.csv": "the file looks ';'-separated",
    "tabs.csv": "the file looks '\\t'-separated",
    "header_only.csv": "no rows (rule: a header then at least one bar a line)",
    "missing_close.csv": "line 1 (header): missing ['close']",
    "duplicate_close.csv": "column 'close' appears twice, as 'close' in position 5 and 'Close' in "
    "position 7",
    "no_header.csv": "line 1 (header): missing ['timestamp', 'open', 'high', 'low', 'close', "
    "'volume']",
    "mixed_formats.csv": "line 3: timestamp '2024-01-03T00:00:00+05:00' is a date-time with an "
    "offset while line 2's '2024-01-02' is a date",
    "two_times_of_day.csv": "line 3: daily bar at 10:00:00 while line 2's is at 16:00:00",
    "mixed_epoch_units.csv": "line 3: epoch 1704240000000 reads as ms while line 2's 1704153600 "
    "reads as s",
    "truncated.parquet": "not a readable Parquet file",
    "zero_bytes.parquet": "not a readable Parquet file",
    "garbage.parquet": "not a readable Parquet file",
    "zero_rows.parquet": "no rows (rule: at least one bar); got 0 rows",
    "duplicate_close.parquet": "column 'close' appears twice",
    "mixed_epoch_units.parquet": "row 2: epoch 1704326400000 reads as ms while row 0's "
    "1704153600 reads as s",
    "missing_close.parquet": "missing ['close']",
}


def test_corpus_lists_every_file():
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_is_one_line_error_and_unchanged(name, capsys):
    path = CORPUS / name
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(DataError) as info:
        load_bars(str(path))
    message = str(info.value)
    assert EXPECTED[name] in message and "\n" not in message, message
    assert main(["data", "validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("alphafactory: error: ") and EXPECTED[name] in err and "\n" not in err
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
