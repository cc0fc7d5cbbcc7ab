'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { NovaCronPerformanceSystem, SystemBenchmark } = require('..');
const { tempDir } = require('./helpers');

function paths(t) {
  const dir = tempDir(t);
  return { profilePath: path.join(dir, 'profiles'), dataPath: path.join(dir, 'data') };
}

test('lifecycle calls are idempotent and safe in any order', async (t) => {
  const s = new NovaCronPerformanceSystem({ environment: 'development', autoStart: false, ...paths(t) });
  await s.stop();
  assert.deepEqual(s.getStatus(), { initialized: false, running: false, currentProfile: 'development', components: { framework: false, metricsCollector: null, dashboard: null, runner: null, trendAnalyzer: null, recommendationEngine: null } });
  await s.initialize();
  await s.initialize();
  assert.equal(s.isRunning, false, 'autoStart: false');
  assert.equal(s.framework.getMonitoringStatus().running, false);
  await s.start();
  await s.start();
  assert.equal(s.framework.getMonitoringStatus().running, true);
  await s.stop();
  await s.stop();
  assert.equal(s.framework.getMonitoringStatus().running, false, 'stop stops the sampler');
  await s.start();
  assert.equal(s.getStatus().running, true);
  await s.stop();
});

test('factories pick their profile and apply it to the framework', async (t) => {
  for (const [factory, env, interval] of [['createDevelopmentSystem', 'development', 5000], ['createProductionSystem', 'production', 30000], ['createMLTrainingSystem', 'ml-training', 10000], ['createCloudSystem', 'cloud', 15000]]) {
    const s = await NovaCronPerformanceSystem[factory]({ ...paths(t) });
    t.after(() => s.stop());
    assert.equal(s.getStatus().currentProfile, env);
    assert.equal(s.isRunning, true);
    assert.equal(s.framework.config.samplingInterval, interval);
    assert.equal(s.framework.getMonitoringStatus().intervalMs, interval);
    assert.equal(s.currentProfile.framework.samplingInterval, interval);
  }
});

test('switchProfile re-applies the profile when running and updates the status when stopped', async (t) => {
  const s = await NovaCronPerformanceSystem.createProductionSystem({ ...paths(t) });
  t.after(() => s.stop());
  await s.switchProfile('hpc');
  assert.equal(s.getStatus().currentProfile, 'hpc');
  assert.equal(s.framework.config.benchmarkTimeout, 1_800_000);
  assert.equal(s.framework.getMonitoringStatus().intervalMs, 5000);
  assert.equal(s.framework.getMonitoringStatus().running, true);
  await s.stop();
  await s.switchProfile('ml-training');
  assert.equal(s.getStatus().currentProfile, 'ml-training');
  assert.equal(s.framework.config.benchmarkTimeout, 3_600_000);
  assert.equal(s.isRunning, false);
  await assert.rejects(s.switchProfile('no-such'), /Profile 'no-such' not found/);
  assert.equal(s.getStatus().currentProfile, 'ml-training', 'a failed switch changes nothing');
});

test('createCustomProfile deep-merges, persists and validates; the README flow works', async (t) => {
  const p = paths(t);
  const s = await NovaCronPerformanceSystem.createProductionSystem({ ...p });
  t.after(() => s.stop());
  await s.createCustomProfile('high-throughput', 'production', {
    framework: { maxConcurrency: 16, samplingInterval: 1000 },
    optimizers: { cpu: { targetUtilization: 0.85 }, cache: { targetHitRatio: 0.95 } },
  });
  const saved = JSON.parse(fs.readFileSync(path.join(p.profilePath, 'high-throughput.json'), 'utf8'));
  assert.equal(saved.framework.maxConcurrency, 16);
  assert.equal(saved.framework.benchmarkTimeout, 600000, 'deep merge keeps the rest of production');
  assert.equal(saved.optimizers.cache.aggressiveness, 'aggressive');
  await s.switchProfile('high-throughput');
  assert.equal(s.framework.config.maxConcurrency, 16);
  assert.equal(s.framework.getMonitoringStatus().intervalMs, 1000);
  const optimized = await s.profileManager.optimizeProfile('production', { cpuIntensive: true, mlWorkload: true });
  await s.switchProfile(optimized);
  assert.equal(s.currentProfile.optimizers.cpu.targetUtilization, 0.9);
  await assert.rejects(s.createCustomProfile('bad', 'production', { optimizers: { memory: { aggressiveness: 'wild' } } }), /aggressiveness: got "wild"/);
  await assert.rejects(s.createCustomProfile('x', 'nope', {}), /Profile 'nope' not found/);
});

test('guards before initialize and for components not built yet', async (t) => {
  const s = new NovaCronPerformanceSystem({ autoStart: false, ...paths(t) });
  await assert.rejects(s.runBenchmark('x'), { message: 'Performance system not initialized' });
  await assert.rejects(s.runBenchmarkSuite({ benchmarks: [] }), { message: 'Performance system not initialized' });
  await assert.rejects(s.createCustomProfile('a', 'production', {}), { message: 'Profile manager not initialized' });
  await assert.rejects(s.getMetrics(), { message: 'Metrics collector not initialized' });
  await s.initialize();
  assert.deepEqual(await s.getMetrics(), [], 'nothing is sampled before start()');
  await assert.rejects(s.getTrendSummary(), { message: 'Trend analyzer not initialized' });
  await assert.rejects(s.getRecommendations(), { message: 'Recommendation engine not initialized' });
  await assert.rejects(s.implementRecommendation('r1'), { message: 'Recommendation engine not initialized' });
  const bad = new NovaCronPerformanceSystem({ environment: 'nope', autoStart: false, ...paths(t) });
  await assert.rejects(bad.initialize(), /Profile 'nope' not found/);
  assert.equal(bad.isInitialized, false);
});

test('runBenchmark through the system uses the profile timeout and data folder', async (t) => {
  const p = paths(t);
  const s = await NovaCronPerformanceSystem.createDevelopmentSystem({ ...p });
  t.after(() => s.stop());
  class CustomBenchmark extends SystemBenchmark {
    async run() {
      return { success: true, timeout: this.config.benchmarkTimeout };
    }
  }
  s.framework.registerBenchmark('custom_test', CustomBenchmark);
  const r = await s.runBenchmark('custom_test');
  assert.equal(r.result.timeout, 60000, 'development benchmarkTimeout');
  assert.ok(fs.existsSync(path.join(p.dataPath, 'benchmarks', `benchmark_custom_test_${r.timestamp}.json`)));
});

test('initialize() resolves to the system itself, once built', async (t) => {
  const s = new NovaCronPerformanceSystem({ environment: 'development', autoStart: false, ...paths(t) });
  assert.equal(await s.initialize(), s);
  assert.ok(s.framework && s.metricsCollector && s.profileManager && s.currentProfile);
  assert.equal(await s.initialize(), s, 'a second call too');
});
