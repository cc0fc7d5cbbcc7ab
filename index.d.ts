// Type definitions for novacron-perf. Durations and latencies are milliseconds, timestamps
// epoch milliseconds, sizes bytes, unless a field says otherwise.
import { EventEmitter } from 'node:events';

/**
 * 95 % confidence interval of the mean: Student's t below 30 samples and above 10 000, an
 * expanded percentile bootstrap between (none for one sample or no spread).
 */
export interface ConfidenceInterval { level: number; low: number; high: number; method: 'bootstrap' | 'student-t' }

/** Tukey outlier counts (reported, never removed). */
export interface Outliers {
  lowSevere: number; lowMild: number; highMild: number; highSevere: number; total: number;
  mildFences: [number, number]; severeFences: [number, number];
}

/** Summary of a sample set, from the Rust `stats` module. */
export interface Summary {
  n: number; mean: number; stddev: number | null; min: number; max: number; median: number; mad: number;
  p50: number; p90: number; p95: number; p99: number; p999: number;
  ci95: ConfidenceInterval | null; rme: number | null; outliers: Outliers;
  /** Doubling buckets from 1 µs; `upTo` in ms. */
  histogram: Array<{ upTo: number; count: number }>;
  warnings: Array<'coldStart' | 'timerSaturated'>;
}

/** `measureLatency` result (ms): the contract's fields plus the measurement rules' additions. */
export interface LatencyStats {
  min: number; max: number; avg: number; p50: number; p95: number; p99: number;
  /** Measured (post-warm-up, successful) operations. */
  samples: number;
  stddev: number | null; median: number; mad: number; p90: number; p999: number;
  ci95: ConfidenceInterval | null; rme: number | null; outliers: Outliers;
  histogram: Summary['histogram']; warnings: Summary['warnings'];
  /** Warm-up iterations (samples) run before measuring. */
  warmup: number;
  /** Failed measured calls, and failed warm-up calls (counted apart, never fatal). */
  errors: number; warmupErrors: number;
  /** Failed measured calls over measured calls. */
  failureRate: number;
  /** The first failure (warm-up included) as text, `'undefined'` for a thrown undefined; null when none. */
  firstError: string | null;
  /** Calls timed per sample; the figures are per call. */
  batch: number;
  /** Smallest step of the clock, ns; a median within 10 of them warns `timerSaturated`. */
  timerResolutionNs: number;
}

/** `measureThroughput` result. */
export interface ThroughputStats {
  operationsPerSecond: number; totalOperations: number; totalTime: number; avgOperationTime: number | null;
  /** Per-operation records, at most 100 000 (`truncated` says when more ran). */
  operations: Array<{ duration: number; timestamp: number }>;
  truncated: boolean; latency: Summary | null;
  /** Failed measured calls, and failed warm-up calls (counted apart, never fatal). */
  errors: number; warmupErrors: number; failureRate: number;
  /** The first failure (warm-up included) as text; null when none. */
  firstError: string | null;
  warmupTime: number;
}

/** Options every benchmark understands. */
export interface BenchmarkOptions {
  /** Latency iterations. */
  samples?: number;
  iterations?: number;
  /** Throughput window, ms. */
  duration?: number;
  /** Per-run timeout, ms (overrides the framework's). */
  benchmarkTimeout?: number;
  /** Warm-up iterations for measureLatency (default 10 % of the run, 1–10). */
  warmup?: number;
  /** Warm-up time for measureThroughput, ms (default 10 % of the duration, ≤ 1000). */
  warmupTime?: number;
  /** Calls measureLatency times per sample (default 1): for operations near the clock's resolution. */
  batch?: number;
  [key: string]: unknown;
}

/** Base of every benchmark; subclasses implement `run()`. An EventEmitter (built-ins emit `progress`). */
export class SystemBenchmark extends EventEmitter {
  constructor(config?: BenchmarkOptions & { framework?: PerformanceBenchmarkingFramework; signal?: AbortSignal });
  config: BenchmarkOptions & Record<string, any>;
  framework: PerformanceBenchmarkingFramework | null;
  /** Aborted when the run times out; long loops should stop on it. */
  signal: AbortSignal | null;
  warmupIterations(iterations: number): number;
  /** The measurement clock, ns (`process.hrtime.bigint()`); a subclass may replace it. */
  now(): bigint;
  /**
   * Rejects only when every measured call failed (with the first error); stops on
   * `signal` and on the framework's `benchmarkTimeout`, even for a synchronous operation.
   */
  measureLatency(operation: () => unknown, iterations?: number, options?: { batch?: number }): Promise<LatencyStats>;
  measureThroughput(operation: () => unknown, duration?: number): Promise<ThroughputStats>;
  run?(): Promise<unknown>;
}

/** Base of the ML benchmarks. */
export class MLEStarBenchmark extends SystemBenchmark {
  constructor(config?: BenchmarkOptions & { frameworks?: string[]; mleService?: unknown });
  frameworks: string[];
  modelTypes: string[];
  mleService: unknown;
}

/** Machine metadata and a sample at the end of a run. */
export interface SystemSnapshot {
  timestamp: number; platform: string; arch: string; cpus: number; cpuModel: string | null; kernel: string | null;
  /** Total memory, bytes. */
  memory: number;
  /** Seconds since boot; `null` where the kernel does not say. */
  uptime: number | null;
  /** 1, 5 and 15 minute load averages; `null` where the kernel does not say. */
  loadavg: [number, number, number] | null;
  current: SystemSample;
}

/** One real system sample. */
export interface SystemSample {
  timestamp: number;
  /** `user`/`system`: this process's CPU µs; `usage`: % of all cores since the previous reading (null for a first one). */
  cpu: { user: number; system: number; usage: number | null; cores: number };
  memory: { used: number; total: number; free: number; available: number; rss: number | null; swapUsed: number; swapTotal: number; heapUsed?: number; heapTotal?: number; external?: number };
  disk: { used: number; available: number; total: number; mountPoint: string; fsType: string; iops: number | null } | null;
  network: { bytesReceived: number; bytesSent: number; packetsReceived: number; packetsSent: number; connections: number | null };
}

/** What `runBenchmark` resolves to. */
export interface BenchmarkRunResult<R = any> {
  name: string; duration: number; timestamp: number; config: BenchmarkOptions; result: R; systemState: SystemSnapshot;
}

/** `runBenchmarkSuite` input. */
export interface SuiteConfig { benchmarks: Array<{ name: string; config?: BenchmarkOptions }>; concurrency?: number; sequential?: boolean }

/** `runBenchmarkSuite` result. */
export interface SuiteResult {
  timestamp: number; config: SuiteConfig; results: BenchmarkRunResult[];
  summary: { total: number; passed: number; failed: number; avgDuration: number | null; totalDuration: number };
}

/** Framework options. */
export interface FrameworkConfig {
  metricsRetention?: number; samplingInterval?: number; benchmarkTimeout?: number; maxConcurrency?: number;
  profilesPath?: string;
  /** Data folder for results (default './performance-data'). */
  metricsPath?: string;
  /** Start the system sampler in the constructor (default true). */
  startMonitoring?: boolean;
  /** How long a timed-out benchmark gets to clean up, ms (default 30000). */
  cleanupTimeout?: number;
  [key: string]: unknown;
}

/** Statistics of a metric series. */
export interface MetricStats { min: number; max: number; avg: number; median: number; p95: number; p99: number }

/** Names of the framework's events. */
export type FrameworkEvent =
  | 'framework:ready' | 'framework:initialized' | 'benchmark:registered' | 'benchmark:started' | 'benchmark:completed'
  | 'benchmark:failed' | 'suite:completed' | 'optimizer:registered' | 'optimization:started' | 'optimization:completed'
  | 'optimization:failed' | 'metrics:collected' | 'framework:shutdown' | 'benchmark:progress';

/** Registry, runs with timeout and cancellation, suites, result files and system sampling. */
export class PerformanceBenchmarkingFramework extends EventEmitter {
  constructor(config?: FrameworkConfig);
  config: Required<Pick<FrameworkConfig, 'metricsRetention' | 'samplingInterval' | 'benchmarkTimeout' | 'maxConcurrency' | 'metricsPath'>> & FrameworkConfig;
  benchmarks: Map<string, new (config: any) => SystemBenchmark>;
  optimizers: Map<string, new (config: any) => { optimize(targetMetrics: any): Promise<any> }>;
  results: Map<string, BenchmarkRunResult>;
  activeTests: Set<string>;
  readonly systemMetrics: { cpu: any[]; memory: any[]; disk: any[]; network: any[] };
  registerBenchmark(name: string, benchmarkClass: new (config: any) => SystemBenchmark): void;
  registerOptimizer(name: string, optimizerClass: new (config: any) => { optimize(targetMetrics: any): Promise<any> }): void;
  applyConfig(partial: FrameworkConfig): void;
  runBenchmark<R = any>(name: string, config?: BenchmarkOptions): Promise<BenchmarkRunResult<R>>;
  runBenchmarkSuite(suiteConfig: SuiteConfig): Promise<SuiteResult>;
  runOptimization(name: string, targetMetrics: Record<string, number>, config?: Record<string, unknown>): Promise<{ name: string; timestamp: number; targetMetrics: Record<string, number>; result: any; improvements: Record<string, { before: number; after: number; improvement: number; absolute: number }> }>;
  listResults(query?: { name?: string; since?: number; until?: number; limit?: number }): Promise<BenchmarkRunResult[]>;
  /**
   * Makes the system sampler a view over `metricsCollector`'s machine readings (one sample
   * every `samplingInterval` ms, or every collector tick when that is longer), so that no
   * second thread samples the machine. NovaCronPerformanceSystem calls it with its collector.
   */
  attachCollector(metricsCollector: PerformanceMetricsCollector): void;
  startSystemMonitoring(): void;
  stopSystemMonitoring(): void;
  getMonitoringStatus(): { running: boolean; intervalMs: number; capacity: number; kept: number; ticks: number; events: { sent: number; skipped: number; dropped: number } };
  collectSystemMetrics(): Promise<SystemSample>;
  getDiskUsage(): Promise<SystemSample['disk']>;
  getNetworkStats(): Promise<SystemSample['network']>;
  getSystemSnapshot(): Promise<SystemSnapshot>;
  getMetricsInRange(start: number, end: number): { cpu: any[]; memory: any[]; disk: any[]; network: any[] };
  analyzSystemPerformance(start: number, end: number): Promise<{ cpu: MetricStats | null; memory: MetricStats | null; disk: MetricStats | null; network: MetricStats | null }>;
  calculateMetricStats(entries: any[]): MetricStats | null;
  calculateMedian(values: number[]): number | null;
  calculatePercentile(values: number[], p: number): number;
  chunkArray<T>(array: T[], size: number): T[][];
  calculateSuiteSummary(results: BenchmarkRunResult[]): SuiteResult['summary'];
  calculateImprovements(targetMetrics: Record<string, number>, result: any): Promise<Record<string, { before: number; after: number; improvement: number; absolute: number }>>;
  generateRecommendations(): Promise<Array<{ type: 'performance'; category: 'cpu' | 'memory'; severity: 'high'; message: string; metrics: Record<string, number> }>>;
  generateReport(timeRange?: { hours?: number }): Promise<any>;
  /** Stops sampling and ends the native event thread (startSystemMonitoring brings it back). */
  shutdown(): Promise<void>;
  /** Ends the native event thread now (queued events are still delivered); shutdown calls it. */
  releaseEvents(): void;
  /** Delivers core events again after releaseEvents; startSystemMonitoring calls it. */
  resumeEvents(): void;
  on(event: FrameworkEvent, listener: (...args: any[]) => void): this;
  once(event: FrameworkEvent, listener: (...args: any[]) => void): this;
}

/** A profile configuration: five sections plus optional description and optimizedFor. */
export interface ProfileConfiguration {
  framework: FrameworkConfig & { enableDetailedLogging?: boolean; enableDebugMode?: boolean; compressionEnabled?: boolean };
  benchmarks: Record<string, { samples?: number; concurrencyLevels?: number[]; [key: string]: unknown }>;
  optimizers: {
    cache?: { targetHitRatio?: number; aggressiveness?: Aggressiveness; [key: string]: unknown };
    memory?: { gcThreshold?: number; aggressiveness?: Aggressiveness; [key: string]: unknown };
    cpu?: { targetUtilization?: number; [key: string]: unknown };
    network?: { targetBandwidth?: number; compressionLevel?: number; [key: string]: unknown };
    storage?: { targetIOPS?: number; [key: string]: unknown };
    [key: string]: Record<string, unknown> | undefined;
  };
  monitoring: { updateInterval?: number; enableRealtime?: boolean; enableHistorical?: boolean; enableAggregation?: boolean; maxDataPoints?: number; [key: string]: unknown };
  alerts: { enabled?: boolean; thresholds?: Record<string, number>; escalation?: { enabled?: boolean; levels?: string[] }; [key: string]: unknown };
  description?: string;
  optimizedFor?: string[];
}

/** Optimizer aggressiveness. */
export type Aggressiveness = 'conservative' | 'moderate' | 'aggressive';

/** Built-in profile names. */
export type BuiltinProfileName = 'development' | 'testing' | 'staging' | 'production' | 'hpc' | 'cloud' | 'edge' | 'ml-training' | 'ml-inference';

/** Deep-partial of a profile configuration, for customizations. */
export type ProfileCustomizations = { [K in keyof ProfileConfiguration]?: Partial<ProfileConfiguration[K]> & Record<string, unknown> };

/** Workload flags for `optimizeProfile` and `ProfileOptimizer`. */
export interface WorkloadCharacteristics { cpuIntensive?: boolean; memoryIntensive?: boolean; ioIntensive?: boolean; networkIntensive?: boolean; mlWorkload?: boolean }

/** Base of every profile. */
export class EnvironmentProfile {
  constructor(name: string, configuration?: ProfileConfiguration);
  name: string;
  config: ProfileConfiguration;
  getDefaultConfiguration(): ProfileConfiguration;
  getDescription(): string;
  getOptimizedFor(): string[];
  getConfiguration(): ProfileConfiguration;
  applyOverrides(overrides: ProfileCustomizations): void;
  deepMerge<T>(target: T, source: unknown): T;
}
export class DevelopmentProfile extends EnvironmentProfile { constructor() }
export class TestingProfile extends EnvironmentProfile { constructor() }
export class StagingProfile extends EnvironmentProfile { constructor() }
export class ProductionProfile extends EnvironmentProfile { constructor() }
export class HPCProfile extends EnvironmentProfile { constructor() }
export class CloudProfile extends EnvironmentProfile { constructor() }
export class EdgeProfile extends EnvironmentProfile { constructor() }
export class MLTrainingProfile extends EnvironmentProfile { constructor() }
export class MLInferenceProfile extends EnvironmentProfile { constructor() }
/** A user-defined profile. */
export class CustomProfile extends EnvironmentProfile { constructor(name: string, configuration?: ProfileConfiguration) }

/** Tunes a configuration for workload flags. */
export class ProfileOptimizer {
  constructor(baseProfile: ProfileConfiguration | EnvironmentProfile, workloadCharacteristics?: WorkloadCharacteristics);
  optimize(): Promise<ProfileConfiguration>;
  optimizeCPUSettings(config: ProfileConfiguration): ProfileConfiguration;
  optimizeMemorySettings(config: ProfileConfiguration): ProfileConfiguration;
  optimizeIOSettings(config: ProfileConfiguration): ProfileConfiguration;
  optimizeNetworkSettings(config: ProfileConfiguration): ProfileConfiguration;
  optimizeMLSettings(config: ProfileConfiguration): ProfileConfiguration;
}

/** An entry of `getAvailableProfiles()`. */
export interface ProfileInfo { name: string; type: 'built-in' | 'custom'; description: string; optimizedFor: string[] }

/** Loads, lists, saves and tunes profiles. */
export class EnvironmentProfileManager {
  constructor(config?: { profilesPath?: string; defaultProfile?: string; autoDetectEnvironment?: boolean });
  config: { profilesPath: string; defaultProfile: string; autoDetectEnvironment: boolean };
  profiles: Map<string, EnvironmentProfile>;
  customProfiles: Map<string, CustomProfile>;
  currentProfile: EnvironmentProfile | null;
  initializeDefaultProfiles(): void;
  loadProfile(profileName?: string): Promise<ProfileConfiguration>;
  getProfileConfiguration(name: string): Promise<ProfileConfiguration>;
  detectEnvironment(): string;
  saveCustomProfile(name: string, configuration: ProfileConfiguration): Promise<void>;
  getAvailableProfiles(): ProfileInfo[];
  getCurrentProfile(): EnvironmentProfile | null;
  benchmarkProfile<R>(profileName: string, benchmarkSuite: { run(config: ProfileConfiguration): Promise<R> }): Promise<{ profile: string; configuration: ProfileConfiguration; benchmarkResults: R; timestamp: number }>;
  /** Saves a tuned copy of a built-in profile and returns its name. */
  optimizeProfile(profileName: BuiltinProfileName, workloadCharacteristics?: WorkloadCharacteristics): Promise<string>;
}

/** System options. */
export interface SystemConfig {
  /** Profile to load (default 'production'). */
  environment?: string;
  /** Start after initialize (true unless literally false). */
  autoStart?: boolean;
  /** Folder of custom profiles and overrides (default './profiles'). */
  profilePath?: string;
  /** Data folder (default './performance-data'). */
  dataPath?: string;
  /** Collector options applied over the profile's `monitoring` section. */
  metrics?: MetricsCollectorConfig;
  [key: string]: unknown;
}

/** `getStatus()`; components not built in this version are null. */
export interface SystemStatus {
  initialized: boolean; running: boolean; currentProfile: string;
  components: { framework: boolean; metricsCollector: CollectorStatus | null; dashboard: unknown | null; runner: unknown | null; trendAnalyzer: unknown | null; recommendationEngine: unknown | null };
}

/**
 * What `initialize()` builds. A system resolved by `initialize()` or by a factory has all of
 * these (they are `null` only before `initialize()`), so its type says so.
 */
export interface InitializedComponents {
  isInitialized: true;
  framework: PerformanceBenchmarkingFramework;
  metricsCollector: PerformanceMetricsCollector;
  profileManager: EnvironmentProfileManager;
  currentProfile: ProfileConfiguration;
}

/** A system after `initialize()`: what the factories and `initialize()` resolve to. */
export type InitializedPerformanceSystem = NovaCronPerformanceSystem & InitializedComponents;

/**
 * The whole system: profile, framework and (as they are built) monitoring components.
 * `framework`, `metricsCollector`, `profileManager` and `currentProfile` are set by
 * `initialize()` (a factory calls it) and are `null` only before it: they are typed as
 * set, so that the usual `await perfSystem.initialize(); perfSystem.framework…` compiles
 * under `--strict` (TypeScript cannot narrow a field after an awaited call). Check
 * `isInitialized` where a system may not be initialized yet.
 */
export class NovaCronPerformanceSystem {
  constructor(config?: SystemConfig);
  config: SystemConfig & { environment: string; autoStart: boolean; profilePath: string; dataPath: string };
  framework: PerformanceBenchmarkingFramework;
  metricsCollector: PerformanceMetricsCollector;
  dashboard: unknown | null;
  runner: unknown | null;
  trendAnalyzer: unknown | null;
  recommendationEngine: unknown | null;
  profileManager: EnvironmentProfileManager;
  currentProfile: ProfileConfiguration;
  isInitialized: boolean;
  isRunning: boolean;
  /** Builds the components (once) and starts them unless `autoStart` is false; resolves to this system. */
  initialize(): Promise<this & InitializedComponents>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops, then closes the collector's store (connections, folder lock); no start after it. */
  close(): Promise<void>;
  runBenchmark<R = any>(benchmarkName: string, config?: BenchmarkOptions): Promise<BenchmarkRunResult<R>>;
  runBenchmarkSuite(suiteConfig: SuiteConfig): Promise<SuiteResult>;
  getMetrics(query?: MetricsQuery): Promise<MetricsSample[]>;
  getTrendSummary(timeRange?: string): Promise<unknown>;
  getRecommendations(filter?: Record<string, unknown>): Promise<unknown[]>;
  implementRecommendation(recommendationId: string, options?: Record<string, unknown>): Promise<unknown>;
  switchProfile(profileName: string): Promise<void>;
  createCustomProfile(name: string, baseProfile: string, customizations: ProfileCustomizations): Promise<void>;
  getStatus(): SystemStatus;
  static createDevelopmentSystem(config?: SystemConfig): Promise<InitializedPerformanceSystem>;
  static createProductionSystem(config?: SystemConfig): Promise<InitializedPerformanceSystem>;
  static createMLTrainingSystem(config?: SystemConfig): Promise<InitializedPerformanceSystem>;
  static createCloudSystem(config?: SystemConfig): Promise<InitializedPerformanceSystem>;
}

/** Which of the six collectors a sample slot or query names. */
export type CollectorKey = 'system' | 'application' | 'database' | 'network' | 'ml_workflow' | 'custom';

/** Options of `PerformanceMetricsCollector` (api-spec §9.1 plus the real sources). */
export interface MetricsCollectorConfig {
  /** Sampling period of every sub-collector, ms (5000; falls back to `updateInterval`). */
  collectionInterval?: number;
  /** The profile's monitoring period, used when `collectionInterval` is absent. */
  updateInterval?: number;
  /** Store flush period, ms (60000). */
  storageInterval?: number;
  /** Raw history kept, ms (7 days); rollups are kept longer. */
  retentionPeriod?: number;
  /** Folder of the history store ('./metrics-data'; the system uses '<dataPath>/metrics'). */
  storageLocation?: string;
  enableRealtime?: boolean;
  enableHistorical?: boolean;
  enableAggregation?: boolean;
  batchSize?: number;
  compressionEnabled?: boolean;
  /** Databases to sample: postgres://, mysql:// or mariadb:// URLs, sqlite:PATH, or { url, name }. */
  databases?: Array<string | { url: string; name?: string }>;
  /** 'host:port' targets whose TCP connect time is probed at each tick. */
  networkTargets?: string[];
  /** Sample NVIDIA GPUs through NVML (true). */
  gpu?: boolean;
  /** Period of the event-loop delay probe, ms (100; finer costs more CPU). */
  eventLoopResolution?: number;
  /** Deadline of one `registerCollect` callback, ms (5000); a late one is a `collection:error`. */
  callbackTimeout?: number;
  /** Serve /metrics while collecting (off; 127.0.0.1:9464). */
  prometheus?: { enabled?: boolean; host?: string; port?: number };
  [key: string]: unknown;
}

/** `getMetrics` query (api-spec §9.3 plus `metric`, `labels`, `step`, `stat`). */
export interface MetricsQuery {
  startTime?: number | Date;
  endTime?: number | Date;
  collector?: CollectorKey;
  /** 'cpu.usage' within `collector`, or 'system.cpu.usage'; a name selects everything below it. */
  metric?: string | string[];
  labels?: Record<string, string>;
  /** Bucket width, ms. */
  step?: number;
  stat?: 'avg' | 'min' | 'max' | 'sum' | 'count';
  limit?: number;
  aggregated?: boolean;
  period?: 'hourly' | 'daily';
}

/** A sample: every collector's slot, or (with `collector`) that slot under its key. */
export interface MetricsSample {
  timestamp: number;
  collectors?: Partial<Record<CollectorKey, any>>;
  [collector: string]: any;
}

/** Health of one source. */
export interface SourceStatus { status: 'ok' | 'degraded' | 'unavailable' | 'pending'; error: string | null; lastSuccess: number | null; failures: number }

/** `getStatus()` of the collector. */
export interface CollectorStatus {
  isCollecting: boolean;
  bufferSize: number;
  collectors: CollectorKey[];
  aggregatedMetrics: number;
  config: { collectionInterval: number; storageInterval: number; retentionPeriod: number };
  sources: Record<string, SourceStatus>;
  store: Record<string, number | boolean> | null;
  ticks: number;
  /** CPU time the sampling thread has used, seconds. */
  collectorCpuSeconds: number;
  server: { url: string; scrapes: number } | null;
}

/** Samples the machine, the Node process, databases, network and GPUs into the history store; exports Prometheus text. */
export class PerformanceMetricsCollector extends EventEmitter {
  constructor(config?: MetricsCollectorConfig);
  config: MetricsCollectorConfig & { collectionInterval: number; storageInterval: number; retentionPeriod: number; storageLocation: string; batchSize: number };
  collectors: Map<CollectorKey, SystemMetricsCollector | ApplicationMetricsCollector | DatabaseMetricsCollector | NetworkMetricsCollector | MLWorkflowMetricsCollector | CustomMetricsCollector>;
  buffer: MetricsSample[];
  aggregatedMetrics: Map<string, unknown>;
  isCollecting: boolean;
  /** @internal The native collector, for a framework sampling through this collector (`attachCollector`). */
  nativeHandle(): unknown;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops, then closes the store (connections, the folder's writer lock); no start after it. */
  close(): Promise<void>;
  collectMetrics(): Promise<MetricsSample>;
  getMetrics(query?: MetricsQuery): Promise<MetricsSample[]>;
  storeMetrics(): Promise<number>;
  aggregateMetrics(): Promise<{ hourly: unknown; daily: unknown }>;
  addCustomMetric(name: string, value: number, options?: { oneTime?: boolean; labels?: Record<string, string | number | boolean> }): void;
  getPrometheusMetrics(): string;
  startMetricsServer(options?: { host?: string; port?: number }): Promise<{ host: string; port: number; url: string }>;
  stopMetricsServer(): Promise<boolean>;
  getStatus(): CollectorStatus;
}

/** Machine CPU, memory, disks, file systems, network, TCP, processes, and GPUs (`gpu`). */
export class SystemMetricsCollector {
  constructor(config?: MetricsCollectorConfig);
  collect(): Promise<any>;
  getCPUUsage(): Promise<number | null>;
}
/** The Node process: RSS, CPU, threads, fds, event-loop delay and utilisation, heap, GC, requests. */
export class ApplicationMetricsCollector {
  constructor(config?: MetricsCollectorConfig);
  collect(): Promise<any>;
  start(): void;
  stop(): void;
  recordRequest(durationMs: number, ok?: boolean): void;
}
/** Transactions/s, cache hit ratio, connections, deadlocks, rows of each configured database. */
export class DatabaseMetricsCollector {
  constructor(config?: MetricsCollectorConfig);
  collect(): Promise<any>;
}
/** Interface traffic, TCP states, retransmits and connect-latency probes. */
export class NetworkMetricsCollector {
  constructor(config?: MetricsCollectorConfig);
  collect(): Promise<any>;
}
/** Figures and stage timings pushed by ML runs. */
export class MLWorkflowMetricsCollector {
  constructor(config?: MetricsCollectorConfig);
  collect(): Promise<any>;
  recordStage(workflow: string, stage: string, durationMs: number): void;
  record(values: Partial<Record<'activeTrainingJobs' | 'trainingTime' | 'inferenceTime' | 'modelAccuracy' | 'datasetSize' | 'featureCount' | 'memoryUsage' | 'gpuUtilization', number>>): void;
}
/** User metrics with Prometheus names and labels, and collect callbacks. */
export class CustomMetricsCollector {
  constructor(config?: MetricsCollectorConfig);
  collect(): Promise<any>;
  record(name: string, value: number, labels?: Record<string, string | number | boolean>): void;
  addMetric(name: string, value: number, options?: { oneTime?: boolean; labels?: Record<string, string | number | boolean> }): void;
  removeMetric(name: string): boolean;
  registerCollect(name: string, fn: () => number | { value: number; labels?: Record<string, string | number | boolean> } | Promise<number | { value: number; labels?: Record<string, string | number | boolean> }>): void;
}

// ---- NetworkStorageBenchmark (registry name 'network_storage') ----

/** Latency summary of the built-in benchmarks: ms, from an HDR histogram (3 significant digits). */
export interface BenchLatency {
  min: number; max: number; avg: number; stddev: number;
  p50: number; p90: number; p95: number; p99: number; p999: number; p9999: number;
  /** Measured operations (warm-up and ramp excluded). */
  samples: number;
  /** Values above 10 minutes, recorded as 10 minutes. */
  clamped: number;
  unit: 'ms'; source: string;
}

/** A sub-result that could not be measured. */
export interface Unavailable { status: 'unavailable'; reason: string; hint: string }
/** A sub-result that was not requested. */
export interface Skipped { status: 'skipped'; reason: string }
/** A recommendation derived from the measured numbers. */
export interface BenchRecommendation { type: string; severity: 'high' | 'medium' | 'low' | 'info'; message: string }

/** `storage` options (sizes in bytes, times in ms). With `pattern`, only that job runs. */
export interface StorageOptions {
  /** Existing, writable folder (default: a new folder under $TMPDIR or /var/tmp, on a disk file system). */
  directory?: string;
  /** Test file size (default 1 GiB), rounded down to whole blocks per job. */
  fileSize?: number;
  /** Block size (default 1 MiB sequential, 4 KiB random); a multiple of the logical block with O_DIRECT. */
  blockSize?: number;
  pattern?: 'read' | 'write' | 'randread' | 'randwrite' | 'randrw';
  /** Reads in % for randrw (default 70). */
  rwmixread?: number;
  /** O_DIRECT (default true). */
  direct?: boolean;
  /** Measured time per job (default 5000). */
  duration?: number;
  /** Ramp per job, excluded (default 1000). */
  rampTime?: number;
  /** Outstanding I/Os (default 1; the suite sweeps 1, 4, 16, 32). */
  queueDepth?: number;
  /** Independent workers, each on its own region (default 1). */
  numJobs?: number;
  /** Force an engine (default io_uring when the kernel allows it, else psync). */
  engine?: 'io_uring' | 'psync';
}

/** `network` options (times in ms). With `mode`, only that test runs. */
export interface NetworkOptions {
  mode?: 'tcp' | 'tcp_rr' | 'udp' | 'http';
  /** Host of a `novacron-perf peer` (default: a peer started on loopback for the run). */
  host?: string;
  /** Its port (default 5301). */
  port?: number;
  /** Measured time per test (defaults: tcp 5000, tcp_rr 3000, connect 2000, udp 3000, http 3000). */
  duration?: number;
  /** Warm-up per test, excluded (defaults: tcp 1000, tcp_rr 500, http 500). */
  warmup?: number;
  /** Parallel TCP streams (default 1). */
  streams?: number;
  /** http:// URL to load (default: the peer's /health). */
  url?: string;
  /** Open-loop rate, requests/s (suite default: half the closed-loop maximum). */
  rate?: number;
  /** HTTP connections (default 10). */
  connections?: number;
  /** Connect timeout for the peer and the URL (default 3000). */
  connectTimeout?: number;
  /** UDP target rate, bits/s (default 10e6). */
  bandwidth?: number;
  /** UDP datagram size, bytes (default 1400). */
  packetSize?: number;
  /** TCP_RR message size, bytes (default 1). */
  messageSize?: number;
  /** HTTP request timeout (default 2000). */
  timeout?: number;
}

/** NetworkStorageBenchmark options: `false` turns a part off. */
export interface NetworkStorageOptions extends BenchmarkOptions {
  storage?: false | StorageOptions;
  network?: false | NetworkOptions;
}

/** Figures of one direction of a storage job. */
export interface StorageDirection { iops: number; bytesPerSecond: number; mbps: number; operations: number; bytes: number; latency: BenchLatency | null }

/** One storage job, with the conditions it ran under. */
export interface StorageJob {
  pattern: NonNullable<StorageOptions['pattern']>; blockSize: number; queueDepth: number;
  /** Mean I/Os in flight over the window (measured). */
  achievedQueueDepth: number;
  numJobs: number; engine: 'io_uring' | 'psync'; direct: boolean; fileSize: number;
  rampTimeMs: number; durationMs: number; iops: number; bytesPerSecond: number;
  /** MiB/s: bytesPerSecond / 2^20. */
  mbps: number;
  latency: BenchLatency | null;
  throughput: { operationsPerSecond: number; totalOperations: number; totalTime: number; avgOperationTime: number | null; operations: []; truncated: boolean };
  intervals: { periodMs: number; samples: number; iopsMin: number; iopsMax: number; iopsMean: number; iopsStddev: number } | null;
  errors: { count: number; first: string | null };
  read?: StorageDirection; write?: StorageDirection; rwmixread?: number;
}

/** `results.storagePerformance`. */
export interface StoragePerformance {
  readPerformance: { results: Record<string, StorageJob>; mbps: number; recommendations: BenchRecommendation[] } | Skipped;
  writePerformance: { results: Record<string, StorageJob>; mbps: number; recommendations: BenchRecommendation[] } | Skipped;
  iopsPerformance: {
    readIOPS: number | null; writeIOPS: number | null; queueDepth: number; numJobs: number; blockSize: number;
    direct: boolean; engine: 'io_uring' | 'psync';
    latency: { read: BenchLatency | null; write: BenchLatency | null };
    byQueueDepth: Record<string, { readIOPS: number | null; writeIOPS: number | null; read?: StorageJob; write?: StorageJob }>;
    recommendations: BenchRecommendation[];
  } | Skipped;
  fsyncLatency: { latency: BenchLatency | null; writeLatency: BenchLatency | null; operationsPerSecond: number; totalOperations: number; blockSize: number; sync: string; direct: false; rampTimeMs: number; durationMs: number } | Skipped;
  conditions: {
    target: { directory: string; created: boolean; fsType: string; fsBlockSize: number; device: string | null; logicalBlockSize: number; logicalBlockSource: 'sysfs' | 'assumed'; freeBytes: number | null; warning: string | null };
    fileSize: number; direct: boolean; directReason: string | null; pageCachePossible: boolean;
    engine: 'io_uring' | 'psync'; engineReason: string | null;
    preconditioning: { written: string; durationMs: number }; latencyKind: string;
  };
  recommendations: BenchRecommendation[];
}

/** One HTTP load run. */
export interface HttpRunResult {
  url: string; mode: 'closed-loop' | 'open-loop'; connections: number; keepAlive: true;
  durationMs: number; warmupMs: number; timeoutMs: number; requests: number; requestsPerSecond: number;
  latency: BenchLatency | null;
  /** Failures by kind. `reset`: sent, then reset or closed before a response (never retried); `first`: the first transport error or `Status: HTTP <code>`. */
  errors: { connect: number; read: number; write: number; reset: number; timeout: number; status4xx: number; status5xx: number; total: number; first: string | null };
  /** `retries`: resent because a kept-alive connection was closed before the request went out; a failure after it still counts. */
  errorRate: number; retries: number; connectionsOpened: number; coordinatedOmission: string;
  /** Open loop only. `achievedRate`: `completed` over the duration. The run ends at its duration: `missed` were due and never sent, `timedOut` were sent and not answered in time (both in the latency from their due time). */
  targetRate?: number; achievedRate?: number; scheduled?: number; completed?: number; missed?: number; timedOut?: number; rateNotAchieved?: boolean; scheduleLag?: BenchLatency | null;
}

/** TCP throughput, measured at the receiver. */
export interface TcpThroughput {
  bitsPerSecond: number; bytesPerSecond: number; mbps: number; receiverBytes: number; receiverDurationMs: number;
  senderBytes: number; retransmits: number | null; streams: number; durationMs: number; warmupMs: number; writeSize: number; measuredAt: 'receiver';
}

/** `results.networkPerformance`. */
export interface NetworkPerformance {
  peer: { address: string; kind: string } | null;
  latency: { latency: BenchLatency | null; latencyKind: 'rtt'; connectLatency: number; source: string; recommendations: BenchRecommendation[] } | Skipped;
  throughput: { results: { tcp: TcpThroughput }; bitsPerSecond: number; mbps: number; recommendations: BenchRecommendation[] } | Skipped;
  reliability: {
    successRate: number; totalRequests: number; successCount: number; failureCount: number; errorRate: number;
    timeouts: number; timeoutRate: number; retries: number; errorsByKind: Record<string, HttpRunResult['errors']>; source: string;
    recommendations: BenchRecommendation[];
  } | Skipped;
  tcpThroughput: TcpThroughput | Skipped;
  requestResponse: {
    latency: BenchLatency | null; latencyKind: 'rtt'; transactionsPerSecond: number; transactions: number; connectLatency: number;
    messageSize: number; inFlight: 1; nodelay: true; durationMs: number; warmupMs: number; errors: number; firstError: string | null;
    /** Connect + one request/response + reset, back to back (netperf TCP_CRR-style); `connectLatency` times connect() alone. */
    connectionRate: { connectionsPerSecond: number; connections: number; connectLatency: BenchLatency | null; cycleLatency: BenchLatency | null; cycle: string; failures: number; firstError: string | null; durationMs: number };
  } | Skipped;
  udp: {
    targetBitsPerSecond: number; bitsPerSecond: number; packetSize: number; sentPackets: number; receivedPackets: number;
    lostPackets: number; lostPercent: number; outOfOrder: number; jitterMs: number; jitterMethod: string; sendErrors: number;
    maxSendLagMs: number; durationMs: number; recommendations: BenchRecommendation[];
  } | Skipped;
  http: { url: string | null; closedLoop: HttpRunResult | Skipped; openLoop: HttpRunResult | Skipped; recommendations: BenchRecommendation[] } | Unavailable | Skipped;
}

/** What `NetworkStorageBenchmark#run` resolves to. */
export interface NetworkStorageResult {
  success: true; timestamp: number;
  results: {
    storagePerformance: StoragePerformance | Skipped;
    networkPerformance: NetworkPerformance | Skipped;
    ioMixedWorkload: (StorageJob & { description: string; recommendations: BenchRecommendation[] }) | Skipped;
    units: Record<string, string>;
    environment: { cpuModel: string | null; cores: number | null; kernel: string | null };
  };
}

/** A `progress` event. */
export interface BenchProgress { phase: string; percent: number; elapsedMs: number }

/** Storage, network and HTTP measured like fio, iperf3/netperf and wrk/wrk2; also an EventEmitter (`progress`). */
export class NetworkStorageBenchmark extends SystemBenchmark {
  constructor(config?: NetworkStorageOptions & { framework?: PerformanceBenchmarkingFramework; signal?: AbortSignal });
  options: { storage?: false | StorageOptions; network?: false | NetworkOptions };
  run(): Promise<NetworkStorageResult>;
  on(event: 'progress', listener: (p: BenchProgress) => void): this;
  once(event: 'progress', listener: (p: BenchProgress) => void): this;
  off(event: 'progress', listener: (p: BenchProgress) => void): this;
  emit(event: 'progress', p: BenchProgress): boolean;
  listenerCount(event: 'progress'): number;
}

// ---- DatabaseBenchmark (registry name 'database_performance') ----

/** The original's injection point: when given, the contract sub-tests drive it, timed in JS. */
export interface DbService {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[]; rowCount: number }>;
  insert(table: string, data: Record<string, unknown>): Promise<{ insertedId: unknown }>;
  update(table: string, id: unknown, data: Record<string, unknown>): Promise<{ modifiedCount: number }>;
  delete(table: string, id: unknown): Promise<{ deletedCount: number }>;
  transaction(ops: unknown[]): Promise<{ success: boolean }>;
}

/** DatabaseBenchmark options (see README "Database benchmark"). */
export interface DatabaseOptions extends BenchmarkOptions {
  /** `postgres://`, `postgresql://`, `mysql://`, `mariadb://` or `sqlite:PATH`; else `DATABASE_URL`, else a scratch SQLite file. */
  url?: string;
  /** Folder of the scratch SQLite file (default: the system temp folder). */
  directory?: string;
  /** pgbench `-s`: 100 000 accounts per unit (default 0.1). */
  scale?: number;
  /** Seed of the data set (default: from the clock; always reported). */
  seed?: number;
  /** Client counts of `transactionRates` (default [1, 10]). */
  clients?: number[];
  /** Every throughput window and rate cell, ms (default: the contract's 8–15 s, 10 s per cell). */
  duration?: number;
  /** Latency samples of every sub-test (default: the contract's counts). */
  samples?: number;
  /** Concurrency levels (default [1, 5, 10, 25, 50, 100]). */
  concurrencyLevels?: number[];
  /** Pool sizes of `poolEfficiency` (default [cores × 2 + 1]). */
  poolSize?: number[];
  /** Shrinks samples, windows (1 s), levels and batch sizes. */
  quickTest?: boolean;
  /** Time this service instead of a database (original behaviour). */
  dbService?: DbService;
}

/** `{ latency, throughput, recommendations }` of one sub-test. */
export interface DbSubTest {
  latency: BenchLatency | LatencyStats | null;
  throughput: { operationsPerSecond: number; totalOperations: number; totalTime: number; avgOperationTime: number | null; operations: Array<{ duration: number; timestamp: number }>; [k: string]: unknown };
  recommendations: BenchRecommendation[];
}

/** `transactionRates.<script>.clients_<n>`: pgbench-comparable figures. */
export interface DbRateCell {
  tps: number; tpsIncludingConnections: number;
  latency: { avg: number; p50: number; p95: number; p99: number; max: number } | null;
  transactions: number; failed: number; durationMs: number; connectMs: number; reconnects: number;
  cacheHitRatio: number | null;
}

/** What `DatabaseBenchmark#run` resolves to (`transactionRates`, `cacheHitRatio`, `conditions` absent with `dbService`). */
export interface DatabaseResult {
  success: true; timestamp: number;
  results: {
    queryPerformance: { simple: DbSubTest; complex: DbSubTest; aggregate: DbSubTest };
    insertPerformance: DbSubTest & { batchInsertPerformance: Record<string, { latency: BenchLatency | LatencyStats | null; itemsPerSecond: number }> };
    updatePerformance: DbSubTest;
    deletePerformance: DbSubTest;
    transactionPerformance: DbSubTest;
    concurrentLoad: { results: Record<string, { totalTime: number; operationsPerSecond: number } | { status: 'unavailable'; reason: string; hint?: string }>; recommendations: BenchRecommendation[] };
    transactionRates?: Record<'select_only' | 'tpcb_like', Record<string, DbRateCell | { status: 'unavailable'; reason: string; hint?: string }>>;
    poolEfficiency?: Record<string, Record<string, {
      tps: number; acquireWait: DbRateCell['latency']; latency: DbRateCell['latency']; utilisation: number;
      timeouts: number; transactions: number; failed: number; durationMs: number;
    } | { status: 'unavailable'; reason: string; hint?: string }>>;
    cacheHitRatio?: number | null;
    conditions?: {
      engine: 'sqlite' | 'postgresql' | 'mysql'; serverVersion: string; target: string; tablePrefix: string;
      scale: number; accounts: number; seed: number; clients: number[]; threads: number; durationMs: number;
      samples: number; concurrencyLevels: number[]; poolSizes: number[]; shortRun: boolean; loadMs: number;
      sqlite: { journalMode: string; synchronous: string; pageSize: string } | null;
    };
    recommendations?: BenchRecommendation[];
  };
}

/** Real SQL on SQLite (default), PostgreSQL or MariaDB/MySQL; also an EventEmitter (`progress`). */
export class DatabaseBenchmark extends SystemBenchmark {
  static registryName: 'database_performance';
  constructor(config?: DatabaseOptions & { framework?: PerformanceBenchmarkingFramework; signal?: AbortSignal });
  run(): Promise<DatabaseResult>;
  on(event: 'progress', listener: (p: BenchProgress) => void): this;
  off(event: 'progress', listener: (p: BenchProgress) => void): this;
}
