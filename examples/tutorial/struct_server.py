"""The tutorial's fix for sticky packets, as the tutorial writes it: a `struct.pack('i', n)`
header before each message, read with `recv(4)`, then the message with `recv(n)`.

    python3 examples/tutorial/struct_server.py PORT

The fix has the bug it fixes: `recv(4)` returns what has arrived, up to 4 bytes, and `recv(n)`
up to n. A header cut in two, or a message longer than one read, is read wrong.
"""
import socket
import struct
import sys
from socket import SOL_SOCKET, SO_REUSEADDR

server = socket.socket()
server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
server.bind(('127.0.0.1', int(sys.argv[1])))
server.listen(5)

while True:
    sock, addr = server.accept()
    while True:
        try:
            header = sock.recv(4)
            if len(header) == 0:
                break
            size = struct.unpack('i', header)[0]
            data = sock.recv(size)
            reply = f'收到了你发送的 {data}'.encode('utf-8')
            sock.send(struct.pack('i', len(reply)) + reply)
        except Exception as e:
            print(e)
            break
    sock.close()
