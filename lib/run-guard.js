'use strict';
/**
 * What stops a measurement loop: the run's AbortSignal and its deadline.
 *
 * A timer alone cannot end a run whose operation is synchronous: the loop never yields, so
 * the timer never fires. The framework therefore ties a {@link RunDeadline} to the signal
 * it gives the benchmark, and every measurement loop compares its own clock with it each
 * iteration. And an operation whose promise never settles would hold the loop forever, so
 * the loop in flight is raced against the signal.
 */

/** Deadlines by the signal they belong to: any loop holding the signal finds its deadline. */
const deadlines = new WeakMap();

/** A run's deadline: when it passes, the run's controller aborts with the timeout error. */
class RunDeadline {
  /**
   * @param {AbortController} controller the run's controller
   * @param {number} timeoutMs time from now to the deadline
   * @param {() => Error} makeError builds the timeout error (once)
   * @param {() => number} [now] ms clock (injected by tests)
   */
  constructor(controller, timeoutMs, makeError, now = () => performance.now()) {
    this.controller = controller;
    this.makeError = makeError;
    this.now = now;
    this.at = now() + timeoutMs;
    /** The timeout error, once the deadline has passed. */
    this.reason = null;
    deadlines.set(controller.signal, this);
  }

  /** Ms left before the deadline (negative once past). */
  remainingMs() {
    return this.at - this.now();
  }

  /** True once the deadline was declared passed. */
  get expired() {
    return this.reason !== null;
  }

  /** Declares the deadline passed: aborts the run with the timeout error and returns it. */
  expire() {
    this.reason ??= this.makeError();
    if (!this.controller.signal.aborted) this.controller.abort(this.reason);
    return this.reason;
  }
}

/** The deadline tied to `signal`, or null. */
function deadlineOf(signal) {
  return (signal && deadlines.get(signal)) || null;
}

/** The reason a signal aborted with (an Error when it gave none). */
function abortReason(signal) {
  return signal.reason ?? new Error('Benchmark aborted');
}

/**
 * The stop conditions of one measurement call. `stopAt` is the deadline on the loop's own
 * clock (ns, bigint), so checking it costs one comparison with a time the loop reads anyway.
 */
class LoopGuard {
  /**
   * @param {AbortSignal | null} signal
   * @param {() => bigint} clock the loop's ns clock
   */
  constructor(signal, clock) {
    this.signal = signal;
    this.deadline = deadlineOf(signal);
    this.stopAt = this.deadline ? clock() + BigInt(Math.max(0, Math.floor(this.deadline.remainingMs() * 1e6))) : null;
    this.onAbort = null;
  }

  /** Throws when the signal has aborted. */
  check() {
    if (this.signal && this.signal.aborted) throw abortReason(this.signal);
  }

  /** Throws (and aborts the run) when `t` (ns on the loop's clock) is past the deadline. */
  checkTime(t) {
    if (this.stopAt !== null && t >= this.stopAt) throw this.deadline.expire();
    this.check();
  }

  /**
   * Runs `loop()` and settles with it, or rejects with the abort reason as soon as the
   * signal aborts while a call is in flight. One race per measurement, none per call, so an
   * async operation's timing carries no extra promise hops; an abandoned loop that wakes
   * up later stops at its next check, its rejection handled by the race.
   */
  async run(loop) {
    const work = loop();
    if (!this.signal) return work;
    const aborted = new Promise((_, reject) => {
      this.onAbort = () => reject(abortReason(this.signal));
    });
    if (this.signal.aborted) this.onAbort();
    else this.signal.addEventListener('abort', this.onAbort, { once: true });
    try {
      return await Promise.race([work, aborted]);
    } finally {
      this.release();
    }
  }

  /** Removes the abort listener (a benchmark may measure many times on one signal). */
  release() {
    if (this.onAbort && this.signal) this.signal.removeEventListener('abort', this.onAbort);
  }
}

module.exports = { RunDeadline, LoopGuard, deadlineOf };
