"""Raw HTTP/1.1 over a socket: headers first, then a body sent until the server answers.

httpx sends a whole body before it reads an answer; these helpers show what a server does
*before* it has read a body (answers at once, stops reading at a limit).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class Sent:
    status: int
    body: bytes
    bytes_sent: int


def send(host: str, port: int, head: str, chunks: Iterator[bytes], *, timeout: float = 30) -> Sent:
    """Send the head, then chunks until the server answers or closes; its answer."""
    sent = 0
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(head.encode())
        sock.setblocking(False)
        deadline = time.monotonic() + timeout
        answer = b""
        for chunk in chunks:
            answer += _read_some(sock)
            if answer or time.monotonic() > deadline:
                break
            try:
                sock.setblocking(True)
                sock.settimeout(2)
                sock.sendall(chunk)
                sent += len(chunk)
            except OSError:
                break  # the server stopped reading and closed
            finally:
                sock.setblocking(False)
        sock.setblocking(True)
        sock.settimeout(10)
        while b"\r\n\r\n" not in answer or not _complete(answer):
            try:
                data = sock.recv(65536)
            except OSError:
                break
            if not data:
                break
            answer += data
    status_line, _, rest = answer.partition(b"\r\n")
    return Sent(int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2], sent)


def _read_some(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except BlockingIOError:
        return b""
    except OSError:
        return b""


def _complete(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return True


def zeros(total: int, size: int = 256 << 10) -> Iterator[bytes]:
    for _ in range(total // size):
        yield b"0" * size


def chunked(total: int, size: int = 256 << 10) -> Iterator[bytes]:
    for chunk in zeros(total, size):
        yield f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    yield b"0\r\n\r\n"


def head_of(path: str, headers: dict[str, str]) -> str:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return "\r\n".join(lines) + "\r\n\r\n"


def multipart_head(path: str, length: str | None, token: str | None) -> str:
    headers = {"Content-Type": "multipart/form-data; boundary=XyZ"}
    if length is None:
        headers["Transfer-Encoding"] = "chunked"
    else:
        headers["Content-Length"] = length
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return head_of(path, headers)


def chunked_file_part(total: int) -> Iterator[bytes]:
    """A chunked multipart body: the file part's header, then ``total`` bytes of file, lazily."""
    first = b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n'
    yield f"{len(first):x}\r\n".encode() + first + b"\r\n"
    yield from chunked(total)
