'use strict';
// npm run bench:db — DatabaseBenchmark's transaction rates beside pgbench's, on the same
// PostgreSQL, scale, client counts and duration, in one run.
//
// A scratch database is created on the server (`DATABASE_URL`'s server, default the local
// one) and dropped at the end. pgbench initialises its own tables there (`pgbench -i -s S`)
// and runs `-S` (select_only) and its default script (tpcb_like) with `-c C -j C -T D`,
// simple query mode, no vacuum; then DatabaseBenchmark runs on the same database with the
// same scale, clients and duration (its own tables, its own data load). Printed per cell:
// both TPS figures and their ratio, and our measured average latency against pgbench's
// (pgbench derives it as duration × clients / transactions without -L/-P).
//
// BENCH_DB_DURATION_S (default 10), BENCH_DB_SCALE (default 1), BENCH_DB_CLIENTS
// (default "1,10").
const { execFileSync } = require('node:child_process');
const { URL } = require('node:url');

const BASE = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const DURATION_S = Number(process.env.BENCH_DB_DURATION_S || 10);
const SCALE = Number(process.env.BENCH_DB_SCALE || 1);
const CLIENTS = (process.env.BENCH_DB_CLIENTS || '1,10').split(',').map(Number);

function pgbenchArgs(url) {
  const u = new URL(url);
  const args = ['-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username || 'postgres')];
  return { args, env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password || '') }, db: u.pathname.slice(1) };
}

function psql(url, sql) {
  const { args, env } = pgbenchArgs(url);
  execFileSync('psql', [...args, '-d', new URL(url).pathname.slice(1), '-v', 'ON_ERROR_STOP=1', '-qc', sql], { env, stdio: 'pipe' });
}

function pgbench(url, extra) {
  const { args, env, db } = pgbenchArgs(url);
  const out = execFileSync('pgbench', [...args, ...extra, db], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const num = (re) => Number((out.match(re) || [])[1]);
  return {
    tps: num(/tps = ([\d.]+) \(without initial connection time\)/),
    latencyAvg: num(/latency average = ([\d.]+) ms/),
    transactions: num(/number of transactions actually processed: (\d+)/),
  };
}

async function main() {
  const { DatabaseBenchmark } = require('..');
  const scratch = `novacron_bench_${process.pid}`;
  const url = new URL(BASE);
  url.pathname = `/${scratch}`;
  psql(BASE, `CREATE DATABASE ${scratch}`);
  try {
    console.log(`pgbench -i -s ${SCALE} on ${scratch}`);
    pgbench(url.href, ['-i', '-q', '-s', String(SCALE)]);
    const theirs = {};
    for (const [script, flags] of [['select_only', ['-S']], ['tpcb_like', []]]) {
      for (const c of CLIENTS) {
        theirs[`${script}/${c}`] = pgbench(url.href, [...flags, '-n', '-M', 'simple', '-c', String(c), '-j', String(c), '-T', String(DURATION_S)]);
      }
    }
    const ours = (await new DatabaseBenchmark({
      url: url.href, scale: SCALE, clients: CLIENTS, duration: DURATION_S * 1000, samples: 3, concurrencyLevels: [1],
    }).run()).results.transactionRates;
    console.log('\nscript       clients  pgbench tps   ours tps   ratio   pgbench lat avg (derived)   ours lat avg (measured)');
    for (const [script, cells] of Object.entries(ours)) {
      for (const c of CLIENTS) {
        const o = cells[`clients_${c}`];
        const t = theirs[`${script}/${c}`];
        if (o.status) { console.log(`${script.padEnd(12)} ${String(c).padStart(7)}  ${o.status}: ${o.reason}`); continue; }
        console.log(`${script.padEnd(12)} ${String(c).padStart(7)} ${t.tps.toFixed(0).padStart(12)} ${o.tps.toFixed(0).padStart(10)} ${(o.tps / t.tps).toFixed(3).padStart(7)} ${t.latencyAvg.toFixed(3).padStart(20)} ms ${o.latency.avg.toFixed(3).padStart(22)} ms`);
      }
    }
    console.log(`\nscale ${SCALE}, ${DURATION_S} s per cell, ${require('node:os').cpus().length} CPUs; the server and both clients share this machine.`);
  } finally {
    psql(BASE, `DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
  }
}

main().catch((e) => { console.error(e.message); process.exit(1); });
