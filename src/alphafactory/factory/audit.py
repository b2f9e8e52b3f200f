"""The audit trail of alias moves: MLflow aliases keep no history, so every move is a run.

Each change is one finished run in the experiment ``alphafactory-<workflow>-events``, tagged
``af.event = alias`` with ``af.alias``, ``af.version``, ``af.previous``, ``af.kind``,
``af.reason`` and ``af.time_ns`` (``start_time`` has only millisecond resolution), and the
artifact ``event.json`` (the same fields plus the gate decision). It lives in the tracking
database and the artifact root, so it survives restarts and works on PostgreSQL.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pandas as pd

__all__ = ["EVENT_TAG", "HISTORY_COLUMNS", "read_history", "record_event"]

EVENT_TAG = "af.event"
HISTORY_COLUMNS = ["time", "alias", "version", "previous", "kind", "reason"]


def record_event(client: Any, experiment_id: str, event: dict[str, Any]) -> None:
    """Write one alias move (``alias, version, previous, kind, reason, decision``)."""
    stamp = time.time_ns()
    event = {"time": pd.Timestamp(stamp, tz="UTC").isoformat(), **event}
    tags = {EVENT_TAG: "alias", "af.time_ns": str(stamp)}
    for key in ("alias", "version", "previous", "kind", "reason"):
        tags[f"af.{key}"] = "" if event[key] is None else str(event[key])[:4000]
    run = client.create_run(
        experiment_id, tags=tags,
        run_name=f"{event['alias']}-v{event['version']}-{event['kind']}")  # fmt: skip
    client.log_text(run.info.run_id, json.dumps(event, indent=1, default=str), "event.json")
    client.set_terminated(run.info.run_id)


def read_history(client: Any, experiment_name: str) -> pd.DataFrame:
    """Every recorded alias move of the events experiment, oldest first."""
    rows = []
    found = client.get_experiment_by_name(experiment_name)
    if found is not None:
        token = None
        while True:
            page = client.search_runs(
                [found.experiment_id], filter_string=f"tags.`{EVENT_TAG}` = 'alias'",
                max_results=1000, page_token=token)  # fmt: skip
            for run in page:
                t = run.data.tags
                rows.append({
                    "ns": int(t.get("af.time_ns", run.info.start_time * 1_000_000)),
                    "alias": t.get("af.alias"), "version": t.get("af.version"),
                    "previous": t.get("af.previous") or None, "kind": t.get("af.kind"),
                    "reason": t.get("af.reason", ""),
                })  # fmt: skip
            token = page.token
            if not token:
                break
    table = pd.DataFrame(rows, columns=["ns", *HISTORY_COLUMNS[1:]], dtype=object)
    table["previous"] = pd.Series([v if isinstance(v, str) else None
                                   for v in table["previous"]], dtype=object)
    table = table.sort_values("ns", kind="stable").reset_index(drop=True)
    table.insert(0, "time", pd.to_datetime(table.pop("ns"), unit="ns", utc=True))
    return table
