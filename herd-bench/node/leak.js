'use strict';
// A hello HTTP server that leaks: every second it keeps LEAK_MB_PER_S MiB more (Buffers written through, so the
// pages are resident) until the process ends. The app of the memory-recycle benchmark, run unchanged by PM2
// (max_memory_restart) and by Herd (--max-memory, through the herd-node preload). Each supervisor's documented
// graceful stop: under PM2 the app drains itself on SIGINT/SIGTERM (stop accepting, server.close(), as PM2's docs
// show, like hello.js); under Herd the herd-node preload drains it (Connection: close, idle connections closed after
// a grace), so the app registers no handler of its own there.
const http = require('http');

const port = Number(process.env.PORT || 8080);
const host = process.env.HOST || '127.0.0.1';
const rate = Number(process.env.LEAK_MB_PER_S || 10);
const kept = [];
let draining = false;

const server = http.createServer((req, res) => {
  const body = JSON.stringify({ pid: process.pid, app: 'leak-node', leakedMb: kept.length });
  const headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
  if (draining) headers.Connection = 'close';
  res.writeHead(200, headers);
  res.end(body);
});

server.listen(port, host, () => {
  if (process.send) process.send('ready');
});

setInterval(() => {
  if (kept.length < 4096) kept.push(Buffer.alloc(1024 * 1024, 1));
}, Math.max(1, Math.round(1000 / rate))).unref();

function drain() {
  if (draining) return;
  draining = true;
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 5000).unref();
}
if (!process.env.HERD_WORKER_ID) {
  process.on('SIGINT', drain);
  process.on('SIGTERM', drain);
}
