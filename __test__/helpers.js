'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

/**
 * A fresh temporary folder, removed when the test ends and again when the process exits
 * (a component stopped by a later `after` hook may still write into it, e.g. the sampler
 * persisting its series on stop).
 */
const madeDirs = new Set();
process.once('exit', () => {
  for (const dir of madeDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(t, prefix = 'novacron-test-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  madeDirs.add(dir);
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A folder nobody can write to: a read-only tmpfs when we are root (permission bits do not
 * stop root), a 0555 folder otherwise. Returns null when neither is possible here.
 */
function readOnlyDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'novacron-ro-'));
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  if (process.getuid && process.getuid() === 0) {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir], { stdio: 'ignore', timeout: 5000 });
    } catch {
      remove();
      return null;
    }
    t.after(() => {
      execFileSync('umount', [dir], { stdio: 'ignore', timeout: 5000 });
      remove();
    });
    return dir;
  }
  fs.chmodSync(dir, 0o555);
  t.after(() => {
    fs.chmodSync(dir, 0o755);
    remove();
  });
  return dir;
}

/** Busy-waits `ms` on the JS thread: an operation of known, exact duration. */
function spin(ms) {
  const end = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
  while (process.hrtime.bigint() < end);
}

/**
 * An instance of the exported class `name` built from options that start nothing on their
 * own (no autostart, no GPU, store folders of its own, a tiny database run), for the tests
 * that call every method of every export with hostile values.
 */
let instances = 0;
function quietInstance(name, ctor, dir) {
  // A store folder has one writer at a time: each instance gets folders of its own.
  const own = (what) => path.join(dir, `${what}-${++instances}`);
  switch (name) {
    case 'NovaCronPerformanceSystem':
      return new ctor({ autoStart: false, dataPath: own('data'), profilePath: path.join(dir, 'profiles'), metrics: { gpu: false } });
    case 'PerformanceBenchmarkingFramework':
      return new ctor({ metricsPath: path.join(dir, 'fw'), startMonitoring: false });
    case 'PerformanceMetricsCollector':
      return new ctor({ storageLocation: own('metrics'), gpu: false, collectionInterval: 1000 });
    case 'NetworkStorageBenchmark':
      return new ctor({ storage: false, network: false });
    case 'DatabaseBenchmark':
      return new ctor({ directory: dir, scale: 0.001, duration: 10, samples: 1, clients: [1], concurrencyLevels: [1], poolSize: [1], quickTest: true });
    case 'ProfileOptimizer':
      return new ctor({}, {});
    case 'CustomProfile':
      return new ctor('quiet', {});
    case 'EnvironmentProfileManager':
      return new ctor({ profilesPath: path.join(dir, 'profiles') });
    case 'EnvironmentProfile':
      return Object.create(ctor.prototype);
    default:
      return new ctor({});
  }
}

module.exports = { tempDir, readOnlyDir, spin, quietInstance };
