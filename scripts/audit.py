"""Audit a lock file for known vulnerabilities, and say plainly when nothing was audited.

    .venv/bin/python scripts/audit.py [requirements.txt]    (scripts/lock runs it)

pip-audit prints "No known vulnerabilities found" and exits 0 even when its advisory source
answered for none of the locked versions: a package index without PyPI's JSON API answers
404 for each ("Dependency not found on PyPI and could not be audited"), so that line and
that status say nothing by themselves. This reads pip-audit's JSON report instead, and tries
each advisory source in turn (PyPI's, then OSV's; AUDIT_SERVICE names one): the first that
knows at least one locked version gives the verdict, and the versions it did not know are
named.

Exit status: 0 audited, no known vulnerability; 1 a known vulnerability; 3 no advisory source
could be reached or knew any locked version: nothing was audited.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SOURCES = ("pypi", "osv")
VULNERABLE, NOT_AUDITED = 1, 3
PIP_AUDIT = [".venv/bin/uv", "tool", "run", "--quiet", "pip-audit"]


@dataclass
class Report:
    """What one advisory source said about the lock: ``error`` when it could not be asked."""

    source: str
    audited: list[dict[str, Any]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    error: str = ""


def read_report(source: str, text: str) -> Report:
    """The packages a pip-audit JSON report audited, and those its source did not know."""
    deps = json.loads(text)["dependencies"]
    return Report(
        source,
        audited=[dep for dep in deps if not dep.get("skip_reason")],
        unknown=[str(dep["name"]) for dep in deps if dep.get("skip_reason")],
    )


def run_pip_audit(lock: Path, source: str) -> Report:
    """pip-audit on ``lock`` against ``source``, the lock audited as written (no install)."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "report.json"
        done = subprocess.run(
            [*PIP_AUDIT, "-r", str(lock), "--require-hashes", "--disable-pip",
             "--progress-spinner", "off", "-s", source, "-f", "json", "-o", str(out)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if out.exists() and out.stat().st_size:
            return read_report(source, out.read_text())
    lines = (done.stderr or done.stdout).strip().splitlines()
    return Report(source, error=lines[-1] if lines else f"pip-audit exited {done.returncode}")


def verdict(reports: list[Report]) -> tuple[int, list[str]]:
    """The exit status and the lines to print, from the reports of the sources tried in turn."""
    for report in reports:
        if not report.audited:
            continue
        lines, vulnerable = [], False
        for dep in report.audited:
            for vuln in dep.get("vulns") or []:
                vulnerable = True
                fixed = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
                lines.append(
                    f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})"
                )
        if vulnerable:
            return VULNERABLE, lines
        line = (
            f"dependency audit ({report.source}): {len(report.audited)} packages audited, "
            "no known vulnerability"
        )
        if report.unknown:
            line += f"; NOT audited, unknown to {report.source}: {', '.join(report.unknown)}"
        return 0, [line]
    why = "; ".join(
        f"{r.source}: {r.error or f'knows none of the {len(r.unknown)} locked versions'}"
        for r in reports
    )
    return NOT_AUDITED, [
        f"dependency audit NOT RUN: no advisory source could be reached ({why}). "
        "Nothing was audited; run scripts/lock --audit where PyPI's JSON API or OSV answers."
    ]


def main(argv: list[str]) -> int:
    lock = Path(argv[0] if argv else "requirements.txt")
    wanted = os.environ.get("AUDIT_SERVICE")
    reports = []
    for source in (wanted,) if wanted else SOURCES:
        reports.append(run_pip_audit(lock, source))
        if reports[-1].audited:
            break
    status, lines = verdict(reports)
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
