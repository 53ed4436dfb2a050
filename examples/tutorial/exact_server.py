"""The tutorial's fix done right: the same `struct.pack('i', n)` header, but every read loops
until it has exactly the bytes it needs.

    python3 examples/tutorial/exact_server.py PORT
"""
import socket
import struct
import sys
from socket import SOL_SOCKET, SO_REUSEADDR


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


server = socket.socket()
server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
server.bind(('127.0.0.1', int(sys.argv[1])))
server.listen(5)

while True:
    sock, addr = server.accept()
    while True:
        try:
            header = recv_exactly(sock, 4)
            if len(header) == 0:
                break
            size = struct.unpack('i', header)[0]
            data = recv_exactly(sock, size)
            reply = f'收到了你发送的 {data}'.encode('utf-8')
            sock.sendall(struct.pack('i', len(reply)) + reply)
        except Exception as e:
            print(e)
            break
    sock.close()
