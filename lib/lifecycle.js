'use strict';
/**
 * One serialised lifecycle per component: `stopped → starting → running → stopping →
 * stopped` (and `closed`, from which nothing starts again).
 *
 * Every transition runs after the ones queued before it, so concurrent calls never
 * interleave: a second `start()` waits for the first and finds the component running, a
 * `stop()` called while a start is in flight stops what that start built, and
 * `stop(); await stop(); await start()` ends with exactly one running instance. A start
 * that fails runs its undo before rejecting, so it leaves nothing running behind it.
 *
 * A component's own composite operations (a profile switch that stops and starts again)
 * run as one queued step through `run()` and call its `*Now` bodies directly: queuing a
 * transition from inside a queued step would wait for itself.
 */
class Lifecycle {
  constructor() {
    /** `stopped`, `starting`, `running`, `stopping` or `closed`. */
    this.state = 'stopped';
    this.tail = Promise.resolve();
  }

  /** Runs `fn` once every step queued before it has settled; resolves or rejects as `fn`. */
  run(fn) {
    const step = this.tail.then(() => fn());
    this.tail = step.catch(() => {});
    return step;
  }

  /**
   * The start body: `begin()` builds and starts; when it throws, `undo()` releases what it
   * had started before the error is passed on. No-op when running.
   */
  async startNow(begin, undo) {
    if (this.state === 'running') return false;
    if (this.state === 'closed') throw new Error('closed (accepted: a new instance)');
    this.state = 'starting';
    try {
      await begin();
    } catch (err) {
      this.state = 'stopping';
      try {
        await undo();
      } catch {
        // The start's error is the one the caller needs; the undo did what it could.
      }
      this.state = 'stopped';
      throw err;
    }
    this.state = 'running';
    return true;
  }

  /** The stop body: runs `end()` when running; the state is `stopped` afterwards even if it throws. */
  async stopNow(end) {
    if (this.state !== 'running') return false;
    this.state = 'stopping';
    try {
      await end();
    } finally {
      this.state = 'stopped';
    }
    return true;
  }

  /** Queued start. */
  start(begin, undo) {
    return this.run(() => this.startNow(begin, undo));
  }

  /** Queued stop. */
  stop(end) {
    return this.run(() => this.stopNow(end));
  }

  /** Queued close: stops when running, then `release()`; a second close is a no-op. */
  close(end, release) {
    return this.run(async () => {
      if (this.state === 'closed') return false;
      try {
        await this.stopNow(end);
      } finally {
        this.state = 'closed';
        await release();
      }
      return true;
    });
  }
}

/**
 * `({ name, payload }) => target.deliver(name, payload)` through a weak reference. Built
 * outside the constructor on purpose: a closure made there would share the constructor's
 * context, which holds `this` for the other arrow functions, and keep `target` alive.
 */
function weakDeliver(target) {
  const ref = new WeakRef(target);
  return ({ name, payload }) => {
    const me = ref.deref();
    if (me) me.deliver(name, payload);
  };
}

module.exports = { Lifecycle, weakDeliver };
