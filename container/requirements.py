"""Prints what the image installs of pyproject.toml: the dependencies and the database drivers.

The Containerfile turns them into wheels before it copies the code, so that a change to the
code reuses that layer; only a change to pyproject.toml fetches the dependencies again.
"""

import tomllib

with open("pyproject.toml", "rb") as handle:
    project = tomllib.load(handle)["project"]
extras = project["optional-dependencies"]
print("\n".join(project["dependencies"] + extras["postgres"] + extras["mysql"]))
