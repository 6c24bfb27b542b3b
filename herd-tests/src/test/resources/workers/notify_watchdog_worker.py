#!/usr/bin/env python3
"""A non-JVM worker that uses sd_notify only: READY=1, then WATCHDOG=1 heartbeats for a while, then silence
while it stays alive (as a hung process would). Argument: how many heartbeats, 200 ms apart."""
import os
import socket
import sys
import time

path = os.environ["NOTIFY_SOCKET"]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)


def notify(message):
    s.sendto(message.encode(), path)


beats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
notify("READY=1\nSTATUS=beating")
for _ in range(beats):
    notify("WATCHDOG=1")
    time.sleep(0.2)
notify("STATUS=silent")
print("notify worker: %d heartbeats sent, now silent" % beats, flush=True)
while True:
    time.sleep(60)
