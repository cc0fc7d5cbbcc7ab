'use strict';
// Custom Benchmark: a SystemBenchmark subclass registered on a standalone framework,
// run with a timeout; the framework's AbortSignal stops it cleanly when time runs out.
const { PerformanceBenchmarkingFramework, SystemBenchmark } = require('..');
const zlib = require('node:zlib');

class CustomBenchmark extends SystemBenchmark {
  async run() {
    const input = Buffer.alloc(256 * 1024, 'novacron ');
    const latency = await this.measureLatency(() => zlib.gzipSync(input), this.config.samples ?? 100);
    return { success: true, timestamp: Date.now(), results: { latency } };
  }
}

async function main() {
  const framework = new PerformanceBenchmarkingFramework({ benchmarkTimeout: 60_000 });
  framework.registerBenchmark('custom_test', CustomBenchmark);
  framework.on('benchmark:completed', (r) => console.log(`completed ${r.name} in ${r.duration.toFixed(1)} ms`));
  const result = await framework.runBenchmark('custom_test', { samples: 50 });
  const { p50, p99, ci95, outliers } = result.result.results.latency;
  console.log({ p50, p99, ci95, outliers: outliers.total });
  console.log('stored results:', (await framework.listResults({ name: 'custom_test' })).length);
  await framework.shutdown();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
