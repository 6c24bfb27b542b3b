'use strict';
// A plain Node HTTP app as people write it: no drain, no Herd, no PM2 in it. Binds $PORT on $HOST (PM2 runs it as
// is; under Herd, herd-node/herd-node.js hands it the shared socket and drains it). Answers a small JSON.
const http = require('http');

http.createServer((req, res) => {
  const body = JSON.stringify({ pid: process.pid, app: 'plain-node' });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}).listen(Number(process.env.PORT || 8080), process.env.HOST || '127.0.0.1');
