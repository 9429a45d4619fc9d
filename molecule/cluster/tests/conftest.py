import sys
from pathlib import Path

# molecule/shared: the helpers every scenario's tests use.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))
