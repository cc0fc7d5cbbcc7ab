'use strict';
/**
 * One machine sampler: inside a NovaCronPerformanceSystem the framework's system samples
 * are a view over the metrics collector's readings, and no second sampling thread runs.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { NovaCronPerformanceSystem, PerformanceBenchmarkingFramework } = require('..');
const { tempDir } = require('./helpers');

/** Names of this process's threads (Linux truncates them to 15 characters). */
function threadNames() {
  return fs.readdirSync('/proc/self/task').map((id) => {
    try {
      return fs.readFileSync(`/proc/self/task/${id}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  });
}

/**
 * Thread names once `pred` holds of them: a Rust thread names itself as it starts, so right
 * after a start a new thread (the collector's, or a statfs probe it spawns, which carries
 * its parent's name until then) may still carry another name for a moment.
 */
async function threadNamesWhen(pred) {
  const deadline = Date.now() + 2000;
  let names = threadNames();
  while (!pred(names) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    names = threadNames();
  }
  return names;
}

/** Names settled on one collector thread (Linux cuts names to 15 characters). */
function oneCollector(names) {
  return names.filter((n) => n.startsWith('novacron-collec')).length === 1;
}

function system(t, config = {}) {
  const dir = tempDir(t);
  const s = new NovaCronPerformanceSystem({ environment: 'development', autoStart: false, profilePath: path.join(dir, 'profiles'), dataPath: path.join(dir, 'data'), ...config });
  t.after(() => s.stop());
  return s;
}

test('a running system samples the machine on one thread', { skip: process.platform !== 'linux' && 'reads /proc' }, async (t) => {
  const s = system(t);
  await s.initialize();
  const before = threadNames().filter((n) => n.startsWith('novacron-')).length;
  await s.start();
  assert.equal(s.framework.getMonitoringStatus().running, true);
  const started = (await threadNamesWhen(oneCollector)).filter((n) => n.startsWith('novacron-'));
  assert.equal(started.filter((n) => n.startsWith('novacron-collec')).length, 1, `threads: ${started}`);
  assert.equal(started.filter((n) => n.startsWith('novacron-sampl')).length, 0, `threads: ${started}`);
  assert.ok(started.length - before <= 2, `new threads: ${started} (the collector and its event pump)`);
  await s.stop();
  assert.equal(threadNames().filter((n) => n.startsWith('novacron-collec')).length, 0, 'stop ends the sampler thread');
});

test("the framework's samples in a system are the collector's readings", async (t) => {
  const s = system(t, { metrics: { collectionInterval: 100, gpu: false } });
  await s.initialize();
  s.framework.applyConfig({ samplingInterval: 200 });
  const ticks = [];
  const samples = [];
  s.metricsCollector.on('metrics:collected', (x) => ticks.push(x));
  s.framework.on('metrics:collected', (x) => samples.push(x));
  await s.start();
  while (samples.length < 3) await new Promise((r) => setTimeout(r, 50));
  // The collector's own event for a tick comes after the JS half of the tick is read.
  const deadline = Date.now() + 5000;
  while (samples.some((x) => !ticks.some((y) => y.timestamp === x.timestamp)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await s.stop();
  for (const sample of samples) {
    const tick = ticks.find((x) => x.timestamp === sample.timestamp);
    assert.ok(tick, `framework sample ${sample.timestamp} is a collector tick (${ticks.map((x) => x.timestamp)})`);
    assert.equal(sample.memory.used, tick.collectors.system.memory.used, 'one "memory used" figure');
    assert.equal(sample.memory.total, os.totalmem());
  }
  const gaps = samples.slice(1).map((x, i) => x.timestamp - samples[i].timestamp);
  assert.ok(gaps.every((g) => g >= 180), `every samplingInterval, not every tick: ${gaps}`);
  assert.equal(samples[0].cpu.usage, null, 'the first sample after start has no rate');
  assert.equal(typeof samples[1].cpu.usage, 'number');
});

test('a framework on its own still samples, with a thread it stops', { skip: process.platform !== 'linux' && 'reads /proc' }, async (t) => {
  const fw = new PerformanceBenchmarkingFramework({ metricsPath: tempDir(t), samplingInterval: 100 });
  t.after(() => fw.shutdown());
  while (fw.getMonitoringStatus().ticks < 2) await new Promise((r) => setTimeout(r, 20));
  assert.equal((await threadNamesWhen(oneCollector)).filter((n) => n.startsWith('novacron-collec')).length, 1);
  fw.stopSystemMonitoring();
  assert.equal(threadNames().filter((n) => n.startsWith('novacron-collec')).length, 0);
  assert.equal(fw.systemMetrics.memory[0].total, os.totalmem());
});
