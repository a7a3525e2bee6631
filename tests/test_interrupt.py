"""Ctrl-C on a real run: one line, exit 130, no traceback from the CLI or its worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ROOT, console_script

DJANGO = ROOT / "bench" / ".work" / "src" / "django-5.2.19"  # downloaded by bench/ (gitignored)


def workers_of(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []


def wait_for_workers(process: subprocess.Popen[str]) -> None:
    """Until the pool's workers are forked (the parent analyzes its own share first)."""
    deadline = time.monotonic() + 120
    while not workers_of(process.pid):
        assert process.poll() is None, "the run ended before its worker pool started"
        assert time.monotonic() < deadline, "no worker pool after 120 s"
        time.sleep(0.05)
    time.sleep(0.5)  # the workers are analyzing


@pytest.mark.parametrize("moment", ["discovering", "pool"])  # 1.5 s in / once the workers run
def test_ctrl_c_exits_130_with_one_line(moment: str, tmp_path: Path) -> None:
    if not DJANGO.is_dir():
        pytest.skip("the Django corpus is not downloaded (python bench/corpus.py fetches it)")
    # A terminal's Ctrl-C signals the whole foreground process group: the CLI and its workers.
    process = subprocess.Popen(
        [console_script(), "check", "--no-cache", "--jobs", "2", str(DJANGO)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        start_new_session=True,
    )
    if moment == "pool" and Path("/proc/self/task").is_dir():
        wait_for_workers(process)
    else:
        time.sleep(1.5)
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr == "asyncsafe: interrupted\n"
    assert stdout == ""
