"""Sends ZooKeeper a four-letter-word command (ruok, srvr, mntr) and prints its answer.

quire.dms.zookeeper runs it with the host's python3 (a minimal Debian has no nc):

    python3 -c "$(cat zookeeper-4lw.py)" ADDRESS PORT WORD
"""

import socket
import sys

address, port, word = sys.argv[1], int(sys.argv[2]), sys.argv[3]
answer = b""
with socket.create_connection((address, port), timeout=5) as connection:
    connection.sendall(word.encode())
    while chunk := connection.recv(4096):
        answer += chunk
print(answer.decode(errors="replace"))
