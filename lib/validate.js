'use strict';
/**
 * Argument checks shared by the JS classes. Each throws a TypeError (wrong type) or a
 * RangeError (out of range) whose message names the field, the value and what is accepted.
 */

/** Longest part of a caller's value echoed in a message: megabytes of input are cut, not repeated. */
const PREVIEW_CHARS = 80;

/** `text` cut to a short preview (for names echoed inside a message). */
function cut(text) {
  return text.length <= PREVIEW_CHARS ? text : `${text.slice(0, PREVIEW_CHARS)}…`;
}

/** A short, safe preview of any value for an error message (never throws, ≤ ~80 chars). */
function show(value) {
  try {
    if (typeof value === 'string') return cut(JSON.stringify(value));
    if (typeof value === 'number') return String(value);
    if (typeof value === 'function') return cut(`function ${value.name || '(anonymous)'}`);
    if (typeof value === 'bigint') return cut(`${value}n`);
    if (typeof value === 'symbol') return cut(value.toString());
    if (value === undefined) return 'undefined';
    return cut(previewJson(value));
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** JSON of at most ~PREVIEW_CHARS characters, built lazily so a huge or cyclic value costs little. */
function previewJson(value) {
  let budget = PREVIEW_CHARS + 1;
  const seen = new WeakSet();
  const text = JSON.stringify(value, function replacer(key, v) {
    if (budget <= 0) return undefined;
    budget -= String(key).length + 4;
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'string') {
      budget -= v.length;
      return v.length > PREVIEW_CHARS ? `${v.slice(0, PREVIEW_CHARS)}…` : v;
    }
    if (v !== null && typeof v === 'object') {
      if (seen.has(v)) return '[Circular]';
      seen.add(v);
    }
    return v;
  });
  return text === undefined ? String(value) : text;
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

/** Keys that set or shadow a prototype when assigned: refused or dropped everywhere. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Reports keys dropped from caller input (once per key path per process). */
const warned = new Set();
function warnDropped(where, key) {
  const id = `${where}:${key}`;
  if (warned.has(id)) return;
  warned.add(id);
  process.emitWarning(`${where}: key '${key}' dropped (keys __proto__, constructor and prototype are not accepted)`, {
    code: 'NOVACRON_FORBIDDEN_KEY',
  });
}

/**
 * A JSON-safe deep copy: functions and symbols dropped (as JSON.stringify does), BigInts
 * as strings, cycles and AbortSignals replaced, prototype keys dropped with a warning, so
 * any result can be persisted and read back without a caller-chosen prototype.
 */
function toJsonSafe(value, where = 'value') {
  const seen = new WeakSet();
  return JSON.parse(
    JSON.stringify(value, (key, v) => {
      if (FORBIDDEN_KEYS.has(key)) {
        warnDropped(where, key);
        return undefined;
      }
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

/** A copy of `value` without prototype keys at any depth (each dropped key warned once). */
function withoutForbiddenKeys(value, where = 'value', seen = new WeakSet()) {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => withoutForbiddenKeys(v, where, seen));
  const out = {};
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) {
      warnDropped(where, key);
      continue;
    }
    // defineProperty: plain assignment of a key such as '__proto__' would set the prototype.
    Object.defineProperty(out, key, { value: withoutForbiddenKeys(value[key], where, seen), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** `true` or `false` only (`'false'` is not false). */
function bool(field, value) {
  if (typeof value !== 'boolean') {
    throw new TypeError(`${field}: got ${show(value)} (accepted: true or false)`);
  }
  return value;
}

/** Checks `obj[key]` with `bool` when the key is present. */
function optionalBool(obj, key, prefix = '') {
  if (obj != null && obj[key] !== undefined) bool(`${prefix}${key}`, obj[key]);
}

/** One of `choices` (compared with ===). */
function oneOf(field, value, choices) {
  if (!choices.includes(value)) {
    throw new TypeError(`${field}: got ${show(value)} (accepted: ${choices.map((c) => JSON.stringify(c)).join(', ')})`);
  }
  return value;
}

/** A non-empty string usable as an object key: not one of `__proto__`, `constructor`, `prototype`. */
function key(field, value) {
  string(field, value);
  if (FORBIDDEN_KEYS.has(value)) {
    throw new TypeError(`${field}: got ${show(value)} (accepted: a non-empty string other than __proto__, constructor and prototype)`);
  }
  return value;
}

/** Deepest nesting a value may have when it crosses to the native side. */
const MAX_DEPTH = 32;

/**
 * The one conversion check before a value crosses to Rust: walks `value` and throws an
 * error naming the dotted path of the first field that cannot cross — NaN or ±Infinity
 * (RangeError), a cycle, nesting deeper than MAX_DEPTH, a symbol, function or BigInt
 * inside an object, a prototype key (TypeError) — with a short preview of the value.
 * Typed arrays and top-level functions (callbacks) pass as they are.
 */
function crossable(field, value) {
  if (typeof value === 'function') return value;
  walk(field, value, 0, []);
  return value;
}

function walk(path, value, depth, stack) {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new RangeError(`${path}: got ${show(value)} (accepted: a finite number)`);
      return;
    case 'string':
    case 'boolean':
    case 'undefined':
      return;
    case 'object':
      break;
    default:
      throw new TypeError(`${path}: got ${show(value)} (accepted: a string, number, boolean, null, array or plain object)`);
  }
  if (value === null || ArrayBuffer.isView(value) || value instanceof Date) return;
  if (stack.includes(value)) throw new TypeError(`${path}: got a circular reference (accepted: a value without cycles)`);
  if (depth >= MAX_DEPTH) throw new RangeError(`${path}: nested deeper than ${MAX_DEPTH} levels (accepted: at most ${MAX_DEPTH})`);
  stack.push(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) walk(`${path}[${i}]`, value[i], depth + 1, stack);
  } else {
    for (const k of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(k)) {
        throw new TypeError(`${path}.${k}: key refused (accepted: keys other than __proto__, constructor and prototype)`);
      }
      walk(`${path}.${k}`, value[k], depth + 1, stack);
    }
  }
  stack.pop();
}

/** Label values must be strings (`{ region: 'eu' }`); names are plain keys. */
function labels(field, value) {
  if (value === undefined) return {};
  plainObject(field, value);
  for (const k of Object.keys(value)) {
    key(`${field} name`, k);
    if (typeof value[k] !== 'string') {
      throw new TypeError(`${field}.${k}: got ${show(value[k])} (accepted: a string)`);
    }
  }
  return value;
}

module.exports = {
  show,
  preview: cut,
  number,
  optionalNumber,
  string,
  plainObject,
  func,
  bool,
  optionalBool,
  oneOf,
  key,
  labels,
  crossable,
  runOptions,
  toJsonSafe,
  withoutForbiddenKeys,
  FORBIDDEN_KEYS,
  MAX_DEPTH,
  MAX_TIMER_MS,
};
