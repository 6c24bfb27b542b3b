#!/usr/bin/env python3
"""A worker that can only bind the port it is given ($PORT), for proxy mode. Understands an optional PROXY
protocol header (v1 text or v2 binary) before the HTTP request and reports the client it names. Answers one
request per connection. On SIGTERM it stops accepting, finishes what is in flight and exits 0."""
import json
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse

SLOT = int(os.environ["HERD_WORKER_ID"])
GENERATION = int(os.environ["HERD_GENERATION"])
V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def read_line(sock):
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        client = "%s:%d" % self.client_address[:2]
        first = sock.recv(12, socket.MSG_PEEK | socket.MSG_WAITALL)
        if first.startswith(b"PROXY "):
            parts = read_line(sock).decode().split()
            client = "%s:%s" % (parts[2], parts[4])
        elif first == V2_SIGNATURE:
            head = read_exactly(sock, 16)
            length = struct.unpack("!H", head[14:16])[0]
            body = read_exactly(sock, length)
            if head[13] == 0x11:
                client = "%s:%d" % (socket.inet_ntop(socket.AF_INET, body[0:4]), struct.unpack("!H", body[8:10])[0])
            else:
                client = "%s:%d" % (socket.inet_ntop(socket.AF_INET6, body[0:16]), struct.unpack("!H", body[32:34])[0])
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = sock.recv(4096)
            if not chunk:
                return
            request += chunk
        path = request.split(b" ")[1].decode()
        parsed = urllib.parse.urlparse(path)
        if parsed.path == "/slow":
            print("slow request started", flush=True)
            time.sleep(int(urllib.parse.parse_qs(parsed.query)["ms"][0]) / 1000)
        body = (json.dumps({"slot": SLOT, "pid": os.getpid(), "generation": GENERATION, "client": client},
                           separators=(",", ":")) + "\n").encode()
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                     b"Connection: close\r\n\r\n" % len(body) + body)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = False
    block_on_close = True


server = Server((os.environ.get("HERD_HOST", "127.0.0.1"), int(os.environ["PORT"])), Handler)


def drain(signum, frame):
    threading.Thread(target=server.shutdown).start()


signal.signal(signal.SIGTERM, drain)
print("port worker slot=%d pid=%d listening on %s:%s" % (SLOT, os.getpid(), os.environ.get("HERD_HOST", "127.0.0.1"), os.environ["PORT"]), flush=True)
server.serve_forever(poll_interval=0.05)
# Connections the kernel already completed but nobody accepted yet would be reset by the close: take them too.
server.socket.setblocking(False)
while True:
    try:
        connection, address = server.socket.accept()
    except BlockingIOError:
        break
    connection.setblocking(True)
    server.process_request(connection, address)
server.server_close()  # waits for the requests in flight
print("port worker slot=%d drained" % SLOT, flush=True)
sys.exit(0)
