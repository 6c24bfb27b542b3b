#!/usr/bin/env python3
"""A worker that writes malformed lines on its Herd channel (HERD_CHANNEL) before the real ones:
the master must ignore them and still see this worker's status and readiness."""
import os
import socket
import sys
import time

path = os.environ["HERD_CHANNEL"]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
bad = [
    b"not json at all\n",
    b"{\n",
    b"[1,2,3]\n",
    b'{"v":1}\n',
    b'{"v":1,"type":42}\n',
    b'{"v":1,"type":"launch-missiles"}\n',
    b'{"v":99,"type":"ready"}\n',
    b'{"v":1,"type":"status"}\n',
    b"\x00\x01\x02\xff\xfe\n",
    b"x" * 100_000 + b"\n",
]
count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
for i in range(count):
    s.sendall(bad[i % len(bad)])
s.sendall(b'{"v":1,"type":"status","text":"still here after garbage"}\n')
s.sendall(b'{"v":1,"type":"ready"}\n')
print("garbage worker: sent %d malformed lines, then status and ready" % count, flush=True)
while True:
    time.sleep(60)
