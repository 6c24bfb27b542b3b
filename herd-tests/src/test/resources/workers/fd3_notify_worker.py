#!/usr/bin/env python3
"""A non-JVM worker in the systemd style: socket on fd 3 (LISTEN_FDS), readiness through sd_notify."""
import http.server
import json
import os
import socket
import sys

if os.environ.get("LISTEN_FDS") != "1" or os.environ.get("LISTEN_PID") != str(os.getpid()):
    print("bad socket activation env: LISTEN_FDS=%s LISTEN_PID=%s pid=%d"
          % (os.environ.get("LISTEN_FDS"), os.environ.get("LISTEN_PID"), os.getpid()), flush=True)
    sys.exit(9)

listener = socket.socket(fileno=3)
slot = int(os.environ["HERD_WORKER_ID"])
generation = int(os.environ["HERD_GENERATION"])
stdin_is_devnull = os.path.realpath("/proc/self/fd/0") == "/dev/null"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = (json.dumps({"slot": slot, "pid": os.getpid(), "generation": generation,
                            "stdinDevNull": stdin_is_devnull}, separators=(",", ":")) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
server.socket.close()
server.socket = listener

notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
notify.sendto(("READY=1\nSTATUS=serving slot %d" % slot).encode(), os.environ["NOTIFY_SOCKET"])
print("fd3 worker slot=%d pid=%d ready" % (slot, os.getpid()), flush=True)
server.serve_forever()
