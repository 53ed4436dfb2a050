"""The tutorial's client fix done right: the same `struct.pack('i', n)` header, but every read
loops until it has exactly the bytes it needs.

    python3 examples/tutorial/exact_client.py PORT
"""
import socket
import struct
import sys


def recv_exactly(sock, n):
    """Exactly n bytes, or b'' if the peer closed before the first of them."""
    data = b''
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if len(chunk) == 0:
            if data:
                raise ConnectionError(f'closed after {len(data)} of {n} bytes')
            return b''
        data += chunk
    return data


client = socket.socket()
client.connect(('127.0.0.1', int(sys.argv[1])))

while True:
    header = recv_exactly(client, 4)
    if len(header) == 0:
        break
    size = struct.unpack('i', header)[0]
    print(recv_exactly(client, size).decode('utf-8'))
client.close()
