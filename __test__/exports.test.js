'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const perf = require('..');

test('exports exactly the built components of api-spec §1, none as a placeholder', () => {
  assert.deepEqual(Object.keys(perf).sort(), [
    'ApplicationMetricsCollector', 'CloudProfile', 'CustomMetricsCollector', 'CustomProfile',
    'DatabaseBenchmark', 'DatabaseMetricsCollector', 'DevelopmentProfile', 'EdgeProfile', 'EnvironmentProfile',
    'EnvironmentProfileManager', 'HPCProfile', 'MLEStarBenchmark', 'MLInferenceProfile', 'MLTrainingProfile',
    'MLWorkflowMetricsCollector', 'NetworkMetricsCollector', 'NetworkStorageBenchmark', 'NovaCronPerformanceSystem',
    'PerformanceBenchmarkingFramework', 'PerformanceMetricsCollector', 'ProductionProfile', 'ProfileOptimizer',
    'StagingProfile', 'SystemBenchmark', 'SystemMetricsCollector', 'TestingProfile',
  ]);
  for (const [name, value] of Object.entries(perf)) {
    assert.equal(typeof value, 'function', name);
    assert.equal(value.name, name, `${name} is a named constructor`);
  }
});

test('inheritance matches the original', () => {
  const { EventEmitter } = require('node:events');
  assert.ok(perf.MLEStarBenchmark.prototype instanceof perf.SystemBenchmark);
  assert.ok(perf.NetworkStorageBenchmark.prototype instanceof perf.SystemBenchmark);
  assert.ok(perf.DatabaseBenchmark.prototype instanceof perf.SystemBenchmark);
  assert.ok(perf.PerformanceBenchmarkingFramework.prototype instanceof EventEmitter);
  assert.ok(!(perf.NovaCronPerformanceSystem.prototype instanceof EventEmitter));
  assert.ok(perf.PerformanceMetricsCollector.prototype instanceof EventEmitter);
  for (const n of ['SystemMetricsCollector', 'ApplicationMetricsCollector', 'DatabaseMetricsCollector', 'NetworkMetricsCollector', 'MLWorkflowMetricsCollector', 'CustomMetricsCollector']) {
    assert.equal(Object.getPrototypeOf(perf[n].prototype), Object.prototype, `${n} has no base class`);
  }
  for (const n of ['DevelopmentProfile', 'TestingProfile', 'StagingProfile', 'ProductionProfile', 'HPCProfile', 'CloudProfile', 'EdgeProfile', 'MLTrainingProfile', 'MLInferenceProfile', 'CustomProfile']) {
    assert.ok(perf[n].prototype instanceof perf.EnvironmentProfile, n);
  }
});

test('loading the addon is quick enough to measure in a fresh process', () => {
  const { execFileSync } = require('node:child_process');
  const ms = Number(execFileSync(process.execPath, ['-e', "const t=process.hrtime.bigint();require(process.argv[1]);console.log(Number(process.hrtime.bigint()-t)/1e6)", require.resolve('..')]).toString());
  assert.ok(ms > 0 && Number.isFinite(ms), `require took ${ms} ms`);
});
