'use strict';
/**
 * Events the product emits never take the host application down. A listener that throws
 * inside `emit` would otherwise escape into the product's own code — a timer callback (an
 * uncaught exception) or a promise chain (an unhandled rejection), either of which exits
 * Node. Every product EventEmitter extends `SafeEventEmitter`, whose `emit` reports a
 * throwing listener as a process warning (code NOVACRON_LISTENER_ERROR) and carries on;
 * `safeEmit` does the same for an emitter the product does not own.
 */
const { EventEmitter } = require('node:events');

/** Longest part of a listener's error message repeated in the warning. */
const MESSAGE_CHARS = 200;

function warnListenerThrew(name, err) {
  let message;
  try {
    message = String(err && err.message !== undefined ? err.message : err);
  } catch {
    message = Object.prototype.toString.call(err);
  }
  if (message.length > MESSAGE_CHARS) message = `${message.slice(0, MESSAGE_CHARS)}…`;
  process.emitWarning(`a '${String(name)}' listener threw: ${message}`, { code: 'NOVACRON_LISTENER_ERROR' });
}

/**
 * Emits `name` on `emitter`; a throwing listener becomes a process warning. Returns what
 * `emit` returns (false when a listener threw).
 */
function safeEmit(emitter, name, ...args) {
  try {
    return EventEmitter.prototype.emit.call(emitter, name, ...args);
  } catch (err) {
    warnListenerThrew(name, err);
    return false;
  }
}

/** An EventEmitter whose `emit` never throws (see the module comment). */
class SafeEventEmitter extends EventEmitter {
  /** `EventEmitter#emit`, with a throwing listener reported as a process warning. */
  emit(name, ...args) {
    return safeEmit(this, name, ...args);
  }
}

module.exports = { safeEmit, SafeEventEmitter };
