"""Checks that each role's meta/argument_specs.yml mirrors its defaults/main.yml (`make lint`).

For every role under the given directory: each variable in defaults/main.yml has an option in
the ``main`` entry point of meta/argument_specs.yml, with a description, a type and the same
default; and each option there is a variable in defaults/main.yml. Exits 1 listing what differs.

    python scripts/check-argument-specs.py roles
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


def check_role(role: Path) -> list[str]:
    defaults_file = role / "defaults" / "main.yml"
    specs_file = role / "meta" / "argument_specs.yml"
    if not specs_file.is_file():
        return [f"{role}: no meta/argument_specs.yml"]
    defaults = (
        yaml.safe_load(defaults_file.read_text()) if defaults_file.is_file() else None
    ) or {}
    specs = yaml.safe_load(specs_file.read_text()) or {}
    options = ((specs.get("argument_specs") or {}).get("main") or {}).get("options") or {}
    problems = []
    for name in defaults.keys() - options.keys():
        problems.append(f"{role}: {name} is in defaults/main.yml but not in argument_specs.yml")
    for name in options.keys() - defaults.keys():
        problems.append(f"{role}: {name} is in argument_specs.yml but not in defaults/main.yml")
    for name, option in options.items():
        for field in ("description", "type"):
            if not option or not option.get(field):
                problems.append(f"{role}: {name} has no {field} in argument_specs.yml")
        if name in defaults and (option or {}).get("default") != defaults[name]:
            problems.append(
                f"{role}: {name} defaults to {defaults[name]!r} in defaults/main.yml but to "
                f"{(option or {}).get('default')!r} in argument_specs.yml"
            )
    return problems


def main(argv: list[str]) -> int:
    roots = [Path(arg) for arg in argv] or [Path("roles")]
    roles = sorted(path for root in roots for path in root.iterdir() if (path / "tasks").is_dir())
    problems = [problem for role in roles for problem in check_role(role)]
    for problem in sorted(problems):
        print(problem, file=sys.stderr)
    if not problems:
        print(f"argument specs: {len(roles)} role(s) mirror their defaults")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
