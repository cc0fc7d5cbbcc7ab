'use strict';
/**
 * NetworkStorageBenchmark (api-spec §4.5, registry name `network_storage`): storage I/O
 * like fio, TCP/UDP like iperf3 and netperf, HTTP load like wrk/wrk2 — all measured in the
 * Rust core on its own threads. This class only checks the option objects' shape, starts
 * the native run, forwards `progress` events and cancels the run when `this.signal` aborts.
 */
const { EventEmitter } = require('node:events');
const native = require('./native');
const check = require('./validate');
const { SystemBenchmark } = require('./benchmarks');

/** Name under which the framework registers this benchmark. */
const REGISTRY_NAME = 'network_storage';

/** `storage` / `network` must be an object or `false` (or absent for the defaults). */
function partOption(config, key) {
  const value = config[key];
  if (value === undefined || value === false) return value;
  return check.plainObject(`config.${key}`, value);
}

/**
 * Storage, network and HTTP measurements of one host (see README "Network and storage").
 * An EventEmitter as well: `progress` events `{ phase, percent, elapsedMs }` during a run.
 */
class NetworkStorageBenchmark extends SystemBenchmark {
  /**
   * @param {object} [config] `storage: false | { directory, fileSize, blockSize, pattern,
   *   rwmixread, direct, duration, rampTime, queueDepth, numJobs, engine }` and
   *   `network: false | { mode, host, port, duration, warmup, streams, url, rate,
   *   connections, connectTimeout, bandwidth, packetSize, messageSize, timeout }`; bad
   *   values throw here, before anything runs.
   */
  constructor(config = {}) {
    super(config);
    EventEmitter.call(this);
    this.options = { storage: partOption(config, 'storage'), network: partOption(config, 'network') };
    this.pending = native.NativeNetworkStorage(check.toJsonSafe(this.options));
  }

  /**
   * Checks the targets (folder, peer, URL) and runs; resolves to `{ success: true,
   * timestamp, results }` with `results.storagePerformance`, `results.networkPerformance`
   * and `results.ioMixedWorkload`. Aborting `this.signal` stops every I/O loop and
   * socket and removes the test file before the promise rejects.
   */
  async run() {
    const signal = this.signal;
    if (signal && signal.aborted) throw signal.reason ?? new Error('Benchmark aborted');
    const nativeRun = this.pending ?? native.NativeNetworkStorage(check.toJsonSafe(this.options));
    this.pending = null;
    nativeRun.subscribe(({ payload }) => this.reportProgress(payload));
    const onAbort = () => nativeRun.cancel();
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    try {
      const results = await nativeRun.run();
      return { success: true, timestamp: Date.now(), results };
    } catch (err) {
      if (signal && signal.aborted) throw signal.reason ?? err;
      throw err;
    } finally {
      if (signal) signal.removeEventListener('abort', onAbort);
    }
  }

  /** Emits `progress` here and `benchmark:progress` on the framework; listeners never break the run. */
  reportProgress(payload) {
    try {
      this.emit('progress', payload);
      if (this.framework && typeof this.framework.emit === 'function') {
        this.framework.emit('benchmark:progress', { name: REGISTRY_NAME, ...payload });
      }
    } catch (err) {
      process.emitWarning(`a 'progress' listener threw: ${err && err.message}`, { code: 'NOVACRON_LISTENER_ERROR' });
    }
  }
}

// SystemBenchmark is the base class; the emitter methods are mixed in.
for (const key of Object.getOwnPropertyNames(EventEmitter.prototype)) {
  if (key !== 'constructor' && !(key in NetworkStorageBenchmark.prototype)) {
    Object.defineProperty(NetworkStorageBenchmark.prototype, key, Object.getOwnPropertyDescriptor(EventEmitter.prototype, key));
  }
}

/**
 * Starts a standalone peer on `bind:port` (defaults 127.0.0.1:5301) and returns
 * `{ address, connections(), stop() }`. The peer's threads do not keep Node alive.
 */
function startPeer({ bind = '127.0.0.1', port = 5301 } = {}) {
  check.string('bind', bind);
  check.number('port', port, { min: 0, max: 65535, integer: true });
  return native.NativePeer(bind, port);
}

module.exports = { NetworkStorageBenchmark, startPeer, REGISTRY_NAME };
