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

/**
 * A benchmark timed by a fake clock that only the operation moves: exact, load-independent
 * sample values. `advance(ms)` moves it.
 */
function fakeTimed(config = {}) {
  let ns = 0n;
  class FakeTimed extends SystemBenchmark {
    now() {
      return ns;
    }
  }
  const b = new FakeTimed({ warmup: 0, ...config });
  return { b, advance: (ms) => (ns += BigInt(Math.round(ms * 1e6))) };
}

test('nearest-rank percentiles over the exact samples', async () => {
  const { b, advance } = fakeTimed();
  const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  let i = 0;
  const s = await b.measureLatency(() => advance(delays[i++]), 10);
  // The fake clock moves only by the delays, so each sample is exactly its delay.
  assert.equal(s.p50, 5);
  assert.equal(s.p95, 10);
  assert.equal(s.median, 5.5);
  assert.equal(s.min, 1);
  assert.equal(s.max, 10);
});

test('two samples give a Student-t interval, not [min, max]; one sample or no spread gives none', async () => {
  const two = fakeTimed();
  let i = 0;
  const s = await two.b.measureLatency(() => two.advance([1, 2][i++]), 2);
  // mean 1.5, s = 0.7071, t(1) = 12.706: 1.5 ± 6.353 (before: the bootstrap's [1, 2]).
  assert.equal(s.ci95.method, 'student-t');
  assert.ok(Math.abs(s.ci95.low - (1.5 - 6.353102)) < 1e-5, JSON.stringify(s.ci95));
  assert.ok(Math.abs(s.ci95.high - (1.5 + 6.353102)) < 1e-5, JSON.stringify(s.ci95));
  const one = fakeTimed();
  assert.equal((await one.b.measureLatency(() => one.advance(1), 1)).ci95, null);
  const flat = fakeTimed();
  const f = await flat.b.measureLatency(() => flat.advance(3), 40);
  assert.equal(f.ci95, null, 'no spread: no interval');
  assert.equal(f.rme, null);
});

test('batch times k calls per sample and reports the time per call', async () => {
  const { b, advance } = fakeTimed({ batch: 10 });
  let calls = 0;
  const s = await b.measureLatency(() => {
    calls++;
    advance(0.002); // 2 µs per call
  }, 30);
  assert.equal(calls, 300, '30 samples of 10 calls');
  assert.equal(s.samples, 30);
  assert.equal(s.batch, 10);
  assert.ok(Math.abs(s.median - 0.002) < 1e-12, `median ${s.median}`);
  assert.equal(s.errors, 0);
  assert.equal(s.failureRate, 0);
  const c = fakeTimed();
  await c.b.measureLatency(() => c.advance(1), 4, { batch: 3 });
  await assert.rejects(b.measureLatency(() => {}, 5, { batch: 0 }), (e) => e instanceof RangeError && /options\.batch: got 0/.test(e.message));
  assert.throws(() => new SystemBenchmark({ batch: 1.5 }), (e) => e instanceof RangeError && /config\.batch: got 1\.5/.test(e.message));
});

test('a sub-microsecond operation warns timerSaturated at any iteration count; batching lifts it', async () => {
  const b = new SystemBenchmark({ warmup: 100 });
  const noop = () => {};
  // Before: no warning at 100 or 100 000 iterations (only around 1 000).
  for (const iterations of [100, 100_000]) {
    const s = await b.measureLatency(noop, iterations);
    assert.ok(s.warnings.includes('timerSaturated'), `${iterations} iterations: ${s.warnings} (median ${s.median} ms, tick ${s.timerResolutionNs} ns)`);
  }
  const batched = await b.measureLatency(noop, 100, { batch: 100_000 });
  assert.ok(!batched.warnings.includes('timerSaturated'), `batched: ${batched.warnings} (median ${batched.median} ms)`);
  assert.ok(batched.median < 1e-4, `per-call median ${batched.median} ms`);
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

test('failures in warm-up are counted, not fatal; the run rejects only when every measured call failed', async () => {
  // Throws on every third call: call 3 is a warm-up call (before: the whole run rejected).
  const b = new SystemBenchmark({ warmup: 5 });
  let i = 0;
  const s = await b.measureLatency(() => {
    if (++i % 3 === 0) throw new Error('third');
  }, 30);
  assert.equal(i, 35);
  assert.equal(s.warmupErrors, 1, 'call 3');
  assert.equal(s.errors, 10, 'calls 6, 9, …, 33 of the 30 measured (6–35)');
  assert.equal(s.samples, 20);
  assert.equal(s.failureRate, 10 / 30);
  assert.equal(s.firstError, 'third');
  // Warm-up failing entirely while the measured calls succeed still measures.
  let j = 0;
  const w = await new SystemBenchmark({ warmup: 3 }).measureLatency(() => {
    if (++j <= 3) throw new TypeError('cold');
  }, 5);
  assert.deepEqual([w.warmupErrors, w.errors, w.samples, w.firstError], [3, 0, 5, 'cold']);
});

test('a thrown undefined is reported as such, and rejects with an Error that says so', async () => {
  const b = new SystemBenchmark({ warmup: 0 });
  let i = 0;
  const s = await b.measureLatency(() => {
    if (i++ === 0) throw undefined;
  }, 4);
  assert.equal(s.errors, 1);
  assert.equal(s.firstError, 'undefined', 'before: null');
  await assert.rejects(b.measureLatency(() => Promise.reject(undefined), 3), (e) => e instanceof Error && /operation threw undefined/.test(e.message) && e.cause === undefined);
  const str = await b.measureLatency(() => {
    if (i++ % 2) throw 'plain string';
  }, 4);
  assert.equal(str.firstError, 'plain string');
});

test('measureThroughput whose every call fails rejects with the first error; warm-up failures are counted', async () => {
  const b = new SystemBenchmark({ warmupTime: 5 });
  let n = 0;
  await assert.rejects(
    b.measureThroughput(() => {
      throw new Error(`fail ${++n}`);
    }, 20),
    { message: 'fail 1' },
  );
  let k = 0;
  const t = await b.measureThroughput(() => {
    if (++k % 2 === 0) throw new Error('even');
  }, 30);
  assert.ok(t.warmupErrors > 0 && t.errors > 0 && t.totalOperations > 0);
  assert.equal(t.firstError, 'even');
  assert.ok(Math.abs(t.failureRate - t.errors / (t.errors + t.totalOperations)) < 1e-12);
});

test('measureThroughput counts operations over the measured window only', async () => {
  // On the fake clock (1 ms per operation), so the counts are exact on a loaded machine.
  const { b, advance } = fakeTimed({ warmupTime: 50 });
  let calls = 0;
  const t = await b.measureThroughput(() => {
    calls++;
    advance(1);
  }, 300);
  assert.equal(calls, 350, '50 warm-up + 300 measured');
  assert.equal(t.totalOperations, 300);
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

test('a standalone AbortSignal settles a measurement whose operation never settles', async () => {
  for (const measure of ['measureLatency', 'measureThroughput']) {
    const controller = new AbortController();
    const b = new SystemBenchmark({ signal: controller.signal, warmup: 0, warmupTime: 0 });
    const p = b[measure](() => new Promise(() => {}), 10);
    setImmediate(() => controller.abort(new Error('given up')));
    await assert.rejects(p, /given up/, measure);
  }
});

test('the run deadline stops a synchronous operation (fake clock)', async () => {
  const { RunDeadline } = require('../lib/run-guard');
  for (const measure of ['measureLatency', 'measureThroughput']) {
    const controller = new AbortController();
    // The deadline's own clock stands still: 500 ms remain when the loop starts.
    new RunDeadline(controller, 500, () => new Error('deadline passed'), () => 0);
    let ns = 0n;
    class Fake extends SystemBenchmark {
      now() {
        return ns;
      }
    }
    const b = new Fake({ signal: controller.signal, warmup: 0, warmupTime: 0 });
    let calls = 0;
    const p = b[measure](() => {
      calls++;
      ns += 100_000_000n; // 100 ms, synchronously: no timer can fire meanwhile
    }, 10_000);
    await assert.rejects(p, /deadline passed/, measure);
    assert.equal(calls, 5, `${measure}: stops at the first call that ends past 500 ms`);
    assert.ok(controller.signal.aborted, 'the run is aborted for everyone else too');
  }
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
