'use strict';
/**
 * The measurement loops behind `measureLatency` and `measureThroughput`: time the operation
 * with the benchmark's ns clock, count failures wherever they happen, and stop on the run's
 * signal and deadline (a {@link LoopGuard}). Kept free of result shaping, so the hot loops
 * hold only locals.
 */
const check = require('./validate');

/** Stop keeping per-operation records past this many (measurement rule T9). */
const MAX_OPERATION_RECORDS = 100_000;
/** Keep at most this many durations for the throughput latency summary (8 MB). */
const MAX_DURATIONS = 1_000_000;
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

/** Failures of one measurement, counted in warm-up and in the measured part alike. */
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

  /** What a measurement rejects with when every measured call failed: the first error. */
  toThrow() {
    if (this.first instanceof Error) return this.first;
    // A thrown non-Error (undefined, a string, …) still rejects with an Error that says what.
    return new Error(`operation threw ${describeError(this.first)} (every measured call failed)`, { cause: this.first });
  }
}

/**
 * `warmup` then `iterations` samples of `batch` calls each. Returns `{ samples, n, calls }`:
 * the per-call ms of the `n` samples whose calls all succeeded, and the measured calls made.
 */
async function latencyLoop(operation, { clock, guard, failures, warmup, iterations, batch }) {
  const samples = new Float64Array(iterations);
  let n = 0;
  let calls = 0;
  guard.checkTime(clock());
  for (let i = 0; i < warmup + iterations; i++) {
    const warming = i < warmup;
    const t0 = clock();
    let failed = false;
    for (let k = 0; k < batch; k++) {
      if (!warming) calls++;
      try {
        const r = operation();
        if (isThenable(r)) await r;
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
  return { samples, n, calls };
}

/**
 * Calls `operation` for `warmupTime` ms, then for `duration` ms. Returns `{ completed,
 * totalTime, durations, kept, operations }` of the measured window.
 */
async function throughputLoop(operation, { clock, guard, failures, warmupTime, duration }) {
  let now = clock();
  guard.checkTime(now);
  const warmupEnd = now + BigInt(Math.round(warmupTime * 1e6));
  while (now < warmupEnd) {
    try {
      const r = operation();
      if (isThenable(r)) await r;
    } catch (err) {
      guard.check();
      failures.record(err, true);
    }
    now = clock();
    guard.checkTime(now);
  }
  const operations = [];
  let durations = new Float64Array(1024);
  let kept = 0;
  let completed = 0;
  const start = clock();
  const end = start + BigInt(Math.round(duration * 1e6));
  now = start;
  while (now < end) {
    const t0 = now;
    let ok = true;
    try {
      const r = operation();
      if (isThenable(r)) await r;
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
  return { completed, totalTime: Number(now - start) / 1e6, durations, kept, operations };
}

module.exports = { hrtimeNs, measureTimerResolution, Failures, latencyLoop, throughputLoop };
