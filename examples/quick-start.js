'use strict';
// Quick Start: a development system, a custom benchmark, a suite and a result table.
// Run from the package root with `npm start`; results land in ./performance-data/.
const { NovaCronPerformanceSystem, SystemBenchmark } = require('..');
const crypto = require('node:crypto');

/** Hashes 64 KiB with SHA-256: a real, CPU-bound operation. */
class HashBenchmark extends SystemBenchmark {
  async run() {
    const data = crypto.randomBytes(64 * 1024);
    const latency = await this.measureLatency(() => crypto.createHash('sha256').update(data).digest(), this.config.samples ?? 200);
    const throughput = await this.measureThroughput(() => crypto.createHash('sha256').update(data).digest(), this.config.duration ?? 1000);
    return { success: true, timestamp: Date.now(), results: { latency, throughput: { ...throughput, operations: undefined } } };
  }
}

/** Writes and fsyncs a 4 KiB file: a real storage round trip. */
class FsyncBenchmark extends SystemBenchmark {
  async run() {
    const fs = require('node:fs');
    const os = require('node:os');
    const path = require('node:path');
    const file = path.join(os.tmpdir(), `novacron-quick-start-${process.pid}`);
    const buf = Buffer.alloc(4096, 1);
    try {
      const latency = await this.measureLatency(() => {
        const fd = fs.openSync(file, 'w');
        fs.writeSync(fd, buf);
        fs.fsyncSync(fd);
        fs.closeSync(fd);
      }, this.config.samples ?? 50);
      return { success: true, timestamp: Date.now(), results: { latency } };
    } finally {
      fs.rmSync(file, { force: true });
    }
  }
}

async function main() {
  const perfSystem = await NovaCronPerformanceSystem.createDevelopmentSystem();
  perfSystem.framework.registerBenchmark('sha256_64k', HashBenchmark);
  perfSystem.framework.registerBenchmark('fsync_4k', FsyncBenchmark);

  const suite = await perfSystem.runBenchmarkSuite({
    benchmarks: [
      { name: 'sha256_64k', config: { samples: 200, duration: 1000 } },
      { name: 'fsync_4k', config: { samples: 50 } },
    ],
    sequential: true,
  });

  console.log(`Profile: ${perfSystem.getStatus().currentProfile}`);
  console.table(
    suite.results.map((r) => {
      const l = r.result.results.latency;
      return {
        benchmark: r.name,
        samples: l.samples,
        'p50 ms': +l.p50.toFixed(4),
        'p99 ms': +l.p99.toFixed(4),
        'mean ms (95% CI)': `${l.avg.toFixed(4)} [${l.ci95.low.toFixed(4)}, ${l.ci95.high.toFixed(4)}]`,
        outliers: l.outliers.total,
        'CPU % during run': r.systemState.current.cpu.usage?.toFixed(1) ?? 'n/a',
      };
    }),
  );
  console.log(`Suite: ${suite.summary.passed}/${suite.summary.total} passed in ${suite.summary.totalDuration.toFixed(0)} ms`);
  await perfSystem.stop();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
