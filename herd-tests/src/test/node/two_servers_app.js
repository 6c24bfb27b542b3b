'use strict';
// An app with two servers, the metrics one listening first: $METRICS_PORT for metrics, $PORT for the service.
// Under Herd, HERD_NODE_PORT=$PORT tells the preload which listen() gets the shared socket.
const http = require('node:http');

http.createServer((req, res) => res.end('metrics ' + process.pid + '\n'))
  .listen(Number(process.env.METRICS_PORT), '127.0.0.1');
http.createServer((req, res) => res.end('service ' + process.pid + '\n'))
  .listen(Number(process.env.PORT || 3000));
