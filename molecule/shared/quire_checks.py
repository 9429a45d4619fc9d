"""What the scenarios' tests ask a host: HTTP requests made inside it, its listening sockets, a
unit's process and sandbox, and a scanned page to upload.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import img2pdf
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def curl(host, *args: str) -> tuple[int, str]:
    """(HTTP status, body) of a request made inside the container."""
    command = "curl -sS -m 20 -w %s" + " %s" * len(args)
    body, _, status = host.check_output(command, "\\n%{http_code}", *args).rpartition("\n")
    return int(status), body


def listening_addresses(host) -> set[str]:
    """ADDRESS:PORT of every listening TCP socket (Java shows IPv4 as [::ffff:ADDRESS])."""
    return {line.split()[3] for line in host.check_output("ss -Htln").splitlines()}


def listens_on_loopback_only(host, port: int) -> bool:
    addresses = listening_addresses(host)
    return bool(addresses & {f"127.0.0.1:{port}", f"[::ffff:127.0.0.1]:{port}"}) and not (
        addresses & {f"0.0.0.0:{port}", f"*:{port}", f"[::]:{port}"}
    )


def main_process_owner(host, unit: str) -> tuple[str, str]:
    """(user, group) of the unit's main process."""
    pid = int(host.check_output(f"systemctl show -P MainPID {unit}"))
    assert pid > 0, f"{unit} has no main process"
    return (
        host.check_output(f"ps -o user= -p {pid}").strip(),
        host.check_output(f"ps -o group= -p {pid}").strip(),
    )


def sandbox_exposure(host, unit: str) -> float:
    """The unit's overall exposure level by `systemd-analyze security` (0 to 10)."""
    out = host.check_output(f"systemd-analyze security --no-pager {unit} 2>&1")
    match = re.search(rf"Overall exposure level for {re.escape(unit)}: (\d+\.\d+)", out)
    assert match, out
    return float(match.group(1))


def scanned_pdf(word: str) -> bytes:
    """A scan without a text layer: an A5 page at 300 dpi with the word in large letters."""
    picture = Image.new("L", (1748, 2480), 255)
    ImageDraw.Draw(picture).text((150, 300), word, font=ImageFont.truetype(FONT, 110), fill=0)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", dpi=(300, 300))
    data = img2pdf.convert(buffer.getvalue())
    assert isinstance(data, bytes)
    return data


def secrets_in_ansible_output(secrets: list[str] | tuple[str, ...]) -> list[str]:
    """Those of the secrets that Ansible printed in the scenario's steps so far (molecule.yml's
    ANSIBLE_LOG_PATH)."""
    assert secrets
    path = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "ansible.log"
    text = path.read_text()
    # The converge is in it: the secrets were there to leak.
    assert "TASK [quire.dms.common" in text, f"{path} does not hold the converge"
    return [secret for secret in secrets if secret in text]
