'use strict';
/**
 * PerformanceMetricsCollector (api-spec §9): six sub-collectors sampled on one clock by a
 * Rust thread, every sample kept in the compressed, crash-safe history store under
 * `storageLocation`, `getMetrics(query)` over that history, and the latest readings in the
 * Prometheus text format (`getPrometheusMetrics()`, or an HTTP listener on 127.0.0.1).
 *
 * Each tick crosses to JS once: the JS thread adds what only it can read (event loop, heap,
 * GC) to the `application` slot, stores it under the same timestamp, and emits
 * `metrics:collected` with the complete sample.
 */
const { SafeEventEmitter } = require('./safe-emitter');
const { writeFileAtomic } = require('./fs-safe');
const fs = require('node:fs/promises');
const path = require('node:path');
const native = require('./native');
const check = require('./validate');
const { aggregate, WINDOW } = require('./metrics-aggregation');
const collectors = require('./collectors');
const { Lifecycle, weakDeliver } = require('./lifecycle');

const DAY_MS = 86_400_000;
const KEYS = ['system', 'application', 'database', 'network', 'ml_workflow', 'custom'];
/** Core events forwarded to JS listeners as they are. */
const CORE_EVENTS = new Set(['collection:error', 'collection:recovered', 'collection:warning', 'metrics:stored', 'storage:error']);
const DEFAULT_METRICS_PORT = 9464;
const MAX_TIMER_MS = check.MAX_TIMER_MS;

/** Options that are booleans: `'false'` or `0` is a TypeError, not a silent true. */
const BOOLEAN_OPTIONS = ['enableRealtime', 'enableHistorical', 'enableAggregation', 'compressionEnabled', 'gpu'];

class PerformanceMetricsCollector extends SafeEventEmitter {
  /**
   * @param {object} [config] `collectionInterval` (ms, 5000; falls back to the profile's
   *   `updateInterval`), `storageInterval` (ms between store flushes, 60000),
   *   `retentionPeriod` (ms of raw history, 7 days), `storageLocation` ('./metrics-data'),
   *   `enableRealtime`, `enableHistorical`, `enableAggregation` (true), `batchSize` (100),
   *   `databases` (URLs or `{ url, name }`), `networkTargets` ('host:port' probes),
   *   `gpu` (sample NVIDIA GPUs, true), `eventLoopResolution` (ms, 100), `callbackTimeout`
   *   (ms one `registerCollect` callback may take before it is a `collection:error`, 5000), `prometheus`
   *   (`{ enabled, host, port }`: serve `/metrics` while collecting; off by default,
   *   127.0.0.1:9464).
   */
  constructor(config = {}) {
    super();
    check.plainObject('config', config);
    // The sampling and storage defaults are the core's (one place); the rest are this class's.
    const defaults = native.collectorDefaults();
    const interval = config.collectionInterval ?? config.updateInterval ?? defaults.collectionInterval;
    this.config = {
      storageInterval: defaults.storageInterval,
      retentionPeriod: defaults.retentionPeriod,
      storageLocation: defaults.storageLocation,
      enableRealtime: true,
      enableHistorical: true,
      enableAggregation: true,
      batchSize: 100,
      compressionEnabled: true,
      callbackTimeout: 5000,
      ...config,
      collectionInterval: interval,
    };
    check.number('config.batchSize', this.config.batchSize, { min: 1, integer: true });
    check.number('config.callbackTimeout', this.config.callbackTimeout, { min: 1, max: MAX_TIMER_MS, integer: true });
    for (const flag of BOOLEAN_OPTIONS) check.optionalBool(this.config, flag, 'config.');
    if (this.config.prometheus !== undefined) {
      const prom = check.plainObject('config.prometheus', this.config.prometheus);
      check.optionalBool(prom, 'enabled', 'config.prometheus.');
      if (prom.host !== undefined) check.string('config.prometheus.host', prom.host);
      check.optionalNumber(prom, 'port', 'config.prometheus.', { min: 0, max: 65535, integer: true });
    }
    // The sub-collectors validate their options before the native half opens the store:
    // a refused option leaves no folder, file or thread behind.
    const pending = {};
    /** The sub-collectors by key (the valid `collector` query values). */
    this.collectors = new Map([
      ['system', new collectors.SystemMetricsCollector(this.config, pending)],
      ['application', new collectors.ApplicationMetricsCollector(this.config, pending)],
      ['database', new collectors.DatabaseMetricsCollector(this.config, pending)],
      ['network', new collectors.NetworkMetricsCollector(this.config, pending)],
      ['ml_workflow', new collectors.MLWorkflowMetricsCollector(this.config, pending)],
      ['custom', new collectors.CustomMetricsCollector(this.config, pending)],
    ]);
    this.native = native.NativeCollector({
      collectionInterval: this.config.collectionInterval,
      storageInterval: this.config.storageInterval,
      retentionPeriod: this.config.retentionPeriod,
      storageLocation: this.config.storageLocation,
      enableHistorical: this.config.enableHistorical !== false,
      databases: this.config.databases ?? [],
      networkTargets: this.config.networkTargets ?? [],
      gpu: this.config.gpu !== false,
    });
    for (const c of this.collectors.values()) c.reader = this.native;
    this.collectors.get('custom').onWarning = (w) => this.deliver('collection:warning', w);
    /** Recent complete samples (trimmed to `batchSize` when over 2 × `batchSize`). */
    this.buffer = [];
    /** Aggregation objects by `hourly_<bucket>` / `daily_<bucket>`. */
    this.aggregatedMetrics = new Map();
    this.isCollecting = false;
    this.aggregationTimer = null;
    /** start/stop/close, one at a time (see lifecycle.js). */
    this.lifecycle = new Lifecycle();
    /** The JS-half commits in flight, chained in tick order. */
    this.commits = Promise.resolve();
    // The native event thread holds this callback; through a weak reference it does not
    // keep the collector alive, so an unreferenced collector is collected and its native
    // half (store, event thread) released with it.
    this.native.subscribe(weakDeliver(this));
    this.on('newListener', (event) => {
      if (CORE_EVENTS.has(event)) this.native.setEventInterest(event, true);
    });
    this.on('removeListener', (event) => {
      if (CORE_EVENTS.has(event) && this.listenerCount(event) === 0) this.native.setEventInterest(event, false);
    });
  }

  /** The native collector's handle, for a framework sampling through this collector. */
  nativeHandle() {
    return this.native.handle();
  }

  deliver(name, payload) {
    try {
      if (name === 'collector:tick') {
        this.completeTick(payload).catch((err) => this.emit('collection:error', err));
      } else if (name === 'collection:error' || name === 'storage:error') {
        const err = new Error(payload.collector ? `${payload.collector}: ${payload.message}` : payload.message);
        err.collector = payload.collector ?? null;
        err.timestamp = payload.timestamp ?? Date.now();
        this.emit(name, err);
      } else {
        this.emit(name, payload);
      }
    } catch (err) {
      process.emitWarning(`a '${name}' listener threw: ${err && err.message}`, { code: 'NOVACRON_LISTENER_ERROR' });
    }
  }

  /**
   * Completes a tick: reads the JS half of `application` and hands it to the store, runs
   * the custom callbacks, and, when someone listens or aggregation needs it, builds the
   * full sample (the native half arrives as JSON text, parsed only then), buffers it and
   * emits `metrics:collected`.
   */
  async completeTick(tick) {
    const js = this.collectors.get('application').readJs();
    // Committed before anything acknowledges the sample: an event means it is stored whole.
    // The commits run in tick order (one after the other): a later tick's commit overtaking
    // an earlier one would make the store refuse the earlier, older points.
    const committed = this.commits.then(() => this.native.recordApplication(tick.timestamp, js));
    this.commits = committed.catch(() => {});
    await committed;
    const failures = await this.collectors.get('custom').runCallbacks(this.config.callbackTimeout);
    for (const f of failures) this.emit('collection:error', new Error(`custom metric '${f.name}': ${f.message}`));
    const realtime = this.config.enableRealtime !== false && this.listenerCount('metrics:collected') > 0;
    const forAggregation = this.config.enableAggregation !== false && this.config.enableHistorical === false;
    if (!realtime && !forAggregation && !tick.sample) return null;
    const sample = tick.sample || JSON.parse(tick.json);
    sample.collectors.application = { ...sample.collectors.application, ...js };
    this.buffer.push(sample);
    if (this.buffer.length > 2 * this.config.batchSize) this.buffer = this.buffer.slice(-this.config.batchSize);
    if (realtime) this.deliver('metrics:collected', sample);
    return sample;
  }

  /**
   * Starts the clock (and the `/metrics` listener when `prometheus.enabled`); emits
   * `collection:started`. Concurrent calls wait for the one in flight; a start that fails
   * (the metrics port in use) stops what it had started before rejecting.
   */
  async start() {
    const started = await this.lifecycle.start(() => this.beginCollecting(), () => this.endCollecting());
    if (started) this.emit('collection:started');
  }

  async beginCollecting() {
    this.collectors.get('application').start();
    this.native.setEventInterest('collector:tick', true);
    this.native.start();
    // Like the original's timers, a started collector keeps the process alive (the native
    // clock does not hold the event loop); stop() releases it.
    this.keepAlive = setInterval(() => {}, MAX_TIMER_MS);
    this.isCollecting = true;
    if (this.config.enableAggregation !== false) {
      this.aggregationTimer = setInterval(() => {
        this.aggregateMetrics().catch((err) => this.emit('aggregation:error', err));
      }, 2 * this.config.storageInterval);
      this.aggregationTimer.unref();
    }
    const prom = this.config.prometheus;
    if (prom && prom.enabled) await this.startMetricsServer(prom);
  }

  async endCollecting() {
    clearInterval(this.aggregationTimer);
    clearInterval(this.keepAlive);
    this.aggregationTimer = null;
    this.keepAlive = null;
    this.isCollecting = false;
    this.native.setEventInterest('collector:tick', false);
    try {
      await this.native.stop();
    } finally {
      await this.native.stopServer();
      this.collectors.get('application').stop();
    }
  }

  /**
   * Stops the clock, the timers and the listener, flushes the store; emits
   * `collection:stopped`. Waits for a start in flight, then stops what it started.
   */
  async stop() {
    const stopped = await this.lifecycle.stop(() => this.endCollecting());
    if (stopped) this.emit('collection:stopped');
  }

  /**
   * Stops, then releases what the collector holds beyond its lifecycle: the store's
   * connections and its folder's writer lock (another collector may open it next) and the
   * native event thread. The collector cannot start again; a second call is a no-op.
   */
  async close() {
    let stopped = false;
    await this.lifecycle.close(async () => {
      await this.endCollecting();
      stopped = true;
    }, async () => {
      try {
        await this.native.close();
      } finally {
        // Ends the event thread now, not when this object is collected: a closed
        // collector holds no thread even while something still references it.
        this.native.unsubscribe();
      }
    });
    if (stopped) this.emit('collection:stopped');
  }

  /** Takes one complete sample now (stored and emitted like a tick). */
  async collectMetrics() {
    const sample = await this.native.tickNow();
    return this.completeTick({ timestamp: sample.timestamp, sample });
  }

  /**
   * History (api-spec §9.3): `startTime`, `endTime` (epoch ms or Date, inclusive),
   * `collector`, `metric` (a name such as 'cpu.usage' or 'system.cpu.usage', or a list; a
   * name selects everything below it), `labels` ({ device: 'vda' }), `step` (ms: one
   * aggregated sample per step, from rollups where they fit), `stat` (avg | min | max |
   * sum | count, with step), `limit` (newest samples, 1000). `aggregated: true` returns the
   * periodic aggregation objects of `period` ('hourly' | 'daily').
   */
  async getMetrics(query = {}) {
    check.plainObject('query', query);
    check.optionalBool(query, 'aggregated');
    const q = { ...query };
    for (const key of ['startTime', 'endTime']) {
      if (q[key] instanceof Date) q[key] = q[key].getTime();
    }
    if (q.aggregated) return this.getAggregated(q);
    delete q.aggregated;
    delete q.period;
    return this.native.query(q);
  }

  getAggregated(q) {
    const period = q.period ?? 'hourly';
    if (period !== 'hourly' && period !== 'daily') {
      throw new TypeError(`period: got ${JSON.stringify(period)} (accepted: 'hourly', 'daily')`);
    }
    return [...this.aggregatedMetrics.entries()]
      .filter(([key]) => key.startsWith(`${period}_`))
      .map(([, a]) => a)
      .filter((a) => (q.startTime == null || a.timestamp >= q.startTime) && (q.endTime == null || a.timestamp <= q.endTime))
      .sort((a, b) => b.timestamp - a.timestamp)
      .slice(0, q.limit ?? 1000);
  }

  /** Flushes the store (compress heads, update rollups); runs every `storageInterval` on its own. */
  async storeMetrics() {
    return this.native.flush();
  }

  /** Builds the hourly and daily aggregation objects from the last ≤ 60 samples (read from the store, or the buffer without one) and writes them. */
  async aggregateMetrics() {
    const now = Date.now();
    const result = {};
    const recent = this.config.enableHistorical !== false ? await this.native.query({ limit: WINDOW }) : this.buffer;
    for (const [period, span] of [['hourly', 3_600_000], ['daily', DAY_MS]]) {
      const agg = aggregate(recent, period, now);
      const bucket = Math.floor(now / span);
      this.aggregatedMetrics.set(`${period}_${bucket}`, agg);
      if (this.config.enableHistorical !== false) {
        const dir = path.join(this.config.storageLocation, 'aggregated');
        await fs.mkdir(dir, { recursive: true });
        await writeFileAtomic(path.join(dir, `aggregated_${period}_${bucket}.json`), JSON.stringify(agg, null, 2));
      }
      result[period] = agg;
    }
    this.emit('metrics:aggregated', result);
    return result;
  }

  /** The convenience of api-spec §9.4: `collectors.get('custom').addMetric(...)`. */
  addCustomMetric(name, value, options = {}) {
    this.collectors.get('custom').addMetric(name, value, options);
  }

  /** The latest readings in the Prometheus text exposition format (version 0.0.4). */
  getPrometheusMetrics() {
    return this.native.prometheusText();
  }

  /** Serves `/metrics` (default 127.0.0.1:9464; port 0 picks one); resolves `{ host, port, url }`. */
  async startMetricsServer(options = {}) {
    // `startMetricsServer(NaN)` must not destructure to the default port.
    check.plainObject('options', options);
    const { host = '127.0.0.1', port = DEFAULT_METRICS_PORT } = options;
    check.string('host', host);
    check.number('port', port, { min: 0, max: 65535, integer: true });
    return this.native.startServer(host, port);
  }

  /** Closes the `/metrics` listener; false when none was open. */
  async stopMetricsServer() {
    return this.native.stopServer();
  }

  /** api-spec §9.5 plus `sources` (health of each), `store`, `collectorCpuSeconds`, `server`. */
  getStatus() {
    const s = this.native.status();
    return {
      isCollecting: this.isCollecting,
      bufferSize: this.buffer.length,
      collectors: [...KEYS],
      aggregatedMetrics: this.aggregatedMetrics.size,
      config: {
        collectionInterval: this.config.collectionInterval,
        storageInterval: this.config.storageInterval,
        retentionPeriod: this.config.retentionPeriod,
      },
      sources: s.sources,
      store: s.store,
      ticks: s.ticks,
      collectorCpuSeconds: s.collectorCpuSeconds,
      server: s.server ?? null,
    };
  }
}

module.exports = { PerformanceMetricsCollector, ...collectors };
