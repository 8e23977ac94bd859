"""The real-config corpus (tests/lint_corpus/) against its judged findings: what lint reports
now, compared with findings.json. Run as a script to see the differences and the precision;
tests/test_lint_corpus.py asserts the same."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from nginxcache.lint import LintOptions, lint

CORPUS = Path(__file__).resolve().parent / "lint_corpus"


@dataclass(frozen=True)
class Judged:
    config: str
    code: str
    line: int
    verdict: str  # true, false, debatable
    reason: str


def judged() -> dict[tuple[str, str, int], Judged]:
    data = json.loads((CORPUS / "findings.json").read_text(encoding="utf-8"))
    return {(f["config"], f["code"], f["line"]): Judged(f["config"], f["code"], f["line"], f["verdict"], f["reason"]) for f in data}


def configs() -> list[Path]:
    return sorted(p for p in CORPUS.glob("*/*") if p.is_file() and p.name not in ("SOURCE.md",) and not p.name.endswith(".md"))


def current() -> dict[tuple[str, str, int], str]:
    """(config, code, line) -> message, of what lint reports now on each config alone."""
    found = {}
    for config in configs():
        relative = config.relative_to(CORPUS).as_posix()
        result = lint([config], LintOptions())
        for finding in result.findings:
            if Path(finding.file).resolve() == config.resolve():
                found[(relative, finding.code, finding.line)] = finding.message
    return found


def main() -> int:
    verdicts, now = judged(), current()
    true = [key for key, j in verdicts.items() if j.verdict == "true"]
    false = [key for key, j in verdicts.items() if j.verdict == "false"]
    kept_true = [key for key in true if key in now]
    lost_true = [key for key in true if key not in now]
    still_false = [key for key in false if key in now]
    new = [key for key in now if key not in verdicts]
    print(f"true found {len(kept_true)}/{len(true)}; false still reported {len(still_false)}/{len(false)}; unjudged new {len(new)}")
    for key in lost_true:
        print("LOST TRUE", key)
    for key in still_false:
        print("STILL FALSE", key, "--", verdicts[key].reason[:100])
    for key in new:
        print("NEW", key, "--", now[key][:220])
    reported_true = len(kept_true) + sum(1 for key in new if False)
    denominator = reported_true + len(still_false)
    print(f"precision over judged findings now reported: {reported_true}/{denominator} = {reported_true / max(denominator, 1):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
