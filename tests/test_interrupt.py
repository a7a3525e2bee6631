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


@pytest.mark.parametrize("delay", [1.5, 6.0])  # while discovering / while the worker pool analyzes
def test_ctrl_c_exits_130_with_one_line(delay: float, tmp_path: Path) -> None:
    if not DJANGO.is_dir():
        pytest.skip("the Django corpus is not downloaded (python bench/corpus.py fetches it)")
    # A terminal's Ctrl-C signals the whole foreground process group: the CLI and its workers.
    process = subprocess.Popen(
        [console_script(), "check", "--no-cache", "--jobs", "2", str(DJANGO)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        start_new_session=True,
    )
    time.sleep(delay)
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr == "asyncsafe: interrupted\n"
    assert stdout == ""
