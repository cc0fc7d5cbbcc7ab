// The README's snippets, copied unchanged and compiled under `tsc --strict` against index.d.ts
// (never run). Each snippet is the body of one function, in README order; the only lines left
// out are the `require(...)` lines, which the import below stands for (a `require` in a .ts
// file gives `any`, which would check nothing).
import {
  NovaCronPerformanceSystem,
  PerformanceBenchmarkingFramework,
  SystemBenchmark,
  EnvironmentProfileManager,
  ProfileOptimizer,
  PerformanceMetricsCollector,
  NetworkStorageBenchmark,
} from '../..';

// Names the snippets use without defining them.
declare function myOperation(): Promise<void>;
declare const framework: PerformanceBenchmarkingFramework;

// The class that the Quick Start registers: the one of the Custom Benchmark snippet below.
declare class CustomBenchmark extends SystemBenchmark {}

// ## Quick Start
async function quickStart(): Promise<void> {
  const perfSystem = await NovaCronPerformanceSystem.createProductionSystem({ autoStart: true });
  perfSystem.framework.registerBenchmark('custom_test', CustomBenchmark);
  const result = await perfSystem.runBenchmark('custom_test', { samples: 50 });
  console.log(result.result.results.latency.p99, result.systemState.loadavg);
  await perfSystem.stop();
}

// ## Custom Profile Creation
async function customProfile(): Promise<void> {
  const perfSystem = new NovaCronPerformanceSystem({ environment: 'production' });
  await perfSystem.initialize();

  await perfSystem.createCustomProfile('high-throughput', 'production', {
    framework: { maxConcurrency: 16 },
    optimizers: { cpu: { targetUtilization: 0.85 }, cache: { targetHitRatio: 0.95, aggressiveness: 'aggressive' } },
  });
  await perfSystem.switchProfile('high-throughput');

  const optimizedProfile = await perfSystem.profileManager.optimizeProfile('production', {
    cpuIntensive: true,
    mlWorkload: true,
  });
  await perfSystem.switchProfile(optimizedProfile);
}

// ## Custom Benchmark
async function customBenchmark(): Promise<void> {
  class CustomBenchmark extends SystemBenchmark {
    async run() {
      const latency = await this.measureLatency(() => myOperation(), 100);
      return { success: true, timestamp: Date.now(), results: { latency } };
    }
  }

  const framework = new PerformanceBenchmarkingFramework();
  framework.registerBenchmark('custom_test', CustomBenchmark);
  const result = await framework.runBenchmark('custom_test', { benchmarkTimeout: 60000 });
  void result;
}

// ## Metrics, history and Prometheus
async function metricsHistory(): Promise<void> {
  const collector = new PerformanceMetricsCollector({
    collectionInterval: 1000,                     // ms; every source on one clock, in a Rust thread
    storageLocation: './performance-data/metrics', // the compressed, crash-safe history store
    databases: ['postgres://postgres@127.0.0.1/test', 'mysql://root@127.0.0.1/test', 'sqlite:./app.db'],
    networkTargets: ['10.0.0.12:8080'],           // TCP connect-latency probes
  });
  collector.on('metrics:collected', (sample) => console.log(sample.collectors.system.cpu.usage));
  collector.on('collection:error', (err) => console.warn(err.message)); // a source degraded; others go on
  await collector.start();

  // History: raw samples, or one aggregate per step (served from 1 min / 1 h rollups).
  const cpu = await collector.getMetrics({ collector: 'system', metric: 'cpu.usage', startTime: Date.now() - 3600e3 });
  const disks = await collector.getMetrics({ metric: 'system.disks.writeBytesPerSec', labels: { device: 'vda' }, step: 60_000, stat: 'max' });

  // Prometheus: node_exporter names for machine metrics, novacron_* for the rest.
  const { url } = await collector.startMetricsServer({ port: 9464 }); // 127.0.0.1 unless host is given
  void [cpu, disks, url];
}

// ## Network and storage benchmark
async function networkStorage(): Promise<void> {
  const bench = new NetworkStorageBenchmark({ storage: { directory: '/var/lib/novacron/images' } });
  bench.on('progress', ({ phase, percent }) => console.log(phase, percent.toFixed(0) + '%'));
  const { results } = await bench.run();
  // A part that did not run is { status: 'skipped' | 'unavailable', reason }: check before reading figures.
  const { storagePerformance: sp, networkPerformance: np } = results;
  if (!('status' in sp) && !('status' in sp.iopsPerformance)) console.log(sp.iopsPerformance.readIOPS, 'IOPS');
  if (!('status' in np) && !('status' in np.tcpThroughput)) console.log(np.tcpThroughput.bitsPerSecond, 'bit/s');

  // Or through the framework (benchmarkTimeout aborts it and removes everything it made):
  await framework.runBenchmark('network_storage', { storage: { pattern: 'randread', queueDepth: 32 }, network: false });
}

// ### Benchmark a remote host
async function remoteHost(): Promise<void> {
  const r = await new NetworkStorageBenchmark({
    storage: false,
    network: { host: '10.0.0.12', port: 5301, streams: 4, duration: 10000 },
  }).run();
  const np = r.results.networkPerformance;
  if (!('status' in np)) {
    if (!('status' in np.tcpThroughput)) console.log(np.tcpThroughput.bitsPerSecond / 1e9, 'Gbit/s at the receiver');
    if (!('status' in np.requestResponse)) console.log(np.requestResponse.latency?.p99, 'ms RTT p99');
    if (!('status' in np.udp)) console.log(np.udp.jitterMs, 'ms jitter', np.udp.lostPercent, '% lost');
  }
}

// ### Benchmark an HTTP endpoint
async function httpEndpoint(): Promise<void> {
  // Closed loop (wrk): maximum throughput at 16 connections.
  const max = await new NetworkStorageBenchmark({
    storage: false,
    network: { mode: 'http', url: 'http://api.novacron.local:8080/health', connections: 16, duration: 30000 },
  }).run();
  // Open loop (wrk2 -R): 2000 req/s; latency counts from each request's scheduled send time.
  const open = await new NetworkStorageBenchmark({
    storage: false,
    network: { mode: 'http', url: 'http://api.novacron.local:8080/health', rate: 2000, connections: 16, duration: 30000 },
  }).run();
  const np = open.results.networkPerformance;
  if (!('status' in np) && !('status' in np.http) && !('status' in np.http.openLoop)) {
    const h = np.http.openLoop;
    console.log(h.latency?.p999, h.achievedRate, h.rateNotAchieved, h.errors);
  }
  void max;
}

// ## API Reference: the calls it names, on a system from `initialize()`.
async function apiReference(): Promise<void> {
  const perfSystem = await new NovaCronPerformanceSystem().initialize();
  await perfSystem.start();
  await perfSystem.runBenchmark('custom_test', { samples: 50, stressTest: true });
  await perfSystem.runBenchmarkSuite({ benchmarks: [{ name: 'custom_test' }], sequential: true });
  await perfSystem.switchProfile('ml-training');
  perfSystem.framework.registerBenchmark('custom_test', CustomBenchmark);
  await perfSystem.metricsCollector.startMetricsServer({ port: 9464 });
  const manager = new EnvironmentProfileManager({ profilesPath: './profiles' });
  const config = await manager.loadProfile('hpc');
  const tuned = await new ProfileOptimizer(config, { ioIntensive: true }).optimize();
  const iops: number | undefined = tuned.optimizers.storage?.targetIOPS;
  void iops;
  await perfSystem.stop();
}

// A factory's result says it is initialized; a plain constructor's does not.
async function initializedFlag(): Promise<void> {
  const created = await NovaCronPerformanceSystem.createDevelopmentSystem();
  const yes: true = created.isInitialized;
  const fresh = new NovaCronPerformanceSystem();
  // @ts-expect-error isInitialized is only known to be true after initialize()
  const no: true = fresh.isInitialized;
  void [yes, no];
}

void [customBenchmark, quickStart, customProfile, metricsHistory, networkStorage, remoteHost, httpEndpoint, apiReference, initializedFlag];
