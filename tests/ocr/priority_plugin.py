"""An OCRmyPDF plugin for tests: writes the priority OCRmyPDF runs at beside its output.

Tesseract and Ghostscript, started by that process, inherit the same priority.
"""

import os
from pathlib import Path

from ocrmypdf import hookimpl


@hookimpl
def check_options(options):
    niceness = os.getpriority(os.PRIO_PROCESS, 0)
    Path(f"{options.output_file}.niceness").write_text(str(niceness))
