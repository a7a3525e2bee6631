"""Rule metadata: every code's summary, explanation, example and fix, in one registry."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class RuleSpec:
    code: str
    name: str
    summary: str
    why: str
    example: str
    fix: str
    default_enabled: bool = True
    since: str | None = None  # Django version where the async alternative first exists
    autofix: str | None = None  # what --fix rewrites, when rule code (not the catalog) fixes

    def explanation(self) -> str:
        opt_in = (
            "\nThis rule is opt-in: enable it with --extend-select "
            f"{self.code} or extend-select = [\"{self.code}\"].\n"
            if not self.default_enabled
            else ""
        )
        since = f"\nThe async alternative exists since Django {self.since}.\n" if self.since else ""
        return (
            f"{self.code} ({self.name}): {self.summary}\n\n"
            f"{textwrap.dedent(self.why).strip()}\n{since}{opt_in}\n"
            f"Example:\n\n{textwrap.indent(textwrap.dedent(self.example).strip(), '    ')}\n\n"
            f"Use instead:\n\n{textwrap.indent(textwrap.dedent(self.fix).strip(), '    ')}\n"
        )


_RULES: dict[str, RuleSpec] = {}


def register(*specs: RuleSpec) -> None:
    for spec in specs:
        if spec.code in _RULES:
            raise ValueError(f"rule code {spec.code} registered twice")
        _RULES[spec.code] = spec


def all_rules() -> dict[str, RuleSpec]:
    from asyncsafe.rules import load_rules

    load_rules()
    return dict(sorted(_RULES.items()))
