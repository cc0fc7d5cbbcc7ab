'use strict';
/**
 * Lifecycles and what they hold (issue 9, items 2, 7, 10, 11, 14): concurrent and
 * interleaved start/stop/initialize/switchProfile calls end with exactly one clock, a failed
 * start undoes itself, a stuck custom callback is a `collection:error` with a deadline, an
 * evented sample is already committed (both halves) when a `kill -9` follows, one writer per
 * store folder, and create/start/stop cycles leave no thread or descriptor behind.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { NovaCronPerformanceSystem, PerformanceMetricsCollector } = require('..');
const { tempDir } = require('./helpers');

const linuxOnly = { skip: process.platform !== 'linux' && 'reads /proc' };
const ROOT = path.join(__dirname, '..');

/** Threads of this process named like the collector's clock (15 characters kept by Linux). */
function clockThreads() {
  return fs.readdirSync('/proc/self/task').filter((id) => {
    try {
      return fs.readFileSync(`/proc/self/task/${id}/comm`, 'utf8').startsWith('novacron-collec');
    } catch {
      return false;
    }
  }).length;
}

/**
 * The clock threads once they settle on `expected` (a new thread names itself when it
 * starts running, so a count right after start() can miss it), or the count after 3 s.
 */
async function clocks(expected) {
  const end = Date.now() + 3000;
  let n = clockThreads();
  while (n !== expected && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    n = clockThreads();
  }
  return n;
}

function system(t, config = {}) {
  const dir = tempDir(t);
  const s = new NovaCronPerformanceSystem({
    environment: 'development',
    autoStart: false,
    profilePath: path.join(dir, 'profiles'),
    dataPath: path.join(dir, 'data'),
    metrics: { collectionInterval: 1000 },
    ...config,
  });
  t.after(() => s.close());
  return s;
}

function collector(t, config = {}) {
  const c = new PerformanceMetricsCollector({ collectionInterval: 1000, storageLocation: path.join(tempDir(t), 'metrics'), ...config });
  t.after(() => c.close());
  return c;
}

/** Rejects when `promise` has not settled within `ms` (a deadlock shows as a failure, not a hang). */
function within(ms, promise, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Runs `source` in a child node with the package as `lib`; resolves `{ code, signal, out, err }`. */
function child(source, args = [], onLine = null) {
  const p = spawn(process.execPath, [...args, '-e', source], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => {
    out += d;
    if (onLine) for (const line of String(d).split('\n').filter(Boolean)) onLine(line, p);
  });
  p.stderr.on('data', (d) => {
    err += d;
  });
  const done = new Promise((resolve) => p.on('exit', (code, signal) => resolve({ code, signal, out, err })));
  return { proc: p, done };
}

test('two concurrent switchProfile() calls neither deadlock nor leave two clocks', linuxOnly, async (t) => {
  const s = system(t);
  await s.start();
  assert.equal(await clocks(1), 1);
  await within(20_000, Promise.all([s.switchProfile('production'), s.switchProfile('development')]), 'two switches');
  assert.equal(await clocks(1), 1, 'one collector clock after two concurrent switches');
  assert.equal(s.getStatus().currentProfile, 'development', 'the later call wins');
  assert.equal(s.isRunning, true);
  await s.stop();
  assert.equal(await clocks(0), 0);
});

test('collector.stop(); await stop(); await start() leaves one clock and a final stop none', linuxOnly, async (t) => {
  const c = collector(t);
  await c.start();
  c.stop();
  await c.stop();
  await c.start();
  assert.equal(await clocks(1), 1);
  assert.equal(c.getStatus().isCollecting, true);
  await c.stop();
  assert.equal(await clocks(0), 0, 'no orphan clock');
  assert.equal(c.getStatus().isCollecting, false);
});

test('start/stop storms end in the state of the last call', linuxOnly, async (t) => {
  const c = collector(t);
  const calls = [];
  for (let i = 0; i < 10; i++) calls.push(i % 3 === 1 ? c.stop() : c.start());
  await within(20_000, Promise.all(calls), 'storm');
  assert.equal(await clocks(1), 1, 'last call was a start');
  calls.length = 0;
  for (let i = 0; i < 6; i++) calls.push(i % 2 ? c.stop() : c.start());
  await Promise.all(calls);
  assert.equal(await clocks(0), 0, 'last call was a stop');
});

test('three concurrent initialize() calls build one collector and start it once', linuxOnly, async (t) => {
  const s = system(t, { autoStart: true });
  const [a, b, c] = await within(20_000, Promise.all([s.initialize(), s.initialize(), s.initialize()]), 'three initialize');
  assert.equal(a, s);
  assert.equal(b, s);
  assert.equal(c, s);
  assert.equal(s.isRunning, true);
  assert.equal(await clocks(1), 1);
  await s.stop();
  assert.equal(await clocks(0), 0);
});

test('a start that rejects (metrics port in use) keeps no clock running', linuxOnly, async (t) => {
  const blocker = net.createServer();
  await new Promise((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const { port } = blocker.address();
  const c = collector(t, { prometheus: { enabled: true, port } });
  await assert.rejects(c.start(), (err) => err.message.includes(String(port)));
  assert.equal(await clocks(0), 0, 'the failed start stopped its clock');
  assert.equal(c.getStatus().isCollecting, false);
  assert.equal(c.getStatus().server, null);
  // The same failure through the system: nothing left running either.
  const s = system(t, { metrics: { collectionInterval: 1000, prometheus: { enabled: true, port } } });
  await assert.rejects(s.start(), (err) => err.message.includes(String(port)));
  assert.equal(await clocks(0), 0);
  assert.equal(s.isRunning, false);
  assert.equal(s.framework.getMonitoringStatus().running, false);
  // Once the port is free the same collector starts.
  await new Promise((resolve) => blocker.close(resolve));
  await c.start();
  assert.equal(await clocks(1), 1);
  await c.stop();
});

test('a registerCollect callback that never settles is a collection:error after callbackTimeout; sampling goes on', async (t) => {
  const c = collector(t, { callbackTimeout: 200 });
  const custom = c.collectors.get('custom');
  custom.registerCollect('stuck', () => new Promise(() => {}));
  custom.registerCollect('fine', () => 7);
  const errors = [];
  c.on('collection:error', (e) => errors.push(e));
  const collected = [];
  c.on('metrics:collected', (s) => collected.push(s));
  let s;
  for (let i = 0; i < 2; i++) {
    s = await within(3000, c.collectMetrics(), 'collectMetrics with a stuck callback');
    assert.equal(s.collectors.application.pid, process.pid);
  }
  assert.equal(collected.length, 2, 'metrics:collected goes on');
  assert.equal(errors.length, 2);
  assert.match(errors[0].message, /custom metric 'stuck': did not settle within 200 ms \(callbackTimeout\)/);
  assert.equal(s.collectors.custom.metrics.fine.value, 7, 'the other callback still records');
  assert.throws(() => collector(t, { callbackTimeout: 0 }), RangeError);
  assert.throws(() => collector(t, { callbackTimeout: 'soon' }), /config\.callbackTimeout/);
});

test('kill -9 right after the first metrics:collected: both halves of that sample are stored', linuxOnly, async (t) => {
  const dir = path.join(tempDir(t), 'metrics');
  const script = `
    const fs = require('node:fs');
    const { PerformanceMetricsCollector } = require('.');
    const c = new PerformanceMetricsCollector({ collectionInterval: 200, storageInterval: 3600000, storageLocation: ${JSON.stringify(dir)} });
    c.on('metrics:collected', (s) => {
      fs.writeSync(1, s.timestamp + '\\n');
      process.kill(process.pid, 'SIGKILL');
    });
    c.start();
  `;
  const { done } = child(script);
  const r = await done;
  assert.equal(r.signal, 'SIGKILL', r.err);
  const ts = Number(r.out.trim().split('\n')[0]);
  assert.ok(ts > 0, r.out);
  const c = collector(t, { storageLocation: dir });
  const [sample] = await c.getMetrics({ startTime: ts, endTime: ts });
  assert.ok(sample, 'the acknowledged sample is stored');
  const app = sample.collectors.application;
  assert.equal(typeof app.rss, 'number', 'native half');
  assert.equal(typeof app.heapUsed, 'number', 'JS half: heap');
  assert.equal(typeof app.heapTotal, 'number');
  assert.equal(typeof app.activeHandles, 'number');
});

test('one writer per store folder: a second process gets an Error naming the folder and the PID', linuxOnly, async (t) => {
  const dir = path.join(tempDir(t), 'metrics');
  const script = `
    const { PerformanceMetricsCollector } = require('.');
    const c = new PerformanceMetricsCollector({ storageLocation: ${JSON.stringify(dir)} });
    console.log('ready');
    setInterval(() => {}, 1000);
  `;
  let ready;
  const isReady = new Promise((resolve) => {
    ready = resolve;
  });
  const { proc, done } = child(script, [], (line) => line === 'ready' && ready());
  t.after(() => proc.kill('SIGKILL'));
  await within(20_000, Promise.race([isReady, done.then((r) => Promise.reject(new Error(r.err)))]), 'child opens the store');
  assert.throws(
    () => new PerformanceMetricsCollector({ storageLocation: dir }),
    (err) => err instanceof Error && err.message.includes(dir) && err.message.includes(`process ${proc.pid}`),
  );
  proc.kill('SIGKILL');
  await done;
  // The lock dies with its holder: no stale lock after a kill -9.
  const c = collector(t, { storageLocation: dir });
  await c.collectMetrics();
});

test('in one process too: a second collector on a folder is refused until the first closes', async (t) => {
  const dir = path.join(tempDir(t), 'metrics');
  const first = collector(t, { storageLocation: dir });
  await first.start();
  assert.throws(() => new PerformanceMetricsCollector({ storageLocation: dir }), (err) => err.message.includes(`process ${process.pid}`));
  await first.close();
  assert.equal(first.getStatus().isCollecting, false);
  await assert.rejects(first.start(), /closed/);
  const second = collector(t, { storageLocation: dir });
  await second.collectMetrics();
});

test('a refused option creates nothing: no folder, no file, no thread', linuxOnly, async (t) => {
  const dir = tempDir(t);
  const before = clockThreads();
  assert.throws(() => new PerformanceMetricsCollector({ eventLoopResolution: 0, storageLocation: path.join(dir, 'a') }), RangeError);
  assert.equal(fs.existsSync(path.join(dir, 'a')), false);
  const s = new NovaCronPerformanceSystem({ environment: 'development', autoStart: false, profilePath: path.join(dir, 'p'), dataPath: path.join(dir, 'data'), metrics: 'bad' });
  await assert.rejects(s.initialize(), /config\.metrics/);
  assert.equal(fs.existsSync(path.join(dir, 'data')), false);
  const s2 = new NovaCronPerformanceSystem({ environment: 'development', autoStart: false, profilePath: path.join(dir, 'p'), dataPath: path.join(dir, 'data2'), metrics: { eventLoopResolution: 0 } });
  await assert.rejects(s2.initialize(), /eventLoopResolution/);
  assert.equal(fs.existsSync(path.join(dir, 'data2')), false, 'the half-built system removed what it created');
  assert.equal(s2.isInitialized, false);
  assert.equal(clockThreads(), before);
});

test('30 create/start/stop cycles of a framework and a collector leave no thread or descriptor behind', linuxOnly, async (t) => {
  const dir = tempDir(t);
  const script = `
    const fs = require('node:fs');
    const path = require('node:path');
    const { PerformanceMetricsCollector, PerformanceBenchmarkingFramework } = require('.');
    const count = () => ({ threads: fs.readdirSync('/proc/self/task').length, fds: fs.readdirSync('/proc/self/fd').length });
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    async function cycle(i) {
      const fw = new PerformanceBenchmarkingFramework({ metricsPath: path.join(${JSON.stringify(dir)}, 'fw' + i), samplingInterval: 100 });
      await sleep(5);
      await fw.shutdown();
      const c = new PerformanceMetricsCollector({ collectionInterval: 100, storageLocation: path.join(${JSON.stringify(dir)}, 'm' + i) });
      await c.start();
      await c.collectMetrics();
      await c.stop();
    }
    async function settle() {
      for (let i = 0; i < 10; i++) {
        global.gc();
        await sleep(50);
      }
    }
    (async () => {
      await cycle('warm');
      await settle();
      const before = count();
      for (let i = 0; i < 30; i++) await cycle(i);
      let after = count();
      for (let i = 0; i < 40 && (after.threads > before.threads || after.fds > before.fds); i++) {
        await settle();
        after = count();
      }
      console.log(JSON.stringify({ before, after }));
    })();
  `;
  const r = await child(script, ['--expose-gc']).done;
  assert.equal(r.code, 0, r.err);
  const { before, after } = JSON.parse(r.out.trim().split('\n').pop());
  assert.ok(after.threads <= before.threads, `threads ${before.threads} -> ${after.threads}`);
  assert.ok(after.fds <= before.fds, `descriptors ${before.fds} -> ${after.fds}`);
});

test('a closed collector, a shut-down framework and a closed system hold no event thread while still referenced', linuxOnly, async (t) => {
  const dir = tempDir(t);
  // A stopped component whose JS object stays reachable (a caller's variable, a suspended
  // async frame) must not keep its native event thread until it is collected.
  const script = `
    const fs = require('node:fs');
    const path = require('node:path');
    const { PerformanceMetricsCollector, PerformanceBenchmarkingFramework, NovaCronPerformanceSystem } = require('.');
    const dir = ${JSON.stringify(dir)};
    const events = () => fs.readdirSync('/proc/self/task').filter((id) => {
      try {
        return fs.readFileSync('/proc/self/task/' + id + '/comm', 'utf8').trim() === 'novacron-events';
      } catch {
        return false;
      }
    }).length;
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    async function settle(target) {
      for (let i = 0; i < 100 && events() > target; i++) {
        global.gc();
        await sleep(50);
      }
      return events();
    }
    const kept = [];
    (async () => {
      const before = await settle(0);
      const c = new PerformanceMetricsCollector({ collectionInterval: 100, gpu: false, storageLocation: path.join(dir, 'm') });
      kept.push(c);
      await c.start();
      await c.collectMetrics();
      await c.stop();
      await c.close();
      const fw = new PerformanceBenchmarkingFramework({ metricsPath: path.join(dir, 'fw'), samplingInterval: 100 });
      kept.push(fw);
      await fw.shutdown();
      const s = new NovaCronPerformanceSystem({ environment: 'development', autoStart: false, profilePath: path.join(dir, 'p'), dataPath: path.join(dir, 'data'), metrics: { gpu: false } });
      kept.push(s);
      await s.initialize();
      await s.start();
      await s.close();
      const closed = await settle(before);
      // A shut-down framework that monitors again gets its events back, and lets go again.
      const fw2 = new PerformanceBenchmarkingFramework({ metricsPath: path.join(dir, 'fw2'), samplingInterval: 100 });
      kept.push(fw2);
      await fw2.shutdown();
      const sample = new Promise((r) => fw2.once('metrics:collected', r));
      fw2.startSystemMonitoring();
      const resumed = await Promise.race([sample.then(() => true), sleep(5000).then(() => false)]);
      await fw2.shutdown();
      const after = await settle(before);
      console.log(JSON.stringify({ before, closed, resumed, after, kept: kept.length }));
    })();
  `;
  const r = await child(script, ['--expose-gc']).done;
  assert.equal(r.code, 0, r.err);
  const { before, closed, resumed, after } = JSON.parse(r.out.trim().split('\n').pop());
  assert.equal(closed, before, `event threads ${before} -> ${closed} with the closed components still referenced`);
  assert.equal(resumed, true, 'a framework monitoring again after shutdown delivers metrics:collected');
  assert.equal(after, before, `event threads ${before} -> ${after} after the second shutdown`);
});
