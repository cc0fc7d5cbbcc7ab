'use strict';
/**
 * BuiltinBenchmark: the JS side of every benchmark built into the Rust core. A subclass
 * names its core registry entry (`static registryName`) and shapes its options; this base
 * checks them natively at construction, runs the native benchmark as a cancellable task,
 * forwards `progress` (here) and `benchmark:progress` (on the framework), and cancels the
 * run when `this.signal` aborts. The measuring itself happens on the core's threads.
 */
const native = require('./native');
const check = require('./validate');
const { SystemBenchmark } = require('./benchmarks');
const { safeEmit } = require('./safe-emitter');

/** A benchmark measured by the core, found by its registry name. */
class BuiltinBenchmark extends SystemBenchmark {
  /**
   * @param {object} config run options (as for every SystemBenchmark).
   * @param {object} options the benchmark's own options, checked by the core now, so bad
   *   values throw here, before anything runs.
   */
  constructor(config, options) {
    super(config);
    this.options = options;
    this.pending = this.createNative();
  }

  /** The core registry name of this class (`static registryName`). */
  get registryName() {
    return this.constructor.registryName;
  }

  /** A new native run of this benchmark with `this.options`. */
  createNative() {
    // NaN, ±Infinity, symbols and functions would become defaults in JSON: refused here,
    // with the option's path, before anything runs.
    for (const [part, value] of Object.entries(this.options)) check.crossable(part, value);
    return native.NativeBenchmark(this.registryName, check.toJsonSafe(this.options));
  }

  /**
   * Checks the targets and runs; resolves to `{ success: true, timestamp, results }`.
   * Aborting `this.signal` stops every loop, socket and file of the run before the
   * promise rejects.
   */
  async run() {
    const signal = this.signal;
    if (signal && signal.aborted) throw signal.reason ?? new Error('Benchmark aborted');
    const nativeRun = this.pending ?? this.createNative();
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
    safeEmit(this, 'progress', payload);
    if (this.framework && typeof this.framework.emit === 'function') {
      safeEmit(this.framework, 'benchmark:progress', { name: this.registryName, ...payload });
    }
  }
}

/**
 * The framework's table of built-ins: every name of the core registry with its JS class
 * among `classes`. A core built-in without a class, or a class naming no core built-in,
 * is a packaging error and throws at load.
 */
function builtinTable(classes) {
  const byName = new Map(classes.map((c) => [c.registryName, c]));
  const table = {};
  for (const name of native.builtinBenchmarks()) {
    const cls = byName.get(name);
    if (!cls) throw new Error(`built-in benchmark '${name}' of the core has no JS class`);
    table[name] = cls;
    byName.delete(name);
  }
  if (byName.size > 0) throw new Error(`no core built-in benchmark named ${[...byName.keys()].join(', ')}`);
  return table;
}

module.exports = { BuiltinBenchmark, builtinTable };
