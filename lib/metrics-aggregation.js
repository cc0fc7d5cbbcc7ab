'use strict';
/**
 * The collector's periodic aggregation objects (api-spec §9.2 `aggregateMetrics`): summaries
 * of the last ≤ 60 buffered samples per collector. Values that are null (no reading, or a
 * rate without a previous sample) are left out; a section with no valid value is null.
 * Percentiles are nearest-rank, as everywhere in the contract, computed by the core.
 */

const native = require('./native');

const WINDOW = 60;

function valid(values) {
  return values.filter((v) => typeof v === 'number' && Number.isFinite(v));
}

/** `{ avg, min, max, p50, p95, p99, latest }` of the finite values, or null. */
function describe(values) {
  const v = valid(values);
  if (v.length === 0) return null;
  const [min, p50, p95, p99, max] = native.nearestRankPercentiles(Float64Array.from(v), [0, 50, 95, 99, 100]);
  return { avg: v.reduce((a, b) => a + b, 0) / v.length, min, max, p50, p95, p99, latest: v[v.length - 1] };
}

function pick(stats, keys) {
  if (!stats) return null;
  return Object.fromEntries(keys.map((k) => [k, stats[k]]));
}

/** One section: null when none of its fields has a valid value. */
function section(samples, key, fields) {
  const slots = samples.map((s) => s.collectors && s.collectors[key]).filter((x) => x && !x.error);
  const out = {};
  let any = false;
  for (const [name, read, keys] of fields) {
    const stats = pick(describe(slots.map(read)), keys);
    out[name] = stats;
    any = any || stats !== null;
  }
  if (!any) return null;
  out.samples = slots.length;
  return out;
}

/** Builds the aggregation object of `period` ('hourly' | 'daily') from recent samples. */
function aggregate(samples, period, timestamp = Date.now()) {
  const recent = samples.slice(-WINDOW);
  return {
    period,
    timestamp,
    sampleCount: recent.length,
    system: section(recent, 'system', [
      ['cpu', (s) => s.cpu && s.cpu.usage, ['avg', 'min', 'max', 'p95']],
      ['memory', (s) => s.memory && s.memory.usage, ['avg', 'min', 'max', 'p95']],
    ]),
    application: section(recent, 'application', [
      ['responseTime', (s) => s.responseTime, ['avg', 'p50', 'p95', 'p99']],
      ['throughput', (s) => s.throughput, ['avg', 'max']],
      ['errorRate', (s) => s.errorRate, ['avg', 'max']],
    ]),
    database: section(recent, 'database', [
      ['transactionsPerSec', (s) => s.transactionsPerSec, ['avg', 'max']],
      ['connections', (s) => s.connections, ['avg', 'max']],
      ['cacheHitRatio', (s) => s.cacheHitRatio, ['avg', 'min']],
    ]),
    network: section(recent, 'network', [
      ['bandwidth', (s) => s.bandwidth, ['avg', 'max']],
      ['latency', (s) => s.latency, ['avg', 'p95']],
    ]),
    ml_workflow: section(recent, 'ml_workflow', [
      ['trainingTime', (s) => s.trainingTime || null, ['avg', 'min', 'max']],
      ['inferenceTime', (s) => s.inferenceTime || null, ['avg', 'p95']],
      ['modelAccuracy', (s) => s.modelAccuracy || null, ['avg', 'latest']],
    ]),
  };
}

module.exports = { aggregate, describe, WINDOW };
