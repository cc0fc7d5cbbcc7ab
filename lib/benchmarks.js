'use strict';
/**
 * Benchmark bases (api-spec §4.2, §5.1). `measureLatency` and `measureThroughput` time the
 * JS operation in JS with `process.hrtime.bigint()` — never across the native boundary —
 * exclude warm-up, and hand the samples to the Rust `stats` module for the summary.
 */
const { EventEmitter } = require('node:events');
const native = require('./native');
const check = require('./validate');

/** Stop keeping per-operation records past this many (measurement rule T9). */
const MAX_OPERATION_RECORDS = 100_000;
/** Keep at most this many durations for the throughput latency summary (8 MB). */
const MAX_DURATIONS = 1_000_000;

let timerResolutionNs = null;
/** Smallest non-zero step of `process.hrtime.bigint()` seen over a few hundred reads. */
function measureTimerResolution() {
  if (timerResolutionNs !== null) return timerResolutionNs;
  let best = Infinity;
  for (let i = 0; i < 200; i++) {
    const a = process.hrtime.bigint();
    let b = process.hrtime.bigint();
    while (b === a) b = process.hrtime.bigint();
    best = Math.min(best, Number(b - a));
  }
  timerResolutionNs = best;
  return best;
}

function isThenable(x) {
  return x !== null && (typeof x === 'object' || typeof x === 'function') && typeof x.then === 'function';
}

function throwIfAborted(signal) {
  if (signal && signal.aborted) throw signal.reason ?? new Error('Benchmark aborted');
}

/**
 * Base of every benchmark. Subclasses implement `async run()`. An EventEmitter, so that a
 * benchmark can report `progress` to whoever holds it.
 */
class SystemBenchmark extends EventEmitter {
  /**
   * @param {object} [config] run options; `framework` and `signal` are set by the framework.
   */
  constructor(config = {}) {
    super();
    check.plainObject('config', config);
    check.runOptions(config);
    this.config = config;
    this.framework = config.framework ?? null;
    /** Aborted when the framework's `benchmarkTimeout` expires; loops should check it. */
    this.signal = config.signal ?? null;
  }

  /** Warm-up iterations: `config.warmup`, else 10 % of the run (1 to 10). */
  warmupIterations(iterations) {
    if (this.config.warmup !== undefined) return this.config.warmup;
    return Math.min(10, Math.max(1, Math.ceil(iterations / 10)));
  }

  /**
   * Runs `operation` (sync or async) `iterations` times in sequence, after warm-up, and
   * returns LatencyStats in ms: `{ min, max, avg, p50, p95, p99, samples, ... }` plus
   * stddev, median, mad, p90, p999, ci95, rme, outliers, histogram, warnings, warmup,
   * errors, failureRate and timerResolutionNs. A throwing operation is counted in
   * `errors` (and its time left out); if every iteration throws, the first error is thrown.
   */
  async measureLatency(operation, iterations = 100) {
    check.func('operation', operation);
    check.number('iterations', iterations, { min: 1, integer: true });
    const signal = this.signal;
    const warmup = this.warmupIterations(iterations);
    for (let i = 0; i < warmup; i++) {
      throwIfAborted(signal);
      const r = operation();
      if (isThenable(r)) await r;
    }
    const samples = new Float64Array(iterations);
    let n = 0;
    let errors = 0;
    let firstError = null;
    for (let i = 0; i < iterations; i++) {
      throwIfAborted(signal);
      const t0 = process.hrtime.bigint();
      try {
        const r = operation();
        if (isThenable(r)) await r;
      } catch (err) {
        errors++;
        firstError ??= err;
        continue;
      }
      samples[n++] = Number(process.hrtime.bigint() - t0) / 1e6;
    }
    throwIfAborted(signal);
    if (n === 0) throw firstError;
    const s = native.summarize(samples.subarray(0, n));
    return {
      min: s.min,
      max: s.max,
      avg: s.mean,
      p50: s.p50,
      p95: s.p95,
      p99: s.p99,
      samples: n,
      stddev: s.stddev,
      median: s.median,
      mad: s.mad,
      p90: s.p90,
      p999: s.p999,
      ci95: s.ci95,
      rme: s.rme,
      outliers: s.outliers,
      histogram: s.histogram,
      warnings: s.warnings,
      warmup,
      errors,
      failureRate: errors / iterations,
      firstError: firstError ? String(firstError.message ?? firstError) : null,
      timerResolutionNs: measureTimerResolution(),
    };
  }

  /**
   * Runs `operation` in sequence for `duration` ms after a warm-up (`config.warmupTime`,
   * else 10 % of the duration up to 1 s) and returns ThroughputStats:
   * `{ operationsPerSecond, totalOperations, totalTime, avgOperationTime, operations }`
   * plus `truncated` (operations capped at 100 000), `latency` (summary of the operation
   * times), `errors`, `failureRate` and `warmupTime`.
   */
  async measureThroughput(operation, duration = 10000) {
    check.func('operation', operation);
    check.number('duration', duration, { min: 1 });
    const signal = this.signal;
    const warmupTime = this.config.warmupTime ?? Math.min(1000, duration / 10);
    const warmupEnd = process.hrtime.bigint() + BigInt(Math.round(warmupTime * 1e6));
    while (process.hrtime.bigint() < warmupEnd) {
      throwIfAborted(signal);
      const r = operation();
      if (isThenable(r)) await r;
    }
    const operations = [];
    let durations = new Float64Array(1024);
    let kept = 0;
    let completed = 0;
    let errors = 0;
    const start = process.hrtime.bigint();
    const end = start + BigInt(Math.round(duration * 1e6));
    let now = start;
    while (now < end) {
      throwIfAborted(signal);
      const t0 = now;
      let ok = true;
      try {
        const r = operation();
        if (isThenable(r)) await r;
      } catch {
        ok = false;
      }
      now = process.hrtime.bigint();
      if (!ok) {
        errors++;
        continue;
      }
      completed++;
      const ms = Number(now - t0) / 1e6;
      if (kept < MAX_DURATIONS) {
        if (kept === durations.length) {
          const bigger = new Float64Array(Math.min(durations.length * 2, MAX_DURATIONS));
          bigger.set(durations);
          durations = bigger;
        }
        durations[kept++] = ms;
      }
      if (operations.length < MAX_OPERATION_RECORDS) operations.push({ duration: ms, timestamp: Date.now() });
    }
    const totalTime = Number(now - start) / 1e6;
    return {
      operationsPerSecond: completed / (totalTime / 1000),
      totalOperations: completed,
      totalTime,
      avgOperationTime: completed > 0 ? totalTime / completed : null,
      operations,
      truncated: completed > operations.length,
      latency: kept > 0 ? native.summarize(durations.subarray(0, kept)) : null,
      errors,
      failureRate: completed + errors > 0 ? errors / (completed + errors) : 0,
      warmupTime,
    };
  }
}

/** Frameworks the ML benchmarks compare by default (api-spec §5.1). */
const DEFAULT_FRAMEWORKS = ['tensorflow', 'pytorch', 'scikit-learn', 'xgboost', 'lightgbm'];
/** Model types the ML benchmarks cover (api-spec §5.1). */
const MODEL_TYPES = ['classification', 'regression', 'clustering', 'deep_learning', 'ensemble'];

/**
 * Base of the MLE-Star ML benchmarks: `frameworks` (honours `config.frameworks`),
 * `modelTypes`, and the injected `mleService` (null when none is given: ML benchmarks then
 * report `status: 'unavailable'` rather than simulate).
 */
class MLEStarBenchmark extends SystemBenchmark {
  constructor(config = {}) {
    super(config);
    if (config.frameworks !== undefined) {
      const ok = Array.isArray(config.frameworks) && config.frameworks.every((f) => typeof f === 'string' && f);
      if (!ok) throw new TypeError(`config.frameworks: got ${check.show(config.frameworks)} (accepted: a list of framework names such as ${DEFAULT_FRAMEWORKS.join(', ')})`);
    }
    this.frameworks = config.frameworks ? [...config.frameworks] : [...DEFAULT_FRAMEWORKS];
    this.modelTypes = [...MODEL_TYPES];
    this.mleService = config.mleService ?? null;
  }
}

module.exports = { SystemBenchmark, MLEStarBenchmark, measureTimerResolution };
