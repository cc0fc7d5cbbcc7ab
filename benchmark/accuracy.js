'use strict';
// npm run bench:accuracy — NetworkStorageBenchmark next to the tools operators trust, on
// this machine, with the same parameters, in one run:
//   storage: fio (io_uring, O_DIRECT) — 4 KiB random read IOPS at QD 1 and 32, 1 MiB
//            sequential read and write bandwidth; goal ±10 %.
//   network: iperf3 — loopback TCP throughput, one stream, 1 s omitted; goal ±10 %.
//   HTTP:    wrk — closed-loop max throughput at 10 connections against the same server;
//            goal ≥ 90 %. A 200 ms server stall: our open loop (wrk2's method; wrk2 is not
//            packaged) must show it in max, p99.9 and p99; wrk 4 corrects its closed-loop
//            histogram after the fact (stats_correct), so its p99 is shown beside ours.
// Installs fio, iperf3 and wrk from Debian's packages when they are missing (needs root).
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { NetworkStorageBenchmark } = require('..');
const { startPeer } = require('../lib/network-storage');
const { freePort } = require('./free-port');

const GiB = 2 ** 30;
/** Each comparison runs this many rounds, ours and theirs alternating who goes first; medians are compared. */
const ROUNDS = 5;
const STORAGE_MS = { duration: 4_000, rampTime: 1_000 };
const NET_MS = 4_000;
const HTTP_CONNECTIONS = 10;
const STALL_MS = 200;

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function ensureTools() {
  const missing = ['fio', 'iperf3', 'wrk'].filter((t) => !has(t));
  if (missing.length === 0) return;
  console.log(`installing ${missing.join(', ')} from Debian's packages …`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', 'fio', 'iperf3', 'wrk'], { stdio: 'inherit', env }).status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    install();
  }
  const still = ['fio', 'iperf3', 'wrk'].filter((t) => !has(t));
  if (still.length) throw new Error(`cannot install ${still.join(', ')} (run as root, or install them: apt-get install -y fio iperf3 wrk)`);
}

function version(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.split('\n')[0].trim();
}

function fsType(dir) {
  return execFileSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).trim();
}

/** A folder on a block-device file system: the temp folder unless it is memory or a layer. */
function storageDir() {
  for (const base of [os.tmpdir(), '/var/tmp']) {
    if (fs.existsSync(base) && !['tmpfs', 'ramfs', 'overlayfs', 'fuseblk', 'fuse'].includes(fsType(base))) {
      return fs.mkdtempSync(path.join(base, 'novacron-accuracy-'));
    }
  }
  return fs.mkdtempSync(path.join(os.tmpdir(), 'novacron-accuracy-'));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- storage: ours and fio ----

async function oursStorage(dir, storage) {
  const r = await new NetworkStorageBenchmark({ storage: { directory: dir, fileSize: GiB, ...STORAGE_MS, ...storage }, network: false }).run();
  return r.results.storagePerformance;
}

/**
 * Runs fio on a freshly laid-out file, as ours runs on a freshly written one: on a virtual
 * disk the host's cache favours recently written blocks, so both must start alike.
 */
function fio(dir, args) {
  fs.rmSync(path.join(dir, 'fio-accuracy.dat'), { force: true });
  const out = execFileSync('fio', [
    '--name=accuracy', `--filename=${path.join(dir, 'fio-accuracy.dat')}`, '--size=1g', '--ioengine=io_uring', '--direct=1',
    '--time_based', `--runtime=${STORAGE_MS.duration / 1000}`, `--ramp_time=${STORAGE_MS.rampTime / 1000}`,
    '--norandommap', '--randrepeat=0', '--output-format=json', ...args,
  ], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(out.slice(out.indexOf('{'))).jobs[0];
}

/** fio's total latency (submission + completion, `lat_ns`) percentile, ms: ours times the same span. */
const fioLat = (side, p) => side.lat_ns.percentile[p.toFixed(6)] / 1e6;

function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Runs `ours()` and `theirs()` ROUNDS times, alternating which goes first. */
async function rounds(ours, theirs) {
  const a = [];
  const b = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      a.push(await ours());
      b.push(await theirs());
    } else {
      b.push(await theirs());
      a.push(await ours());
    }
  }
  return { ours: a, theirs: b };
}

async function storageRows(dir) {
  const rows = [];
  let conditions = null;
  const fioArgs = (rw, bs, qd) => [`--rw=${rw}`, `--bs=${bs}`, `--iodepth=${qd}`, '--lat_percentiles=1'];
  for (const qd of [1, 32]) {
    const r = await rounds(
      async () => {
        const sp = await oursStorage(dir, { pattern: 'randread', queueDepth: qd });
        conditions ??= sp.conditions;
        return sp.iopsPerformance.byQueueDepth[`qd_${qd}`].read;
      },
      async () => fio(dir, fioArgs('randread', '4k', qd)).read,
    );
    rows.push(row(`4 KiB randread QD${qd} IOPS`, median(r.ours.map((j) => j.read.iops)), median(r.theirs.map((t) => t.iops)), '±10 %', 0.9, 1.1));
    rows.push(row(`  latency p50 ms (QD${qd})`, median(r.ours.map((j) => j.read.latency.p50)), median(r.theirs.map((t) => fioLat(t, 50))), 'info'));
    rows.push(row(`  latency p99 ms (QD${qd})`, median(r.ours.map((j) => j.read.latency.p99)), median(r.theirs.map((t) => fioLat(t, 99))), 'info'));
    rows.push(row(`  achieved queue depth (QD${qd})`, median(r.ours.map((j) => j.achievedQueueDepth)), null, 'info'));
  }
  for (const [pattern, key, rw] of [['read', 'readPerformance', 'read'], ['write', 'writePerformance', 'write']]) {
    const r = await rounds(
      async () => (await oursStorage(dir, { pattern }))[key].results.size_1048576.bytesPerSecond / 1e6,
      async () => fio(dir, fioArgs(rw, '1m', 1))[rw].bw_bytes / 1e6,
    );
    rows.push(row(`1 MiB seq ${pattern} MB/s`, median(r.ours), median(r.theirs), '±10 %', 0.9, 1.1));
  }
  return { rows, conditions };
}

// ---- network: ours and iperf3 ----

async function networkRows() {
  const r = await rounds(
    async () => (await new NetworkStorageBenchmark({ storage: false, network: { mode: 'tcp', duration: NET_MS, warmup: 1000, streams: 1 } }).run()).results.networkPerformance.tcpThroughput.bitsPerSecond,
    async () => {
      const port = await freePort();
      const server = spawn('iperf3', ['-s', '-1', '-p', String(port)], { stdio: 'ignore' });
      await sleep(300);
      const out = execFileSync('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-t', String(NET_MS / 1000), '-O', '1', '-J'], { encoding: 'utf8' });
      server.kill();
      return JSON.parse(out).end.sum_received.bits_per_second;
    },
  );
  return [row('loopback TCP Gbit/s (receiver side)', median(r.ours) / 1e9, median(r.theirs) / 1e9, '±10 %', 0.9, 1.1)];
}

// ---- HTTP: ours and wrk ----

async function httpServer(stallAfterMs) {
  const args = [path.join(__dirname, 'http-server.js')];
  if (stallAfterMs !== undefined) args.push(String(stallAfterMs), String(STALL_MS));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(Number(d.toString().trim()))));
  return { url: `http://127.0.0.1:${port}/health`, stop: () => child.kill('SIGTERM') };
}

/** wrk's value with unit (us, ms, s) in ms. */
function wrkMs(text) {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  return m ? Number(m[1]) * { us: 1e-3, ms: 1, s: 1e3 }[m[2]] : NaN;
}

function wrk(url, seconds) {
  const out = execFileSync('wrk', ['-t2', `-c${HTTP_CONNECTIONS}`, `-d${seconds}s`, '--latency', url], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
  const max = wrkMs(/Latency\s+\S+\s+\S+\s+(\S+)/.exec(out)[1]);
  const p99 = wrkMs(/\s99%\s+(\S+)/.exec(out)[1]);
  return { rps, max, p99 };
}

async function oursHttp(url, extra) {
  const r = await new NetworkStorageBenchmark({ storage: false, network: { mode: 'http', url, connections: HTTP_CONNECTIONS, duration: NET_MS, warmup: 1000, ...extra } }).run();
  return r.results.networkPerformance.http;
}

async function httpRows() {
  const rows = [];
  const maxThroughput = async (label, url) => {
    const r = await rounds(async () => (await oursHttp(url)).closedLoop.requestsPerSecond, async () => wrk(url, NET_MS / 1000).rps);
    rows.push(row(`HTTP max req/s, ${label}, ${HTTP_CONNECTIONS} conn`, median(r.ours), median(r.theirs), '≥ 90 %', 0.9, Infinity));
  };
  const srv = await httpServer();
  await maxThroughput('Node server', srv.url);
  srv.stop();
  const peer = startPeer({ port: 0 });
  await maxThroughput('Rust peer server', `http://${peer.address}/health`);
  peer.stop();
  // One 200 ms stall, 3 s after the first request: inside every measured window.
  const stalled = async (fn) => {
    const s = await httpServer(3000);
    try {
      return await fn(s.url);
    } finally {
      s.stop();
    }
  };
  const rate = 1000;
  const open = await stalled(async (url) => (await oursHttp(url, { rate, duration: 5000 })).openLoop);
  const closed = await stalled(async (url) => (await oursHttp(url, { duration: 5000 })).closedLoop);
  const wrkStall = await stalled(async (url) => wrk(url, 6));
  const half = (rate * STALL_MS) / 1000 / 2;
  rows.push(row(`stall ${STALL_MS} ms, open loop ${rate} req/s: max ms`, open.latency.max, wrkStall.max, `≥ ${STALL_MS} ms (ref: wrk max)`, STALL_MS, Infinity, true));
  rows.push(row(`  open-loop p99.9 ms`, open.latency.p999, null, `≥ ${STALL_MS} ms`, STALL_MS, Infinity, true));
  rows.push(row(`  open-loop p99 ms (${((half / (rate * 5)) * 100).toFixed(0)} % of requests were due in the stall's first half)`, open.latency.p99, null, `≥ ${STALL_MS / 2} ms`, STALL_MS / 2, Infinity, true));
  rows.push(row(`  open-loop p99 ms vs wrk's p99 (wrk corrects after the fact: stats_correct)`, open.latency.p99, wrkStall.p99, 'info'));
  rows.push(row(`  our closed-loop p99 ms (uncorrected, labelled so)`, closed.latency.p99, null, 'info'));
  rows.push(row(`  open loop achieved req/s`, open.achievedRate, null, `${rate}`, rate * 0.99, Infinity, true));
  return rows;
}

function row(measurement, ours, theirs, goal, lo, hi, absolute = false) {
  const ratio = theirs ? ours / theirs : null;
  const value = absolute ? ours : ratio;
  const met = lo === undefined || value === null ? '' : value >= lo && value <= hi ? 'yes' : 'NO';
  const fmt = (x) => (x === null || x === undefined ? '–' : x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(4));
  return { measurement, 'novacron-perf': fmt(ours), reference: fmt(theirs), 'ours/theirs': ratio === null ? '–' : ratio.toFixed(3), goal, met };
}

async function main() {
  ensureTools();
  const cpu = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name')).split(':')[1].trim();
  const dir = storageDir();
  console.log(`novacron-perf accuracy bench — ${new Date().toISOString()}`);
  console.log(`machine: ${cpu}, ${os.cpus().length} CPUs, ${(os.totalmem() / GiB).toFixed(0)} GiB, Linux ${os.release()}, Node ${process.version}`);
  console.log(`tools: ${version('fio', ['--version'])}, ${version('iperf3', ['--version'])}, ${version('wrk', ['-v'])}`);
  console.log(`storage: 1 GiB file in a new folder under ${dir.startsWith('/var/tmp') ? '/var/tmp' : 'the temp folder'} (${fsType(dir)}), io_uring, O_DIRECT, ${STORAGE_MS.rampTime / 1000} s ramp + ${STORAGE_MS.duration / 1000} s measured, fio --norandommap --randrepeat=0`);
  console.log(`network: loopback, ${NET_MS / 1000} s measured, 1 s warm-up (iperf3 -O 1); HTTP: ${HTTP_CONNECTIONS} connections, wrk -t2, ${NET_MS / 1000} s`);
  console.log(`each comparison: median of ${ROUNDS} rounds, ours and the reference alternating which runs first`);
  console.log(`load average at start: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
  try {
    const storage = await storageRows(dir);
    const t = storage.conditions.target;
    console.log(`storage target: ${t.fsType} on ${t.device ?? '?'} (logical block ${t.logicalBlockSize} B), engine ${storage.conditions.engine}, direct ${storage.conditions.direct}${t.warning ? `, WARNING: ${t.warning}` : ''}`);
    const rows = [...storage.rows, ...(await networkRows()), ...(await httpRows())];
    console.table(rows);
    console.log(`load average at end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
