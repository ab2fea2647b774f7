"""What the docs say about the dependencies, and the audit that scripts/lock runs on them."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# A name, maybe extras, then one or more comma-separated version clauses: "rq>=3.0,<4".
SPECIFIER = re.compile(
    r"(?<![\w.-])([A-Za-z][\w.-]*(?:\[[\w,.-]+\])?)\s*"
    r"((?:~=|==|!=|<=|>=|<|>)\s*\d[\w.*+!-]*(?:\s*,\s*(?:~=|==|!=|<=|>=|<|>)\s*\d[\w.*+!-]*)*)"
)


def pyproject_requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = [*project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        lines.extend(extra)
    return {canonicalize_name(req.name): req for req in map(Requirement, lines)}


def doc_statements() -> list[tuple[str, Requirement]]:
    """Every ``name<op>version`` in the docs that names a dependency of pyproject.toml."""
    known = pyproject_requirements()
    found = []
    for doc in DOCS:
        for number, line in enumerate(doc.read_text().splitlines(), 1):
            for match in SPECIFIER.finditer(line):
                try:
                    req = Requirement(match.group(1) + match.group(2).replace(" ", ""))
                except InvalidRequirement:
                    continue
                if canonicalize_name(req.name) in known:
                    found.append((f"{doc.relative_to(ROOT)}:{number}", req))
    return found


def test_the_docs_state_the_version_ranges_pyproject_toml_has() -> None:
    """Issue 27: docs/security.md stated ``rq>=2.12,<2.13`` long after pyproject.toml moved
    to ``rq>=3.0,<4``."""
    known = pyproject_requirements()
    statements = doc_statements()
    assert statements, "the docs name RQ's range (docs/security.md, Auditing the dependencies)"
    wrong = [
        f"{where}: {req} (pyproject.toml: {known[canonicalize_name(req.name)]})"
        for where, req in statements
        if req.specifier != known[canonicalize_name(req.name)].specifier
    ]
    assert not wrong


def test_the_statement_check_sees_a_range_that_differs() -> None:
    req = Requirement("rq>=2.12,<2.13")
    assert req.specifier != pyproject_requirements()["rq"].specifier
    assert SPECIFIER.search("pinned (`rq>=2.12,<2.13` in") is not None


# --- scripts/audit.py --------------------------------------------------------------------
def audit_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lock_audit", ROOT / "scripts" / "audit.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def audit() -> ModuleType:
    return audit_script()


def report(*deps: dict[str, object]) -> str:
    """A pip-audit JSON report (``-f json``) as pip-audit 2.x writes it."""
    return json.dumps({"dependencies": list(deps), "fixes": []})


def unknown(name: str, version: str) -> dict[str, object]:
    """How pip-audit reports a version its source has no record of (PyPI's JSON API 404)."""
    why = f"Dependency not found on PyPI and could not be audited: {name} ({version})"
    return {"name": name, "skip_reason": why}


def clean(name: str, version: str) -> dict[str, object]:
    return {"name": name, "version": version, "vulns": []}


def test_an_audit_no_source_answered_for_says_nothing_was_audited(audit: ModuleType) -> None:
    """Issue 27: every pin "not found" on a package index mirror, OSV unreachable, and
    pip-audit still printed "No known vulnerabilities found"."""
    mirror = audit.read_report("pypi", report(unknown("flask", "3.1.3"), unknown("rq", "3.0.0")))
    unreachable = audit.Report("osv", error="Failed to resolve 'api.osv.dev'")
    status, lines = audit.verdict([mirror, unreachable])
    assert status == audit.NOT_AUDITED == 3
    text = "\n".join(lines)
    assert "NOT RUN" in text and "Nothing was audited" in text
    assert "knows none of the 2 locked versions" in text and "api.osv.dev" in text
    assert "no known vulnerabilit" not in text.lower()


def test_an_audit_takes_the_first_source_that_knows_the_versions(audit: ModuleType) -> None:
    mirror = audit.read_report("pypi", report(unknown("flask", "3.1.3")))
    osv = audit.read_report("osv", report(clean("flask", "3.1.3"), unknown("gevent", "26.9.0")))
    status, lines = audit.verdict([mirror, osv])
    assert status == 0
    assert lines == [
        "dependency audit (osv): 1 packages audited, no known vulnerability; "
        "NOT audited, unknown to osv: gevent"
    ]


def test_a_known_vulnerability_stops_the_upgrade(audit: ModuleType) -> None:
    vuln = {"id": "PYSEC-2099-1", "fix_versions": ["3.1.4"], "aliases": [], "description": ""}
    found = audit.read_report(
        "pypi", report({"name": "flask", "version": "3.1.3", "vulns": [vuln]}, clean("rq", "3.0.0"))
    )
    status, lines = audit.verdict([found])
    assert status == audit.VULNERABLE == 1
    assert lines == ["VULNERABLE flask 3.1.3: PYSEC-2099-1 (fixed in 3.1.4)"]
