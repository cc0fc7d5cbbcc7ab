'use strict';
/**
 * PerformanceBenchmarkingFramework (api-spec §3): the registry of benchmark classes, runs
 * with a real timeout (the benchmark's AbortSignal fires and the framework waits for its
 * cleanup), suites, result files, and the system sampler, whose `metrics:collected` events
 * come from a Rust thread through the native event bridge. The sampler is a view over a
 * metrics collector's machine readings: the system's collector once `attachCollector` is
 * called (NovaCronPerformanceSystem does), else a machine-only collector of its own.
 */
const { SafeEventEmitter } = require('./safe-emitter');
const os = require('node:os');
const native = require('./native');
const { weakDeliver } = require('./lifecycle');
const check = require('./validate');
const { builtinTable } = require('./builtin-benchmark');
const { NetworkStorageBenchmark } = require('./network-storage');
const { DatabaseBenchmark } = require('./database-benchmark');
const { RunDeadline } = require('./run-guard');

const DAY_MS = 86_400_000;
/** Built-in benchmarks every framework has: the core registry's names, each with its JS class. */
const DEFAULT_BENCHMARKS = builtinTable([NetworkStorageBenchmark, DatabaseBenchmark]);
/** Events that originate in core threads and cross the native bridge. */
const CORE_EVENTS = new Set(['metrics:collected']);
/** How long a timed-out benchmark gets to finish its cleanup after the abort. */
const DEFAULT_CLEANUP_TIMEOUT = 30_000;

class BenchmarkTimeoutError extends Error {
  constructor(name, ms) {
    super(`Benchmark timeout: '${name}' exceeded benchmarkTimeout of ${ms} ms`);
    this.name = 'BenchmarkTimeoutError';
    this.code = 'ERR_BENCHMARK_TIMEOUT';
  }
}

class PerformanceBenchmarkingFramework extends SafeEventEmitter {
  /**
   * @param {object} [config] `metricsRetention` (ms, 30 days), `samplingInterval` (ms,
   *   1000), `benchmarkTimeout` (ms, 300000), `maxConcurrency` (2 × CPUs), `profilesPath`
   *   ('./profiles'), `metricsPath` (data folder, './performance-data'),
   *   `startMonitoring` (start the system sampler now, true), `cleanupTimeout` (ms, 30000).
   */
  constructor(config = {}) {
    super();
    check.plainObject('config', config);
    this.config = {
      metricsRetention: 30 * DAY_MS,
      samplingInterval: 1000,
      benchmarkTimeout: 300_000,
      maxConcurrency: 2 * os.cpus().length,
      profilesPath: './profiles',
      metricsPath: './performance-data',
      cleanupTimeout: DEFAULT_CLEANUP_TIMEOUT,
      ...config,
    };
    validateConfig(this.config);
    /** Registered benchmark classes by name (the built-in ones from the start). */
    this.benchmarks = new Map(Object.entries(DEFAULT_BENCHMARKS));
    /** Registered optimizer classes by name. */
    this.optimizers = new Map();
    /** Unused by the framework; kept for API compatibility. */
    this.monitors = new Map();
    /** Results of this process's runs, keyed `<name>_<timestamp>`; `listResults` reads disk. */
    this.results = new Map();
    /** Names of the benchmarks running now. */
    this.activeTests = new Set();

    this.native = native.NativeFramework({
      metricsPath: String(this.config.metricsPath),
      samplingInterval: this.config.samplingInterval,
      metricsRetention: this.config.metricsRetention,
    });
    // The native event thread holds this callback; through a weak reference it does not
    // keep the framework alive, so an unreferenced framework is collected and its native
    // half (sampler, event thread) released with it.
    this.native.subscribe(weakDeliver(this));
    this.eventsLive = true;
    this.on('newListener', (event) => {
      if (CORE_EVENTS.has(event)) this.native.setEventInterest(event, true);
    });
    this.on('removeListener', (event) => {
      if (CORE_EVENTS.has(event) && this.listenerCount(event) === 0) this.native.setEventInterest(event, false);
    });
    if (this.config.startMonitoring !== false) this.startSystemMonitoring();
    setImmediate(() => {
      this.registerDefaultBenchmarks();
      this.emit('framework:initialized');
    });
  }

  /** Emits a core event; a throwing listener is reported as a process warning, never fatal. */
  deliver(name, payload) {
    try {
      this.emit(name, payload);
    } catch (err) {
      process.emitWarning(`a '${name}' listener threw: ${err && err.message}`, { code: 'NOVACRON_LISTENER_ERROR' });
    }
  }

  /**
   * (Re)installs the built-in benchmarks (api-spec §3.2) that are missing and emits
   * `framework:ready`. They are present from construction on, without
   * `benchmark:registered` events; a user registration under the same name wins.
   */
  registerDefaultBenchmarks() {
    for (const [name, benchmarkClass] of Object.entries(DEFAULT_BENCHMARKS)) {
      if (!this.benchmarks.has(name)) this.benchmarks.set(name, benchmarkClass);
    }
    this.emit('framework:ready');
  }

  /** Registers (or replaces) a benchmark class; emits `benchmark:registered`. */
  registerBenchmark(name, benchmarkClass) {
    check.string('name', name);
    native.validateBenchmarkNameJs(name);
    if (typeof benchmarkClass !== 'function' || !benchmarkClass.prototype) {
      throw new TypeError(`Benchmark must be a class: got ${check.show(benchmarkClass)} for '${name}' (accepted: a class extending SystemBenchmark with an async run())`);
    }
    this.benchmarks.set(name, benchmarkClass);
    this.emit('benchmark:registered', { name });
  }

  /** Registers (or replaces) an optimizer class; emits `optimizer:registered`. */
  registerOptimizer(name, optimizerClass) {
    check.string('name', name);
    native.validateBenchmarkNameJs(name);
    if (typeof optimizerClass !== 'function' || !optimizerClass.prototype) {
      throw new TypeError(`Optimizer must be a class: got ${check.show(optimizerClass)} for '${name}' (accepted: a class with an async optimize(targetMetrics))`);
    }
    this.optimizers.set(name, optimizerClass);
    this.emit('optimizer:registered', { name });
  }

  /** Applies new framework settings (a profile's `framework` section) to the running framework. */
  applyConfig(partial) {
    check.plainObject('framework config', partial);
    const next = { ...this.config, ...partial };
    validateConfig(next);
    this.native.configureSampling(next.samplingInterval, next.metricsRetention);
    this.config = next;
  }

  /**
   * Runs benchmark `name` with `config` merged over the framework config and resolves to
   * BenchmarkRunResult `{ name, duration, timestamp, config, result, systemState }`.
   */
  async runBenchmark(name, config = {}) {
    check.string('name', name);
    const BenchmarkClass = this.benchmarks.get(name);
    if (!BenchmarkClass) {
      const known = [...this.benchmarks.keys()].join(', ') || 'none registered';
      throw new Error(`Benchmark '${check.preview(name)}' not found (registered: ${known})`);
    }
    check.plainObject('config', config);
    check.runOptions(config);
    const timeoutMs = config.benchmarkTimeout ?? this.config.benchmarkTimeout;
    const run = this.native.beginRun(name);
    this.activeTests.add(name);
    const started = performance.now();
    try {
      this.emit('benchmark:started', { name, config });
      const controller = new AbortController();
      const benchmark = new BenchmarkClass({ ...this.config, ...config, framework: this, signal: controller.signal });
      if (!benchmark.signal) benchmark.signal = controller.signal;
      if (typeof benchmark.run !== 'function') throw new TypeError(`Benchmark '${name}' has no run() method (accepted: a class with an async run())`);
      const result = await this.runWithTimeout(benchmark, controller, name, timeoutMs);
      const duration = performance.now() - started;
      const systemState = run.finish();
      const runResult = check.toJsonSafe({ name, duration, timestamp: Date.now(), config, result, systemState });
      await this.storeBenchmarkResult(runResult);
      this.results.set(`${name}_${runResult.timestamp}`, runResult);
      this.emit('benchmark:completed', runResult);
      return runResult;
    } catch (err) {
      this.emit('benchmark:failed', { name, error: err && err.message ? err.message : String(err) });
      throw err;
    } finally {
      run.release();
      this.activeTests.delete(name);
    }
  }

  /**
   * Races `run()` against the timeout; on timeout aborts and waits for the cleanup. The
   * deadline is tied to the controller's signal, so the measurement loops end a run whose
   * operation is synchronous (the timer cannot fire while it runs) and race an operation
   * that never settles against the abort, instead of holding the run for `cleanupTimeout`.
   */
  async runWithTimeout(benchmark, controller, name, timeoutMs) {
    const deadline = new RunDeadline(controller, timeoutMs, () => new BenchmarkTimeoutError(name, timeoutMs));
    const work = Promise.resolve().then(() => benchmark.run());
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(deadline.expire()), timeoutMs);
    });
    try {
      const result = await Promise.race([work, timeout]);
      if (deadline.expired) throw deadline.reason; // a loop hit the deadline and run() swallowed it
      return result;
    } catch (err) {
      if (deadline.expired) {
        await settleWithin(work, this.config.cleanupTimeout);
        throw deadline.reason; // whichever noticed it first, the run timed out
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Runs `{ benchmarks: [{ name, config }], concurrency = 1, sequential = false }` and
   * resolves to `{ timestamp, config, results, summary }`. Any failure rejects the suite
   * once every benchmark of the failing chunk has settled.
   */
  async runBenchmarkSuite(suiteConfig) {
    check.plainObject('suiteConfig', suiteConfig);
    const { benchmarks, concurrency = 1, sequential = false } = suiteConfig;
    check.bool('suiteConfig.sequential', sequential);
    if (!Array.isArray(benchmarks)) {
      throw new TypeError(`suiteConfig.benchmarks: got ${check.show(benchmarks)} (accepted: a list of { name, config })`);
    }
    benchmarks.forEach((b, i) => {
      check.plainObject(`suiteConfig.benchmarks[${i}]`, b);
      check.string(`suiteConfig.benchmarks[${i}].name`, b.name);
    });
    check.number('suiteConfig.concurrency', concurrency, { min: 1, integer: true });
    const results = [];
    const chunks = sequential ? benchmarks.map((b) => [b]) : this.chunkArray(benchmarks, concurrency);
    for (const chunk of chunks) {
      const settled = await Promise.allSettled(chunk.map((b) => this.runBenchmark(b.name, b.config ?? {})));
      const failure = settled.find((s) => s.status === 'rejected');
      if (failure) throw failure.reason;
      results.push(...settled.map((s) => s.value));
    }
    const suiteResult = check.toJsonSafe({
      timestamp: Date.now(),
      config: suiteConfig,
      results,
      summary: this.calculateSuiteSummary(results),
    });
    await this.storeSuiteResult(suiteResult);
    this.emit('suite:completed', suiteResult);
    return suiteResult;
  }

  /** Runs optimizer `name` (api-spec §3.5) and resolves to `{ name, timestamp, targetMetrics, result, improvements }`. */
  async runOptimization(name, targetMetrics, config = {}) {
    check.string('name', name);
    const OptimizerClass = this.optimizers.get(name);
    if (!OptimizerClass) {
      const known = [...this.optimizers.keys()].join(', ') || 'none registered';
      throw new Error(`Optimizer '${check.preview(name)}' not found (registered: ${known})`);
    }
    check.plainObject('config', config);
    try {
      this.emit('optimization:started', { name, targetMetrics });
      const optimizer = new OptimizerClass({ ...this.config, ...config, framework: this });
      const result = await optimizer.optimize(targetMetrics);
      const out = check.toJsonSafe({
        name,
        timestamp: Date.now(),
        targetMetrics,
        result,
        improvements: await this.calculateImprovements(targetMetrics, result),
      });
      await this.storeOptimizationResult(out);
      this.emit('optimization:completed', out);
      return out;
    } catch (err) {
      this.emit('optimization:failed', { name, error: err && err.message ? err.message : String(err) });
      throw err;
    }
  }

  /**
   * Stored benchmark results (this and earlier processes), newest first.
   * @param {{ name?: string, since?: number, until?: number, limit?: number }} [query]
   */
  async listResults(query = {}) {
    check.plainObject('query', query);
    for (const key of ['since', 'until']) check.optionalNumber(query, key, 'query.', { min: 0 });
    check.optionalNumber(query, 'limit', 'query.', { min: 1, integer: true, max: 2 ** 32 - 1 });
    if (query.name !== undefined) check.string('query.name', query.name);
    return this.native.listBenchmarks({ name: query.name, since: query.since, until: query.until, limit: query.limit });
  }

  /**
   * Makes the system sampler a view over `metricsCollector`'s machine readings (one sample
   * every `samplingInterval` ms, or every collector tick when that is longer), so that no
   * second thread samples the machine; samples arrive while that collector runs. Used by
   * NovaCronPerformanceSystem.
   * @param {import('./metrics').PerformanceMetricsCollector} metricsCollector
   */
  attachCollector(metricsCollector) {
    this.native.attachCollector(metricsCollector.nativeHandle());
  }

  /** Starts the system sampler (every `samplingInterval` ms; see `attachCollector`). */
  startSystemMonitoring() {
    this.resumeEvents();
    this.native.startSampling();
  }

  /** Stops the sampler and persists its series under `<metricsPath>/system/`. */
  stopSystemMonitoring() {
    this.native.stopSampling();
  }

  /** `{ cpu: [], memory: [], disk: [], network: [] }` sampled so far (entries `{ timestamp, ... }`). */
  get systemMetrics() {
    return this.native.systemSeries();
  }

  /** Sampler state `{ running, intervalMs, capacity, kept, ticks }` and event counters. */
  getMonitoringStatus() {
    return { ...this.native.samplerStatus(), events: this.native.eventStats() };
  }

  /**
   * One real system sample: `{ timestamp, cpu: { user, system, usage, cores }, memory: {
   * used, total, free, available, rss, swapUsed, swapTotal, heapUsed, heapTotal, external },
   * disk, network }`. `cpu.usage` (% of all cores) covers the time since the previous call.
   */
  async collectSystemMetrics() {
    const sample = this.native.collectSystemMetrics();
    const heap = process.memoryUsage();
    Object.assign(sample.memory, { heapUsed: heap.heapUsed, heapTotal: heap.heapTotal, external: heap.external });
    return sample;
  }

  /** Usage of the file system holding the data folder (statvfs), or null. */
  async getDiskUsage() {
    return this.native.diskUsage();
  }

  /** Network counters since boot (non-loopback interfaces) and established TCP connections. */
  async getNetworkStats() {
    return this.native.networkStats();
  }

  /** SystemSnapshot `{ timestamp, platform, arch, cpus, memory, uptime, loadavg, current, ... }`. */
  async getSystemSnapshot() {
    return this.native.snapshot();
  }

  /** Entries of each sampled series within `[start, end]` (epoch ms). */
  getMetricsInRange(start, end) {
    const series = this.systemMetrics;
    const out = {};
    for (const [key, entries] of Object.entries(series)) {
      out[key] = entries.filter((e) => e.timestamp >= start && e.timestamp <= end);
    }
    return out;
  }

  /** `{ cpu, memory, disk, network }` MetricStats over `[start, end]` (name kept from the original). */
  async analyzSystemPerformance(start, end) {
    const range = this.getMetricsInRange(start, end);
    const memoryPct = range.memory.map((m) => ({ value: (m.used / m.total) * 100 }));
    return {
      cpu: this.calculateMetricStats(range.cpu.filter((c) => c.usage !== null)),
      memory: this.calculateMetricStats(memoryPct),
      disk: this.calculateMetricStats(range.disk.filter((d) => d.total).map((d) => ({ value: (d.used / d.total) * 100 }))),
      network: this.calculateMetricStats(range.network.map((n) => ({ value: n.connections ?? 0 }))),
    };
  }

  /** `{ min, max, avg, median, p95, p99 }` over entries' `usage`/`used`/`value`, or null. */
  calculateMetricStats(entries) {
    return native.metricStats(entries);
  }

  /** Median (mean of the middle two for even n). */
  calculateMedian(values) {
    if (!values.length) return null;
    return native.metricStats(values).median;
  }

  /** Nearest-rank percentile: sorted[ceil(p/100 × n) − 1]. */
  calculatePercentile(values, p) {
    return native.nearestRankPercentiles(Float64Array.from(values), [p])[0] ?? undefined;
  }

  /** Splits `array` into chunks of `size`. */
  chunkArray(array, size) {
    check.number('size', size, { min: 1, integer: true });
    const chunks = [];
    for (let i = 0; i < array.length; i += size) chunks.push(array.slice(i, i + size));
    return chunks;
  }

  /** `{ total, passed, failed, avgDuration, totalDuration }` (avgDuration null when empty). */
  calculateSuiteSummary(results) {
    return native.suiteSummary(check.toJsonSafe(results));
  }

  /** Per-metric `{ before, after, improvement, absolute }` (lower is better). */
  async calculateImprovements(targetMetrics, result) {
    return native.improvements(check.toJsonSafe(targetMetrics ?? {}), check.toJsonSafe(result ?? {}));
  }

  /** CPU (> 80 %) and memory (> 85 %) findings over the last hour of samples. */
  async generateRecommendations() {
    const now = Date.now();
    const perf = await this.analyzSystemPerformance(now - 3_600_000, now);
    const recs = [];
    if (perf.cpu && perf.cpu.avg > 80) {
      recs.push({ type: 'performance', category: 'cpu', severity: 'high', message: `Average CPU usage over the last hour is ${perf.cpu.avg.toFixed(1)}%`, metrics: { averageCpu: perf.cpu.avg } });
    }
    if (perf.memory && perf.memory.avg > 85) {
      recs.push({ type: 'performance', category: 'memory', severity: 'high', message: `Average memory use over the last hour is ${perf.memory.avg.toFixed(1)}%`, metrics: { averageMemory: perf.memory.avg } });
    }
    return recs;
  }

  /** A report over `timeRange` (`{ hours }`, default 24) from stored results and samples. */
  async generateReport(timeRange = { hours: 24 }) {
    check.plainObject('timeRange', timeRange);
    const hours = timeRange.hours ?? 24;
    check.number('timeRange.hours', hours, { min: 0 });
    const endTime = Date.now();
    const startTime = endTime - hours * 3_600_000;
    const stored = await this.listResults({ since: startTime, until: endTime });
    const benchmarkResults = {};
    for (const r of stored) {
      const b = (benchmarkResults[r.name] ??= { runs: 0, passed: 0, failed: 0, durations: [] });
      b.runs++;
      if (r.result && r.result.success === false) b.failed++;
      else b.passed++;
      b.durations.push({ value: r.duration });
    }
    for (const b of Object.values(benchmarkResults)) {
      b.duration = this.calculateMetricStats(b.durations);
      delete b.durations;
    }
    const report = {
      timeRange: { startTime, endTime },
      systemPerformance: await this.analyzSystemPerformance(startTime, endTime),
      benchmarkResults,
      optimizationResults: [],
      recommendations: await this.generateRecommendations(),
    };
    report.file = await this.native.storeReport(startTime, endTime, report);
    return report;
  }

  /** Writes `<metricsPath>/benchmarks/benchmark_<name>_<timestamp>.json`; resolves to its path. */
  async storeBenchmarkResult(result) {
    return this.native.storeBenchmark(result.name, result.timestamp, check.toJsonSafe(result));
  }

  /** Writes `<metricsPath>/suite_<timestamp>.json`. */
  async storeSuiteResult(result) {
    return this.native.storeSuite(result.timestamp, check.toJsonSafe(result));
  }

  /** Writes `<metricsPath>/optimizations/optimization_<name>_<timestamp>.json`. */
  async storeOptimizationResult(result) {
    return this.native.storeOptimization(result.name, result.timestamp, check.toJsonSafe(result));
  }

  /** Stops sampling (persisting the series), waits for running benchmarks, emits `framework:shutdown`. */
  async shutdown() {
    this.stopSystemMonitoring();
    this.releaseEvents();
    while (this.activeTests.size > 0) await new Promise((r) => setTimeout(r, 50));
    this.emit('framework:shutdown');
  }

  /**
   * Ends the native event thread now (the events already queued are still delivered), not
   * when the framework is collected: a shut-down framework holds no thread even while
   * something still references it. `startSystemMonitoring()` brings it back.
   */
  releaseEvents() {
    if (!this.eventsLive) return;
    this.eventsLive = false;
    this.native.unsubscribe();
  }

  /** Delivers core events again after `releaseEvents()`. */
  resumeEvents() {
    if (this.eventsLive) return;
    this.native.subscribe(weakDeliver(this));
    this.eventsLive = true;
  }
}

function validateConfig(c) {
  // Quick type checks; the sampler's limits (interval >= 100 ms, retention >= interval)
  // are the core's (SamplerConfig), which the native calls apply.
  check.number('samplingInterval', c.samplingInterval);
  check.number('metricsRetention', c.metricsRetention);
  check.number('benchmarkTimeout', c.benchmarkTimeout, { min: 1, max: check.MAX_TIMER_MS });
  check.number('maxConcurrency', c.maxConcurrency, { min: 1, integer: true });
  check.number('cleanupTimeout', c.cleanupTimeout, { min: 0, max: check.MAX_TIMER_MS });
  check.string('metricsPath', c.metricsPath);
  check.optionalBool(c, 'startMonitoring');
}

/** Waits for `promise` to settle, at most `ms`. */
function settleWithin(promise, ms) {
  let timer;
  return Promise.race([
    promise.then(
      () => {},
      () => {},
    ),
    new Promise((r) => {
      timer = setTimeout(r, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

module.exports = { PerformanceBenchmarkingFramework, BenchmarkTimeoutError };
