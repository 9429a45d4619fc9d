"""OCR runs below the priority of the process that asked for it, as the ``ocrmypdf`` command
runs itself (nice +5): on cores they share, the web process's requests come first."""

import os
from pathlib import Path

from quire.core import ocrmypdf_runner
from tests import samples

PLUGIN = Path(__file__).with_name("priority_plugin.py")


def test_ocr_runs_at_a_lower_priority_than_the_process_that_asked(tmp_path):
    source = tmp_path / "scan.pdf"
    source.write_bytes(samples.scanned_pdf(["Invoice number 4711"]))
    output = tmp_path / "ocrd.pdf"
    options = {
        "language": ["eng"],
        "output_type": "pdf",
        "jobs": 1,
        "progress_bar": False,
        "plugins": [str(PLUGIN)],
    }
    ocrmypdf_runner.run(source, output, options, timeout=300, temp_dir=tmp_path)
    asked_at = os.getpriority(os.PRIO_PROCESS, 0)
    ran_at = int(Path(f"{output}.niceness").read_text())
    assert ran_at == min(asked_at + ocrmypdf_runner.NICENESS, 19)
    assert ocrmypdf_runner.NICENESS == 5  # the ocrmypdf command's own
    assert output.stat().st_size > 0
