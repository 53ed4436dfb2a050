"""The tutorial's fix on the receiving side of its client: the `struct.pack('i', n)` header read
with `recv(4)`, then the message with `recv(n)`, printed.

    python3 examples/tutorial/struct_client.py PORT

The fix has the bug it fixes here too: `recv(4)` returns what has arrived, up to 4 bytes, and
`recv(n)` up to n. A header cut in two, or a message longer than one read, is read wrong.
"""
import socket
import struct
import sys

client = socket.socket()
client.connect(('127.0.0.1', int(sys.argv[1])))

while True:
    header = client.recv(4)
    if len(header) == 0:
        break
    size = struct.unpack('i', header)[0]
    data = client.recv(size)
    print(data.decode('utf-8'))
client.close()
