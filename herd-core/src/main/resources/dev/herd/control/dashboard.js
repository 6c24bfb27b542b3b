// Herd's dashboard: served by the master at /ui with a strict Content-Security-Policy (no inline script, nothing
// from elsewhere). The access key lives in this tab's sessionStorage and goes out only as a bearer header.
'use strict';
(() => {
  const KEY = 'herd.key';
  const $ = (selector) => document.querySelector(selector);
  const state = { key: sessionStorage.getItem(KEY), workers: [], workersAt: 0, samples: null, plots: {}, events: null, log: null };
  const IMPORTANT = /^(reload\.|worker\.exited|worker\.recycle|slot\.failed|worker\.ready|cluster\.|master\.|scale|ecv\.)/;

  function headers(extra) {
    return Object.assign({ Authorization: 'Bearer ' + state.key }, extra || {});
  }

  class Refused extends Error {}

  /** POST /api/COMMAND with its words; the answer's result, or an Error with the master's message. */
  async function api(command, args) {
    const response = await fetch('/api/' + command, {
      method: 'POST', headers: headers({ 'Content-Type': 'application/json' }),
      body: JSON.stringify({ args: args || [] }), cache: 'no-store',
    });
    if (response.status === 401) {
      throw new Refused('the master refused this key');
    }
    const answer = await response.json();
    if (!answer.ok) {
      throw new Error(answer.error || ('HTTP ' + response.status));
    }
    return answer.result;
  }

  // ---- sign-in ----

  function showSignIn(error) {
    $('#dashboard').hidden = true;
    $('#sign-out').hidden = true;
    $('#sign-in').hidden = false;
    $('#sign-in-error').textContent = error || '';
    $('#key').focus();
  }

  async function signIn(key) {
    state.key = key;
    try {
      await api('info');
    } catch (e) {
      state.key = null;
      sessionStorage.removeItem(KEY);
      showSignIn(e instanceof Refused ? 'Wrong key: the master refused it.' : 'Cannot reach the master: ' + e.message);
      return;
    }
    sessionStorage.setItem(KEY, key);
    $('#sign-in').hidden = true;
    $('#dashboard').hidden = false;
    $('#sign-out').hidden = false;
    start();
  }

  $('#sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    signIn($('#key').value.trim());
  });
  $('#sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    state.key = null;
    if (state.events) state.events.abort();
    if (state.log) state.log.abort();
    showSignIn('');
  });

  // ---- the workers table ----

  function mib(bytes) { return (bytes / 1048576).toFixed(1) + ' MiB'; }
  function duration(ms) {
    const s = Math.floor(ms / 1000);
    return s < 60 ? s + 's' : s < 3600 ? Math.floor(s / 60) + 'm' + (s % 60) + 's' : Math.floor(s / 3600) + 'h' + Math.floor(s % 3600 / 60) + 'm';
  }
  function latest(pid) {
    const samples = state.samples && state.samples.samples;
    if (!samples || samples.length === 0) return null;
    return samples[samples.length - 1].workers.find((w) => w.pid === pid) || null;
  }
  function rate(value, unit) { return value == null || value < 0 ? '–' : value.toFixed(1) + unit; }

  function renderWorkers() {
    renderTable();
    const slots = [...new Set(state.workers.map((w) => w.slot))].sort((a, b) => a - b);
    for (const select of [$('#restart-slot'), $('#log-slot')]) {
      const chosen = select.value;
      const current = [...select.options].map((o) => o.value).join(',');
      if (current !== slots.join(',')) {
        select.replaceChildren(...slots.map((slot) => new Option(String(slot), String(slot))));
        if (slots.map(String).includes(chosen)) select.value = chosen;
        if (select.id === 'log-slot' && select.value !== chosen) selectSlot();
      }
    }
    if (!$('#scale-count').value && slots.length > 0) $('#scale-count').value = slots.length;
  }

  function renderTable() {
    const body = $('#workers tbody');
    // RSS from the newer of the `workers` answer and the last sample; uptime goes on between answers
    const samples = state.samples ? state.samples.samples : [];
    const sampledLater = samples.length > 0 && samples[samples.length - 1].time > state.workersAt;
    body.replaceChildren(...state.workers.map((w) => {
      const row = document.createElement('tr');
      row.className = 'state-' + String(w.state).toLowerCase() + (w.retired ? ' retired' : '');
      if (String(w.slot) === $('#log-slot').value) row.className += ' selected';
      row.dataset.slot = w.slot;
      row.dataset.pid = w.pid;
      const sample = latest(w.pid);
      for (const text of [w.slot, w.pid, w.generation, String(w.state).toLowerCase(),
        duration(w.uptimeMillis + Date.now() - state.workersAt), mib(sample && sampledLater ? sample.rss : w.rssBytes),
        rate(sample && sample.cpu, '%'), rate(sample && sample.rps, ''), w.restarts,
        w.retired ? 'yes' : '']) {
        const cell = document.createElement('td');
        cell.textContent = text;
        row.appendChild(cell);
      }
      return row;
    }));
    document.body.dataset.updated = String(Date.now());
  }

  let refreshing = null;
  async function refreshWorkers() {
    if (refreshing) return refreshing;
    refreshing = (async () => {
      try {
        state.workers = await api('workers');
        state.workersAt = Date.now();
        renderWorkers();
        if (!state.log && $('#log-slot').value !== '') followLog();
      } catch (e) {
        if (e instanceof Refused) showSignIn('The master no longer accepts this key.');
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  // ---- live events (GET /events, read with fetch so that the key goes in a header) ----

  function addToTimeline(event) {
    if (!IMPORTANT.test(event.event)) return;
    const item = document.createElement('li');
    const fields = Object.entries(event).filter(([k]) => !['id', 'at', 'event'].includes(k))
      .map(([k, v]) => k + '=' + v).join(' ');
    item.textContent = event.at.substring(11, 19) + ' ' + event.event + ' ' + fields;
    if (event.event === 'worker.exited' && event.reason === 'crash') item.className = 'crash';
    const list = $('#timeline');
    list.prepend(item);
    while (list.children.length > 100) list.lastChild.remove();
  }

  async function followEvents() {
    const controller = new AbortController();
    state.events = controller;
    let lastId = 0;
    while (!controller.signal.aborted) {
      try {
        const response = await fetch('/events?samples=true' + (lastId ? '&after=' + lastId : ''),
          { headers: headers(), signal: controller.signal, cache: 'no-store' });
        if (response.status === 401) { showSignIn('The master no longer accepts this key.'); return; }
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.substring(0, end);
            buffer = buffer.substring(end + 2);
            const lines = block.split('\n');
            const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.substring(6)).join('\n');
            if (!data) continue;
            if (lines.includes('event: samples')) {
              addSamples(JSON.parse(data));
              continue;
            }
            const event = JSON.parse(data);
            lastId = event.id;
            addToTimeline(event);
            refreshWorkers();
            if (IMPORTANT.test(event.event)) refreshEcvSoon();
          }
        }
      } catch (e) {
        if (controller.signal.aborted) return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000)); // the master restarted or the stream was cut
    }
  }

  // ---- plots ----

  // The cluster's plots: its sum, and a line per slot (the sum of that slot's workers: during a reload, the old one
  // draining and the new one).
  function clusterSeries(metric, scale) {
    const samples = state.samples.samples;
    const slots = [...new Set(samples.flatMap((s) => s.workers.map((w) => w.slot)))].sort((a, b) => a - b);
    const data = [samples.map((s) => s.time / 1000), samples.map((s) => (s[metric] < 0 ? null : s[metric] * scale))];
    for (const slot of slots) {
      data.push(samples.map((s) => {
        const values = s.workers.filter((w) => w.slot === slot && w[metric] >= 0);
        return values.length ? values.reduce((sum, w) => sum + w[metric], 0) * scale : null;
      }));
    }
    return { data, labels: ['cluster', ...slots.map((slot) => 'slot ' + slot)] };
  }

  // One slot's plots: a line per worker (pid) it had, so a replacement starts a new line where the old one ends.
  function slotSeries(slot, metric, scale) {
    const samples = state.samples.samples;
    const pids = [...new Set(samples.flatMap((s) => s.workers.filter((w) => w.slot === slot).map((w) => w.pid)))];
    const data = [samples.map((s) => s.time / 1000)];
    for (const pid of pids) {
      data.push(samples.map((s) => {
        const w = s.workers.find((x) => x.pid === pid);
        return w && w[metric] >= 0 ? w[metric] * scale : null;
      }));
    }
    return { data, labels: pids.map((pid) => 'pid ' + pid) };
  }

  const COLOURS = ['#1565c0', '#2e7d32', '#ef6c00', '#6a1b9a', '#00838f', '#c62828', '#5d4037', '#283593'];
  function plot(id, { data, labels }, firstIsTotal) {
    const key = id + ':' + labels.join(',');
    const element = $('#' + id);
    if (state.plots[id] && state.plots[id].key === key) {
      state.plots[id].chart.setData(data);
      return;
    }
    if (state.plots[id]) state.plots[id].chart.destroy();
    const options = {
      width: 420, height: 180,
      series: [{}, ...labels.map((label, i) => (firstIsTotal && i === 0 ? { label, stroke: '#1d2126', width: 2 }
        : { label, stroke: COLOURS[i % COLOURS.length] }))],
      // the last 15 minutes, whatever has been sampled of them so far
      scales: { x: { time: true, range: () => { const now = Date.now() / 1000; return [now - 900, now]; } } },
      axes: [{}, { size: 60 }],
    };
    state.plots[id] = { key, chart: new uPlot(options, data, element) };
  }

  const METRICS = [['rss', 1 / 1048576], ['cpu', 1], ['rps', 1]];
  function renderPlots() {
    if (!state.samples || state.samples.samples.length === 0 || !window.uPlot) return;
    for (const [metric, scale] of METRICS) plot('plot-' + metric, clusterSeries(metric, scale), true);
    const slot = $('#log-slot').value;
    if (slot === '') return;
    for (const [metric, scale] of METRICS) plot('slot-plot-' + metric, slotSeries(Number(slot), metric, scale), false);
  }

  // The samples come on the event stream (GET /events?samples=true): all that are kept when it opens, then every
  // 30 s the ones taken since. The page keeps 15 minutes of them; one it has already (a reconnect) is not added twice.
  function addSamples(answer) {
    const had = state.samples ? state.samples.samples : [];
    const last = had.length ? had[had.length - 1].time : -1;
    const all = had.concat(answer.samples.filter((s) => s.time > last));
    const since = all.length ? all[all.length - 1].time - 15 * 60 * 1000 : 0;
    state.samples = { intervalMillis: answer.intervalMillis, samples: all.filter((s) => s.time > since) };
    renderPlots();
    renderWorkers();
  }

  // ---- the log of one slot, followed ----

  async function followLog() {
    if (state.log) state.log.abort();
    const slot = $('#log-slot').value;
    if (slot === '') return;
    const controller = new AbortController();
    state.log = controller;
    const pre = $('#log');
    pre.textContent = '';
    try {
      const response = await fetch('/logs?slot=' + encodeURIComponent(slot) + '&lines=50&follow=true',
        { headers: headers(), signal: controller.signal, cache: 'no-store' });
      if (!response.ok) { pre.textContent = 'no log for slot ' + slot + ' yet'; return; }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        pre.append(value);
        const lines = pre.textContent.split('\n');
        if (lines.length > 500) pre.textContent = lines.slice(-500).join('\n');
        pre.scrollTop = pre.scrollHeight;
      }
    } catch (e) {
      // switched slots or signed out
    }
  }
  function selectSlot() {
    followLog();
    renderPlots();
    renderTable();
  }
  $('#log-slot').addEventListener('change', selectSlot);
  $('#workers tbody').addEventListener('click', (event) => {
    const row = event.target.closest('tr');
    if (!row || row.dataset.slot === $('#log-slot').value) return;
    $('#log-slot').value = row.dataset.slot;
    selectSlot();
  });

  // ---- ECV ----

  async function refreshEcv() {
    try {
      const response = await fetch('/ecv', { cache: 'no-store' });
      const text = await response.text();
      const status = (text.match(/^status=([A-Z]+)/) || [])[1] || 'unknown';
      const badge = $('#ecv');
      badge.textContent = 'ECV ' + status;
      badge.className = 'badge ' + status;
    } catch (e) {
      $('#ecv').textContent = 'ECV unreachable';
    }
  }

  // an event that may change the ECV (a worker gone or ready, a reload): one check after a burst of them
  let ecvTimer = null;
  function refreshEcvSoon() {
    if (ecvTimer) return;
    ecvTimer = setTimeout(() => { ecvTimer = null; refreshEcv(); }, 500);
  }

  // ---- actions: each asks first, then says how it went ----

  function action(button, question, command, args) {
    $(button).addEventListener('click', async () => {
      const words = typeof args === 'function' ? args() : args;
      if (!window.confirm(question(words))) return;
      const outcome = $('#outcome');
      outcome.className = '';
      const label = [command, ...words].join(' ');
      outcome.textContent = label + ': running...';
      try {
        const result = await api(command, words);
        outcome.textContent = label + ': ' + describe(result);
      } catch (e) {
        outcome.className = 'failed';
        outcome.textContent = label + ' failed: ' + e.message;
      }
      refreshWorkers();
      refreshEcv();
    });
  }
  function describe(result) {
    if (result == null) return 'done';
    if (typeof result !== 'object') return String(result);
    if ('kind' in result && 'ok' in result) {
      return (result.ok ? 'done' : 'failed' + (result.reason ? ': ' + result.reason : '') + (result.rolledBack ? ', rolled back' : ''))
        + (result.generation != null ? ' (generation ' + result.generation + ')' : '');
    }
    return 'done';
  }
  action('#reload', () => 'Reload every worker, slot by slot?', 'reload', []);
  action('#restart', (w) => 'Restart slot ' + w[1] + '?', 'restart', () => ['slot', $('#restart-slot').value]);
  action('#scale', (w) => 'Run ' + w[0] + ' workers?', 'scale', () => [$('#scale-count').value]);
  action('#kill-retired', () => 'Kill every retired (draining) worker now?', 'kill-retired', []);
  action('#ecv-disable', () => 'Take this machine out of the load balancer (ECV disable)?', 'ecv', ['disable']);
  action('#ecv-enable', () => 'Put this machine back (ECV enable)?', 'ecv', ['enable']);

  // ---- start ----

  function start() {
    api('info').then((info) => { $('#where').textContent = info.address + ' (master pid ' + info.masterPid + ')'; })
      .catch(() => {});
    refreshWorkers();
    refreshEcv();
    api('events', ['100']).then((events) => events.forEach(addToTimeline)).catch(() => {});
    followEvents();
    // Every request costs an idle master a few ms of CPU while its code is still interpreted (the budget: 5% above
    // idle), so the page polls nothing: the samples come on the event stream, and the ECV is looked at again after
    // any event that may change it (a worker ready or gone, an operator's ecv.disabled/ecv.enabled). Only a monitor
    // path (--ecv-monitor) can change it unseen: then it is also looked at every 60 s.
    api('ecv').then((ecv) => { if (ecv.monitor) setInterval(refreshEcv, 60000); }).catch(() => {});
    setInterval(() => { if (state.workers.length) renderTable(); }, 1000); // uptimes go on
  }

  if (state.key) signIn(state.key); else showSignIn('');
})();
