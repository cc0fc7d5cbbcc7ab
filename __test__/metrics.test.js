'use strict';
/**
 * PerformanceMetricsCollector end to end: real readings checked against `os` and
 * `process`, the history store through getMetrics, bad input, a failing source, and the
 * Prometheus exposition checked by `promtool` and scraped by a real Prometheus server.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const os = require('node:os');
const fs = require('node:fs');
const path = require('node:path');
const net = require('node:net');
const { spawn, spawnSync } = require('node:child_process');
const { Worker } = require('node:worker_threads');
const { PerformanceMetricsCollector, SystemMetricsCollector, CustomMetricsCollector, NovaCronPerformanceSystem } = require('..');
const { tempDir, readOnlyDir } = require('./helpers');

function collector(t, config = {}) {
  const c = new PerformanceMetricsCollector({ collectionInterval: 1000, storageLocation: path.join(tempDir(t), 'metrics'), ...config });
  t.after(() => c.stop());
  return c;
}

const once = (emitter, event) => new Promise((resolve) => emitter.once(event, resolve));

function busyWorker(ms) {
  const w = new Worker(`const end = Date.now() + ${ms}; while (Date.now() < end) {}`, { eval: true });
  return new Promise((resolve) => w.on('exit', resolve));
}

test('samples agree with os and process, and the busy core shows', async (t) => {
  const c = collector(t);
  await c.collectMetrics(); // rate baselines
  await busyWorker(1500);
  const s = await c.collectMetrics();
  const sys = s.collectors.system;
  assert.equal(sys.memory.total, os.totalmem());
  assert.equal(sys.cpu.cores, os.cpus().length);
  assert.equal(sys.cpu.perCore.length, os.cpus().length);
  const oneCore = 100 / os.cpus().length;
  assert.ok(sys.cpu.usage >= oneCore * 0.7, `cpu.usage ${sys.cpu.usage}% with one of ${os.cpus().length} cores busy`);
  const [l1] = os.loadavg();
  assert.ok(Math.abs(sys.cpu.loadAverage[0] - l1) < 0.5);
  const app = s.collectors.application;
  assert.equal(app.pid, process.pid);
  const rss = process.memoryUsage().rss;
  assert.ok(Math.abs(app.rss - rss) / rss < 0.2, `rss ${app.rss} vs process ${rss}`);
  assert.ok(app.heapUsed > 0 && app.heapTotal >= app.heapUsed);
  assert.equal(s.collectors.custom.metrics && typeof s.collectors.custom.metrics, 'object');
  const gpu = sys.gpu;
  assert.ok(gpu.status === 'available' || (gpu.status === 'unavailable' && gpu.reason && gpu.hint), JSON.stringify(gpu));
});

test('the clock samples every collectionInterval from the native thread and history is queryable', async (t) => {
  const c = collector(t);
  const seen = [];
  c.on('metrics:collected', (s) => seen.push(s));
  const started = once(c, 'collection:started');
  await c.start();
  await started;
  await new Promise((r) => setTimeout(r, 3300));
  const stopped = once(c, 'collection:stopped');
  await c.stop();
  await stopped;
  assert.ok(seen.length >= 3 && seen.length <= 5, `${seen.length} samples in 3.3 s at 1 s`);
  const gaps = seen.slice(1).map((s, i) => s.timestamp - seen[i].timestamp);
  assert.ok(gaps.every((g) => g > 800 && g < 1300), `gaps ${gaps}`);
  assert.ok(seen[0].collectors.application.eventLoopDelay === null || seen[0].collectors.application.eventLoopDelay.p99 >= 0);

  const mem = await c.getMetrics({ collector: 'system', metric: 'memory.total' });
  assert.equal(mem.length, seen.length);
  assert.deepEqual(mem.map((m) => m.timestamp), seen.map((s) => s.timestamp));
  for (const m of mem) assert.deepEqual(m.system, { memory: { total: os.totalmem() } });
  const perCore = await c.getMetrics({ metric: 'system.cpu.perCore.usage', labels: { cpu: '0' }, limit: 2 });
  assert.equal(perCore.length, 2);
  assert.deepEqual(Object.keys(perCore[1].collectors.system.cpu.perCore[0]).sort(), ['cpu', 'usage']);
  const stepped = await c.getMetrics({ collector: 'system', metric: 'memory.total', step: 60_000, stat: 'count' });
  assert.equal(stepped.reduce((n, s) => n + s.system.memory.total, 0), seen.length);
  const full = await c.getMetrics({ startTime: new Date(seen[0].timestamp), endTime: seen[0].timestamp });
  assert.equal(full.length, 1);
  assert.equal(full[0].collectors.system.memory.total, os.totalmem());
  assert.equal(full[0].collectors.application.pid, process.pid);
  const status = c.getStatus();
  assert.equal(status.isCollecting, false);
  assert.deepEqual(status.collectors, ['system', 'application', 'database', 'network', 'ml_workflow', 'custom']);
  assert.equal(status.sources.system.status, 'ok');
  assert.ok(status.store.samples > 0);
  assert.ok(status.collectorCpuSeconds > 0 && status.collectorCpuSeconds < 1, `${status.collectorCpuSeconds}`);
});

test('bad queries and options name the field', async (t) => {
  const c = collector(t);
  await c.collectMetrics();
  for (const [query, re] of [
    [{ collector: 'gpu' }, /^collector: got "gpu" \(accepted: system, application/],
    [{ startTime: 10, endTime: 5 }, /^startTime: 10 is after endTime 5/],
    [{ startTime: 'yesterday' }, /^startTime: got "yesterday"/],
    [{ step: -1000 }, /^step: got -1000/],
    [{ limit: 0 }, /^limit: got 0/],
    [{ metric: 'cpu.nope', collector: 'system' }, /^metric: "system.cpu.nope" matches no stored series/],
  ]) {
    await assert.rejects(c.getMetrics(query), (err) => err instanceof TypeError && re.test(err.message), JSON.stringify(query));
  }
  assert.throws(() => new PerformanceMetricsCollector({ collectionInterval: 5 }), { name: 'TypeError', message: /^collectionInterval: got 5 \(accepted: a number of milliseconds >= 100\)/ });
  assert.throws(() => new PerformanceMetricsCollector({ databases: ['redis://x'] }), { name: 'TypeError', message: /^databases: got "redis:\/\/x"/ });
  assert.throws(() => new PerformanceMetricsCollector({ networkTargets: ['nohost'] }), { name: 'TypeError', message: /^networkTargets: got "nohost"/ });
  const ro = readOnlyDir(t);
  if (ro) assert.throws(() => new PerformanceMetricsCollector({ storageLocation: path.join(ro, 'm') }), (err) => err.message.includes(path.join(ro, 'm')));
});

test('a database that is down degrades its collector only, once, with the reason', async (t) => {
  const port = await freePort(); // nothing listens there
  const c = collector(t, { databases: [{ url: `postgres://postgres@127.0.0.1:${port}/test`, name: 'gone' }] });
  const errors = [];
  c.on('collection:error', (e) => errors.push(e));
  await c.start();
  await new Promise((r) => setTimeout(r, 2600));
  await c.stop();
  const dbErrors = errors.filter((e) => e.collector === 'database');
  assert.equal(dbErrors.length, 1, 'one event per change of state, not one per tick');
  assert.match(dbErrors[0].message, /^database: gone: cannot connect/);
  const status = c.getStatus();
  assert.equal(status.sources.database.status, 'degraded');
  assert.ok(status.sources.database.failures >= 2);
  assert.equal(status.sources.system.status, 'ok');
  const last = (await c.getMetrics({ limit: 1 }))[0];
  assert.equal(last.collectors.system.memory.total, os.totalmem(), 'the other collectors kept sampling');
});

test('custom metrics: Prometheus names, labels, one-time values, callbacks', async (t) => {
  const c = collector(t);
  c.addCustomMetric('queue_depth', 3);
  const custom = c.collectors.get('custom');
  custom.record('vm_boot_seconds', 12.5, { host: 'node-1' });
  custom.addMetric('once_only', 1, { oneTime: true });
  custom.registerCollect('answer', () => 42);
  assert.throws(() => c.addCustomMetric('bad-name', 1), { name: 'TypeError', message: /^name: got "bad-name" \(accepted: a Prometheus metric name/ });
  assert.throws(() => custom.record('node_load1', 1), { message: /not starting with 'node_'/ });
  assert.throws(() => custom.record('x', 1, { __bad: 'v' }), { name: 'TypeError', message: /^labels: label name "__bad"/ });
  // NaN and ±Infinity are values (prom-client exports them): see the test below. A value
  // that is not a number is still refused.
  assert.throws(() => custom.record('x', '1'), { name: 'TypeError', message: /^value: got "1"/ });
  const s = await c.collectMetrics();
  assert.equal(s.collectors.custom.metrics.queue_depth.value, 3);
  assert.deepEqual(s.collectors.custom.labelled, [{ name: 'vm_boot_seconds', host: 'node-1', value: 12.5 }]);
  const text = c.getPrometheusMetrics();
  assert.match(text, /^vm_boot_seconds\{host="node-1"\} 12\.5$/m);
  const next = await c.collectMetrics();
  // Callbacks run on the JS thread after a tick; their values are stored with the next one.
  assert.equal(next.collectors.custom.metrics.answer.value, 42);
  assert.match(c.getPrometheusMetrics(), /^answer 42$/m);
  assert.equal(next.collectors.custom.metrics.once_only, undefined);
  assert.equal(custom.removeMetric('queue_depth'), true);
  const standalone = new CustomMetricsCollector();
  standalone.record('solo', 1);
  assert.equal((await standalone.collect()).metrics.solo.value, 1);
});

test('custom metrics: NaN and ±Infinity exported, label values converted, reserved names and limits refused at the call', async (t) => {
  const c = collector(t);
  const custom = c.collectors.get('custom');
  const errors = [];
  c.on('collection:error', (e) => errors.push(e));
  custom.record('ratio', 0 / 0);
  custom.record('hi', Number.POSITIVE_INFINITY);
  custom.record('lo', Number.NEGATIVE_INFINITY);
  custom.record('by_code', 1, { code: 404, ok: true });
  custom.registerCollect('zero_ratio', () => 0 / 0);
  await c.collectMetrics();
  await c.collectMetrics();
  const text = c.getPrometheusMetrics();
  assert.match(text, /^ratio NaN$/m);
  assert.match(text, /^hi \+Inf$/m);
  assert.match(text, /^lo -Inf$/m);
  assert.match(text, /^zero_ratio NaN$/m);
  assert.match(text, /^by_code\{code="404",ok="true"\} 1$/m);
  assert.deepEqual(errors, [], 'a callback returning 0/0 is a value, not an error');

  assert.throws(() => custom.record('x', 1, { value: 'a' }), { name: 'TypeError', message: /^labels name: got "value" \(accepted: a label name other than/ });
  assert.throws(() => custom.record('x', 1, JSON.parse('{"__proto__":{"a":1}}')), { name: 'TypeError', message: /^labels name: got "__proto__" \(accepted: a label name other than/ });
  assert.throws(() => custom.record('x', 1, { k: null }), { name: 'TypeError', message: /^labels\.k: got null \(accepted: a string, a number or a boolean\)/ });
  const long = () => custom.record('x', 1, { k: 'v'.repeat(1500) });
  assert.throws(long, { name: 'RangeError', message: /^labels\.k: got "v+"… \(1500 characters\) \(accepted: at most 1024 characters\)/ });
  assert.throws(long, (e) => e.message.length < 200);
  assert.throws(() => custom.record('x', 1, { ['k'.repeat(129)]: 'v' }), { name: 'RangeError', message: /at most 128 characters/ });
  assert.throws(() => custom.record('m'.repeat(242), 1), { name: 'RangeError', message: /^name: got "m+"… \(242 characters\) \(accepted: at most 200 characters\)/ });
  // Refused at the call, the store never sees them: the next tick stores every series.
  const storageErrors = [];
  c.on('storage:error', (e) => storageErrors.push(e));
  await c.collectMetrics();
  assert.deepEqual(storageErrors, []);
});

test('custom metrics: at most 10 000 label sets per metric, with one warning', async (t) => {
  const c = collector(t);
  const custom = c.collectors.get('custom');
  const warnings = [];
  c.on('collection:warning', (w) => warnings.push(w));
  for (let i = 0; i < 10_000; i++) custom.record('per_user', 1, { id: String(i) });
  assert.throws(() => custom.record('per_user', 1, { id: 'one-more' }), { name: 'RangeError', message: /series cap/ });
  assert.throws(() => custom.record('per_user', 1, { id: 'two-more' }), { name: 'RangeError' });
  custom.record('per_user', 2, { id: '7' });
  custom.record('other_metric', 1, { id: 'one-more' });
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0].metric, 'per_user');
  assert.match(warnings[0].message, /10000 label sets/);
});

test('the standard process, prom-client and summary names are exported', async (t) => {
  const c = collector(t);
  await c.collectMetrics();
  await c.collectMetrics();
  const text = c.getPrometheusMetrics();
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_virtual_memory_bytes', 'process_open_fds', 'process_max_fds', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_heap_size_total_bytes', 'nodejs_external_memory_bytes', 'nodejs_active_handles']) {
    assert.match(text, new RegExp(`^${name} [\\d.e+]+$`, 'm'), name);
  }
  assert.match(text, new RegExp(`^nodejs_version_info\\{version="${process.version}",major="\\d+",minor="\\d+",patch="\\d+"\\} 1$`, 'm'));
  const start = Number(/^process_start_time_seconds (\S+)$/m.exec(text)[1]);
  assert.ok(Math.abs(start - (Date.now() - process.uptime() * 1000) / 1000) < 5, `start ${start}`);
  assert.match(text, /^novacron_process_cpu_seconds_total /m);
});

test('standalone sub-collectors read on their own', async () => {
  const sys = new SystemMetricsCollector();
  const first = await sys.collect();
  assert.equal(first.memory.total, os.totalmem());
  assert.equal(await sys.getCPUUsage() !== undefined, true);
});

function promtool() {
  return spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
}

test('the exposition uses node_exporter names and passes promtool check metrics', async (t) => {
  const c = collector(t);
  await c.collectMetrics();
  const text = c.getPrometheusMetrics();
  assert.match(text, new RegExp(`^node_memory_MemTotal_bytes ${os.totalmem()}$`, 'm'));
  const cpuLines = text.split('\n').filter((l) => l.startsWith('node_cpu_seconds_total{'));
  assert.equal(cpuLines.length, os.cpus().length * 8);
  assert.match(text, /^node_cpu_seconds_total\{cpu="0",mode="idle"\} \d/m);
  assert.match(text, /^node_load1 [\d.]+$/m);
  assert.match(text, /^node_filesystem_avail_bytes\{device="[^"]+",fstype="[^"]+",mountpoint="[^"]+"\} \d+$/m);
  assert.match(text, /^node_network_receive_bytes_total\{device="lo"\} \d+$/m);
  assert.match(text, /^# TYPE novacron_process_resident_memory_bytes gauge$/m);
  if (!promtool()) return t.skip('promtool not installed (apt-get install prometheus)');
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  // promtool's linter asks for snake_case names, which node_exporter's own node_memory_* and
  // node_netstat_* names (MemTotal, Tcp_RetransSegs…) are not; dashboards need those names
  // unchanged, so that note is the one accepted. Anything else (a parse error, a missing HELP, a counter
  // without _total, a bad unit) fails the test.
  const problems = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() !== '');
  const other = problems.filter((l) => !/^node_(memory|netstat)_\w+ metric names should be written in 'snake_case' not 'camelCase'$/.test(l));
  assert.deepEqual(other, [], `promtool: ${other.join('\n')}`);
  assert.ok(r.status === 0 || (r.status === 3 && problems.length > 0), `promtool exit ${r.status}`);
});

async function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => resolve(p));
    });
  });
}

test('a real Prometheus scrapes the listener and answers a query with our value', { timeout: 60_000 }, async (t) => {
  if (!promtool()) return t.skip('prometheus not installed (apt-get install prometheus)');
  const dir = tempDir(t);
  const c = collector(t);
  await c.start();
  const { port, url } = await c.startMetricsServer({ port: 0 });
  assert.equal(url, `http://127.0.0.1:${port}/metrics`);
  const res = await fetch(url);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const webPort = await freePort();
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: novacron\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n`);
  const prom = spawn('prometheus', [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${webPort}`,
  ], { stdio: 'ignore' });
  t.after(() => prom.kill('SIGKILL'));
  const query = `http://127.0.0.1:${webPort}/api/v1/query?query=${encodeURIComponent('node_memory_MemTotal_bytes{job="novacron"}')}`;
  let value = null;
  for (let i = 0; i < 80 && value === null; i++) {
    await new Promise((r) => setTimeout(r, 500));
    try {
      const body = await (await fetch(query)).json();
      if (body.status === 'success' && body.data.result.length > 0) value = Number(body.data.result[0].value[1]);
    } catch {
      // Prometheus still starting
    }
  }
  assert.equal(value, os.totalmem());
  assert.ok(c.getStatus().server.scrapes >= 1);
  assert.equal(await c.stopMetricsServer(), true);
});

test('NovaCronPerformanceSystem samples between start and stop and answers getMetrics', async (t) => {
  const dir = tempDir(t);
  const s = new NovaCronPerformanceSystem({ environment: 'production', autoStart: false, profilePath: path.join(dir, 'p'), dataPath: path.join(dir, 'data'), metrics: { collectionInterval: 1000 } });
  await s.initialize();
  await s.start();
  t.after(() => s.stop());
  assert.equal(s.getStatus().components.metricsCollector.isCollecting, true);
  await once(s.metricsCollector, 'metrics:collected');
  await s.stop();
  assert.equal(s.getStatus().components.metricsCollector.isCollecting, false);
  const rows = await s.getMetrics({ collector: 'system', metric: 'memory.total' });
  assert.ok(rows.length >= 1);
  assert.equal(rows[0].system.memory.total, os.totalmem());
  assert.ok(fs.existsSync(path.join(dir, 'data', 'metrics')));
});

test('aggregateMetrics summarises the stored samples and getMetrics returns it', async (t) => {
  const c = collector(t);
  const events = [];
  c.on('metrics:aggregated', (e) => events.push(e));
  const samples = [];
  for (let i = 0; i < 3; i++) {
    samples.push(await c.collectMetrics());
    await new Promise((r) => setTimeout(r, 150));
  }
  const { hourly, daily } = await c.aggregateMetrics();
  assert.equal(events.length, 1);
  assert.equal(hourly.sampleCount, 3);
  const mem = samples.map((s) => s.collectors.system.memory.usage);
  assert.equal(hourly.system.memory.max, Math.max(...mem));
  assert.equal(hourly.system.memory.min, Math.min(...mem));
  assert.ok(Math.abs(hourly.system.memory.avg - mem.reduce((a, b) => a + b) / 3) < 1e-9);
  assert.equal(hourly.ml_workflow, null, 'no ML figures were reported');
  assert.deepEqual(daily.system, hourly.system);
  const file = path.join(c.config.storageLocation, 'aggregated', `aggregated_hourly_${Math.floor(hourly.timestamp / 3_600_000)}.json`);
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), hourly);
  assert.deepEqual(await c.getMetrics({ aggregated: true }), [hourly]);
  await assert.rejects(c.getMetrics({ aggregated: true, period: 'weekly' }), { name: 'TypeError', message: /^period: got "weekly"/ });
});

test('a blocked event loop shows in eventLoopDelay and eventLoopUtilization', async (t) => {
  const app = collector(t).collectors.get('application');
  app.start();
  t.after(() => app.stop());
  await new Promise((r) => setTimeout(r, 120));
  app.readJs(); // start a fresh interval
  const end = Date.now() + 300;
  while (Date.now() < end) {
    // block the event loop for 300 ms
  }
  await new Promise((r) => setTimeout(r, 120));
  const js = app.readJs();
  // The probe that was due during the block runs up to 300 ms late (at least 300 ms minus
  // one 100 ms probe period).
  assert.ok(js.eventLoopDelay.max >= 190 && js.eventLoopDelay.max < 1000, `max delay ${js.eventLoopDelay.max} ms`);
  assert.ok(js.eventLoopUtilization > 0.5, `utilisation ${js.eventLoopUtilization}`);
  assert.throws(() => collector(t, { eventLoopResolution: 0 }), { name: 'RangeError', message: /^config\.eventLoopResolution: got 0/ });
});

test('a throwing metrics:collected listener is a process warning and sampling goes on', async (t) => {
  const c = collector(t);
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  c.on('metrics:collected', () => {
    throw new Error('listener bug');
  });
  const first = await c.collectMetrics();
  const second = await c.collectMetrics();
  assert.ok(second.timestamp > first.timestamp);
  await new Promise((r) => setImmediate(r));
  assert.equal(warnings.filter((w) => w.code === 'NOVACRON_LISTENER_ERROR' && /listener bug/.test(w.message)).length, 2);
});
