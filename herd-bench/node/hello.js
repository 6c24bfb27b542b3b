'use strict';
// Minimal hello HTTP server for the reload benchmark's PM2 and recluster baselines.
// HTTP/1.1 keep-alive (Node's default); GET anything returns a small JSON naming the process.
// Graceful drain, the pattern both PM2 and recluster document: on SIGINT/SIGTERM (PM2 reload) or the
// cluster 'disconnect' command (recluster reload) stop accepting, answer with "Connection: close" so
// keep-alive clients move to another worker, exit when every connection has closed (5 s at most).
const http = require('http');

const port = Number(process.env.PORT || 8080);
const host = process.env.HOST || '127.0.0.1';
const worker = process.env.WORKER_ID ?? process.env.NODE_APP_INSTANCE ?? null;
let draining = false;

const server = http.createServer((req, res) => {
  const body = JSON.stringify({ pid: process.pid, worker: worker, app: 'hello-node' });
  const headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
  if (draining) headers.Connection = 'close';
  res.writeHead(200, headers);
  res.end(body);
});

server.listen(port, host, () => {
  if (process.send) process.send('ready'); // PM2 --wait-ready protocol; harmless otherwise
});

function drain() {
  if (draining) return;
  draining = true;
  server.close(() => process.exit(0)); // Node >= 19 also closes idle keep-alive connections here
  setTimeout(() => process.exit(0), 5000).unref();
}

process.on('SIGINT', drain);
process.on('SIGTERM', drain);
process.on('message', (m) => {
  if (m === 'shutdown' || (m && m.cmd === 'disconnect')) drain();
});
