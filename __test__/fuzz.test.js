'use strict';
/**
 * Hostile calls over every export (issue: reliability, "done when"): a few hundred calls
 * generated from a seed — wrong types, NaN, ±Infinity, huge values, prototype keys, cycles,
 * deep nesting — over every exported class's constructor, prototype methods and statics.
 * Each batch runs in a child process (this file, with NOVACRON_FUZZ_CHILD set), which must
 * exit normally (no abort by signal), within its time (no hang of the event loop), with no
 * unhandled rejection or uncaught exception, only Error instances thrown, Object.prototype
 * and friends unchanged, and no thread left behind once everything it built is stopped.
 *
 * Replay a failure with the seed printed in the test's diagnostics:
 *   NOVACRON_FUZZ_SEED=<seed> node --test __test__/fuzz.test.js
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { quietInstance } = require('./helpers');

const BATCHES = 8;
const CALLS_PER_BATCH = 40;
/** How long a returned promise may stay pending before the call is counted as still running (not a failure). */
const SETTLE_MS = 300;
/** Longest error message allowed: hostile values are previewed, never echoed whole. */
const MAX_MESSAGE_CHARS = 600;
/** Wall-clock limit of one child: a blocked event loop shows up as a timeout. */
const CHILD_TIMEOUT_MS = 45_000;

/** mulberry32: a small, seedable generator, so a seed replays the same calls. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Hostile values; each a factory, so no call shares (or is changed by) another's value. */
function hostileValues() {
  const cyclic = () => {
    const o = { a: { b: 1 } };
    o.a.self = o;
    return o;
  };
  const deep = () => {
    let o = {};
    for (let i = 0; i < 200; i++) o = { d: o };
    return o;
  };
  return [
    () => null,
    () => undefined,
    () => NaN,
    () => Infinity,
    () => -Infinity,
    () => -1,
    () => 0,
    () => 1e308,
    () => 2 ** 53 + 1,
    () => -0,
    () => '',
    () => 'x'.repeat(100_000),
    () => '__proto__',
    () => '../../etc/passwd',
    () => 'false',
    () => true,
    () => Symbol('fuzz'),
    () => 10n,
    () => [],
    () => [NaN, null, {}],
    () => ({}),
    () => JSON.parse('{"__proto__":{"polluted":"yes"}}'),
    () => JSON.parse('{"constructor":{"prototype":{"polluted":"yes"}}}'),
    () => ({ framework: JSON.parse('{"__proto__":{"polluted":"yes"}}') }),
    cyclic,
    deep,
    () => new Date(NaN),
    () => new Map([[1, 2]]),
    () => ({ stat: 5, step: NaN, limit: Infinity, port: NaN, labels: { a: null } }),
    () => ({ samplingInterval: 1e12, benchmarkTimeout: NaN, enableHistorical: 'false' }),
    () => ({ storage: { fileSize: Infinity }, network: false }),
    () => new Proxy({}, { get: () => { throw new Error('hostile getter'); }, ownKeys: () => { throw new Error('hostile ownKeys'); } }),
  ];
}

/** Methods never called with a function or with defaults: they would measure for real for seconds (a separate issue item). */
const LONG_RUNNING = new Set(['measureThroughput', 'measureLatency', 'run', 'runBenchmark', 'runBenchmarkSuite', 'benchmarkProfile']);

/** Every callable name on `obj`'s prototype chain below Object.prototype. */
function methodsOf(obj) {
  const names = new Set();
  for (let p = Object.getPrototypeOf(obj); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const key of Object.getOwnPropertyNames(p)) {
      if (key === 'constructor') continue;
      const d = Object.getOwnPropertyDescriptor(p, key);
      if (d && typeof d.value === 'function') names.add(key);
    }
  }
  return [...names].sort();
}

/** Names of this process's threads (Linux), or null where /proc is not there. */
function threadNames() {
  try {
    return fs
      .readdirSync('/proc/self/task')
      .map((id) => {
        try {
          return fs.readFileSync(`/proc/self/task/${id}/comm`, 'utf8').trim();
        } catch {
          return null;
        }
      })
      .filter((n) => n !== null)
      .sort();
  } catch {
    return null;
  }
}

/**
 * Threads that a stopped component could still hold. The I/O runtime's threads
 * (`novacron-io-*`) live as long as the process by design (its blocking pool also comes and
 * goes on its own), so they are not counted.
 */
function threadCount() {
  const names = threadNames();
  return names && names.filter((n) => !n.startsWith('novacron-io-')).length;
}

const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype, String.prototype, Number.prototype];
function snapshotPrototypes() {
  return PROTOTYPES.map((p) => Object.getOwnPropertyNames(p).sort().join(','));
}

/** Stops whatever an instance may have started; errors are fine (it may never have started). */
async function release(obj) {
  for (const m of ['stop', 'shutdown', 'close', 'stopMetricsServer']) {
    if (obj && typeof obj[m] === 'function') {
      try {
        await Promise.race([Promise.resolve().then(() => obj[m]()), new Promise((r) => setTimeout(r, 5000))]);
      } catch {
        // Not started, or already stopped: nothing to release.
      }
    }
  }
  if (obj && obj.framework && obj.framework !== obj) await release(obj.framework);
}

async function runChild(seed, batch, dir) {
  const problems = [];
  const perf = require('..');
  process.on('unhandledRejection', (reason) => problems.push(`unhandled rejection: ${reason && reason.stack ? reason.stack : String(reason)}`));
  process.on('uncaughtException', (err) => problems.push(`uncaught exception: ${err && err.stack ? err.stack : String(err)}`));
  const before = snapshotPrototypes();
  const random = rng(seed + batch * 7919);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const values = hostileValues();
  const classes = Object.entries(perf).filter(([, v]) => typeof v === 'function');
  const created = [];
  const log = [];
  // Warm up the thread pools the runtime starts once per process, so the thread count
  // after the batch compares like with like.
  const warm = quietInstance('PerformanceMetricsCollector', perf.PerformanceMetricsCollector, dir);
  await warm.getMetrics({ limit: 1 }).catch(() => {});
  await release(warm);
  const threadsBefore = threadCount();

  for (let i = 0; i < CALLS_PER_BATCH; i++) {
    const [name, ctor] = pick(classes);
    const argCount = Math.floor(random() * 3);
    const kind = random();
    let target;
    let method;
    if (kind < 0.25) {
      method = 'new';
    } else if (kind < 0.3) {
      const statics = Object.getOwnPropertyNames(ctor).filter((k) => typeof ctor[k] === 'function' && !/^create/.test(k));
      if (statics.length === 0) continue;
      target = ctor;
      method = pick(statics);
    } else {
      try {
        target = quietInstance(name, ctor, dir);
      } catch (err) {
        problems.push(`${name}: the safe instance failed: ${err && err.message}`);
        continue;
      }
      created.push(target);
      method = pick(methodsOf(target));
      if (!method) continue;
    }
    const args = [];
    for (let a = 0; a < argCount; a++) {
      let v = pick(values)();
      // Functions and defaults would run real measurements for their full duration.
      if (LONG_RUNNING.has(method) && (v === undefined || typeof v === 'function' || (v && typeof v === 'object'))) v = null;
      args.push(v);
    }
    const label = `${name}.${method}(${args.map((v) => typeof v).join(', ')})`;
    log.push(label);
    let out;
    try {
      if (method === 'new') {
        out = new ctor(...args);
        created.push(out);
      } else {
        out = target[method](...args);
      }
    } catch (err) {
      if (!(err instanceof Error)) problems.push(`${label} threw a non-Error: ${String(err)}`);
      else if (String(err.message).length > MAX_MESSAGE_CHARS) problems.push(`${label} threw a message of ${err.message.length} characters: ${err.message.slice(0, 200)}`);
      continue;
    }
    if (out && typeof out.then === 'function') {
      const settled = await Promise.race([
        out.then(
          () => 'resolved',
          (err) => {
            if (!(err instanceof Error)) return `rejected with a non-Error: ${String(err)}`;
            if (String(err.message).length > MAX_MESSAGE_CHARS) return `rejected with a message of ${err.message.length} characters: ${err.message.slice(0, 200)}`;
            return 'rejected';
          },
        ),
        new Promise((r) => setTimeout(() => r('pending'), SETTLE_MS)),
      ]);
      if (settled.startsWith('rejected with')) problems.push(`${label} ${settled}`);
    }
  }
  for (const obj of created) await release(obj);
  const after = snapshotPrototypes();
  PROTOTYPES.forEach((p, k) => {
    if (before[k] !== after[k]) problems.push(`a prototype changed: ${before[k]} -> ${after[k]}`);
  });
  if ({}.polluted !== undefined) problems.push('Object.prototype.polluted is set');
  // A stopped component's event thread ends when the component is garbage-collected (it is
  // held weakly), and threads end asynchronously: drop the references, collect, wait.
  created.length = 0;
  let threadsAfter = threadCount();
  for (let k = 0; k < 50 && threadsBefore !== null && threadsAfter > threadsBefore; k++) {
    global.gc();
    await new Promise((r) => setTimeout(r, 100));
    threadsAfter = threadCount();
  }
  process.stdout.write(`${JSON.stringify({ problems, calls: log.length, threadsBefore, threadsAfter, threadNames: threadNames(), log })}\n`);
  process.exit(0);
}

if (process.env.NOVACRON_FUZZ_CHILD) {
  const [seed, batch, dir] = process.env.NOVACRON_FUZZ_CHILD.split(':');
  runChild(Number(seed), Number(batch), dir);
} else {
  const test = require('node:test');
  const assert = require('node:assert/strict');
  const { execFile } = require('node:child_process');

  /** Thread leaks found by the batches (reported by the second test). */
  const leaks = [];
  const seed = process.env.NOVACRON_FUZZ_SEED ? Number(process.env.NOVACRON_FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);

  function batchRun(batch, dir) {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--expose-gc', __filename],
        {
          cwd: dir,
          env: { ...process.env, NOVACRON_FUZZ_CHILD: `${seed}:${batch}:${dir}` },
          timeout: CHILD_TIMEOUT_MS,
          killSignal: 'SIGKILL',
          maxBuffer: 64 * 1024 * 1024,
        },
        (err, stdout, stderr) => resolve({ err, stdout, stderr }),
      );
    });
  }

  test(`hostile calls over every export (seed ${seed})`, { timeout: 120_000 }, async (t) => {
    t.diagnostic(`fuzz seed: ${seed} (replay: NOVACRON_FUZZ_SEED=${seed} node --test __test__/fuzz.test.js)`);
    const dirs = [];
    t.after(() => {
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });
    const results = [];
    // Two batches at a time: the children share the machine with the rest of the suite.
    for (let b = 0; b < BATCHES; b += 2) {
      const pair = [b, b + 1].filter((x) => x < BATCHES).map((x) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'novacron-fuzz-'));
        dirs.push(dir);
        return batchRun(x, dir).then((r) => ({ batch: x, ...r }));
      });
      results.push(...(await Promise.all(pair)));
    }
    let calls = 0;
    const failures = [];
    leaks.length = 0;
    for (const { batch, err, stdout, stderr } of results) {
      const where = `seed ${seed} batch ${batch}`;
      if (err && err.signal) {
        failures.push(`${where}: the child ended by ${err.signal} (abort or hang)\n${String(stderr).slice(-2000)}`);
        continue;
      }
      if (err) {
        failures.push(`${where}: the child failed: ${err.message}\n${String(stderr).slice(-2000)}`);
        continue;
      }
      const report = JSON.parse(stdout.trim().split('\n').pop());
      calls += report.calls;
      for (const p of report.problems) failures.push(`${where}: ${p}`);
      if (report.threadsBefore !== null && report.threadsAfter > report.threadsBefore) {
        leaks.push(`${where}: ${report.threadsAfter - report.threadsBefore} thread(s) left after every component was stopped (threads now: ${report.threadNames.join(', ')})`);
      }
    }
    t.diagnostic(`${calls} hostile calls in ${BATCHES} child processes`);
    assert.deepEqual(failures, []);
    assert.ok(calls >= 200, `${calls} calls`);
  });

  test('no thread is left once every component the fuzz built is stopped', () => {
    assert.deepEqual(leaks, []);
  });
}
