'use strict';
// NetworkStorageBenchmark, storage part: results checked against /proc/diskstats and the
// file system, bad targets refused before any load, and nothing left behind on abort.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { NetworkStorageBenchmark, PerformanceBenchmarkingFramework } = require('..');
const { tempDir, readOnlyDir } = require('./helpers');
const { threadCount, listeningPorts, waitFor } = require('./network-storage-helpers');

const SMALL = { fileSize: 8 << 20, duration: 300, rampTime: 50 };

/** Completed reads and sectors read of the block device holding `dir`, from /proc/diskstats. */
function diskReads(dir) {
  const dev = fs.statSync(dir).dev;
  const major = Math.floor(dev / 256) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  const line = fs.readFileSync('/proc/diskstats', 'utf8').split('\n').find((l) => {
    const f = l.trim().split(/\s+/);
    return Number(f[0]) === major && Number(f[1]) === minor;
  });
  if (!line) return null;
  const f = line.trim().split(/\s+/);
  return { reads: Number(f[3]), bytes: Number(f[5]) * 512 };
}

test('random reads with O_DIRECT reach the disk: our IOPS are backed by /proc/diskstats', async (t) => {
  const dir = tempDir(t);
  const bench = new NetworkStorageBenchmark({ storage: { ...SMALL, directory: dir, pattern: 'randread', queueDepth: 4 } });
  const progress = [];
  bench.on('progress', (p) => progress.push(p));
  const before = diskReads(dir);
  const r = await bench.run();
  const after = diskReads(dir);
  await new Promise((resolve) => setImmediate(resolve));
  const phases = progress.map((p) => p.phase);
  assert.ok(phases.includes('storage:prepare') && phases.includes('storage:randread bs=4096 qd=4'), `phases ${phases}`);
  assert.ok(progress.every((p, i) => p.percent >= 0 && p.percent <= 100 && (i === 0 || p.percent >= progress[i - 1].percent)), 'percent grows within 0–100');
  assert.equal(r.success, true);
  const sp = r.results.storagePerformance;
  const iops = sp.iopsPerformance;
  const job = iops.byQueueDepth.qd_4.read;
  assert.equal(iops.direct, true);
  assert.equal(job.direct, true);
  assert.equal(job.blockSize, 4096);
  assert.equal(job.queueDepth, 4);
  assert.ok(job.achievedQueueDepth > 3 && job.achievedQueueDepth <= 4.001, `achieved QD ${job.achievedQueueDepth}`);
  // IOPS is completed operations over the measured window, ramp excluded.
  assert.equal(job.durationMs, 300);
  assert.ok(Math.abs(iops.readIOPS - job.read.operations / 0.3) < 1e-6 * iops.readIOPS);
  assert.equal(job.read.latency.samples, job.read.operations);
  assert.ok(job.read.latency.min > 0 && job.read.latency.p50 <= job.read.latency.p99);
  assert.equal(job.mbps, job.bytesPerSecond / 2 ** 20);
  if (before && after) {
    assert.ok(after.reads - before.reads >= job.read.operations, `device reads ${after.reads - before.reads} < ours ${job.read.operations}`);
  }
  // Conditions say how it was measured; nothing is left in the folder.
  assert.equal(sp.conditions.fileSize, 8 << 20);
  assert.equal(sp.conditions.target.directory, dir);
  assert.deepEqual(fs.readdirSync(dir), []);
  assert.equal(r.results.networkPerformance.status, 'skipped');
});

test('sequential write, mixed workload and fsync fill the contract fields', async (t) => {
  const dir = tempDir(t);
  const seq = await new NetworkStorageBenchmark({ storage: { ...SMALL, directory: dir, pattern: 'write' } }).run();
  const w = seq.results.storagePerformance.writePerformance;
  assert.ok(w.results.size_1048576.mbps > 0);
  assert.equal(w.mbps, w.results.size_1048576.mbps);
  assert.equal(seq.results.storagePerformance.readPerformance.status, 'skipped');
  const mix = await new NetworkStorageBenchmark({ storage: { ...SMALL, directory: dir, pattern: 'randrw', rwmixread: 70, queueDepth: 2, engine: 'psync' } }).run();
  const m = mix.results.ioMixedWorkload;
  assert.equal(m.engine, 'psync');
  const share = m.read.operations / (m.read.operations + m.write.operations);
  assert.ok(share > 0.6 && share < 0.8, `read share ${share}`);
  assert.ok(Array.isArray(m.recommendations));
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('bad storage input is refused before any file is written', async (t) => {
  const dir = tempDir(t);
  assert.throws(() => new NetworkStorageBenchmark({ storage: { queueDepth: 0 } }), (e) => e instanceof RangeError && e.message === 'storage.queueDepth: got 0 (accepted: an integer from 1 to 1024)');
  assert.throws(() => new NetworkStorageBenchmark({ storage: { pattern: 'sideways' } }), (e) => e instanceof RangeError && /^storage\.pattern: got "sideways" \(accepted: one of 'read', 'write', 'randread', 'randwrite', 'randrw'\)/.test(e.message));
  assert.throws(() => new NetworkStorageBenchmark({ storage: { blocksize: 4096 } }), (e) => e instanceof TypeError && /^storage\.blocksize: got an unknown option/.test(e.message));
  assert.throws(() => new NetworkStorageBenchmark({ storage: 'yes' }), (e) => e instanceof TypeError && /^config\.storage: got "yes"/.test(e.message));
  const missing = path.join(dir, 'missing');
  await assert.rejects(new NetworkStorageBenchmark({ storage: { ...SMALL, directory: missing } }).run(), (e) => e.message.startsWith(`storage.directory: got ${JSON.stringify(missing)}`) && /accepted: an existing, writable folder/.test(e.message));
  const ro = readOnlyDir(t);
  if (ro) {
    await assert.rejects(new NetworkStorageBenchmark({ storage: { ...SMALL, directory: ro } }).run(), (e) => e.message.includes(`${JSON.stringify(ro)} is not writable`));
  }
  const free = Number(execFileSync('df', ['--output=avail', '-B1', dir]).toString().trim().split('\n')[1]);
  await assert.rejects(new NetworkStorageBenchmark({ storage: { ...SMALL, directory: dir, fileSize: free * 2 } }).run(), (e) => e instanceof RangeError && e.message.startsWith(`storage.fileSize: got ${free * 2} (accepted: at most `) && e.message.includes(dir));
  await assert.rejects(new NetworkStorageBenchmark({ storage: { ...SMALL, directory: dir, pattern: 'randread', blockSize: 1000 } }).run(), (e) => e instanceof RangeError && /^storage\.blockSize: got 1000 \(accepted: a multiple of \d+ bytes, the logical block size/.test(e.message));
  assert.deepEqual(fs.readdirSync(dir), [], 'nothing written');
});

test('a file system without O_DIRECT says direct: false and why; memory-backed targets are flagged', async (t) => {
  if (process.getuid() !== 0) return t.skip('mounting ramfs needs root');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'novacron-ramfs-'));
  execFileSync('mount', ['-t', 'ramfs', 'ramfs', dir]);
  t.after(() => {
    execFileSync('umount', [dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const r = await new NetworkStorageBenchmark({ storage: { ...SMALL, directory: dir, pattern: 'randread' } }).run();
  const c = r.results.storagePerformance.conditions;
  assert.equal(c.direct, false);
  assert.match(c.directReason, /O_DIRECT/);
  assert.equal(c.target.fsType, 'ramfs');
  assert.match(c.target.warning, /ramfs/);
  assert.equal(c.pageCachePossible, true);
  const kinds = r.results.storagePerformance.recommendations.map((x) => `${x.type}/${x.severity}`);
  assert.deepEqual(kinds.sort(), ['configuration/high', 'configuration/medium']);
  assert.equal(r.results.storagePerformance.iopsPerformance.byQueueDepth.qd_1.read.direct, false);
});

test('framework timeout mid-run: every thread, socket and temporary file is gone', async (t) => {
  const dir = tempDir(t);
  const fw = new PerformanceBenchmarkingFramework({ metricsPath: tempDir(t), startMonitoring: false });
  t.after(() => fw.shutdown());
  // Warm-up run: starts libuv's pool threads, which stay.
  await fw.runBenchmark('network_storage', { storage: { ...SMALL, directory: dir, pattern: 'read', duration: 100 } });
  const baseThreads = threadCount();
  const basePorts = listeningPorts();
  const progress = [];
  fw.on('benchmark:progress', (p) => progress.push(p));
  let midRun = null;
  const probe = setTimeout(() => {
    midRun = { files: fs.readdirSync(dir), threads: threadCount(), ports: listeningPorts() };
  }, 700);
  await assert.rejects(
    fw.runBenchmark('network_storage', { benchmarkTimeout: 1200, storage: { ...SMALL, directory: dir, duration: 20_000 }, network: {} }),
    /Benchmark timeout: 'network_storage' exceeded benchmarkTimeout of 1200 ms/,
  );
  clearTimeout(probe);
  // The checks below can fail: mid-run there was a file and more threads.
  assert.equal(midRun.files.length, 1, `files mid-run: ${midRun.files}`);
  assert.ok(midRun.threads > baseThreads, `threads mid-run ${midRun.threads} vs ${baseThreads}`);
  assert.ok(midRun.ports.size > basePorts.size, 'the loopback peer was listening mid-run');
  assert.deepEqual(fs.readdirSync(dir), []);
  assert.deepEqual(listeningPorts(), basePorts);
  // At most the baseline: a thread of an earlier test may end meanwhile; ours must all be gone.
  await waitFor(() => threadCount() <= baseThreads, 2000, () => `threads ${threadCount()} vs ${baseThreads}`);
  assert.ok(progress.length > 0 && progress.every((p) => p.name === 'network_storage' && typeof p.phase === 'string' && p.percent >= 0 && p.percent <= 100));
});

test('built-ins come from the core registry and run through one generic base', (t) => {
  const { EventEmitter } = require('node:events');
  const { BuiltinBenchmark } = require('../lib/builtin-benchmark');
  const fw = new PerformanceBenchmarkingFramework({ metricsPath: tempDir(t), startMonitoring: false });
  t.after(() => fw.shutdown());
  assert.equal(fw.benchmarks.get('network_storage'), NetworkStorageBenchmark);
  assert.ok(NetworkStorageBenchmark.prototype instanceof BuiltinBenchmark);
  const bench = new NetworkStorageBenchmark({ storage: false, network: false });
  assert.ok(bench instanceof EventEmitter);
  assert.equal(bench.registryName, 'network_storage');
});

test('default folder: a new temp folder on a disk file system, removed afterwards', async () => {
  const before = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('novacron-perf-storage-'));
  const r = await new NetworkStorageBenchmark({ storage: { ...SMALL, pattern: 'read' } }).run();
  const target = r.results.storagePerformance.conditions.target;
  assert.equal(target.created, true);
  assert.ok(!fs.existsSync(target.directory), `${target.directory} removed`);
  assert.ok(!['tmpfs', 'ramfs', 'overlay', 'fuse'].includes(target.fsType) || target.warning);
  assert.deepEqual(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('novacron-perf-storage-')), before);
});
