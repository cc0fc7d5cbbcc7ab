'use strict';
/**
 * Argument checks shared by the JS classes. Each throws a TypeError (wrong type) or a
 * RangeError (out of range) whose message names the field, the value and what is accepted.
 */

function show(value) {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A finite number >= min (and <= max). */
function number(field, value, { min = 0, max = Infinity, integer = false } = {}) {
  const accepted = `${integer ? 'an integer' : 'a number'} from ${min} to ${max === Infinity ? 'Infinity' : max}`;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${field}: got ${show(value)} (accepted: ${accepted})`);
  }
  if (value < min || value > max || (integer && !Number.isInteger(value)) || (!Number.isFinite(value) && max !== Infinity)) {
    throw new RangeError(`${field}: got ${show(value)} (accepted: ${accepted})`);
  }
  return value;
}

/** Checks `obj[key]` with `number` when the key is present. */
function optionalNumber(obj, key, prefix, opts) {
  if (obj != null && obj[key] !== undefined) number(`${prefix}${key}`, obj[key], opts);
}

function string(field, value) {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${field}: got ${show(value)} (accepted: a non-empty string)`);
  }
  return value;
}

function plainObject(field, value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${field}: got ${show(value)} (accepted: an object)`);
  }
  return value;
}

function func(field, value) {
  if (typeof value !== 'function') {
    throw new TypeError(`${field}: got ${show(value)} (accepted: a function)`);
  }
  return value;
}

/** Longest timer Node accepts (setTimeout clamps larger values to 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The run options every benchmark understands (api-spec §4.2, measurement rule G6). */
function runOptions(config, prefix = 'config.') {
  optionalNumber(config, 'samples', prefix, { min: 1, integer: true });
  optionalNumber(config, 'iterations', prefix, { min: 1, integer: true });
  optionalNumber(config, 'duration', prefix, { min: 1 });
  optionalNumber(config, 'benchmarkTimeout', prefix, { min: 1, max: MAX_TIMER_MS });
  optionalNumber(config, 'warmup', prefix, { min: 0, integer: true });
  optionalNumber(config, 'warmupTime', prefix, { min: 0 });
  return config;
}

/**
 * A JSON-safe deep copy: functions and symbols dropped (as JSON.stringify does), BigInts
 * as strings, cycles and AbortSignals replaced, so any result can be persisted.
 */
function toJsonSafe(value) {
  const seen = new WeakSet();
  return JSON.parse(
    JSON.stringify(value, (key, v) => {
      if (typeof v === 'bigint') return v.toString();
      if (typeof AbortSignal !== 'undefined' && v instanceof AbortSignal) return undefined;
      if (v !== null && typeof v === 'object') {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
      }
      return v;
    }) ?? 'null',
  );
}

module.exports = { show, number, optionalNumber, string, plainObject, func, runOptions, toJsonSafe, MAX_TIMER_MS };
