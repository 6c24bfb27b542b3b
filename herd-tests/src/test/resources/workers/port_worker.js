'use strict';
// A Node hello server that can only bind the port it is given ($PORT, on $HERD_HOST), the kind of app Herd's
// proxy mode is for. Understands an optional PROXY protocol header (v1 text or v2 binary) before the HTTP
// request and reports the client it names. Answers one request per connection. On SIGTERM it stops
// accepting, finishes what is in flight and exits 0.
const net = require('node:net');
const http = require('node:http');

const SLOT = Number(process.env.HERD_WORKER_ID);
const GENERATION = Number(process.env.HERD_GENERATION);
const HOST = process.env.HERD_HOST || '127.0.0.1';
const PORT = Number(process.env.PORT);
const V1 = Buffer.from('PROXY ', 'latin1');
const V2 = Buffer.from('\r\n\r\n\x00\r\nQUIT\n', 'latin1');

const app = http.createServer((req, res) => {
  const answer = () => {
    const body = JSON.stringify({slot: SLOT, pid: process.pid, generation: GENERATION, client: req.socket.herdClient}) + '\n';
    res.writeHead(200, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Connection: 'close'});
    res.end(body);
  };
  const url = new URL(req.url, 'http://worker');
  if (url.pathname === '/slow') {
    console.log('slow request started');
    setTimeout(answer, Number(url.searchParams.get('ms')));
  } else {
    answer();
  }
});

/** A header at the start of buf: null while more bytes are needed, else its length and the client it names. */
function proxyHeader(buf) {
  const starts = (sig) => buf.subarray(0, Math.min(buf.length, sig.length)).equals(sig.subarray(0, Math.min(buf.length, sig.length)));
  if (starts(V1)) {
    if (buf.length < V1.length) return null;
    const end = buf.indexOf('\r\n');
    if (end < 0) return null;
    const parts = buf.subarray(0, end).toString('latin1').split(' ');
    return {length: end + 2, client: `${parts[2]}:${parts[4]}`};
  }
  if (starts(V2)) {
    if (buf.length < 16) return null;
    const length = 16 + buf.readUInt16BE(14);
    if (buf.length < length) return null;
    const family = buf[13];
    if (family === 0x11) {
      return {length, client: `${Array.from(buf.subarray(16, 20)).join('.')}:${buf.readUInt16BE(24)}`};
    }
    const words = [];
    for (let i = 0; i < 16; i += 2) words.push(buf.readUInt16BE(16 + i).toString(16));
    return {length, client: `${words.join(':')}:${buf.readUInt16BE(48)}`};
  }
  return {length: 0, client: null};
}

// Reads the optional PROXY header, then hands the connection, with the bytes after the header, to the HTTP server.
const front = net.createServer((socket) => {
  socket.herdClient = `${socket.remoteAddress}:${socket.remotePort}`;
  let buffered = Buffer.alloc(0);
  const onData = (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    const header = proxyHeader(buffered);
    if (header === null) return;
    socket.removeListener('data', onData);
    socket.pause();
    if (header.client) socket.herdClient = header.client;
    const rest = buffered.subarray(header.length);
    if (rest.length > 0) socket.unshift(rest);
    app.emit('connection', socket);
    socket.resume();
  };
  socket.on('data', onData);
});

front.listen(PORT, HOST, () => {
  console.log(`port worker slot=${SLOT} pid=${process.pid} listening on ${HOST}:${PORT}`);
});

process.on('SIGTERM', () => {
  front.close(() => {
    // every connection handed over has been answered (one request each, Connection: close)
    app.close(() => {
      console.log(`port worker slot=${SLOT} drained`);
      process.exit(0);
    });
  });
  app.closeIdleConnections();
});
