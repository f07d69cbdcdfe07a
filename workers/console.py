"""The console's jobs on Celery: `jobs.engine: workers.console:CeleryEngine` in console.yaml.

The console (govaudit/jobs.py) queues its jobs in the database and an engine carries them out. This one is the
embedded engine with one difference: the job processes it starts have $GOVAUDIT_BROKER, so their crawl step
(govaudit.pipeline.crawl_and_probe) hands every site to `govaudit worker`s through Redis — one job per site,
a re-check before scheduled work — and waits for them; the judging, reports and alerts of the console's job
run as before. The broker comes from $GOVAUDIT_BROKER of `govaudit serve` (redis://host:port/db).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from govaudit.jobs import EmbeddedEngine


class CeleryEngine(EmbeddedEngine):
    def __init__(self, store: Any, *, sites_config: str, settings: Any, data_dir: Path,
                 settings_path: str | None = None, broker_url: str | None = None):
        broker = broker_url or os.environ.get("GOVAUDIT_BROKER")
        if not broker:
            raise RuntimeError("jobs.engine 为 workers.console:CeleryEngine 时需要设置 GOVAUDIT_BROKER（Redis 地址）")
        os.environ["GOVAUDIT_BROKER"] = broker  # inherited by the job processes
        super().__init__(store, sites_config=sites_config, settings=settings, data_dir=data_dir,
                         settings_path=settings_path)
