"""Factory cycles on a cron schedule (APScheduler, extra ``track``).

``run_schedule(config, "0 18 * * 5")`` blocks and runs one cycle at every firing (UTC). A cycle
that is still running when the next firing comes is not doubled: APScheduler keeps one instance
of the job and coalesces missed firings, and the cycle's own lock (see
:func:`alphafactory.factory.cycle_lock`) also stops a cycle started by cron or by hand at the
same time. A failed cycle is logged and the schedule goes on.

Without a long-running process, a crontab line does the same:
``0 18 * * 5 cd /srv/alpha && .venv/bin/alphafactory factory run factory.toml``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alphafactory.errors import AlphaFactoryError, ConfigError, RunError
from alphafactory.pipeline.workflow import WorkflowConfig

__all__ = ["cron_trigger", "run_schedule"]

_log = logging.getLogger("alphafactory.factory")


def cron_trigger(expression: str) -> Any:
    """An APScheduler trigger of a five-field crontab (UTC); a bad one names the rule."""
    try:
        from apscheduler.triggers.cron import CronTrigger
    except ImportError:  # pragma: no cover - the track extra is installed by make test
        raise ConfigError(
            "scheduling needs APScheduler: pip install 'alphafactory[track]'"
        ) from None
    if len(expression.split()) != 5:
        raise ConfigError(f"--cron must have five fields (minute hour day month weekday), got "
                          f"{expression!r}")  # fmt: skip
    try:
        return CronTrigger.from_crontab(expression, timezone="UTC")
    except ValueError as exc:
        raise ConfigError(f"--cron {expression!r}: {exc}") from None


def run_schedule(
    config: WorkflowConfig,
    cron: str,
    *,
    store: Any = None,
    runs_root: str | Path | None = None,
    executor: str | int | None = None,
    incremental: bool = False,
    max_cycles: int | None = None,
    now: bool = False,
    on_outcome: Callable[[Any], None] | None = None,
) -> int:
    """Run factory cycles at every firing of ``cron`` until stopped (or ``max_cycles``).

    ``now`` runs a first cycle at once, then follows the schedule.

    Returns the number of cycles that ran to a decision.
    """
    from apscheduler.schedulers.blocking import BlockingScheduler

    from alphafactory.pipeline.factory_cycle import run_cycle

    trigger = cron_trigger(cron)
    if max_cycles is not None and max_cycles < 1:
        raise ConfigError(f"--max-cycles must be >= 1, got {max_cycles}")
    scheduler = BlockingScheduler(timezone="UTC")
    done = {"cycles": 0, "fired": 0}

    def cycle() -> None:
        done["fired"] += 1
        try:
            outcome = run_cycle(config, store=store, runs_root=runs_root, executor=executor,
                                incremental=incremental)  # fmt: skip
        except RunError as exc:  # another cycle holds the lock
            _log.warning("cycle skipped: %s", exc)
        except AlphaFactoryError as exc:
            _log.error("cycle failed: %s", exc)
        else:
            done["cycles"] += 1
            if on_outcome is not None:
                on_outcome(outcome)
        if max_cycles is not None and done["fired"] >= max_cycles:
            scheduler.shutdown(wait=False)

    first = {"next_run_time": _now()} if now else {}
    scheduler.add_job(cycle, trigger, id=f"factory-{config.name}", max_instances=1,
                      coalesce=True, misfire_grace_time=3600, **first)  # fmt: skip
    job = scheduler.get_job(f"factory-{config.name}")
    _log.info("factory %s scheduled (%s, UTC); next cycle at %s", config.name, cron,
              getattr(job, "next_run_time", None) or trigger.get_next_fire_time(None, _now()))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    return done["cycles"]


def _now() -> Any:
    import datetime as dt

    return dt.datetime.now(dt.UTC)
