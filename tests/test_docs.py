"""docs/rules.md is generated from the rules' metadata: every code documented, every code
flagged by some fixture line, and the committed file up to date."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from markers import expected

from asyncsafe.docs import codes_in, render
from asyncsafe.rules.registry import all_rules

ROOT = Path(__file__).resolve().parent.parent
RULES_MD = ROOT / "docs" / "rules.md"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REGENERATE = "run 'python -m asyncsafe.docs' and commit docs/rules.md"


def test_every_code_has_a_complete_explanation() -> None:
    incomplete = {
        code: [part for part in ("name", "summary", "why", "example", "fix") if not getattr(spec, part).strip()]
        for code, spec in all_rules().items()
    }
    assert not {code: parts for code, parts in incomplete.items() if parts}
    for code, spec in all_rules().items():
        example, fix = textwrap.dedent(spec.example).strip(), textwrap.dedent(spec.fix).strip()
        assert example != fix, f"{code}: the example and the fix are the same code"
        compile(example, f"{code} example", "exec")
        compile(fix, f"{code} fix", "exec")


def test_every_code_is_documented_in_rules_md() -> None:
    documented = list(codes_in(RULES_MD.read_text(encoding="utf-8")))
    assert documented == list(all_rules()), REGENERATE


def test_every_code_is_flagged_by_a_fixture_line() -> None:
    # Deployment rules (ASF7xx) are proven on whole projects: tests/deploy_projects.
    files = [*FIXTURES.rglob("*.py"), *(FIXTURES.parent / "deploy_projects").rglob("*.py")]
    flagged = {code for path in files for (_, code) in expected(path.read_text(encoding="utf-8"))}
    missing = sorted(set(all_rules()) - flagged)
    assert not missing, f"no '# expect: CODE' line in tests/fixtures or tests/deploy_projects for: {', '.join(missing)}"


def test_rules_md_is_up_to_date() -> None:
    assert RULES_MD.read_text(encoding="utf-8") == render(), REGENERATE


def test_regeneration_is_one_command(tmp_path: Path) -> None:
    target = tmp_path / "docs" / "rules.md"
    command = [sys.executable, "-m", "asyncsafe.docs", "--output", str(target)]
    assert subprocess.run(command, capture_output=True, text=True).returncode == 0
    assert target.read_text(encoding="utf-8") == render()
    check = subprocess.run([*command, "--check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    target.write_text(render().replace("ASF301", "ASF399", 1), encoding="utf-8")
    stale = subprocess.run([*command, "--check"], capture_output=True, text=True)
    assert stale.returncode == 1 and "is stale" in stale.stderr


@pytest.mark.parametrize("code", list(all_rules()))
def test_each_section_carries_the_rule_metadata(code: str) -> None:
    spec = all_rules()[code]
    text = render()
    section = text[text.index(f"## {code}: {spec.name}"):]
    section = section[: section.find("\n## ", 1)] if "\n## " in section[1:] else section
    assert spec.summary in section
    assert textwrap.dedent(spec.example).strip() in section
    assert textwrap.dedent(spec.fix).strip() in section
    assert ("Enabled by default." in section) == spec.default_enabled
    if spec.since:
        assert f"since Django {spec.since}" in section


def test_codes_table_matches_the_registry() -> None:
    """``rules/codes.py`` lets config and cached runs know every code without loading the rules."""
    from asyncsafe.rules.codes import CODES

    assert CODES == {code: spec.default_enabled for code, spec in all_rules().items()}, REGENERATE
