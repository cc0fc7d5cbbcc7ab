'use strict';
/**
 * NetworkStorageBenchmark (api-spec §4.5, registry name `network_storage`): storage I/O
 * like fio, TCP/UDP like iperf3 and netperf, HTTP load like wrk/wrk2 — all measured in the
 * Rust core on its own threads. This class only shapes the options; running, progress and
 * cancellation are BuiltinBenchmark's.
 */
const native = require('./native');
const check = require('./validate');
const { BuiltinBenchmark } = require('./builtin-benchmark');

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
class NetworkStorageBenchmark extends BuiltinBenchmark {
  /** Name of this benchmark in the core registry (and the framework's). */
  static registryName = 'network_storage';

  /**
   * @param {object} [config] `storage: false | { directory, fileSize, blockSize, pattern,
   *   rwmixread, direct, duration, rampTime, queueDepth, numJobs, engine }` and
   *   `network: false | { mode, host, port, duration, warmup, streams, url, rate,
   *   connections, connectTimeout, bandwidth, packetSize, messageSize, timeout }`; bad
   *   values throw here, before anything runs.
   */
  constructor(config = {}) {
    check.plainObject('config', config);
    super(config, { storage: partOption(config, 'storage'), network: partOption(config, 'network') });
  }
}

/** Name under which the framework registers this benchmark. */
const REGISTRY_NAME = NetworkStorageBenchmark.registryName;

/**
 * Starts a standalone peer on `bind:port` (defaults 127.0.0.1:5301) and returns
 * `{ address, connections(), stop() }`. The peer's threads do not keep Node alive. The
 * core checks the address and the port range.
 */
function startPeer(options = {}) {
  check.plainObject('options', options);
  const { bind = '127.0.0.1', port = 5301 } = options;
  check.string('bind', bind);
  if (typeof port !== 'number' || Number.isNaN(port)) throw new TypeError(`port: got ${check.show(port)} (accepted: a port number)`);
  return native.NativePeer(bind, port);
}

module.exports = { NetworkStorageBenchmark, startPeer, REGISTRY_NAME };
