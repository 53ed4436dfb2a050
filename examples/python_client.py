"""The classic tutorial's client against lenframe's echo server: a 4-byte length header packed
with `struct` (native order 'i' by default, as in the tutorial), then the data; then it reads the
echo the same way (the header first, then exactly that many bytes) and prints it.

Usage: python3 python_client.py PORT FORMAT WORD...
  FORMAT: a struct format for the header, e.g. 'i' (native), '<i' (little-endian), '!I' (network)

Against `cargo run --example echo_server -- --listen 127.0.0.1:0 --little-endian`, use '<i'.
"""
import socket
import struct
import sys


def recv_exactly(sock, n):
    """recv() returns whatever arrived, up to n bytes: loop until there are n."""
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError(f"connection closed after {len(data)} of {n} bytes")
        data += chunk
    return data


port, fmt, words = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
header_len = struct.calcsize(fmt)
with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
    for word in words:
        data = word.encode()
        client.send(struct.pack(fmt, len(data)))
        client.send(data)
        (length,) = struct.unpack(fmt, recv_exactly(client, header_len))
        print(recv_exactly(client, length).decode())
    client.shutdown(socket.SHUT_WR)
    if client.recv(1) != b"":
        sys.exit("the server sent more than the echoes")
