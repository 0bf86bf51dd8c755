"""Types (spec/scenarios.md: typed_example_mypy_strict): the typed example passes
`mypy --strict`, the hand-written stubs match the built module (`mypy.stubtest`), and the
example runs against the broker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import Broker

PACKAGE = Path(__file__).resolve().parents[1]
EXAMPLE = PACKAGE / "examples" / "typed_example.py"


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout)


def test_typed_example_mypy_strict(broker: Broker) -> None:
    """`mypy --strict` passes on examples/typed_example.py, `python -m mypy.stubtest
    ferrocket` finds no difference between _native.pyi and the module, and the example runs."""
    checked = run("-m", "mypy", "--strict", "--no-incremental", str(EXAMPLE))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    stubs = run("-m", "mypy.stubtest", "ferrocket")
    assert stubs.returncode == 0, stubs.stdout + stubs.stderr
    ran = run(str(EXAMPLE), broker.addr, timeout=120)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "transaction: COMMIT" in ran.stdout, ran.stdout
