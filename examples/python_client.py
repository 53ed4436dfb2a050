"""The classic tutorial's client: a native-order 4-byte length header ('i'), then the data.

Usage: python3 python_client.py PORT WORD...
"""
import socket
import struct
import sys

port = int(sys.argv[1])
with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
    for word in sys.argv[2:]:
        data = word.encode()
        client.send(struct.pack("i", len(data)))
        client.send(data)
