"""The real-world triage (docs/real-world-triage.toml) is well-formed, and scripts/real_world.py
flags what a fresh run no longer agrees with. Offline: no library is fetched here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("real_world", ROOT / "scripts" / "real_world.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("real_world", module)
    spec.loader.exec_module(module)
    return module


real_world = _script()


def test_every_triaged_finding_names_a_pinned_library_and_a_known_code() -> None:
    from asyncsafe.rules.registry import all_rules

    triage = real_world.load_triage()
    assert triage
    for library, path, line, code in triage:
        assert library in real_world.PINNED, library
        assert code in all_rules(), code
        assert line > 0 and not path.startswith(("/", "."))


def test_join_flags_untriaged_reappearing_and_lost_findings(tmp_path: Path) -> None:
    triage_file = tmp_path / "triage.toml"
    triage_file.write_text(
        """
[[finding]]
library = "lib"
path = "lib/a.py"
line = 3
code = "ASF101"
verdict = "true"
reason = "a query in a view"

[[finding]]
library = "lib"
path = "lib/b.py"
line = 7
code = "ASF601"
verdict = "false-alarm-fixed"
reason = "the helper does not block"

[[finding]]
library = "lib"
path = "lib/c.py"
line = 9
code = "ASF303"
verdict = "true"
reason = "open() in a consumer"
""",
        encoding="utf-8",
    )
    triage = real_world.load_triage(triage_file)
    result = real_world.Result(
        "lib", files=3, async_functions=2,
        findings=[("lib", "lib/a.py", 3, "ASF101"), ("lib", "lib/b.py", 7, "ASF601"), ("lib", "lib/d.py", 1, "ASF301")],
        opt_in=[],
    )
    real_world.judge(result, triage)
    assert result.confirmed == 1
    assert result.fixed == 0
    assert result.problems == [
        "fixed false alarm reported again: lib lib/b.py:7 ASF601",
        "not triaged: lib lib/d.py:1 ASF301",
        "confirmed finding no longer reported: lib lib/c.py:9 ASF303",
    ]


def test_a_fixed_false_alarm_that_stays_away_is_counted(tmp_path: Path) -> None:
    triage = real_world.load_triage(ROOT / "docs" / "real-world-triage.toml")
    fixed = [key for key, entry in triage.items() if entry["verdict"] == "false-alarm-fixed"]
    confirmed = [key for key, entry in triage.items() if entry["verdict"] == "true" and key[0] == fixed[0][0]]
    result = real_world.Result(fixed[0][0], 1, 1, findings=confirmed, opt_in=[])
    real_world.judge(result, triage)
    assert result.problems == []
    assert result.fixed == sum(key[0] == fixed[0][0] for key in fixed)
