'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { SystemBenchmark, MLEStarBenchmark } = require('..');
const { spin } = require('./helpers');

test('known-delay probe: a 2 ms operation gives min >= 2 ms and a mean within 1 ms of it', async () => {
  const b = new SystemBenchmark();
  const s = await b.measureLatency(() => spin(2), 30);
  assert.equal(s.samples, 30);
  assert.ok(s.min >= 2, `min ${s.min}`);
  assert.ok(s.avg >= 2 && s.avg < 3, `avg ${s.avg}`);
  assert.ok(s.p50 <= s.p95 && s.p95 <= s.p99 && s.p99 <= s.max);
  assert.ok(s.ci95.low <= s.avg && s.avg <= s.ci95.high);
  assert.equal(s.ci95.method, 'bootstrap');
  assert.ok(s.timerResolutionNs > 0 && s.timerResolutionNs < 1e6);
});

test('warm-up is excluded and an extreme sample is reported as an outlier, not removed', async () => {
  const b = new SystemBenchmark({ warmup: 3 });
  let calls = 0;
  const s = await b.measureLatency(() => {
    calls++;
    spin(calls === 10 ? 30 : 0.2); // one slow measured iteration
  }, 40);
  assert.equal(calls, 43, '3 warm-up + 40 measured');
  assert.equal(s.warmup, 3);
  assert.equal(s.samples, 40);
  assert.ok(s.max >= 30, 'the slow sample is kept');
  assert.ok(s.outliers.highSevere >= 1, JSON.stringify(s.outliers));
});

test('nearest-rank percentiles over the exact samples', async () => {
  const b = new SystemBenchmark({ warmup: 0 });
  const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  let i = 0;
  const s = await b.measureLatency(() => spin(delays[i++]), 10);
  // Each sample is its delay plus a few µs of loop overhead.
  assert.ok(Math.abs(s.p50 - 5) < 0.5, `p50 ${s.p50}`);
  assert.ok(Math.abs(s.p95 - 10) < 0.5, `p95 ${s.p95}`);
  assert.ok(Math.abs(s.median - 5.5) < 0.5, `median ${s.median}`);
});

test('failures are counted in failureRate and the first error is kept', async () => {
  const b = new SystemBenchmark({ warmup: 0 });
  let i = 0;
  const s = await b.measureLatency(() => {
    if (i++ % 4 === 0) throw new Error('flaky');
  }, 20);
  assert.equal(s.errors, 5);
  assert.equal(s.samples, 15);
  assert.equal(s.failureRate, 0.25);
  assert.equal(s.firstError, 'flaky');
  await assert.rejects(b.measureLatency(() => { throw new Error('always'); }, 3), /always/);
});

test('measureThroughput counts operations over the measured window only', async () => {
  const b = new SystemBenchmark({ warmupTime: 50 });
  const t = await b.measureThroughput(() => spin(1), 300);
  assert.ok(t.totalTime >= 300 && t.totalTime < 320, `window ${t.totalTime}`);
  assert.equal(t.operations.length, t.totalOperations);
  const expected = t.totalOperations / (t.totalTime / 1000);
  assert.equal(t.operationsPerSecond, expected);
  assert.ok(t.operationsPerSecond > 800 && t.operationsPerSecond <= 1000, `${t.operationsPerSecond} ops/s for 1 ms ops`);
  assert.ok(t.latency.min >= 1);
});

test('an aborted signal stops the measurement loop', async () => {
  const controller = new AbortController();
  const b = new SystemBenchmark({ signal: controller.signal, warmup: 0 });
  let calls = 0;
  const p = b.measureLatency(async () => {
    calls++;
    if (calls === 5) controller.abort(new Error('stop now'));
  }, 1000);
  await assert.rejects(p, /stop now/);
  assert.equal(calls, 5);
});

test('bad arguments name the field, the value and what is accepted', async () => {
  const b = new SystemBenchmark();
  await assert.rejects(b.measureLatency(() => {}, -1), (e) => e instanceof RangeError && /iterations: got -1 \(accepted: an integer from 1/.test(e.message));
  await assert.rejects(b.measureLatency(() => {}, 'ten'), (e) => e instanceof TypeError && /iterations: got "ten"/.test(e.message));
  await assert.rejects(b.measureLatency(42), (e) => e instanceof TypeError && /operation: got 42 \(accepted: a function\)/.test(e.message));
  await assert.rejects(b.measureThroughput(() => {}, -5), RangeError);
  assert.throws(() => new SystemBenchmark({ samples: -3 }), (e) => e instanceof RangeError && /config\.samples: got -3/.test(e.message));
  assert.throws(() => new SystemBenchmark({ duration: 'long' }), TypeError);
  assert.throws(() => new MLEStarBenchmark({ frameworks: 'pytorch' }), (e) => e instanceof TypeError && /config\.frameworks/.test(e.message));
});

test('MLEStarBenchmark honours frameworks and injects no simulated service', () => {
  const m = new MLEStarBenchmark({ frameworks: ['pytorch'] });
  assert.deepEqual(m.frameworks, ['pytorch']);
  assert.equal(m.modelTypes.length, 5);
  assert.equal(m.mleService, null);
  assert.equal(new MLEStarBenchmark().frameworks.length, 5);
});
