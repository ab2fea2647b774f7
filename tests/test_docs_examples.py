"""The README's, docs/blocks.md's and its Polish version's sandbox examples, run as written
against a running sandbox: an example that names a date in the past, an hour off the rooms'
slots or a command that changed fails here, not in a newcomer's first ten minutes."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_sandbox import ROOT, dev_sandbox, eventually

__all__ = ["dev_sandbox"]  # the fixture, used by name

# What each read line promises in its comment, as a pattern its output must match (read
# lines are repeated until it does: the sync takes a moment, as it does for a person).
PROMISES = {
    "README.md": {
        "lockme-sync sandbox rooms": r"5101\tPharaoh's Tomb.*\n5102\tPrison Break.*\n5103\tHaunted",
        "lockme-sync sandbox events": r"T17:30:00\S*\s+confirmed\s+front-desk@sandbox\.example"
        r"\s+Pharaoh's Tomb: Anna Nowak",
    },
    "docs/blocks.md": {
        "lockme-sync sandbox slots --date tomorrow          # 13:00": (
            r"Pharaoh's Tomb: .*13:00 blocked.*\nPrison Break: .*13:00 blocked"
        ),
        "lockme-sync sandbox events": r"Boiler repair  \(staff event \w+, busy\)",
        "lockme-sync sandbox slots --date tomorrow          # now 16:00": (
            r"Pharaoh's Tomb: .*13:00 free.*16:00 blocked"
        ),
        "lockme-sync sandbox slots --date tomorrow          # every": r"\A(?!.*blocked)",
    },
    "docs/pl/blocks.md": {
        "lockme-sync sandbox slots --date tomorrow          # 13:00": (
            r"Pharaoh's Tomb: .*13:00 blocked.*\nPrison Break: .*13:00 blocked"
        ),
        "lockme-sync sandbox events": r"Przegląd kotła  \(staff event \w+, busy\)",
        "lockme-sync sandbox slots --date tomorrow          # teraz": (
            r"Pharaoh's Tomb: .*13:00 free.*16:00 blocked"
        ),
        "lockme-sync sandbox slots --date tomorrow          # wszystkie": r"\A(?!.*blocked)",
    },
}


def sandbox_examples(document: str) -> list[str]:
    """The lines of the document's ``sh`` blocks that drive the sandbox."""
    text = (ROOT / document).read_text(encoding="utf-8")
    blocks = re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M)
    return [
        line
        for block in blocks
        if "lockme-sync sandbox" in block
        for line in block.splitlines()
        if line.strip()
    ]


class Shell:
    """One bash, as in a terminal: variables set by a line (``R=$(…)``) live on."""

    MARK = "@@example-done@@"

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            ["bash", "--norc", "--noprofile"],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def run(self, line: str) -> tuple[int, str]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{line}\necho {self.MARK} $?\n")
        self.proc.stdin.flush()
        output: list[str] = []
        while True:
            got = self.proc.stdout.readline()
            assert got, "the shell ended: " + "".join(output)
            if got.startswith(self.MARK):
                return int(got.split()[1]), "".join(output)
            output.append(got)

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def terminal(dev_sandbox: dict[str, Any], tmp_path: Path) -> Iterator[Shell]:
    """A terminal in a checkout: ``. .venv/bin/activate`` puts ``lockme-sync`` on PATH."""
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    command = bin_dir / "lockme-sync"
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m worker.ops.cli "$@"\n')
    command.chmod(0o755)
    (bin_dir / "activate").write_text(f'PATH="{bin_dir}:$PATH"\n')
    env = {k: v for k, v in dev_sandbox["env"].items() if not k.endswith("_CLIENT_ID")}
    shell = Shell(tmp_path, env)
    yield shell
    shell.close()


@pytest.mark.parametrize("document", sorted(PROMISES))
def test_sandbox_examples_run_as_written(document: str, terminal: Shell) -> None:
    lines = sandbox_examples(document)
    assert any("--date" in line for line in lines)
    promises = PROMISES[document]
    # Every promise is checked, on the line it names (a changed example changes this test).
    assert all(any(line.startswith(key) for line in lines) for key in promises), lines
    terminal.run(". .venv/bin/activate")
    if not any(line.startswith(". .venv/bin/activate") for line in lines):
        terminal.run("lockme-sync sandbox connect")
    for line in lines:
        promise = next((p for key, p in promises.items() if line.startswith(key)), None)

        def kept(line: str = line, promise: str | None = promise) -> tuple[int, str] | None:
            code, output = terminal.run(line)
            assert code == 0, f"{line}\n{output}"
            ok = promise is None or re.search(promise, output, re.M | re.S)
            return (code, output) if ok else None

        eventually(kept, timeout=30)
