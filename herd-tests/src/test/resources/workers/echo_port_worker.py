"""Proxy-mode test worker: binds $PORT on $HERD_HOST and echoes every connection's bytes back; on end of
stream it half-closes its side too, so a client sees everything it sent, then EOF."""
import os
import socket
import threading

listener = socket.socket(socket.AF_INET6 if ':' in os.environ.get('HERD_HOST', '') else socket.AF_INET)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((os.environ.get('HERD_HOST', '127.0.0.1'), int(os.environ['PORT'])))
listener.listen(128)


def echo(conn):
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)


while True:
    conn, _ = listener.accept()
    threading.Thread(target=echo, args=(conn,), daemon=True).start()
