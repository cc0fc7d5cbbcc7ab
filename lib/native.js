'use strict';
/**
 * The one place that loads the native binding. Native errors carry their JS kind in
 * `code` (`InvalidArg` → TypeError, `NumberExpected` → RangeError, see src/error.rs);
 * every native function and method is wrapped here so callers get the right class.
 */
const binding = require('../binding.js');

function convertError(err) {
  if (!(err instanceof Error)) return err;
  const Kind = { InvalidArg: TypeError, NumberExpected: RangeError }[err.code];
  if (!Kind) return err;
  const converted = new Kind(err.message);
  converted.code = 'ERR_NOVACRON_INVALID_ARGUMENT';
  return converted;
}

function wrapFunction(fn, self) {
  return function wrapped(...args) {
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
      return typeof value === 'function' ? wrapFunction(value, target) : value;
    },
  });
}

const native = {};
for (const [key, value] of Object.entries(binding)) {
  if (typeof value !== 'function') continue;
  native[key] = /^[A-Z]/.test(key)
    ? (...args) => {
        try {
          return wrapObject(new value(...args));
        } catch (err) {
          throw convertError(err);
        }
      }
    : wrapFunction(value, binding);
}

module.exports = native;
