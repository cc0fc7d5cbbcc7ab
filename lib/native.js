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

function convertError(err) {
  if (!(err instanceof Error)) return err;
  const Kind = { InvalidArg: TypeError, NumberExpected: RangeError }[err.code];
  if (!Kind) return err;
  const converted = new Kind(err.message);
  converted.code = 'ERR_NOVACRON_INVALID_ARGUMENT';
  return converted;
}

function checkArgs(name, args) {
  for (let i = 0; i < args.length; i++) check.crossable(`${name}() argument ${i + 1}`, args[i]);
}

function wrapFunction(fn, self, name) {
  return function wrapped(...args) {
    checkArgs(name, args);
    let out;
    try {
      out = fn.apply(self, args);
    } catch (err) {
      throw convertError(err);
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
          throw convertError(err);
        }
      }
    : wrapFunction(value, binding, key);
}

module.exports = native;
