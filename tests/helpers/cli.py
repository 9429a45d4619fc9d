"""``python -m quire`` as a real process, in a terminal that never wraps or colours its output.

Rich, which prints the commands' messages, tables and progress bars, lays them out for the
terminal's width, and without a terminal that is 80 columns: a message naming a temporary path
was one line or two with that path's length, and a test looking for it passed or failed by
where pytest put ``tmp_path``. Every command a test runs gets the same wide, fixed, colourless
terminal instead (``TERMINAL``), whatever the environment it is given or the one tests run in.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence

# Wide enough for any line a command prints, paths included.
TERMINAL = {"COLUMNS": "1000", "LINES": "100", "TERM": "dumb", "NO_COLOR": "1"}
# What would undo it: colour or a terminal forced on, or another width (Typer's, Jupyter's).
UNSET = (
    "FORCE_COLOR",
    "TTY_COMPATIBLE",
    "TTY_INTERACTIVE",
    "TERMINAL_WIDTH",
    "JUPYTER_COLUMNS",
    "JUPYTER_LINES",
)


def quire_command(*args: str, python_options: Sequence[str] = ()) -> list[str]:
    """The command line of ``python [python_options] -m quire args``."""
    return [sys.executable, *python_options, "-m", "quire", *args]


def terminal_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (this process's environment if None) in the fixed terminal."""
    fixed = {
        key: value
        for key, value in (os.environ if env is None else env).items()
        if key not in UNSET
    }
    fixed.update(TERMINAL)
    return fixed


def run_quire(
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    python_options: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m quire args`` to its end; its exit code, stdout and stderr, unchecked."""
    return subprocess.run(
        quire_command(*args, python_options=python_options),
        env=terminal_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
