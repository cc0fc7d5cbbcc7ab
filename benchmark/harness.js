'use strict';
// npm run bench:harness — per-iteration overhead of SystemBenchmark.measureLatency next to
// tinybench, on a no-op and on a ~1 µs operation, in the same process; what batching
// changes for an operation shorter than the clock's step; and the time `require` of the
// addon adds, measured in fresh processes.
const { execFileSync } = require('node:child_process');
const os = require('node:os');
const { Bench } = require('tinybench');
const { SystemBenchmark } = require('..');

const ITERATIONS = 200_000;
const ROUNDS = 5;

function busyMicro() {
  // ~1 µs of work: a small, fixed loop the JIT cannot remove.
  let x = 0;
  for (let i = 0; i < 1800; i++) x = (x + i * 2654435761) >>> 0;
  return x;
}
const noop = () => {};

/** Wall ns per iteration of the operation itself, timed in a tight loop (the floor). */
function bareCost(op) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) op();
  return Number(process.hrtime.bigint() - t0) / ITERATIONS;
}

async function oursPerIteration(op) {
  const b = new SystemBenchmark({ warmup: 1000 });
  const t0 = process.hrtime.bigint();
  await b.measureLatency(op, ITERATIONS);
  return Number(process.hrtime.bigint() - t0) / (ITERATIONS + 1000);
}

async function tinybenchPerIteration(op) {
  const bench = new Bench({ iterations: ITERATIONS, time: 0, warmupIterations: 1000, warmupTime: 0 });
  bench.add('op', op);
  const t0 = process.hrtime.bigint();
  await bench.run();
  const task = bench.tasks[0];
  const n = task.result.latency ? task.result.latency.samplesCount ?? task.runs : task.runs;
  return Number(process.hrtime.bigint() - t0) / (n + 1000);
}

function median(v) {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  console.log(`novacron-perf harness bench — ${new Date().toISOString()}`);
  console.log(`machine: ${os.cpus()[0].model}, ${os.cpus().length} CPUs, Node ${process.version}, tinybench ${JSON.parse(require('node:fs').readFileSync(require('node:path').join(__dirname, '..', 'node_modules', 'tinybench', 'package.json'), 'utf8')).version}`);
  console.log(`${ITERATIONS} measured iterations per run, median of ${ROUNDS} runs; overhead = wall time per iteration − bare cost of the operation\n`);
  const rows = [];
  for (const [label, op] of [['no-op', noop], ['~1 µs op', busyMicro]]) {
    const bare = [];
    const ours = [];
    const tiny = [];
    for (let r = 0; r < ROUNDS; r++) {
      bare.push(bareCost(op));
      ours.push(await oursPerIteration(op));
      tiny.push(await tinybenchPerIteration(op));
    }
    const b = median(bare);
    const o = median(ours) - b;
    const t = median(tiny) - b;
    rows.push({ operation: label, 'bare ns/op': b.toFixed(1), 'novacron-perf overhead ns/iter': o.toFixed(1), 'tinybench overhead ns/iter': t.toFixed(1), 'ratio ours/tinybench': (o / t).toFixed(2) });
  }
  console.table(rows);

  // A no-op is shorter than the clock's step: one call per sample reads the clock's cost
  // (and warns timerSaturated); timing 1 000 calls per sample reads the call itself.
  const sub = [];
  for (const batch of [1, 1000]) {
    const s = await new SystemBenchmark({ warmup: 100 }).measureLatency(noop, 10_000, { batch });
    sub.push({ operation: 'no-op', batch, 'median ns/call': (s.median * 1e6).toFixed(2), 'clock step ns': s.timerResolutionNs, warnings: s.warnings.join(', ') || '-' });
  }
  console.table(sub);

  const loads = [];
  const baseline = [];
  for (let i = 0; i < 7; i++) {
    loads.push(Number(execFileSync(process.execPath, ['-e', "const t=process.hrtime.bigint();require(process.argv[1]);console.log(Number(process.hrtime.bigint()-t)/1e6)", require.resolve('..')])));
    baseline.push(Number(execFileSync(process.execPath, ['-e', "const t=process.hrtime.bigint();require('node:events');require('node:os');console.log(Number(process.hrtime.bigint()-t)/1e6)"])));
  }
  console.log(`\nrequire('novacron-perf') in a fresh process: median ${median(loads).toFixed(2)} ms (min ${Math.min(...loads).toFixed(2)}, max ${Math.max(...loads).toFixed(2)}); goal ≤ 20 ms`);
  console.log(`(baseline require of node:events + node:os: median ${median(baseline).toFixed(2)} ms)`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
