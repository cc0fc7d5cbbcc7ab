'use strict';
/**
 * The six sub-collectors of api-spec §9 (`collector.collectors.get(key)`), each with
 * `async collect()`. Five read natively (a Rust reading of `/proc`, NVML or a database
 * server); `application` adds what only the JS thread can see (event-loop delay and
 * utilisation, V8 heap, GC pauses, libuv handles, requests the application records).
 * Constructed standalone (`new SystemMetricsCollector().collect()`), each owns a native
 * reader of its own; inside a PerformanceMetricsCollector they share the collector's.
 */
const { performance, PerformanceObserver } = require('node:perf_hooks');
const native = require('./native');
const check = require('./validate');

/**
 * Default period of the event-loop delay probe, ms. Each probe wakes the loop: on the
 * reference 2-core VM a 50 ms probe costs an idle Node process 0.33 % of a core, so the
 * default is 100 ms (10 probes per second, 50 per 5 s sample).
 */
const LOOP_RESOLUTION_MS = 100;
/** Default deadline of one custom `registerCollect` callback, ms (`callbackTimeout`). */
const CALLBACK_TIMEOUT_MS = 5000;

/**
 * Event-loop delay: a repeating timer notes how much later than its period each run
 * comes. Node's `monitorEventLoopDelay` cannot serve per-interval figures: its `reset()`
 * also forgets the previous run, so a stall right after a reset goes unrecorded.
 */
class LoopDelayProbe {
  constructor(resolutionMs) {
    this.resolution = resolutionMs;
    this.delays = [];
    this.last = 0n;
    this.timer = null;
  }

  start() {
    this.last = process.hrtime.bigint();
    this.timer = setInterval(() => {
      const now = process.hrtime.bigint();
      this.delays.push(Math.max(0, Number(now - this.last) / 1e6 - this.resolution));
      this.last = now;
    }, this.resolution);
    this.timer.unref();
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  /** `{ p50, p99, max }` ms of the runs since the previous call, or null when none ran. */
  drain() {
    const d = this.delays;
    this.delays = [];
    if (d.length === 0) return null;
    // Microseconds are the timer's real resolution here; more digits only cost storage.
    const us = (ms) => Math.round(ms * 1000) / 1000;
    const [p50, p99, max] = native.nearestRankPercentiles(Float64Array.from(d), [50, 99, 100]);
    return { p50: us(p50), p99: us(p99), max: us(max) };
  }
}

function standaloneReader(config) {
  return native.NativeCollector({ ...config, enableHistorical: false });
}

// The original's collector classes have no base class (api-spec §1), so the shared parts
// are two functions rather than a parent class.
function init(self, key, config, reader) {
  check.plainObject('config', config);
  self.key = key;
  self.config = config;
  self.reader = reader || standaloneReader(config);
}

/** One reading of a collector now; rates cover the time since its previous collect(). */
async function readSlot(self) {
  return { timestamp: Date.now(), ...(await self.reader.readSource(self.key)) };
}

/** Limits of custom metrics: the history store's, checked at the call. */
const MAX_NAME_CHARS = 200;
const MAX_LABEL_NAME_CHARS = 128;
const MAX_LABEL_VALUE_CHARS = 1024;
/** `name` and `value` are fields of a labelled sample row: such a label would be lost. */
const RESERVED_LABELS = new Set(['name', 'value']);

/** A short preview of a value for a message (never the whole of a huge one). */
function preview(value) {
  if (typeof value === 'string' && value.length > 40) return `${JSON.stringify(value.slice(0, 40))}… (${value.length} characters)`;
  const text = check.show(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function checkCustomName(name) {
  check.key('name', name);
  if (name.length > MAX_NAME_CHARS) {
    throw new RangeError(`name: got ${preview(name)} (accepted: at most ${MAX_NAME_CHARS} characters)`);
  }
}

/** Labels as the native side takes them: own keys, string values (numbers and booleans converted). */
function customLabels(field, labels) {
  check.plainObject(field, labels);
  const out = {};
  for (const key of Object.keys(labels)) {
    if (RESERVED_LABELS.has(key) || key === '__proto__' || key === 'constructor' || key === 'prototype') {
      throw new TypeError(`${field} name: got ${JSON.stringify(key)} (accepted: a label name other than name, value, __proto__, constructor and prototype)`);
    }
    if (key.length > MAX_LABEL_NAME_CHARS) {
      throw new RangeError(`${field} name: got ${preview(key)} (accepted: at most ${MAX_LABEL_NAME_CHARS} characters)`);
    }
    let v = labels[key];
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') v = String(v);
    if (typeof v !== 'string') {
      throw new TypeError(`${field}.${key}: got ${preview(v)} (accepted: a string, a number or a boolean)`);
    }
    if (v.length > MAX_LABEL_VALUE_CHARS) {
      throw new RangeError(`${field}.${key}: got ${preview(v)} (accepted: at most ${MAX_LABEL_VALUE_CHARS} characters)`);
    }
    out[key] = v;
  }
  return out;
}

/** Machine CPU (total, per core, iowait, steal), load, memory, disks, file systems, network, TCP, processes; GPUs in `gpu`. */
class SystemMetricsCollector {
  constructor(config = {}, reader = null) {
    init(this, 'system', config, reader);
    this.gpuEnabled = config.gpu !== false;
  }

  async collect() {
    const sample = await readSlot(this);
    if (this.gpuEnabled) sample.gpu = await this.reader.readSource('gpu');
    return sample;
  }

  /** Busy % of all CPUs since the previous call (null on the first call). */
  async getCPUUsage() {
    const s = await readSlot(this);
    return s.cpu ? s.cpu.usage : null;
  }
}

/** Per-database transactions/s, cache hit ratio, connections, deadlocks, rows read/written. */
class DatabaseMetricsCollector {
  constructor(config = {}, reader = null) {
    init(this, 'database', config, reader);
  }

  /** One reading now; rates cover the time since the previous collect(). */
  async collect() {
    return readSlot(this);
  }
}

/** Interface traffic, TCP states, retransmit rate, connect-latency probes of `networkTargets`. */
class NetworkMetricsCollector {
  constructor(config = {}, reader = null) {
    init(this, 'network', config, reader);
  }

  /** One reading now; rates cover the time since the previous collect(). */
  async collect() {
    return readSlot(this);
  }
}

/** Figures and stage timings pushed by ML runs. */
class MLWorkflowMetricsCollector {
  constructor(config = {}, reader = null) {
    init(this, 'ml_workflow', config, reader);
  }

  /** One reading now; rates cover the time since the previous collect(). */
  async collect() {
    return readSlot(this);
  }

  /** Records the duration (ms) of one stage of an ML workflow. */
  recordStage(workflow, stage, durationMs) {
    check.string('workflow', workflow);
    check.string('stage', stage);
    check.number('durationMs', durationMs);
    this.reader.recordMlStage(workflow, stage, durationMs);
  }

  /** Records ML figures: `activeTrainingJobs`, `trainingTime` (ms), `inferenceTime` (ms), `modelAccuracy`, `datasetSize`, `featureCount`, `memoryUsage` (MB), `gpuUtilization` (%). */
  record(values) {
    check.plainObject('values', values);
    this.reader.recordMlValues(values);
  }
}

/** User metrics by Prometheus-valid name and labels, plus collect callbacks run at each tick. */
class CustomMetricsCollector {
  constructor(config = {}, reader = null) {
    init(this, 'custom', config, reader);
    /** Registered callbacks by name: `() => number | { value, labels }`. */
    this.callbacks = new Map();
  }

  /** One reading now; rates cover the time since the previous collect(). */
  async collect() {
    return readSlot(this);
  }

  /**
   * Records `value` for `name` (and `labels`: strings, or numbers and booleans, which are
   * converted to strings as prom-client does). NaN and ±Infinity are recorded and exported
   * as `NaN`, `+Inf`, `-Inf`. Each metric has at most 10 000 label sets: an add beyond is
   * a RangeError, and the first one emits a `collection:warning`.
   */
  record(name, value, labels = {}) {
    this.push(name, value, 'labels', labels, false);
  }

  /** The original's API: `options.oneTime` drops the value after the next collect; `options.labels` labels it. */
  addMetric(name, value, options = {}) {
    check.plainObject('options', options);
    this.push(name, value, 'options.labels', options.labels ?? {}, options.oneTime === true);
  }

  push(name, value, labelsField, labels, oneTime) {
    checkCustomName(name);
    if (typeof value !== 'number') {
      throw new TypeError(`value: got ${preview(value)} (accepted: a number; NaN and ±Infinity are exported as NaN, +Inf, -Inf)`);
    }
    const converted = customLabels(labelsField, labels);
    try {
      this.reader.recordCustom(name, value, converted, oneTime);
    } catch (err) {
      if (!/series cap/.test(err && err.message)) throw err;
      if (!this.capped) this.capped = new Set();
      if (!this.capped.has(name)) {
        this.capped.add(name);
        if (typeof this.onWarning === 'function') this.onWarning({ collector: 'custom', metric: name, message: err.message, timestamp: Date.now() });
      }
      throw new RangeError(err.message);
    }
  }

  /** Removes a metric (every label set); true when it existed. */
  removeMetric(name) {
    check.string('name', name);
    return this.reader.removeCustom(name);
  }

  /** Registers `fn`, called at every tick of a running collector; its value is recorded under `name`. */
  registerCollect(name, fn) {
    check.key('name', name);
    check.func('fn', fn);
    this.callbacks.set(name, fn);
  }

  /**
   * Runs the callbacks side by side, each against a deadline of `timeoutMs`: a throwing,
   * rejecting or never-settling one is reported in the result and the others still record,
   * so one stuck callback never stops the tick.
   */
  async runCallbacks(timeoutMs = CALLBACK_TIMEOUT_MS) {
    const failures = [];
    await Promise.all([...this.callbacks].map(async ([name, fn]) => {
      let timer;
      const deadline = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`did not settle within ${timeoutMs} ms (callbackTimeout)`)), timeoutMs);
      });
      try {
        const out = await Promise.race([Promise.resolve().then(fn), deadline]);
        const { value, labels } = typeof out === 'number' ? { value: out, labels: {} } : out || {};
        this.record(name, value, labels || {});
      } catch (err) {
        failures.push({ name, message: err && err.message });
      } finally {
        clearTimeout(timer);
      }
    }));
    return failures;
  }
}

/** The Node process: native (RSS, CPU, threads, fds) plus event loop, heap, GC and requests. */
class ApplicationMetricsCollector {
  constructor(config = {}, reader = null) {
    init(this, 'application', config, reader);
    /** Event-loop probe period, ms (`eventLoopResolution`, 100). */
    this.resolution = config.eventLoopResolution ?? LOOP_RESOLUTION_MS;
    check.number('config.eventLoopResolution', this.resolution, { min: 1, max: 10_000, integer: true });
    this.loopProbe = null;
    this.gcObserver = null;
    this.elu = null;
    this.gcPauseMsTotal = 0;
    this.gcPauseMsInterval = 0;
    this.requests = { count: 0, errors: 0, totalMs: 0, intervalCount: 0, intervalMs: 0, lastRead: Date.now() };
  }

  /** Starts the event-loop delay probe and the GC observer (the collector calls this). */
  start() {
    if (this.loopProbe) return;
    this.loopProbe = new LoopDelayProbe(this.resolution);
    this.loopProbe.start();
    this.elu = performance.eventLoopUtilization();
    this.gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        this.gcPauseMsTotal += entry.duration;
        this.gcPauseMsInterval += entry.duration;
      }
    });
    this.gcObserver.observe({ entryTypes: ['gc'] });
  }

  /** Stops the probe and the observer. */
  stop() {
    if (this.loopProbe) this.loopProbe.stop();
    if (this.gcObserver) this.gcObserver.disconnect();
    this.loopProbe = null;
    this.gcObserver = null;
  }

  /** Records one request the application served (`durationMs`, whether it succeeded). */
  recordRequest(durationMs, ok = true) {
    check.number('durationMs', durationMs);
    const r = this.requests;
    r.count += 1;
    r.totalMs += durationMs;
    r.intervalCount += 1;
    r.intervalMs += durationMs;
    if (!ok) r.errors += 1;
  }

  /** What only the JS thread can read, for the interval since the previous call. */
  readJs() {
    const mem = process.memoryUsage();
    const out = {
      eventLoopDelay: null,
      eventLoopUtilization: null,
      heapUsed: mem.heapUsed,
      heapTotal: mem.heapTotal,
      externalMemory: mem.external,
      gcPauseMs: this.loopProbe ? Math.round(this.gcPauseMsInterval * 1000) / 1000 : null,
      gcPauseMsTotal: this.loopProbe ? Math.round(this.gcPauseMsTotal * 1000) / 1000 : null,
      activeHandles: process.getActiveResourcesInfo().length,
      nodeVersion: process.version,
      ...this.readRequests(),
    };
    if (this.loopProbe) {
      out.eventLoopDelay = this.loopProbe.drain();
      const now = performance.eventLoopUtilization();
      out.eventLoopUtilization = Math.round(performance.eventLoopUtilization(now, this.elu).utilization * 1e4) / 1e4;
      this.elu = now;
      this.gcPauseMsInterval = 0;
    }
    return out;
  }

  readRequests() {
    const r = this.requests;
    const now = Date.now();
    const seconds = (now - r.lastRead) / 1000;
    const recorded = r.count > 0;
    const out = {
      requestCount: recorded ? r.count : null,
      errorCount: recorded ? r.errors : null,
      throughput: recorded && seconds > 0 ? r.intervalCount / seconds : null,
      errorRate: recorded ? (r.errors / r.count) * 100 : null,
      responseTime: r.intervalCount > 0 ? r.intervalMs / r.intervalCount : null,
      avgResponseTime: recorded ? r.totalMs / r.count : null,
    };
    r.intervalCount = 0;
    r.intervalMs = 0;
    r.lastRead = now;
    return out;
  }

  async collect() {
    const nativePart = await readSlot(this);
    return { ...nativePart, ...this.readJs() };
  }
}

module.exports = {
  SystemMetricsCollector,
  ApplicationMetricsCollector,
  DatabaseMetricsCollector,
  NetworkMetricsCollector,
  MLWorkflowMetricsCollector,
  CustomMetricsCollector,
};
