'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const perf = require('..');
const { EnvironmentProfileManager, ProfileOptimizer, CustomProfile, EnvironmentProfile } = perf;
const { tempDir } = require('./helpers');

const NAMES = ['development', 'testing', 'staging', 'production', 'hpc', 'cloud', 'edge', 'ml-training', 'ml-inference'];

test('the nine built-ins, in order, with the spec values, as JSON files in profiles/', async (t) => {
  const m = new EnvironmentProfileManager({ profilesPath: tempDir(t) });
  assert.deepEqual(m.getAvailableProfiles().map((p) => p.name), NAMES);
  for (const name of NAMES) {
    const onDisk = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'profiles', `${name}.json`), 'utf8'));
    assert.deepEqual(await m.loadProfile(name), onDisk, name);
  }
  const p = await m.loadProfile('production');
  assert.deepEqual(p.framework, { metricsRetention: 604800000, samplingInterval: 30000, benchmarkTimeout: 600000, maxConcurrency: 8, enableDetailedLogging: false, enableDebugMode: false, compressionEnabled: true });
  assert.deepEqual(p.alerts.escalation.levels, ['warning', 'critical', 'emergency']);
  assert.equal(new perf.HPCProfile().getDescription(), 'High-performance computing profile optimized for maximum throughput');
  assert.deepEqual(new perf.EdgeProfile().getOptimizedFor(), ['edge', 'iot', 'mobile', 'low-power']);
  assert.throws(() => new EnvironmentProfile('x'), { message: 'getDefaultConfiguration must be implemented by subclass' });
});

test('custom profiles keep their configuration and a new manager reads them back', async (t) => {
  const dir = tempDir(t);
  const a = new EnvironmentProfileManager({ profilesPath: dir });
  const base = await a.loadProfile('production');
  base.framework.maxConcurrency = 16;
  base.description = 'Throughput first';
  await a.saveCustomProfile('high-throughput', base);
  assert.deepEqual(new CustomProfile('x', base).getConfiguration(), base);
  const b = new EnvironmentProfileManager({ profilesPath: dir });
  assert.deepEqual(await b.loadProfile('high-throughput'), base);
  const listed = b.getAvailableProfiles().find((p) => p.name === 'high-throughput');
  assert.deepEqual(listed, { name: 'high-throughput', type: 'custom', description: 'Throughput first', optimizedFor: ['custom'] });
});

test('overrides files are merged; malformed JSON on disk is an Error naming the file', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'staging-overrides.json'), '{"monitoring": {"updateInterval": 2500}}');
  const m = new EnvironmentProfileManager({ profilesPath: dir });
  const s = await m.loadProfile('staging');
  assert.equal(s.monitoring.updateInterval, 2500);
  assert.equal(s.monitoring.maxDataPoints, 1000);
  fs.writeFileSync(path.join(dir, 'broken.json'), '{"framework": ');
  await assert.rejects(m.loadProfile('broken'), (e) => /profile file '.*broken\.json' is not valid JSON: EOF while parsing .* line 1/.test(e.message));
});

test('optimizeProfile: README example, saved and switchable, flags checked', async (t) => {
  const m = new EnvironmentProfileManager({ profilesPath: tempDir(t) });
  const name = await m.optimizeProfile('production', { cpuIntensive: true, mlWorkload: true });
  assert.match(name, /^production-optimized-\d+$/);
  const c = await m.loadProfile(name);
  assert.equal(c.optimizers.cpu.targetUtilization, 0.9);
  assert.equal(c.framework.maxConcurrency, Math.max(8, require('node:os').cpus().length));
  assert.equal(c.benchmarks.mlWorkflows.samples, 50);
  assert.deepEqual(c.optimizers.gpu, { memoryOptimization: true, batchSizeOptimization: true });
  const io = await new ProfileOptimizer(await m.getProfileConfiguration('development'), { ioIntensive: true }).optimize();
  assert.equal(io.optimizers.storage.targetIOPS, 5000, 'storage section created instead of a TypeError');
  const cfg = await m.getProfileConfiguration('testing');
  new ProfileOptimizer(cfg, {}).optimizeCPUSettings(cfg);
  assert.equal(cfg.optimizers.cpu.targetUtilization, 0.7999999999999999, 'IEEE arithmetic of the original');
  await assert.rejects(m.optimizeProfile('high-throughput', {}), /^Error: Profile high-throughput not found \(accepted: a built-in profile name/);
  await assert.rejects(m.optimizeProfile('production', { turbo: true }), (e) => e instanceof TypeError && /workloadCharacteristics\.turbo: got true/.test(e.message));
});

test('bad names and bad values are refused with the field, the value and what is accepted', async (t) => {
  const dir = tempDir(t);
  const m = new EnvironmentProfileManager({ profilesPath: dir });
  const base = await m.getProfileConfiguration('production');
  for (const bad of ['../x', '/etc/x', 'x'.repeat(65)]) {
    await assert.rejects(m.saveCustomProfile(bad, base), (e) => e instanceof TypeError && /^profile name: got /.test(e.message), bad);
  }
  await assert.rejects(m.saveCustomProfile('', base), TypeError);
  await assert.rejects(m.loadProfile('nope'), { message: /^Profile 'nope' not found \(accepted: development, testing/ });
  await assert.rejects(m.saveCustomProfile('x', { ...base, optimizers: { cache: { aggressiveness: 'extreme' } } }), (e) =>
    /optimizers\.cache\.aggressiveness: got "extreme" \(accepted: "conservative", "moderate" or "aggressive"\)/.test(e.message));
  await assert.rejects(m.saveCustomProfile('y', { ...base, framework: { samplingInterval: -1 } }), (e) => e instanceof RangeError && /framework\.samplingInterval: got -1/.test(e.message));
  await assert.rejects(m.saveCustomProfile('production', base), /is a built-in profile/);
  assert.deepEqual(fs.readdirSync(dir), [], 'nothing written for refused profiles');
});

test('detectEnvironment follows NODE_ENV and can be turned off', (t) => {
  const saved = process.env.NODE_ENV;
  t.after(() => {
    if (saved === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = saved;
  });
  process.env.NODE_ENV = 'Staging';
  assert.equal(new EnvironmentProfileManager().detectEnvironment(), 'staging');
  assert.equal(new EnvironmentProfileManager({ autoDetectEnvironment: false, defaultProfile: 'edge' }).detectEnvironment(), 'edge');
});
