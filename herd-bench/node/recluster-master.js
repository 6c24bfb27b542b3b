'use strict';
// recluster master for the reload benchmark. Runs hello.js on RECLUSTER_WORKERS workers (default 4).
// SIGUSR2 reloads (recluster's README). One reload at a time; one more requested meanwhile is queued.
// Completion: recluster's reload(cb) calls back once every new worker is ready ('listening'); this
// script then also waits (at most 30 s) until every worker of the previous generation has exited, and
// prints "event=reload.done generation=G duration_ms=D ready_ms=R". recluster's own kill timeout for
// old workers is left at its default (opt.timeout: 1 s unless NODE_ENV=production, then 1 h).
const path = require('path');
const recluster = require('recluster');

const workers = Number(process.env.RECLUSTER_WORKERS || 4);
const cluster = recluster(path.join(__dirname, 'hello.js'), {
  workers: workers,
  readyWhen: 'listening',
  log: { respawns: true },
});

function log(line) {
  process.stdout.write(new Date().toISOString() + ' ' + line + '\n');
}

let generation = 1;
let initialReady = 0;
let reloading = false;
let queued = false;

cluster.on('ready', (w) => {
  if (generation === 1 && initialReady < workers && ++initialReady === workers) {
    log('event=cluster.ready workers=' + workers + ' master_pid=' + process.pid);
  }
});

function reload() {
  if (reloading) { queued = true; return; }
  reloading = true;
  const started = Date.now();
  const old = cluster.workers().slice();
  generation++;
  const gen = generation;
  cluster.reload(() => {
    const readyMs = Date.now() - started;
    const deadline = Date.now() + 30000;
    const poll = setInterval(() => {
      const alive = old.filter((w) => !w.isDead()).length;
      if (alive === 0 || Date.now() > deadline) {
        clearInterval(poll);
        log((alive === 0 ? 'event=reload.done' : 'event=reload.failed') + ' generation=' + gen +
            ' duration_ms=' + (Date.now() - started) + ' ready_ms=' + readyMs + ' old_alive=' + alive);
        reloading = false;
        if (queued) { queued = false; reload(); }
      }
    }, 10);
  });
}

process.on('SIGUSR2', reload);
function stop() {
  cluster.terminate(() => process.exit(0));
  setTimeout(() => process.exit(0), 5000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

cluster.run();
log('event=cluster.started master_pid=' + process.pid + ' workers=' + workers);
