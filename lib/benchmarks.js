'use strict';
/**
 * Benchmark bases (api-spec §4.2, §5.1). `measureLatency` and `measureThroughput` time the
 * JS operation in JS with `process.hrtime.bigint()` — never across the native boundary —
 * exclude warm-up, and hand the samples to the Rust `stats` module for the summary. Their
 * loops stop on the run's signal and deadline (./run-guard).
 */
const { EventEmitter } = require('node:events');
const native = require('./native');
const check = require('./validate');
const { LoopGuard } = require('./run-guard');

/** Stop keeping per-operation records past this many (measurement rule T9). */
const MAX_OPERATION_RECORDS = 100_000;
/** Keep at most this many durations for the throughput latency summary (8 MB). */
const MAX_DURATIONS = 1_000_000;
/** Largest `batch` (calls timed per sample). */
const MAX_BATCH = 1e9;
/** Longest error description kept in `firstError`. */
const MAX_ERROR_PREVIEW = 200;
/** Clock reads behind the timer-resolution estimate. */
const RESOLUTION_READS = 1000;

const hrtimeNs = process.hrtime.bigint;

let timerResolutionNs = null;
/**
 * Smallest non-zero step of `process.hrtime.bigint()` seen over many pairs of reads: the
 * finest difference a sample can show, reading cost included (measured once, then cached).
 */
function measureTimerResolution() {
  if (timerResolutionNs !== null) return timerResolutionNs;
  let best = Infinity;
  for (let i = 0; i < RESOLUTION_READS; i++) {
    const a = hrtimeNs();
    let b = hrtimeNs();
    while (b === a) b = hrtimeNs();
    best = Math.min(best, Number(b - a));
  }
  timerResolutionNs = best;
  return best;
}

function isThenable(x) {
  return x !== null && (typeof x === 'object' || typeof x === 'function') && typeof x.then === 'function';
}

/** A short text for any thrown value: an Error's message, else the value itself. */
function describeError(err) {
  let text;
  if (err !== null && typeof err === 'object' && typeof err.message === 'string') text = err.message;
  else if (typeof err === 'string') text = err;
  else if (typeof err === 'symbol') text = err.toString();
  else text = check.show(err);
  return text.length > MAX_ERROR_PREVIEW ? `${text.slice(0, MAX_ERROR_PREVIEW)}…` : text;
}

/** What a measurement rejects with when every measured call failed: the first error. */
function firstErrorToThrow(err) {
  if (err instanceof Error) return err;
  // A thrown non-Error (undefined, a string, …) still rejects with an Error that says what.
  return new Error(`operation threw ${describeError(err)} (every measured call failed)`, { cause: err });
}

/** Failures of one measurement call, counted in warm-up and in the measured part alike. */
class Failures {
  constructor() {
    this.warmup = 0;
    this.measured = 0;
    this.any = false;
    this.first = undefined;
  }

  record(err, warmup) {
    if (warmup) this.warmup++;
    else this.measured++;
    if (!this.any) {
      this.any = true;
      this.first = err;
    }
  }

  /** `firstError`: null when nothing failed, else the description ('undefined' included). */
  get firstError() {
    return this.any ? describeError(this.first) : null;
  }
}

/**
 * Base of every benchmark. Subclasses implement `async run()`. An EventEmitter, so that a
 * benchmark can report `progress` to whoever holds it.
 */
class SystemBenchmark extends EventEmitter {
  /**
   * @param {object} [config] run options (`batch`: calls timed per latency sample);
   *   `framework` and `signal` are set by the framework.
   */
  constructor(config = {}) {
    super();
    check.plainObject('config', config);
    check.runOptions(config);
    check.optionalNumber(config, 'batch', 'config.', { min: 1, max: MAX_BATCH, integer: true });
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

  /** The measurement clock, ns (a subclass may replace it, e.g. with a fake clock in tests). */
  now() {
    return hrtimeNs();
  }

  /** The clock the loops read: `process.hrtime.bigint` itself unless `now` is replaced. */
  clock() {
    return this.now === SystemBenchmark.prototype.now ? hrtimeNs : () => this.now();
  }

  /**
   * Runs `operation` (sync or async) `iterations` times in sequence, after warm-up, and
   * returns LatencyStats in ms: `{ min, max, avg, p50, p95, p99, samples, ... }` plus
   * stddev, median, mad, p90, p999, ci95, rme, outliers, histogram, warnings, warmup,
   * errors, warmupErrors, failureRate, firstError, batch and timerResolutionNs.
   *
   * With `batch` k (`options.batch`, else `config.batch`, default 1) each of the
   * `iterations` samples times k calls in a row and reports the time per call, for
   * operations too short for the clock. A throwing call (warm-up included) is counted and
   * its sample left out; only when every measured call failed does this reject, with the
   * first error. The run's signal and deadline are checked at every sample.
   */
  async measureLatency(operation, iterations = 100, options = {}) {
    check.func('operation', operation);
    check.number('iterations', iterations, { min: 1, integer: true });
    check.plainObject('options', options);
    const batch = options.batch ?? this.config.batch ?? 1;
    check.number(options.batch !== undefined ? 'options.batch' : 'config.batch', batch, { min: 1, max: MAX_BATCH, integer: true });
    const clock = this.clock();
    const guard = new LoopGuard(this.signal, clock);
    const failures = new Failures();
    const warmup = this.warmupIterations(iterations);
    const samples = new Float64Array(iterations);
    let n = 0;
    let calls = 0;
    try {
      guard.checkTime(clock());
      for (let i = 0; i < warmup + iterations; i++) {
        const warming = i < warmup;
        const t0 = clock();
        let failed = false;
        for (let k = 0; k < batch; k++) {
          if (!warming) calls++;
          try {
            const r = operation();
            if (isThenable(r)) await guard.race(r);
          } catch (err) {
            guard.check(); // an abort is not a failure of the operation
            failures.record(err, warming);
            failed = true;
            break;
          }
        }
        const t1 = clock();
        guard.checkTime(t1);
        if (!warming && !failed) samples[n++] = Number(t1 - t0) / 1e6 / batch;
      }
    } finally {
      guard.release();
    }
    if (n === 0) throw firstErrorToThrow(failures.first);
    const resolutionNs = measureTimerResolution();
    const s = native.summarize(samples.subarray(0, n), resolutionNs / 1e6 / batch);
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
      errors: failures.measured,
      warmupErrors: failures.warmup,
      failureRate: failures.measured / calls,
      firstError: failures.firstError,
      batch,
      timerResolutionNs: resolutionNs,
    };
  }

  /**
   * Runs `operation` in sequence for `duration` ms after a warm-up (`config.warmupTime`,
   * else 10 % of the duration up to 1 s) and returns ThroughputStats:
   * `{ operationsPerSecond, totalOperations, totalTime, avgOperationTime, operations }`
   * plus `truncated` (operations capped at 100 000), `latency` (summary of the operation
   * times), `errors`, `warmupErrors`, `failureRate`, `firstError` and `warmupTime`. A
   * throwing call is counted wherever it happens; when every measured call failed this
   * rejects with the first error. The run's signal and deadline are checked at every call.
   */
  async measureThroughput(operation, duration = 10000) {
    check.func('operation', operation);
    check.number('duration', duration, { min: 1 });
    const clock = this.clock();
    const guard = new LoopGuard(this.signal, clock);
    const failures = new Failures();
    const warmupTime = this.config.warmupTime ?? Math.min(1000, duration / 10);
    const operations = [];
    let durations = new Float64Array(1024);
    let kept = 0;
    let completed = 0;
    let start;
    let now;
    try {
      now = clock();
      guard.checkTime(now);
      const warmupEnd = now + BigInt(Math.round(warmupTime * 1e6));
      while (now < warmupEnd) {
        try {
          const r = operation();
          if (isThenable(r)) await guard.race(r);
        } catch (err) {
          guard.check();
          failures.record(err, true);
        }
        now = clock();
        guard.checkTime(now);
      }
      start = clock();
      const end = start + BigInt(Math.round(duration * 1e6));
      now = start;
      while (now < end) {
        const t0 = now;
        let ok = true;
        try {
          const r = operation();
          if (isThenable(r)) await guard.race(r);
        } catch (err) {
          guard.check();
          failures.record(err, false);
          ok = false;
        }
        now = clock();
        guard.checkTime(now);
        if (!ok) continue;
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
    } finally {
      guard.release();
    }
    if (completed === 0 && failures.measured > 0) throw firstErrorToThrow(failures.first);
    const totalTime = Number(now - start) / 1e6;
    const attempted = completed + failures.measured;
    return {
      operationsPerSecond: completed / (totalTime / 1000),
      totalOperations: completed,
      totalTime,
      avgOperationTime: completed > 0 ? totalTime / completed : null,
      operations,
      truncated: completed > operations.length,
      latency: kept > 0 ? native.summarize(durations.subarray(0, kept), measureTimerResolution() / 1e6) : null,
      errors: failures.measured,
      warmupErrors: failures.warmup,
      failureRate: attempted > 0 ? failures.measured / attempted : 0,
      firstError: failures.firstError,
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
