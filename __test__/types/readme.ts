// The README snippets, compiled under `tsc --strict` against index.d.ts (never run).
import {
  NovaCronPerformanceSystem,
  PerformanceBenchmarkingFramework,
  SystemBenchmark,
  EnvironmentProfileManager,
  ProfileOptimizer,
  LatencyStats,
  PerformanceMetricsCollector,
  NetworkStorageBenchmark,
  NetworkStorageResult,
} from '../..';

async function quickStart(): Promise<void> {
  const perfSystem = await NovaCronPerformanceSystem.createProductionSystem({ autoStart: true });
  const status = perfSystem.getStatus();
  const profile: string = status.currentProfile;
  void profile;
  await perfSystem.stop();
}

async function customProfile(): Promise<void> {
  const perfSystem = new NovaCronPerformanceSystem({ environment: 'production', autoStart: false });
  await perfSystem.initialize();
  await perfSystem.createCustomProfile('high-throughput', 'production', {
    framework: { maxConcurrency: 16 },
    optimizers: { cpu: { targetUtilization: 0.85 }, cache: { targetHitRatio: 0.95, aggressiveness: 'aggressive' } },
  });
  await perfSystem.switchProfile('high-throughput');
  const optimizedProfile: string = await perfSystem.profileManager!.optimizeProfile('production', { cpuIntensive: true, mlWorkload: true });
  await perfSystem.switchProfile(optimizedProfile);
}

class CustomBenchmark extends SystemBenchmark {
  async run(): Promise<{ success: boolean; timestamp: number; results: { latency: LatencyStats } }> {
    const latency = await this.measureLatency(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }, 50);
    return { success: true, timestamp: Date.now(), results: { latency } };
  }
}

async function customBenchmark(): Promise<void> {
  const framework = new PerformanceBenchmarkingFramework({ benchmarkTimeout: 60000 });
  framework.registerBenchmark('custom_test', CustomBenchmark);
  framework.on('benchmark:completed', (r) => console.log(r.name));
  const result = await framework.runBenchmark<{ results: { latency: LatencyStats } }>('custom_test', { samples: 10 });
  const p99: number = result.result.results.latency.p99;
  const cpus: number = result.systemState.cpus;
  const suite = await framework.runBenchmarkSuite({ benchmarks: [{ name: 'custom_test', config: { samples: 5 } }], concurrency: 1 });
  const passed: number = suite.summary.passed;
  void [p99, cpus, passed];
  await framework.shutdown();
}

async function apiReference(): Promise<void> {
  const perfSystem = new NovaCronPerformanceSystem();
  await perfSystem.initialize();
  await perfSystem.start();
  await perfSystem.runBenchmark('custom_test', { samples: 50, stressTest: true });
  await perfSystem.runBenchmarkSuite({ benchmarks: [{ name: 'custom_test' }], sequential: true });
  await perfSystem.switchProfile('ml-training');
  const manager = new EnvironmentProfileManager({ profilesPath: './profiles' });
  const config = await manager.loadProfile('hpc');
  const tuned = await new ProfileOptimizer(config, { ioIntensive: true }).optimize();
  const iops: number | undefined = tuned.optimizers.storage?.targetIOPS;
  void iops;
  await perfSystem.stop();
}


async function metricsHistory(): Promise<void> {
  const collector = new PerformanceMetricsCollector({ collectionInterval: 1000, databases: ['postgres://postgres@127.0.0.1/test'] });
  await collector.start();
  const server = await collector.startMetricsServer({ port: 9464 });
  const url: string = server.url;
  const cpu = await collector.getMetrics({ collector: 'system', metric: 'cpu.usage', startTime: new Date(Date.now() - 3_600_000) });
  const hourly = await collector.getMetrics({ metric: 'system.memory.used', step: 60_000, stat: 'max' });
  collector.addCustomMetric('queue_depth', 3, { labels: { queue: 'migrations' } });
  const text: string = collector.getPrometheusMetrics();
  void [url, cpu.length, hourly.length, text];
  await collector.stop();
}

async function networkStorage(): Promise<void> {
  // A remote host running `npx novacron-perf peer --port 5301 --bind 0.0.0.0`.
  const remote = new NetworkStorageBenchmark({ storage: false, network: { host: '10.0.0.12', port: 5301, streams: 4 } });
  remote.on('progress', ({ phase, percent }) => console.log(phase, percent.toFixed(0)));
  const r: NetworkStorageResult = await remote.run();
  const np = r.results.networkPerformance;
  if (!('status' in np) && !('status' in np.tcpThroughput)) console.log(np.tcpThroughput.bitsPerSecond / 1e9, 'Gbit/s');

  // An HTTP endpoint: closed loop at 16 connections, then open loop at 2000 req/s.
  const framework = new PerformanceBenchmarkingFramework();
  const closed = await framework.runBenchmark<NetworkStorageResult['results']>('network_storage', {
    storage: false,
    network: { mode: 'http', url: 'http://api.novacron.local:8080/health', connections: 16, duration: 30000 },
  });
  const open = await new NetworkStorageBenchmark({
    storage: false,
    network: { mode: 'http', url: 'http://api.novacron.local:8080/health', rate: 2000, connections: 16, duration: 30000 },
  }).run();
  const http = open.results.networkPerformance;
  if (!('status' in http) && !('status' in http.http) && !('status' in http.http.openLoop)) {
    console.log(http.http.openLoop.latency?.p999, http.http.openLoop.achievedRate);
  }

  // Storage on the disk that will hold VM images.
  const disk = await new NetworkStorageBenchmark({ storage: { directory: '/var/lib/novacron/images', pattern: 'randread', queueDepth: 32 }, network: false }).run();
  const sp = disk.results.storagePerformance;
  if (!('status' in sp) && !('status' in sp.iopsPerformance)) console.log(sp.iopsPerformance.readIOPS);
  void closed;
  await framework.shutdown();
}

void [quickStart, customProfile, customBenchmark, apiReference, networkStorage, metricsHistory];
