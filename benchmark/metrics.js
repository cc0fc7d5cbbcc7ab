'use strict';
// npm run bench:metrics — the cost of collecting and the speed of the history store.
//
// 1. Collection overhead: two fresh Node processes that both load the addon, one idle and
//    one running a PerformanceMetricsCollector at 1 s with every local source (system, GPU
//    probe, process, PostgreSQL and MariaDB, network, ML, custom) storing into the history
//    store. Both are measured over the same window after a warm-up: CPU seconds of the
//    whole process (getrusage) and RSS. The reference is Prometheus's node_exporter
//    (Debian's prometheus-node-exporter, installed if missing) scraped every second over
//    the same window: its own CPU time from /proc/<pid>/stat.
// 2. The history store: `cargo run --release --example store_bench` (ingest, bytes per
//    sample on disk for a week of real /proc readings at 5 s, and query latencies on
//    50 series × 7 days).
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort } = require('./free-port');

const WARMUP_S = 5;
const WINDOW_S = Number(process.env.BENCH_WINDOW_S || 60);
const DATABASES = ['postgres://postgres@127.0.0.1:5432/test', 'mysql://root@127.0.0.1:3306/test'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs in the child: idle or collecting, prints { cpuSeconds, rssBytes, collectorCpuSeconds }. */
async function child(mode, dir) {
  const perf = require('..');
  let collector = null;
  if (mode === 'collect') {
    collector = new perf.PerformanceMetricsCollector({ collectionInterval: 1000, storageLocation: dir, databases: DATABASES });
    await collector.start();
  }
  const keepAlive = setInterval(() => {}, 1 << 30);
  await sleep(WARMUP_S * 1000);
  const c0 = process.cpuUsage();
  const own0 = collector ? collector.getStatus().collectorCpuSeconds : 0;
  const t0 = process.hrtime.bigint();
  await sleep(WINDOW_S * 1000);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c1 = process.cpuUsage(c0);
  const status = collector ? collector.getStatus() : null;
  const out = {
    wallSeconds: wall,
    cpuSeconds: (c1.user + c1.system) / 1e6,
    rssBytes: process.memoryUsage().rss,
    collectorCpuSeconds: status ? status.collectorCpuSeconds - own0 : 0,
    ticks: status ? status.ticks : 0,
    sources: status ? Object.fromEntries(Object.entries(status.sources).map(([k, v]) => [k, v.status])) : null,
  };
  if (collector) await collector.stop();
  clearInterval(keepAlive);
  process.stdout.write(JSON.stringify(out));
}

function runChild(mode) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'novacron-bench-'));
  try {
    const out = execFileSync(process.execPath, [__filename, '--child', mode, dir], { encoding: 'utf8' });
    return JSON.parse(out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function ensureNodeExporter() {
  const bin = '/usr/bin/prometheus-node-exporter';
  if (fs.existsSync(bin)) return bin;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'prometheus-node-exporter'], { stdio: 'inherit', env });
  return r.status === 0 && fs.existsSync(bin) ? bin : null;
}

function procCpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const hz = 100; // USER_HZ on Linux
  return (Number(fields[11]) + Number(fields[12])) / hz;
}

async function nodeExporterReference() {
  const bin = ensureNodeExporter();
  if (!bin) return null;
  const port = await freePort();
  const proc = spawn(bin, [`--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  try {
    const url = `http://127.0.0.1:${port}/metrics`;
    const deadline = Date.now() + WARMUP_S * 1000;
    let series = 0;
    while (Date.now() < deadline) {
      try {
        series = (await (await fetch(url)).text()).split('\n').filter((l) => l && !l.startsWith('#')).length;
      } catch {
        // starting
      }
      await sleep(1000);
    }
    const cpu0 = procCpuSeconds(proc.pid);
    const t0 = Date.now();
    while (Date.now() - t0 < WINDOW_S * 1000) {
      const tick = Date.now();
      await (await fetch(url)).text();
      await sleep(Math.max(0, 1000 - (Date.now() - tick)));
    }
    const wall = (Date.now() - t0) / 1000;
    const rss = Number(fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) * 1024;
    return { cpuSeconds: procCpuSeconds(proc.pid) - cpu0, wallSeconds: wall, rssBytes: rss, series };
  } finally {
    proc.kill('SIGKILL');
  }
}

const pct = (cpu, wall) => (cpu / wall) * 100;
const mb = (b) => (b / 1048576).toFixed(1);

async function main() {
  const cpu = os.cpus()[0].model.trim();
  console.log(`novacron-perf metrics bench — ${new Date().toISOString()}`);
  console.log(`machine: ${cpu}, ${os.cpus().length} CPUs, ${mb(os.totalmem())} MiB, Node ${process.version}`);
  console.log(`window ${WINDOW_S} s after ${WARMUP_S} s warm-up; collector at 1 s with databases ${DATABASES.map((d) => d.split('://')[0]).join(', ')}\n`);
  const idle = runChild('idle');
  const busy = runChild('collect');
  const ref = await nodeExporterReference();
  const added = busy.cpuSeconds - idle.cpuSeconds;
  const rows = [
    { what: 'Node process, addon loaded, idle', 'CPU % of one core': pct(idle.cpuSeconds, idle.wallSeconds).toFixed(3), 'RSS MiB': mb(idle.rssBytes) },
    { what: 'same + collector at 1 s (all local sources, stored)', 'CPU % of one core': pct(busy.cpuSeconds, busy.wallSeconds).toFixed(3), 'RSS MiB': mb(busy.rssBytes) },
    { what: 'added by collecting', 'CPU % of one core': pct(added, busy.wallSeconds).toFixed(3), 'RSS MiB': mb(busy.rssBytes - idle.rssBytes) },
    { what: '  of which the native sampling thread', 'CPU % of one core': pct(busy.collectorCpuSeconds, busy.wallSeconds).toFixed(3), 'RSS MiB': '' },
  ];
  if (ref) rows.push({ what: `node_exporter 1.5 scraped every 1 s (${ref.series} series)`, 'CPU % of one core': pct(ref.cpuSeconds, ref.wallSeconds).toFixed(3), 'RSS MiB': mb(ref.rssBytes) });
  console.table(rows);
  console.log(`ticks in the collecting child: ${busy.ticks}; sources: ${JSON.stringify(busy.sources)}`);
  if (ref) console.log(`ratio ours/node_exporter (CPU per second of sampling): ${(added / busy.wallSeconds / (ref.cpuSeconds / ref.wallSeconds)).toFixed(2)}`);
  console.log(`goal: ≤ 0.5 % of one core and ≤ 25 MiB RSS added\n`);

  console.log('history store (cargo run --release -p novacron-perf-core --example store_bench):');
  const r = spawnSync('cargo', ['run', '--quiet', '--release', '-p', 'novacron-perf-core', '--example', 'store_bench'], { cwd: path.join(__dirname, '..'), stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
}

if (process.argv[2] === '--child') {
  child(process.argv[3], process.argv[4]).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main();
}
