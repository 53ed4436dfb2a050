"""The socket tutorial's server with its communication loop, as the tutorial writes it.

    python3 examples/tutorial/loop_server.py PORT

Each `recv(1024)` is taken as one message, and answered. TCP is a byte stream: two messages
sent close together arrive in one `recv`, and get one answer ("sticky packets").
"""
import socket
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
            data = sock.recv(1024)
            # The client closed: an empty read.
            if len(data) == 0:
                break
            data_send = f'收到了你发送的 {data}'.encode('utf-8')
            sock.send(data_send)
        except Exception as e:
            print(e)
            break
    sock.close()
