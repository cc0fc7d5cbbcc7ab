'use strict';
/**
 * Benchmark bases (api-spec §4.2, §5.1). `measureLatency` and `measureThroughput` time the
 * JS operation in JS with `process.hrtime.bigint()` — never across the native boundary —
 * exclude warm-up, and hand the samples to the Rust `stats` module for the summary. Their
 * loops stop on the run's signal and deadline (./run-guard).
 */
const { SafeEventEmitter } = require('./safe-emitter');
const native = require('./native');
const check = require('./validate');
const { LoopGuard } = require('./run-guard');
const { hrtimeNs, measureTimerResolution, Failures, latencyLoop, throughputLoop } = require('./measure');

/** Largest `batch` (calls timed per sample). */
const MAX_BATCH = 1e9;

/**
 * Base of every benchmark. Subclasses implement `async run()`. An EventEmitter, so that a
 * benchmark can report `progress` to whoever holds it.
 */
class SystemBenchmark extends SafeEventEmitter {
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
    const { samples, n, calls } = await guard.run(() => latencyLoop(operation, { clock, guard, failures, warmup, iterations, batch }));
    if (n === 0) throw failures.toThrow();
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
    const { completed, totalTime, durations, kept, operations } = await guard.run(() => throughputLoop(operation, { clock, guard, failures, warmupTime, duration }));
    if (completed === 0 && failures.measured > 0) throw failures.toThrow();
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
