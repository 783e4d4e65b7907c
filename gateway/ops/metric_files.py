"""Where several processes (`serve --workers N`, `serve`'s companion) keep their metric counts.

Kept apart from ops/metrics.py, which imports prometheus_client: the directory must be named in
the environment before that import, which chooses file-backed values when it is set.
"""

from __future__ import annotations

from pathlib import Path

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_dir(directory: Path) -> Path:
    """The directory for the processes' metric files, without the files of an earlier run (their
    counts must not add in). Only prometheus_client's own `*.db` files are removed."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    return directory
