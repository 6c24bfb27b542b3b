'use strict';
// Herd for Node: an unmodified Node server as a Herd worker. Load it before the application:
//
//   herd run --workers 4 --port 8080 -- node --require /path/to/herd-node.js app.js
//   (or NODE_OPTIONS="--require /path/to/herd-node.js")
//
// Under Herd's shared or reuseport mode (HERD_SOCKET_FD is set), the application's first TCP listen()
// (http.createServer(...).listen(PORT), Express's app.listen(PORT), ...) serves on the socket Herd hands over
// (fd 0, or fd 3 with --socket-fd 3) instead of binding: every worker shares the one port, with no proxy hop.
// HERD_NODE_PORT=N redirects the listen() of port N instead of the first one. Outside Herd it does nothing.
//
// On SIGTERM (Herd's reload, upgrade or shutdown) the worker drains without losing a request: it stops
// accepting (the socket stays open in the master and the other workers), every response from then on says
// "Connection: close" (clients reconnect, to the other workers), keep-alive connections still idle after
// HERD_NODE_DRAIN_IDLE_MS (3000) are closed, and the process exits 0 once no connection is left, or after
// HERD_NODE_STOP_TIMEOUT_MS (default: Herd's --drain-timeout, given as HERD_DRAIN_TIMEOUT_MS, less 5 s: 25000
// with Herd's default). When the application has SIGTERM listeners of its own, they run too and the exit is theirs
// to make. A second SIGTERM exits at once. On any exit, fd 0 is first detached from the shared socket, so that
// Node's own clean-up of its standard streams cannot make the socket blocking under the other workers.
//
// No dependencies; Node 18.2 or later (server.closeIdleConnections).

const fs = require('node:fs');
const net = require('node:net');
const http = require('node:http');

const PREFIX = 'herd-node: ';

function log(line) {
  process.stderr.write(PREFIX + line + '\n');
}

function millis(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    log(`${name}='${raw}' is not a whole number of milliseconds; using ${fallback}`);
    return fallback;
  }
  return value;
}

/** The port a listen() call asks for, or undefined when it is not a TCP listen (a path, an fd, a handle). */
function tcpPort(args) {
  const first = args[0];
  if (first === undefined || first === null || typeof first === 'function') {
    return 0; // listen() or listen(callback): a random port
  }
  if (typeof first === 'number') {
    return first;
  }
  if (typeof first === 'string') {
    return /^\d+$/.test(first) ? Number(first) : undefined; // a string that is not a number is a pipe's path
  }
  if (typeof first === 'object') {
    if (first.path !== undefined || first.fd !== undefined || first.handle !== undefined || first._handle !== undefined) {
      return undefined;
    }
    return first.port === undefined ? 0 : Number(first.port);
  }
  return undefined;
}

function install() {
  const fd = Number(process.env.HERD_SOCKET_FD);
  if (process.env.HERD_WORKER_ID === undefined || !(fd === 0 || fd === 3)) {
    return; // not a Herd worker of a mode that hands the socket over
  }
  const wantedPort = process.env.HERD_NODE_PORT === undefined ? undefined : Number(process.env.HERD_NODE_PORT);
  const drainIdleMs = millis('HERD_NODE_DRAIN_IDLE_MS', 3000);
  // what Herd allows after SIGTERM (HERD_DRAIN_TIMEOUT_MS, its --drain-timeout) less 5 s, so the exit is ours
  const herdDrainMs = millis('HERD_DRAIN_TIMEOUT_MS', 30000);
  const stopTimeoutMs = millis('HERD_NODE_STOP_TIMEOUT_MS', Math.max(1000, herdDrainMs - 5000));
  const originalListen = net.Server.prototype.listen;
  let server = null;

  net.Server.prototype.listen = function listen(...args) {
    const port = tcpPort(args);
    // the socket goes to one listen() only: the first TCP one, or HERD_NODE_PORT's
    if (port === undefined || server !== null || (wantedPort !== undefined && port !== wantedPort)) {
      return originalListen.apply(this, args);
    }
    server = this;
    watch(this);
    const callback = args.find((arg) => typeof arg === 'function');
    log(`serving on the socket Herd handed over (fd ${fd}, port ${process.env.HERD_PORT}) instead of binding port ${port}`);
    return callback === undefined ? originalListen.call(this, {fd}) : originalListen.call(this, {fd}, callback);
  };

  let draining = false;
  const connections = new Set();

  /** Every connection, so that the drain can tell how many are left and end them at the stop timeout. */
  function watch(target) {
    target.on('connection', (socket) => {
      connections.add(socket);
      socket.once('close', () => connections.delete(socket));
    });
  }

  // Once draining, every response whose headers go out says Connection: close (requests that began before the
  // drain too), and Node closes its connection after it. Patched once on the prototype rather than a listener per
  // request: nothing is added to a request's cost but this check.
  const originalWriteHead = http.ServerResponse.prototype.writeHead;
  http.ServerResponse.prototype.writeHead = function writeHead(...args) {
    if (draining && !this.headersSent) {
      this.shouldKeepAlive = false;
      this.setHeader('Connection', 'close');
    }
    return originalWriteHead.apply(this, args);
  };

  function drain() {
    if (draining) {
      log('second SIGTERM: exiting now');
      process.exit(143);
    }
    draining = true;
    const started = Date.now();
    const exitWhenDone = process.listenerCount('SIGTERM') <= 1; // only ours: the exit is ours to make
    if (server === null) {
      if (exitWhenDone) {
        process.exit(0);
      }
      return;
    }
    log(`draining: connections=${connections.size} stop timeout=${stopTimeoutMs} ms`);
    const finish = (how) => {
      log(`drained in ${Date.now() - started} ms${how}`);
      if (exitWhenDone) {
        process.exit(0);
      }
    };
    // net.Server's close: stop accepting; 'close' once every connection ended. (http.Server's close would also
    // close idle keep-alive connections at once, in the face of a request that may be on its way.)
    net.Server.prototype.close.call(server, () => finish(''));
    // a keep-alive connection that is idle now has been since before the drain: its client has had the grace
    const idle = setTimeout(() => {
      if (typeof server.closeIdleConnections === 'function') {
        server.closeIdleConnections();
      }
    }, drainIdleMs);
    idle.unref();
    const limit = setTimeout(() => {
      log(`stop timeout of ${stopTimeoutMs} ms reached: closing ${connections.size} connections`);
      for (const socket of connections) {
        socket.destroy();
      }
      finish(' (cut off at the stop timeout)');
    }, stopTimeoutMs);
    limit.unref();
  }

  process.on('SIGTERM', drain);
  if (fd === 0) {
    process.on('exit', leaveTheSharedSocketNonBlocking);
  }
}

// Node records the flags of fds 0-2 when it starts and, when it exits, makes any of them it finds non-blocking
// blocking again (ResetStdio). fd 0 here is the cluster's listening socket, whose flags every worker shares (one
// open file description): a worker that started while the socket was still blocking would, by exiting, switch it
// back to blocking under the workers still serving, and their event loops would hang in accept() whenever another
// worker took the connection that woke them (measured: a 10 s stall, then their keep-alive connections reset). So fd
// 0 stops being the socket before Node's reset runs: closed, and /dev/null opened in its place (the lowest free
// descriptor). The process is exiting; nothing reads fd 0 after this.
function leaveTheSharedSocketNonBlocking() {
  try {
    fs.closeSync(0);
    fs.openSync('/dev/null', 'r');
  } catch (e) {
    log(`could not detach fd 0 from the shared socket before exit: ${e.message}`);
  }
}

install();
