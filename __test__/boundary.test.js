'use strict';
/**
 * The boundary between callers and the product (issue: reliability, items 1, 6, 12, 13,
 * 15, 16): no panic reaches N-API, every emitted event is guarded, no caller-chosen
 * prototype, no file opened through a planted link, conversion errors name the field's
 * path with a short preview, and every option is checked by type and range at the call.
 */
// In the walk's child process (see walkChild) no test is registered.
const test = process.env.NOVACRON_WALK_CHILD ? () => {} : require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const perf = require('..');
const { tempDir, quietInstance } = require('./helpers');

const OPTIMIZE = ['optimizeCPUSettings', 'optimizeMemorySettings', 'optimizeIOSettings', 'optimizeNetworkSettings', 'optimizeMLSettings'];

/** Runs `code` in a child Node (cwd `cwd`) and returns { status, signal, stdout, stderr }. */
function child(code, cwd) {
  try {
    const stdout = execFileSync(process.execPath, ['-e', code], { cwd, encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: 0, signal: null, stdout, stderr: '' };
  } catch (err) {
    return { status: err.status, signal: err.signal, stdout: err.stdout, stderr: err.stderr };
  }
}

const ROOT = JSON.stringify(path.join(__dirname, '..'));

/**
 * The walk of 9.1, run in a child process (this file with NOVACRON_WALK_CHILD=<dir>): every
 * exported class's constructor, prototype methods and statics, each called with null,
 * undefined, a number and a string as its first argument. Prints one JSON report line.
 */
async function walkChild(dir) {
  const mod = require('..');
  const problems = [];
  let calls = 0;
  process.on('unhandledRejection', (r) => problems.push(`unhandled rejection: ${r && r.message}`));
  const UNTYPED = /Failed to convert|serde_json|Exceeded maximum|napi_|panic/;
  const checkError = (label, err) => {
    if (!(err instanceof Error)) problems.push(`${label}: threw a non-Error ${String(err)}`);
    else if (typeof err.message !== 'string' || err.message.length === 0 || UNTYPED.test(err.message)) problems.push(`${label}: ${err.message}`);
    else if (err.message.length > 600) problems.push(`${label}: a message of ${err.message.length} characters: ${err.message.slice(0, 120)}`);
  };
  const settle = async (label, out) => {
    if (!out || typeof out.then !== 'function') return;
    await Promise.race([out.then(() => {}, (err) => checkError(label, err)), new Promise((r) => setTimeout(r, 200))]);
  };
  const made = [];
  const instance = (name, ctor) => quietInstance(name, ctor, dir);

  // A string of 100 000 characters as well: no message may echo it whole.
  const VALUES = [null, undefined, 42, 'x', 'x'.repeat(100_000)];
  for (const [name, ctor] of Object.entries(mod)) {
    if (typeof ctor !== 'function') continue;
    for (const v of VALUES) {
      calls++;
      try {
        made.push(new ctor(v));
      } catch (err) {
        checkError(`new ${name}(${String(v).slice(0, 10)})`, err);
      }
    }
    for (const key of Object.getOwnPropertyNames(ctor)) {
      if (typeof ctor[key] !== 'function' || /^create/.test(key)) continue;
      for (const v of VALUES) {
        calls++;
        try {
          await settle(`${name}.${key}(${String(v).slice(0, 10)})`, ctor[key](v));
        } catch (err) {
          checkError(`${name}.${key}(${String(v).slice(0, 10)})`, err);
        }
      }
    }
    const methods = new Set();
    for (let p = ctor.prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      for (const key of Object.getOwnPropertyNames(p)) {
        const d = Object.getOwnPropertyDescriptor(p, key);
        if (key !== 'constructor' && d && typeof d.value === 'function') methods.add(key);
      }
    }
    for (const key of methods) {
      for (const v of VALUES) {
        const obj = instance(name, ctor);
        made.push(obj);
        calls++;
        try {
          await settle(`${name}#${key}(${String(v).slice(0, 10)})`, obj[key](v));
        } catch (err) {
          checkError(`${name}#${key}(${String(v).slice(0, 10)})`, err);
        }
      }
    }
  }
  for (const obj of made) {
    for (const m of ['stop', 'shutdown']) {
      if (obj && typeof obj[m] === 'function') await Promise.race([Promise.resolve().then(() => obj[m]()).catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
    }
  }
  process.stdout.write(`${JSON.stringify({ calls, problems })}\n`);
  process.exit(0);
}

if (process.env.NOVACRON_WALK_CHILD) {
  // A walk that throws reports it instead of leaving the parent with no report at all.
  walkChild(process.env.NOVACRON_WALK_CHILD).catch((err) => {
    process.stdout.write(`${JSON.stringify({ calls: 0, problems: [`the walk itself failed: ${err && err.stack}`] })}\n`);
    process.exit(0);
  });
}

/** The next warning of `code`, or null after `ms`. */
function nextWarning(code, ms = 2000) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      process.off('warning', on);
      resolve(null);
    }, ms);
    function on(w) {
      if (w.code !== code) return;
      clearTimeout(timer);
      process.off('warning', on);
      resolve(w);
    }
    process.on('warning', on);
  });
}

test('9.1: optimize*Settings(non-object) throws a TypeError naming config, never aborts', () => {
  const optimizer = new perf.ProfileOptimizer(new perf.ProductionProfile(), {});
  for (const method of OPTIMIZE) {
    for (const bad of [null, undefined, 5, 'x', [1], true]) {
      assert.throws(() => optimizer[method](bad), { name: 'TypeError', message: /^config: got / }, `${method}(${String(bad)})`);
    }
  }
  // The core refuses a non-object too (the net under the JS check), as a TypeError.
  const native = require('../lib/native');
  for (const bad of [null, 5, 'x', [1]]) {
    assert.throws(() => native.tuneProfile(bad, { cpuIntensive: true }), { name: 'TypeError', message: /^config: got / });
  }
  // And the original input in a child process: exits normally, no abort.
  const r = child(
    `const m = require(${ROOT});
     for (const k of ${JSON.stringify(OPTIMIZE)}) {
       try { new m.ProfileOptimizer(new m.ProductionProfile(), {})[k](null); } catch (e) { if (!(e instanceof TypeError)) process.exit(3); }
     }
     console.log('done');`,
  );
  assert.equal(r.signal, null, r.stderr);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'done');
});

test('9.1: every export, static and method called with null, undefined, a number, a string: no abort, only Errors', (t) => {
  const dir = tempDir(t);
  let stdout;
  let failure = null;
  try {
    stdout = execFileSync(process.execPath, [__filename], {
      cwd: dir,
      env: { ...process.env, NOVACRON_WALK_CHILD: dir },
      encoding: 'utf8',
      timeout: 120_000,
      killSignal: 'SIGKILL',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    failure = err;
  }
  assert.equal(failure && failure.signal, null, `the walk ended by ${failure && failure.signal} (abort or hang): ${failure && String(failure.stderr).slice(-2000)}`);
  assert.equal(failure, null, failure && String(failure.stderr).slice(-2000));
  const report = JSON.parse(stdout.trim().split('\n').pop());
  t.diagnostic(`${report.calls} calls`);
  assert.deepEqual(report.problems, []);
  assert.ok(report.calls > 1000, `${report.calls} calls`);
});

test('9.6: a throwing listener of any product event becomes a warning, never an exit', async (t) => {
  const dir = tempDir(t);
  const c = new perf.PerformanceMetricsCollector({ storageLocation: dir, enableHistorical: false, gpu: false });
  for (const name of ['collection:error', 'metrics:aggregated', 'aggregation:error', 'storage:error', 'collection:started']) {
    c.on(name, () => {
      throw new Error(`listener of ${name} threw`);
    });
  }
  const warned = nextWarning('NOVACRON_LISTENER_ERROR');
  assert.equal(c.emit('collection:error', new Error('x')), false);
  assert.match((await warned).message, /'collection:error' listener threw: listener of collection:error threw/);
  // The real paths: aggregation resolves although its listener throws.
  const w2 = nextWarning('NOVACRON_LISTENER_ERROR');
  const result = await c.aggregateMetrics();
  assert.ok(result.hourly && result.daily);
  assert.match((await w2).message, /'metrics:aggregated' listener threw/);
  // The framework and every benchmark are guarded the same way.
  const fw = new perf.PerformanceBenchmarkingFramework({ metricsPath: dir, startMonitoring: false });
  t.after(() => fw.shutdown());
  fw.on('benchmark:registered', () => {
    throw new Error('boom');
  });
  fw.registerBenchmark('mine', perf.SystemBenchmark);
  const b = new perf.SystemBenchmark({});
  b.on('progress', () => {
    throw new Error('boom');
  });
  assert.equal(b.emit('progress', {}), false);
});

test('9.6: a throwing collection:error listener does not end the process (child)', () => {
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'novacron-b-'));
  try {
    const r = child(
      `const m = require(${ROOT});
       process.on('unhandledRejection', () => process.exit(4));
       const c = new m.PerformanceMetricsCollector({ storageLocation: ${JSON.stringify(dir)}, collectionInterval: 100, enableHistorical: false, gpu: false });
       c.collectors.get('custom').registerCollect('bad', () => { throw new Error('callback failed'); });
       let errors = 0;
       c.on('collection:error', () => { errors++; throw new Error('listener failed'); });
       c.on('metrics:aggregated', () => { throw new Error('listener failed'); });
       c.start().then(async () => {
         await new Promise((r) => { const t = setInterval(() => { if (errors >= 2) { clearInterval(t); r(); } }, 20); });
         await c.aggregateMetrics();
         await c.stop();
         console.log('alive', errors >= 2);
         process.exit(0);
       });`,
      dir,
    );
    assert.equal(r.signal, null, r.stderr);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'alive true');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('9.12: prototype keys are dropped from merges and refused in profiles and metric names', async (t) => {
  const evil = JSON.parse('{"framework":{"__proto__":{"isAdmin":true}}}');
  const profile = new perf.ProductionProfile();
  const warned = nextWarning('NOVACRON_FORBIDDEN_KEY');
  const merged = profile.deepMerge({ framework: {} }, evil);
  assert.equal(merged.framework.isAdmin, undefined);
  assert.equal(Object.getPrototypeOf(merged.framework), Object.prototype);
  assert.deepEqual(merged, { framework: {} });
  assert.match((await warned).message, /key '__proto__' dropped/);
  assert.equal({}.isAdmin, undefined);
  for (const key of ['constructor', 'prototype']) {
    const m = profile.deepMerge({ a: {} }, JSON.parse(`{"a":{"${key}":{"x":1}},"${key}":2}`));
    assert.deepEqual(Object.keys(m), ['a']);
    assert.deepEqual(Object.keys(m.a), []);
  }
  // A custom profile built from such JSON is refused, and so is saving one.
  const base = await new perf.EnvironmentProfileManager({ profilesPath: tempDir(t) }).loadProfile('production');
  const hostile = JSON.parse(JSON.stringify(base));
  Object.defineProperty(hostile.framework, '__proto__', { value: { isAdmin: true }, enumerable: true });
  assert.throws(() => new perf.CustomProfile('c', hostile), { name: 'TypeError', message: /^configuration\.framework\.__proto__: key refused/ });
  const m = new perf.EnvironmentProfileManager({ profilesPath: tempDir(t) });
  await assert.rejects(m.saveCustomProfile('c', hostile), { name: 'TypeError', message: /configuration\.framework\.__proto__/ });
  // A profile file carrying the key is refused on load.
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'evil.json'), JSON.stringify(base).replace('"framework":{', '"framework":{"__proto__":{"isAdmin":true},'));
  await assert.rejects(new perf.EnvironmentProfileManager({ profilesPath: dir }).loadProfile('evil'), /framework\.__proto__/);
  // Metric names and label names.
  const c = new perf.PerformanceMetricsCollector({ storageLocation: tempDir(t), gpu: false });
  for (const name of ['__proto__', 'constructor', 'prototype']) {
    assert.throws(() => c.addCustomMetric(name, 13), { name: 'TypeError', message: new RegExp(`^name: got "${name}"`) });
    assert.throws(() => c.collectors.get('custom').registerCollect(name, () => 1), { name: 'TypeError' });
  }
  assert.throws(() => c.addCustomMetric('ok', 1, { labels: JSON.parse('{"__proto__":"x"}') }), { name: 'TypeError', message: /^options\.labels name: got "__proto__"/ });
  assert.equal(Object.prototype.isAdmin, undefined);
});

test('9.13: links at predictable names are never followed', async (t) => {
  const dir = tempDir(t);
  const target = path.join(dir, 'precious.txt');
  fs.writeFileSync(target, 'keep me');
  const profiles = path.join(dir, 'profiles');
  fs.mkdirSync(profiles);
  // The old write-probe and temporary names, pointing at a file outside.
  fs.symlinkSync(target, path.join(profiles, `.write-probe-${process.pid}`));
  fs.symlinkSync(target, path.join(profiles, `.mine.json.tmp-${process.pid}`));
  const m = new perf.EnvironmentProfileManager({ profilesPath: profiles });
  const base = await m.loadProfile('production');
  await m.saveCustomProfile('mine', base);
  assert.equal(fs.readFileSync(target, 'utf8'), 'keep me');
  assert.deepEqual(await m.getProfileConfiguration('mine'), base);
  // A profile file that is a link to outside the folder is refused.
  fs.writeFileSync(path.join(dir, 'outside.json'), JSON.stringify(base));
  fs.symlinkSync(path.join(dir, 'outside.json'), path.join(profiles, 'x.json'));
  await assert.rejects(m.loadProfile('x'), /x\.json.*symbolic link/);
  // The framework's data folder probe.
  const data = path.join(dir, 'data');
  fs.mkdirSync(path.join(data, 'benchmarks'), { recursive: true });
  fs.symlinkSync(target, path.join(data, `.write-probe-${process.pid}`));
  fs.symlinkSync(target, path.join(data, 'benchmarks', `.write-probe-${process.pid}`));
  const fw = new perf.PerformanceBenchmarkingFramework({ metricsPath: data, startMonitoring: false });
  await fw.shutdown();
  assert.equal(fs.readFileSync(target, 'utf8'), 'keep me');
  // The collector's aggregation files, whose names are predictable (the hour's bucket).
  const store = path.join(dir, 'metrics');
  fs.mkdirSync(path.join(store, 'aggregated'), { recursive: true });
  const now = Date.now();
  for (const [period, span] of [['hourly', 3_600_000], ['daily', 86_400_000]]) {
    for (const bucket of [Math.floor(now / span), Math.floor(now / span) + 1]) {
      fs.symlinkSync(target, path.join(store, 'aggregated', `aggregated_${period}_${bucket}.json`));
    }
  }
  const c = new perf.PerformanceMetricsCollector({ storageLocation: store, gpu: false });
  await c.aggregateMetrics();
  assert.equal(fs.readFileSync(target, 'utf8'), 'keep me');
  const written = fs.readdirSync(path.join(store, 'aggregated')).filter((f) => !fs.lstatSync(path.join(store, 'aggregated', f)).isSymbolicLink());
  assert.ok(written.length >= 2, `aggregation files written: ${written}`);
});

test('9.15: values that cannot cross name their path, with a short preview', async () => {
  const c = () => new perf.CustomProfile('c', {});
  const cyclic = { a: {} };
  cyclic.a.self = cyclic;
  let deep = {};
  for (let i = 0; i < 100; i++) deep = { d: deep };
  const cases = [
    [{ framework: { samplingInterval: NaN } }, RangeError, /^configuration\.framework\.samplingInterval: got NaN \(accepted: a finite number\)$/],
    [{ alerts: { thresholds: { cpu: -Infinity } } }, RangeError, /^configuration\.alerts\.thresholds\.cpu: got -Infinity/],
    [cyclic, TypeError, /^configuration\.a\.self: got a circular reference/],
    [deep, RangeError, /nested deeper than 32 levels/],
    [{ x: Symbol('s') }, TypeError, /^configuration\.x: got Symbol\(s\)/],
    [{ list: [1, () => 1] }, TypeError, /^configuration\.list\[1\]: got function/],
  ];
  for (const [value, Kind, message] of cases) {
    assert.throws(() => new perf.CustomProfile('c', value), (e) => e instanceof Kind && message.test(e.message), String(message));
  }
  assert.ok(c());
  assert.throws(() => new perf.ProductionProfile().applyOverrides({ framework: { samplingInterval: NaN } }), {
    name: 'RangeError',
    message: /^overrides\.framework\.samplingInterval: got NaN/,
  });
  assert.throws(() => new perf.CustomProfile(5, {}), { name: 'TypeError', message: /^name: got 5/ });
  // Label values must be strings, or numbers and booleans, which become strings (as
  // prom-client does); anything else names the label.
  const collector = new perf.CustomMetricsCollector({});
  for (const bad of [null, {}, [], () => 1]) {
    assert.throws(() => collector.record('m', 1, { region: bad }), { name: 'TypeError', message: /^labels\.region: got .* \(accepted: a string, a number or a boolean\)$/ });
  }
  // Hostile values are cut to a preview, never echoed whole.
  const huge = 'x'.repeat(2_000_000);
  for (const fn of [
    () => new perf.CustomProfile(huge, { framework: { samplingInterval: huge } }).applyOverrides({ framework: { samplingInterval: huge } }),
    () => new perf.ProfileOptimizer({}, { [huge]: true }),
    () => new perf.PerformanceMetricsCollector({ batchSize: huge }),
    () => new perf.EnvironmentProfileManager({ profilesPath: huge }).getProfileConfiguration(huge),
  ]) {
    let message = null;
    try {
      await fn();
    } catch (e) {
      message = e.message;
    }
    assert.ok(message !== null, 'threw');
    assert.ok(message.length < 400, `${message.length}: ${message.slice(0, 200)}`);
  }
});

test('9.16: garbage options are refused at the call', async (t) => {
  const { NetworkStorageBenchmark } = perf;
  for (const [storage, Kind, field] of [
    [{ fileSize: Infinity }, RangeError, 'storage.fileSize'],
    [{ fileSize: NaN }, RangeError, 'storage.fileSize'],
    [{ blockSize: -Infinity }, RangeError, 'storage.blockSize'],
    [{ fileSize: Symbol('x') }, TypeError, 'storage.fileSize'],
    [{ fileSize: () => 1 }, TypeError, 'storage.fileSize'],
    [{ fileSize: 'big' }, TypeError, 'storage.fileSize'],
    [{ direct: 'false' }, TypeError, 'storage.direct'],
  ]) {
    assert.throws(() => new NetworkStorageBenchmark({ storage, network: false }), (e) => e instanceof Kind && e.message.startsWith(`${field}: got`), field);
  }
  assert.throws(() => new NetworkStorageBenchmark({ storage: false, network: { port: NaN } }), { name: 'RangeError', message: /^network\.port: got NaN/ });
  // Boolean options are booleans.
  for (const flag of ['enableHistorical', 'enableRealtime', 'enableAggregation', 'gpu']) {
    assert.throws(() => new perf.PerformanceMetricsCollector({ storageLocation: tempDir(t), [flag]: 'false' }), {
      name: 'TypeError',
      message: new RegExp(`^config\\.${flag}: got "false" \\(accepted: true or false\\)$`),
    });
  }
  const fw = new perf.PerformanceBenchmarkingFramework({ metricsPath: tempDir(t), startMonitoring: false });
  t.after(() => fw.shutdown());
  await assert.rejects(fw.runBenchmarkSuite({ benchmarks: [], sequential: 'yes' }), { name: 'TypeError', message: /^suiteConfig\.sequential: got "yes"/ });
  assert.throws(() => new perf.PerformanceBenchmarkingFramework({ startMonitoring: 'false' }), { name: 'TypeError', message: /^startMonitoring: got "false" \(accepted: true or false\)$/ });
  assert.throws(() => new perf.NovaCronPerformanceSystem({ autoStart: 'false' }), { name: 'TypeError', message: /^config\.autoStart: got "false" \(accepted: true or false\)$/ });
  assert.throws(() => new perf.EnvironmentProfileManager({ autoDetectEnvironment: 'no' }), { name: 'TypeError', message: /^autoDetectEnvironment: got "no"/ });
  assert.throws(() => new perf.PerformanceMetricsCollector({ storageLocation: tempDir(t), prometheus: { enabled: 'yes' } }), {
    name: 'TypeError',
    message: /^config\.prometheus\.enabled: got "yes"/,
  });
  assert.throws(() => new perf.PerformanceMetricsCollector({ storageLocation: tempDir(t), prometheus: { port: NaN } }), { name: 'TypeError', message: /^config\.prometheus\.port: got NaN/ });
  const c = new perf.PerformanceMetricsCollector({ storageLocation: tempDir(t), gpu: false });
  await assert.rejects(c.getMetrics({ stat: 5, step: 1000 }), { name: 'TypeError', message: /stat/ });
  await assert.rejects(c.getMetrics({ aggregated: 'yes' }), { name: 'TypeError', message: /^aggregated: got "yes" \(accepted: true or false\)$/ });
  await assert.rejects(c.startMetricsServer({ port: NaN }), { name: 'TypeError', message: /^port: got NaN/ });
  for (const bad of [NaN, 9464, 'x', null]) {
    await assert.rejects(c.startMetricsServer(bad), { name: 'TypeError', message: /^options: got / });
  }
  assert.equal(c.getStatus().server, null);
  const { startPeer } = require('../lib/network-storage');
  assert.throws(() => startPeer(NaN), { name: 'TypeError', message: /^options: got NaN/ });
  // A custom profile whose interval no timer can hold is refused at save.
  const m = new perf.EnvironmentProfileManager({ profilesPath: tempDir(t) });
  const base = await m.loadProfile('production');
  base.framework.samplingInterval = 1e12;
  await assert.rejects(m.saveCustomProfile('slow', base), { name: 'RangeError', message: /framework\.samplingInterval: got 1000000000000 \(accepted: a number <= 2147483647/ });
});

test('9.16: switchProfile(null) is a TypeError and a bad switch leaves the system as it was', async (t) => {
  const dir = tempDir(t);
  const system = new perf.NovaCronPerformanceSystem({ autoStart: false, dataPath: dir, profilePath: path.join(dir, 'profiles'), environment: 'development' });
  await system.initialize();
  t.after(() => system.stop().then(() => system.framework.shutdown()));
  for (const bad of [null, 5, {}, '']) {
    await assert.rejects(system.switchProfile(bad), { name: 'TypeError', message: /^profileName: got / });
  }
  assert.equal(system.getStatus().currentProfile, 'development');
  // A profile file edited by hand to an interval no timer holds: refused before stopping.
  const base = await system.profileManager.getProfileConfiguration('production');
  base.framework.samplingInterval = 1e12;
  fs.mkdirSync(path.join(dir, 'profiles'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'profiles', 'slow.json'), JSON.stringify(base));
  await system.start();
  await assert.rejects(system.switchProfile('slow'), { name: 'RangeError' });
  assert.equal(system.isRunning, true);
  assert.equal(system.getStatus().currentProfile, 'development');
});

test('9.16: precedence is call > system config > profile', async (t) => {
  const dir = tempDir(t);
  const system = new perf.NovaCronPerformanceSystem({
    autoStart: false,
    dataPath: dir,
    profilePath: path.join(dir, 'profiles'),
    environment: 'production',
    benchmarkTimeout: 1234,
    samplingInterval: 4321,
  });
  await system.initialize();
  t.after(() => system.framework.shutdown());
  // production's profile says benchmarkTimeout 600000 and samplingInterval 30000.
  assert.equal(system.framework.config.benchmarkTimeout, 1234);
  assert.equal(system.framework.config.samplingInterval, 4321);
  await system.switchProfile('development');
  assert.equal(system.framework.config.benchmarkTimeout, 1234);
  assert.equal(system.framework.config.samplingInterval, 4321);
  // Without a system value the profile's applies.
  const plain = new perf.NovaCronPerformanceSystem({ autoStart: false, dataPath: tempDir(t), profilePath: path.join(dir, 'p2'), environment: 'production' });
  await plain.initialize();
  t.after(() => plain.framework.shutdown());
  assert.equal(plain.framework.config.benchmarkTimeout, 600000);
  // A call's option wins over both: a 1 ms benchmarkTimeout of the call times the run out.
  class Slow extends perf.SystemBenchmark {
    async run() {
      await new Promise((r) => setTimeout(r, 200));
      return { success: true };
    }
  }
  system.framework.registerBenchmark('slow', Slow);
  await assert.rejects(system.runBenchmark('slow', { benchmarkTimeout: 1 }), /timed out|timeout/i);
});
