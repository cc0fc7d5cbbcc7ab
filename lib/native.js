'use strict';
/**
 * The one place that loads the native binding. Native errors carry their JS kind in
 * `code` (`InvalidArg` → TypeError, `NumberExpected` → RangeError, see src/error.rs);
 * every native function and method is wrapped here so callers get the right class.
 *
 * It is also the one gate values pass to reach Rust: every argument goes through
 * `check.crossable` first, so NaN, ±Infinity, cycles, deep nesting, symbols, functions
 * inside objects and prototype keys are refused with the path of the offending field
 * instead of an untyped conversion message (the JS classes check their own options with
 * better names before they get here; this is the net under them).
 */
const binding = require('../binding.js');
const check = require('./validate');

/** Longest message passed on (as src/error.rs cuts the core's): head and tail kept. */
const MAX_MESSAGE_CHARS = 400;

function shorten(message) {
  if (typeof message !== 'string' || message.length <= MAX_MESSAGE_CHARS) return message;
  return `${message.slice(0, 180)}… (${message.length - 380} characters cut) …${message.slice(-200)}`;
}

function convertError(err) {
  if (!(err instanceof Error)) return err;
  if (typeof err.message === 'string' && err.message.length > MAX_MESSAGE_CHARS) err.message = shorten(err.message);
  const Kind = { InvalidArg: TypeError, NumberExpected: RangeError }[err.code];
  if (!Kind) return err;
  const converted = new Kind(err.message);
  converted.code = 'ERR_NOVACRON_INVALID_ARGUMENT';
  return converted;
}

/** JS kinds as napi-rs names them in its conversion messages. */
const NAPI_KINDS = {
  Undefined: (v) => v === undefined,
  Null: (v) => v === null,
  Number: (v) => typeof v === 'number',
  String: (v) => typeof v === 'string',
  Boolean: (v) => typeof v === 'boolean',
  Object: (v) => v !== null && typeof v === 'object',
  Function: (v) => typeof v === 'function',
  BigInt: (v) => typeof v === 'bigint',
  Symbol: (v) => typeof v === 'symbol',
};

function acceptedFor(rustType) {
  if (/^(f32|f64|[iu](8|16|32|64|size))$/.test(rustType)) return 'a number';
  if (rustType === 'String') return 'a string';
  if (rustType === 'bool') return 'true or false';
  if (/serde_json::Value/.test(rustType)) return 'a JSON value (not undefined)';
  return rustType;
}

/** The path (`argument 2[0].x`) of the first value of `kind` in `args`, breadth-first, or null. */
function locate(args, isKind) {
  let level = args.map((v, i) => [`argument ${i + 1}`, v]);
  for (let depth = 0; depth < 8 && level.length > 0; depth++) {
    const next = [];
    for (const [p, v] of level) {
      if (isKind(v)) return [p, v];
      if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) {
        for (const [k, child] of Object.entries(v)) next.push([Array.isArray(v) ? `${p}[${k}]` : `${p}.${k}`, child]);
      }
    }
    level = next;
  }
  return null;
}

/**
 * napi-rs's own conversion failures ("Failed to convert napi value Undefined into rust type
 * `f64`") rewritten as a TypeError that names the function, the argument's path, the value
 * and what is accepted. Null when `err` is not one.
 */
function conversionError(name, args, err) {
  const message = err && typeof err.message === 'string' ? err.message : '';
  const m = /Failed to convert (?:napi|JavaScript) value `?(\w+)`? into rust type `([^`]+)`/.exec(message);
  const serde = /^undefined cannot be represented as a serde_json::Value/.test(message);
  if (!m && !serde) return null;
  const [kind, rustType] = m ? [m[1], m[2]] : ['Undefined', 'serde_json::Value'];
  const found = locate(args, NAPI_KINDS[kind] || (() => false));
  const where = found ? found[0] : 'an argument';
  const got = found ? check.show(found[1]) : kind.toLowerCase();
  const converted = new TypeError(`${name}() ${where}: got ${got} (accepted: ${acceptedFor(rustType)})`);
  converted.code = 'ERR_NOVACRON_INVALID_ARGUMENT';
  return converted;
}

/**
 * A number passed as an argument of its own crosses as an f64, NaN and ±Infinity included
 * (a custom metric may be NaN, as in prom-client); inside an object it becomes JSON, which
 * has no such values, so there `crossable` refuses them with the field's path.
 */
function checkArgs(name, args) {
  for (let i = 0; i < args.length; i++) {
    if (typeof args[i] === 'number') continue;
    check.crossable(`${name}() argument ${i + 1}`, args[i]);
  }
}

function wrapFunction(fn, self, name) {
  return function wrapped(...args) {
    checkArgs(name, args);
    let out;
    try {
      out = fn.apply(self, args);
    } catch (err) {
      throw conversionError(name, args, err) ?? convertError(err);
    }
    if (out && typeof out.then === 'function') {
      return out.catch((err) => {
        throw convertError(err);
      });
    }
    return out;
  };
}

/** Wraps every method of a native object. */
function wrapObject(obj) {
  return new Proxy(obj, {
    get(target, key) {
      const value = target[key];
      return typeof value === 'function' ? wrapFunction(value, target, String(key)) : value;
    },
  });
}

const native = {};
for (const [key, value] of Object.entries(binding)) {
  if (typeof value !== 'function') continue;
  native[key] = /^[A-Z]/.test(key)
    ? (...args) => {
        checkArgs(key, args);
        try {
          return wrapObject(new value(...args));
        } catch (err) {
          throw conversionError(key, args, err) ?? convertError(err);
        }
      }
    : wrapFunction(value, binding, key);
}

module.exports = native;
