'use strict';
/**
 * DatabaseBenchmark (api-spec §4.4, registry name `database_performance`): real queries on
 * a real database, measured in the Rust core — embedded SQLite by default (a scratch file,
 * removed afterwards), PostgreSQL or MariaDB/MySQL by `url` (else `DATABASE_URL`). The
 * core creates its own tables under a run-unique prefix, loads a seeded pgbench-sized
 * data set and drops everything at the end, also after an error, an abort or a timeout.
 *
 * With `config.dbService` (the original's injection point) the contract sub-tests drive
 * that service instead, timed here in JS with `measureLatency` / `measureThroughput`.
 */
const check = require('./validate');
const { BuiltinBenchmark } = require('./builtin-benchmark');

/** Options the core reads; every other config key belongs to the framework. */
const CORE_KEYS = ['url', 'directory', 'scale', 'seed', 'clients', 'duration', 'samples', 'concurrencyLevels', 'poolSize', 'quickTest'];
const SERVICE_METHODS = ['query', 'insert', 'update', 'delete', 'transaction'];
/** The contract's sample counts and windows (ms) per sub-test. */
const CONTRACT = {
  query: [50, 10_000], insert: [100, 15_000], batch: [10, 0], update: [50, 10_000], delete: [30, 8_000], transaction: [20, 10_000],
};
const BATCHES = [1, 10, 50, 100, 500];
const LEVELS = [1, 5, 10, 25, 50, 100];
/** Thresholds of the contract rules (the core's table holds the same, see rules.rs DB_*). */
const LIMITS = { complexMs: 500, queryOps: 100, insertMs: 100, insertOps: 500, updateMs: 50, deleteMs: 30, txMs: 200, levelShare: 0.8 };

function coreOptions(config) {
  const out = {};
  for (const k of CORE_KEYS) if (config[k] !== undefined) out[k] = config[k];
  return out;
}

/**
 * Query, insert, update, delete, transaction and concurrency figures of one database,
 * plus pgbench-comparable `transactionRates` (see README "Database benchmark").
 */
class DatabaseBenchmark extends BuiltinBenchmark {
  /** Name of this benchmark in the core registry (and the framework's). */
  static registryName = 'database_performance';

  /**
   * @param {object} [config] `url`, `directory`, `scale`, `seed`, `clients`, `duration`,
   *   `samples`, `concurrencyLevels`, `poolSize`, `quickTest`; or `dbService` to time a service of
   *   your own. Bad values throw here, before anything runs.
   */
  constructor(config = {}) {
    check.plainObject('config', config);
    if (config.dbService !== undefined) {
      if (config.dbService === null || typeof config.dbService !== 'object') throw new TypeError(`config.dbService: got ${check.show(config.dbService)} (accepted: an object with query, insert, update, delete and transaction)`);
      for (const m of SERVICE_METHODS) check.func(`config.dbService.${m}`, config.dbService[m]);
    }
    super(config, coreOptions(config));
  }

  /** Runs in the core, or against `config.dbService` when one is given. */
  async run() {
    if (this.config.dbService === undefined) return super.run();
    this.pending = null;
    return { success: true, timestamp: Date.now(), results: await runService(this, this.config.dbService) };
  }
}

/** The contract sub-tests of `bench` against `db`, timed in JS. */
async function runService(bench, db) {
  const c = bench.config;
  const quick = c.quickTest === true;
  const samples = (n) => c.samples ?? (quick ? Math.max(3, Math.floor(n / 10)) : n);
  const window = (ms) => c.duration ?? (quick ? 1000 : ms);
  let nextId = 1;
  const sub = async (name, op, [n, ms]) => {
    bench.reportProgress({ phase: `database:${name}`, percent: 0, elapsedMs: 0 });
    return { latency: await bench.measureLatency(op, samples(n)), throughput: await bench.measureThroughput(op, window(ms)), recommendations: [] };
  };
  const simple = await sub('query simple', () => db.query('SELECT * FROM users LIMIT 10', []), CONTRACT.query);
  const complex = await sub('query complex', () => db.query(
    'SELECT u.*, p.* FROM users u JOIN profiles p ON p.user_id = u.id WHERE u.created_at > $1 ORDER BY u.created_at DESC LIMIT 100',
    [new Date(Date.now() - 30 * 86_400_000)]), CONTRACT.query);
  const aggregate = await sub('query aggregate', () => db.query(
    'SELECT status, COUNT(*) AS count, AVG(score) AS avg_score FROM users GROUP BY status HAVING COUNT(*) > 1', []), CONTRACT.query);
  const row = () => ({ id: nextId++, payload: 'payload', created_at: new Date() });
  const insert = await sub('insert', () => db.insert('temp_data', row()), CONTRACT.insert);
  const batchInsertPerformance = {};
  for (const n of quick ? BATCHES.slice(0, 3) : BATCHES) {
    const latency = await bench.measureLatency(() => Promise.all(Array.from({ length: n }, () => db.insert('temp_data', row()))), samples(CONTRACT.batch[0]));
    batchInsertPerformance[`batch_${n}`] = { latency, itemsPerSecond: latency.avg > 0 ? n / (latency.avg / 1000) : 0 };
  }
  const update = await sub('update', () => db.update('users', 1 + Math.floor(Math.random() * 1000), { updated_at: new Date() }), CONTRACT.update);
  let del = 1;
  const remove = await sub('delete', () => db.delete('temp_data', del++), CONTRACT.delete);
  const transaction = await sub('transaction', () => db.transaction([
    { type: 'insert', table: 'temp_data', data: row() },
    { type: 'update', table: 'users', id: 1, data: { updated_at: new Date() } },
    { type: 'query', sql: 'SELECT * FROM users WHERE id = $1', params: [1] },
  ]), CONTRACT.transaction);
  const results = {};
  for (const n of c.concurrencyLevels ?? (quick ? LEVELS.slice(0, 3) : LEVELS)) {
    bench.reportProgress({ phase: `database:concurrency ${n}`, percent: 0, elapsedMs: 0 });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: n }, () => db.query('SELECT * FROM users LIMIT 10', [])));
    const totalTime = performance.now() - t0;
    results[`concurrency_${n}`] = { totalTime, operationsPerSecond: n / (totalTime / 1000) };
  }
  return applyRules({
    queryPerformance: { simple, complex, aggregate },
    insertPerformance: { ...insert, batchInsertPerformance },
    updatePerformance: update,
    deletePerformance: remove,
    transactionPerformance: transaction,
    concurrentLoad: { results, recommendations: [] },
  });
}

/** The contract rules of §4.4 on a dbService result, each naming its figure. */
function applyRules(r) {
  const rec = (list, type, severity, message) => list.push({ type, severity, message });
  const q = r.queryPerformance;
  if (q.complex.latency.avg > LIMITS.complexMs) rec(q.complex.recommendations, 'optimization', 'medium', `Complex query average latency is ${q.complex.latency.avg.toFixed(1)} ms (over ${LIMITS.complexMs} ms)`);
  for (const [name, s] of Object.entries(q)) {
    if (s.throughput.operationsPerSecond < LIMITS.queryOps) rec(s.recommendations, 'performance', 'high', `${name} query throughput is ${s.throughput.operationsPerSecond.toFixed(0)} ops/s (under ${LIMITS.queryOps} ops/s)`);
  }
  const ins = r.insertPerformance;
  if (ins.latency.avg > LIMITS.insertMs) rec(ins.recommendations, 'performance', 'medium', `Insert average latency is ${ins.latency.avg.toFixed(1)} ms (over ${LIMITS.insertMs} ms)`);
  if (ins.throughput.operationsPerSecond < LIMITS.insertOps) rec(ins.recommendations, 'scalability', 'medium', `Insert throughput is ${ins.throughput.operationsPerSecond.toFixed(0)} ops/s (under ${LIMITS.insertOps} ops/s)`);
  if (r.updatePerformance.latency.avg > LIMITS.updateMs) rec(r.updatePerformance.recommendations, 'optimization', 'medium', `Update average latency is ${r.updatePerformance.latency.avg.toFixed(1)} ms (over ${LIMITS.updateMs} ms)`);
  if (r.deletePerformance.latency.avg > LIMITS.deleteMs) rec(r.deletePerformance.recommendations, 'optimization', 'medium', `Delete average latency is ${r.deletePerformance.latency.avg.toFixed(1)} ms (over ${LIMITS.deleteMs} ms)`);
  if (r.transactionPerformance.latency.avg > LIMITS.txMs) rec(r.transactionPerformance.recommendations, 'performance', 'high', `Transaction average latency is ${r.transactionPerformance.latency.avg.toFixed(1)} ms (over ${LIMITS.txMs} ms)`);
  const levels = Object.entries(r.concurrentLoad.results);
  for (let i = 1; i < levels.length; i++) {
    const [[a, pa], [b, pb]] = [levels[i - 1], levels[i]];
    if (pb.operationsPerSecond < pa.operationsPerSecond * LIMITS.levelShare) {
      rec(r.concurrentLoad.recommendations, 'scalability', 'medium', `Throughput falls from ${pa.operationsPerSecond.toFixed(0)} ops/s at ${a} to ${pb.operationsPerSecond.toFixed(0)} ops/s at ${b} (under ${LIMITS.levelShare * 100} %)`);
      break;
    }
  }
  return r;
}

module.exports = { DatabaseBenchmark };
