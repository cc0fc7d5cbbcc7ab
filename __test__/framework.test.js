'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { PerformanceBenchmarkingFramework, SystemBenchmark } = require('..');
const { tempDir, readOnlyDir, spin } = require('./helpers');

function framework(t, config = {}) {
  const fw = new PerformanceBenchmarkingFramework({ metricsPath: tempDir(t), startMonitoring: false, ...config });
  t.after(() => fw.shutdown());
  return fw;
}

class Quick extends SystemBenchmark {
  async run() {
    const latency = await this.measureLatency(() => spin(0.1), this.config.samples ?? 10);
    return { success: true, timestamp: Date.now(), results: { latency } };
  }
}

test('runBenchmark: result shape, real systemState, events in order, file on disk', async (t) => {
  const fw = framework(t);
  const events = [];
  for (const e of ['benchmark:registered', 'benchmark:started', 'benchmark:completed', 'benchmark:failed']) fw.on(e, (p) => events.push([e, p]));
  fw.registerBenchmark('custom_test', Quick);
  const r = await fw.runBenchmark('custom_test', { samples: 7 });
  assert.deepEqual(events.map((e) => e[0]), ['benchmark:registered', 'benchmark:started', 'benchmark:completed']);
  assert.deepEqual(events[1][1], { name: 'custom_test', config: { samples: 7 } });
  assert.equal(r.name, 'custom_test');
  assert.equal(r.result.results.latency.samples, 7, 'samples honoured');
  assert.ok(r.duration > 0.7, `duration ${r.duration}`);
  assert.ok(Math.abs(r.timestamp - Date.now()) < 5000);
  const s = r.systemState;
  assert.equal(s.cpus, os.cpus().length);
  assert.equal(s.memory, os.totalmem());
  assert.equal(s.platform, process.platform);
  assert.equal(s.arch, process.arch);
  assert.ok(Math.abs(s.loadavg[0] - os.loadavg()[0]) < 1);
  // CPU use over the run: null only when the run was shorter than one kernel tick.
  assert.ok(s.current.cpu.usage === null || (s.current.cpu.usage >= 0 && s.current.cpu.usage <= 100));
  const file = path.join(fw.config.metricsPath, 'benchmarks', `benchmark_custom_test_${r.timestamp}.json`);
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), r);
});

test('results survive a restart and are listed again', async (t) => {
  const dir = tempDir(t);
  const a = new PerformanceBenchmarkingFramework({ metricsPath: dir, startMonitoring: false });
  a.registerBenchmark('custom_test', Quick);
  const first = await a.runBenchmark('custom_test', { samples: 3 });
  const second = await a.runBenchmark('custom_test', { samples: 4 });
  await a.shutdown();
  const b = new PerformanceBenchmarkingFramework({ metricsPath: dir, startMonitoring: false });
  t.after(() => b.shutdown());
  const listed = await b.listResults({ name: 'custom_test' });
  assert.deepEqual(listed.map((r) => r.timestamp), [second.timestamp, first.timestamp].sort((x, y) => y - x));
  assert.equal((await b.listResults({ limit: 1 })).length, 1);
});

test('a busy loop on one core shows up as about one core of CPU in systemState', async (t) => {
  const fw = framework(t);
  fw.registerBenchmark('burn', class extends SystemBenchmark {
    async run() {
      spin(400);
      return { success: true };
    }
  });
  const r = await fw.runBenchmark('burn');
  const oneCore = 100 / os.cpus().length;
  assert.ok(r.systemState.current.cpu.usage >= oneCore * 0.7, `usage ${r.systemState.current.cpu.usage}% vs one core ${oneCore}%`);
});

test('timeout aborts the benchmark, waits for its cleanup and frees the name', async (t) => {
  const fw = framework(t);
  let cleanedUp = false;
  fw.registerBenchmark('slow', class extends SystemBenchmark {
    async run() {
      try {
        await new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, 60_000);
          this.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(this.signal.reason);
          });
        });
      } finally {
        await new Promise((r) => setTimeout(r, 50));
        cleanedUp = true;
      }
    }
  });
  const failed = [];
  fw.on('benchmark:failed', (p) => failed.push(p));
  const t0 = Date.now();
  await assert.rejects(fw.runBenchmark('slow', { benchmarkTimeout: 100 }), (e) => {
    assert.match(e.message, /^Benchmark timeout: 'slow' exceeded benchmarkTimeout of 100 ms/);
    return true;
  });
  assert.ok(cleanedUp, 'the framework waited for the cleanup');
  assert.ok(Date.now() - t0 < 2000);
  assert.deepEqual(fw.activeTests.size, 0);
  assert.match(failed[0].error, /Benchmark timeout/);
  // Name free again, and the measurement loops stop on abort too.
  fw.registerBenchmark('slow', class extends SystemBenchmark {
    async run() {
      await this.measureLatency(() => new Promise((r) => setTimeout(r, 5)), 10_000);
    }
  });
  await assert.rejects(fw.runBenchmark('slow', { benchmarkTimeout: 100 }), /Benchmark timeout/);
  assert.equal(fw.native.activeRuns().length, 0);
});

test('benchmarkTimeout stops synchronous operations in measureThroughput and measureLatency', async (t) => {
  const fw = framework(t);
  const runs = {
    throughput: (b) => b.measureThroughput(() => spin(1), 10_000),
    latency: (b) => b.measureLatency(() => spin(1), 100_000),
    // run() swallowing the abort does not turn a timed-out run into a success.
    swallowed: async (b) => {
      try {
        await b.measureThroughput(() => spin(1), 10_000);
      } catch {
        return { success: true };
      }
    },
  };
  for (const [name, body] of Object.entries(runs)) {
    fw.registerBenchmark(name, class extends SystemBenchmark {
      async run() {
        return body(this);
      }
    });
    const t0 = Date.now();
    // Before: resolved after the whole 10 s window (the timer cannot fire in a sync loop).
    await assert.rejects(fw.runBenchmark(name, { benchmarkTimeout: 300 }), { message: `Benchmark timeout: '${name}' exceeded benchmarkTimeout of 300 ms` });
    const took = Date.now() - t0;
    assert.ok(took < 2000, `${name}: rejected after ${took} ms`);
  }
  assert.equal(fw.activeTests.size, 0);
});

test('an operation that never settles does not hold a timed-out run for cleanupTimeout', async (t) => {
  const fw = framework(t); // cleanupTimeout: the default 30 s
  for (const measure of ['measureLatency', 'measureThroughput']) {
    fw.registerBenchmark('stuck', class extends SystemBenchmark {
      async run() {
        await this[measure](() => new Promise(() => {}), 10);
      }
    });
    const t0 = Date.now();
    await assert.rejects(fw.runBenchmark('stuck', { benchmarkTimeout: 100, warmup: 0, warmupTime: 0 }), /Benchmark timeout: 'stuck'/);
    assert.ok(Date.now() - t0 < 2000, `${measure}: ${Date.now() - t0} ms`);
  }
  assert.equal(fw.activeTests.size, 0);
});

test('an aborted run says so in its last progress event', async (t) => {
  const fw = framework(t);
  const progress = [];
  fw.on('benchmark:progress', (p) => progress.push(p));
  await assert.rejects(
    fw.runBenchmark('network_storage', { benchmarkTimeout: 400, storage: { fileSize: 8 << 20, duration: 20_000, rampTime: 50, directory: tempDir(t) } }),
    /Benchmark timeout/,
  );
  const end = Date.now() + 3000;
  while (!progress.some((p) => p.phase === 'aborted') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  const last = progress[progress.length - 1];
  // Before: a final `done` at 100 %.
  assert.equal(last.phase, 'aborted', JSON.stringify(progress.slice(-3)));
  assert.ok(last.percent < 100, `percent ${last.percent}`);
  assert.ok(!progress.some((p) => p.phase === 'done'));
});

test('already running, throwing benchmarks and reuse of the name', async (t) => {
  const fw = framework(t);
  let release;
  fw.registerBenchmark('gate', class extends SystemBenchmark {
    async run() {
      await new Promise((r) => (release = r));
      return { success: true };
    }
  });
  const running = fw.runBenchmark('gate');
  await new Promise((r) => setImmediate(r));
  await assert.rejects(fw.runBenchmark('gate'), { message: "Benchmark 'gate' is already running" });
  release();
  await running;
  fw.registerBenchmark('boom', class extends SystemBenchmark {
    async run() {
      throw new Error('kaput');
    }
  });
  await assert.rejects(fw.runBenchmark('boom'), /kaput/);
  await assert.rejects(fw.runBenchmark('boom'), /kaput/, 'name free after a throw');
  const again = fw.runBenchmark('gate');
  await new Promise((r) => setImmediate(r));
  release();
  assert.equal((await again).name, 'gate', 'the framework is still usable');
});

test('runBenchmarkSuite: sequential and chunked, summary, file and event', async (t) => {
  const fw = framework(t);
  fw.registerBenchmark('a', Quick);
  fw.registerBenchmark('b', class extends SystemBenchmark {
    async run() {
      return { success: false, reason: 'threshold missed' };
    }
  });
  let completed = null;
  fw.on('suite:completed', (s) => (completed = s));
  const suite = await fw.runBenchmarkSuite({ benchmarks: [{ name: 'a', config: { samples: 3 } }, { name: 'b' }], concurrency: 2 });
  assert.equal(completed, suite);
  assert.deepEqual({ ...suite.summary, avgDuration: undefined, totalDuration: undefined }, { total: 2, passed: 1, failed: 1, avgDuration: undefined, totalDuration: undefined });
  const total = suite.results.reduce((s, r) => s + r.duration, 0);
  assert.ok(Math.abs(suite.summary.totalDuration - total) < 1e-9);
  assert.ok(fs.existsSync(path.join(fw.config.metricsPath, `suite_${suite.timestamp}.json`)));
  const empty = await fw.runBenchmarkSuite({ benchmarks: [], sequential: true });
  assert.equal(empty.summary.avgDuration, null);
  await assert.rejects(fw.runBenchmarkSuite({ benchmarks: [{ name: 'nope' }] }), /Benchmark 'nope' not found/);
  await assert.rejects(fw.runBenchmarkSuite({ benchmarks: [], concurrency: 0 }), RangeError);
});

test('bad input: each error names the field, the value and what is accepted', async (t) => {
  const fw = framework(t);
  assert.throws(() => fw.registerBenchmark('x', {}), (e) => e instanceof TypeError && /^Benchmark must be a class: got \{\} for 'x'/.test(e.message));
  assert.throws(() => fw.registerBenchmark('../x', Quick), (e) => e instanceof TypeError && /benchmark name: got "\.\.\/x"/.test(e.message));
  await assert.rejects(fw.runBenchmark('vm_operations'), { message: "Benchmark 'vm_operations' not found (registered: network_storage, database_performance)" });
  fw.registerBenchmark('q', Quick);
  await assert.rejects(fw.runBenchmark('q', { samples: -1 }), (e) => e instanceof RangeError && /config\.samples: got -1/.test(e.message));
  await assert.rejects(fw.runBenchmark('q', { iterations: 'x' }), TypeError);
  await assert.rejects(fw.runBenchmark('q', { duration: -10 }), RangeError);
  await assert.rejects(fw.runBenchmark('q', { benchmarkTimeout: -1 }), (e) => e instanceof RangeError && /benchmarkTimeout: got -1/.test(e.message));
  assert.throws(() => new PerformanceBenchmarkingFramework({ benchmarkTimeout: 'soon' }), (e) => e instanceof TypeError && /benchmarkTimeout: got "soon"/.test(e.message));
  assert.throws(() => new PerformanceBenchmarkingFramework({ samplingInterval: 5, startMonitoring: false }), RangeError);
  assert.equal(fw.activeTests.size, 0);
});

test('a data folder that cannot be created or written gives an Error naming it', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'not-a-folder');
  fs.writeFileSync(file, 'x');
  assert.throws(() => new PerformanceBenchmarkingFramework({ metricsPath: path.join(file, 'data'), startMonitoring: false }), (e) => {
    assert.match(e.message, /^metricsPath: cannot create data folder '.*not-a-folder\/data'/);
    return true;
  });
  const ro = readOnlyDir(t);
  if (!ro) return t.skip('cannot make a read-only folder here');
  assert.throws(() => new PerformanceBenchmarkingFramework({ metricsPath: ro, startMonitoring: false }), /metricsPath: .*(not writable|cannot create)/);
});

test('core events arrive through the native bridge; a throwing listener breaks nothing', async (t) => {
  const fw = framework(t, { samplingInterval: 100, startMonitoring: false });
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  let calls = 0;
  const got = [];
  fw.on('metrics:collected', (m) => got.push(m));
  fw.on('metrics:collected', () => {
    calls++;
    throw new Error('listener bug');
  });
  fw.startSystemMonitoring();
  while (got.length < 3) await new Promise((r) => setTimeout(r, 50));
  fw.stopSystemMonitoring();
  assert.ok(calls >= 3, 'the throwing listener kept being called');
  assert.equal(got[0].memory.total, os.totalmem());
  assert.equal(got[0].cpu.usage, null, 'first sample has no rate');
  assert.equal(typeof got[1].cpu.usage, 'number');
  assert.ok(got[1].timestamp - got[0].timestamp >= 90);
  await new Promise((r) => setImmediate(r));
  assert.ok(warnings.some((w) => /listener bug/.test(w.message)));
  assert.equal(fw.systemMetrics.cpu.length, fw.getMonitoringStatus().kept);
});

test('with no listener the core builds and sends nothing', async (t) => {
  const fw = framework(t, { samplingInterval: 100 });
  fw.startSystemMonitoring();
  while (fw.getMonitoringStatus().ticks < 3) await new Promise((r) => setTimeout(r, 50));
  const listener = () => {};
  fw.on('metrics:collected', listener);
  fw.off('metrics:collected', listener);
  const before = fw.getMonitoringStatus();
  while (fw.getMonitoringStatus().ticks < before.ticks + 2) await new Promise((r) => setTimeout(r, 50));
  const after = fw.getMonitoringStatus();
  assert.equal(after.events.sent, 0);
  assert.ok(after.events.skipped >= 5);
});

test('utility methods keep the original formulas', async (t) => {
  const fw = framework(t);
  assert.equal(fw.calculatePercentile([5, 1, 4, 2, 3], 95), 5);
  assert.equal(fw.calculatePercentile([5, 1, 4, 2, 3], 50), 3);
  assert.equal(fw.calculateMedian([4, 1, 3, 2]), 2.5);
  assert.deepEqual(fw.chunkArray([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  assert.deepEqual(fw.calculateMetricStats([{ usage: 10 }, { used: 30 }]), { min: 10, max: 30, avg: 20, median: 20, p95: 30, p99: 30 });
  assert.deepEqual(await fw.calculateImprovements({ latency: 100 }, { before: { latency: 200 }, after: { latency: 150 } }), {
    latency: { before: 200, after: 150, improvement: 25, absolute: 50 },
  });
  const m = await fw.collectSystemMetrics();
  assert.equal(m.memory.total, os.totalmem());
  assert.ok(m.memory.heapUsed > 0);
  const disk = await fw.getDiskUsage();
  assert.ok(disk.total > 0 && disk.available <= disk.total);
  const report = await fw.generateReport({ hours: 1 });
  assert.ok(fs.existsSync(report.file));
});
