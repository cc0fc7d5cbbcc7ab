'use strict';
/**
 * DatabaseBenchmark: real SQL through the core on SQLite (always), the contract's
 * dbService injection point timed in JS, bad input, and cleanup after an abort.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { DatabaseBenchmark, PerformanceBenchmarkingFramework } = require('..');
const { tempDir } = require('./helpers');

const QUICK = { quickTest: true, scale: 0.01, duration: 50, samples: 3, clients: [1, 2], concurrencyLevels: [1, 2], seed: 11, poolSize: [1] };

test('runBenchmark(database_performance) measures SQLite with progress and leaves nothing', async (t) => {
  const dir = tempDir(t);
  const fw = new PerformanceBenchmarkingFramework({ metricsPath: tempDir(t), startMonitoring: false });
  const phases = [];
  fw.on('benchmark:progress', (p) => phases.push(p.phase));
  const run = await fw.runBenchmark('database_performance', { ...QUICK, directory: dir });
  const r = run.result.results;
  assert.equal(run.result.success, true);
  for (const k of ['simple', 'complex', 'aggregate']) assert.equal(r.queryPerformance[k].latency.samples, 3, k);
  assert.deepEqual(Object.keys(r.insertPerformance.batchInsertPerformance), ['batch_1', 'batch_10', 'batch_50']);
  for (const k of ['updatePerformance', 'deletePerformance', 'transactionPerformance']) {
    assert.ok(r[k].throughput.operationsPerSecond > 0, k);
    assert.ok(Array.isArray(r[k].recommendations), k);
  }
  assert.deepEqual(Object.keys(r.concurrentLoad.results), ['concurrency_1', 'concurrency_2']);
  for (const script of ['select_only', 'tpcb_like']) {
    assert.deepEqual(Object.keys(r.transactionRates[script]), ['clients_1', 'clients_2']);
    const cell = r.transactionRates[script].clients_2;
    assert.ok(cell.transactions > 0 && cell.tps > 0, script);
    for (const k of ['avg', 'p50', 'p95', 'p99', 'max']) assert.equal(typeof cell.latency[k], 'number');
  }
  assert.deepEqual(Object.keys(r.poolEfficiency.pool_1), ['clients_1', 'clients_2']);
  assert.ok(r.poolEfficiency.pool_1.clients_2.acquireWait.max >= 0);
  assert.equal(r.conditions.engine, 'sqlite');
  assert.equal(r.conditions.seed, 11);
  assert.equal(r.conditions.shortRun, true);
  assert.equal(r.conditions.sqlite.journalMode, 'wal');
  assert.ok(phases.includes('database:load'), phases.join());
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('an aborted run rejects and removes its scratch database', async (t) => {
  const dir = tempDir(t);
  const controller = new AbortController();
  const b = new DatabaseBenchmark({ directory: dir, scale: 0.01, duration: 10_000, signal: controller.signal });
  setTimeout(() => controller.abort(new Error('stop')), 300);
  await assert.rejects(b.run(), /stop/);
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('bad options throw at construction, naming the field, never the password', () => {
  assert.throws(() => new DatabaseBenchmark({ clients: [0] }), { name: 'RangeError', message: 'clients[0]: got 0 (accepted: a non-empty array of integers from 1 to 1000)' });
  assert.throws(() => new DatabaseBenchmark({ clients: [2.5] }), { name: 'RangeError', message: /^clients\[0\]: got 2.5/ });
  assert.throws(() => new DatabaseBenchmark({ clients: 'x' }), { name: 'TypeError', message: /^clients: got "x"/ });
  assert.throws(() => new DatabaseBenchmark({ url: 'redis://me:s3cret@h/0' }), (e) => e.name === 'RangeError' && e.message.startsWith('url: got "redis://me:***@h/0"') && !e.message.includes('s3cret'));
  assert.throws(() => new DatabaseBenchmark({ dbService: {} }), { name: 'TypeError', message: /^config\.dbService\.query/ });
});

test('an unreachable server fails naming the target without the password', async () => {
  const b = new DatabaseBenchmark({ ...QUICK, url: 'postgres://bench:hunter2@127.0.0.1:1/test' });
  await assert.rejects(b.run(), (e) => e.message.startsWith('url postgres://bench:***@127.0.0.1:1/test: cannot connect') && !e.message.includes('hunter2'));
});

test('config.dbService is still driven and timed in JS', async () => {
  const calls = { query: 0, insert: 0, update: 0, delete: 0, transaction: 0 };
  const svc = {
    async query() { calls.query++; return { rows: [], rowCount: 0 }; },
    async insert() { calls.insert++; return { insertedId: calls.insert }; },
    async update() { calls.update++; return { modifiedCount: 1 }; },
    async delete() { calls.delete++; return { deletedCount: 1 }; },
    async transaction() { calls.transaction++; return { success: true }; },
  };
  const r = (await new DatabaseBenchmark({ dbService: svc, quickTest: true, duration: 20, samples: 3 }).run()).results;
  assert.deepEqual(Object.keys(r), ['queryPerformance', 'insertPerformance', 'updatePerformance', 'deletePerformance', 'transactionPerformance', 'concurrentLoad']);
  assert.equal(r.queryPerformance.simple.latency.samples, 3);
  assert.deepEqual(Object.keys(r.insertPerformance.batchInsertPerformance), ['batch_1', 'batch_10', 'batch_50']);
  assert.deepEqual(Object.keys(r.concurrentLoad.results), ['concurrency_1', 'concurrency_5', 'concurrency_10']);
  for (const k of Object.keys(calls)) assert.ok(calls[k] > 0, k);
});
