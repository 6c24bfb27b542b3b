'use strict';
// A plain Node HTTP app, written the way apps are: no Herd in it. It binds $PORT (3000 without it) and answers
// every request with a short text. Herd's preload (herd-node/herd-node.js) makes it a worker.
const http = require('node:http');

http.createServer((req, res) => {
  res.setHeader('Content-Type', 'text/plain');
  res.end('hello from node ' + process.pid + '\n');
}).listen(process.env.PORT || 3000, () => console.log('listening'));
