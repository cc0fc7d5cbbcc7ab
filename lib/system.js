'use strict';
/**
 * NovaCronPerformanceSystem (api-spec §2): loads a profile, builds the components from it,
 * starts and stops them, and re-applies a new profile to running components.
 *
 * The metrics collector samples from `start()` to `stop()` into `<dataPath>/metrics`; it is
 * the system's only machine sampler: the framework's system samples are a view over its
 * readings (`framework.attachCollector`).
 * Components that are not built yet (trend analyzer, recommendation engine, dashboard,
 * runner) are `null` and reported absent by `getStatus()`; the methods
 * that need them throw the contract's "not initialized" errors.
 */
const { PerformanceBenchmarkingFramework } = require('./framework');
const { EnvironmentProfileManager } = require('./profiles');
const { PerformanceMetricsCollector } = require('./metrics');
const fs = require('node:fs/promises');
const fsSync = require('node:fs');
const path = require('node:path');
const { Lifecycle } = require('./lifecycle');
const check = require('./validate');
const native = require('./native');

/** Framework settings a system config may set over its profile's `framework` section. */
const FRAMEWORK_KEYS = ['metricsRetention', 'samplingInterval', 'benchmarkTimeout', 'maxConcurrency', 'cleanupTimeout'];

class NovaCronPerformanceSystem {
  /**
   * @param {object} [config] `environment` (profile name, 'production'), `autoStart`
   *   (true unless literally false), `profilePath` ('./profiles'), `dataPath`
   *   ('./performance-data'); other keys are forwarded to the framework. Precedence of
   *   framework settings (`benchmarkTimeout`, `samplingInterval`, ...): a call's options >
   *   this config > the profile's `framework` section, on initialize and on every switch.
   */
  constructor(config = {}) {
    check.plainObject('config', config);
    this.config = { environment: 'production', autoStart: true, profilePath: './profiles', dataPath: './performance-data', ...config };
    check.string('config.environment', this.config.environment);
    check.string('config.profilePath', this.config.profilePath);
    check.string('config.dataPath', this.config.dataPath);
    check.bool('config.autoStart', this.config.autoStart);
    this.framework = null;
    this.metricsCollector = null;
    this.dashboard = null;
    this.runner = null;
    this.trendAnalyzer = null;
    this.recommendationEngine = null;
    this.profileManager = null;
    /** The loaded profile's configuration object. */
    this.currentProfile = null;
    this.isInitialized = false;
    this.isRunning = false;
    /** initialize/start/stop/switchProfile/close, one at a time (see lifecycle.js). */
    this.lifecycle = new Lifecycle();
  }

  /**
   * Loads the profile and builds the components; starts them unless `autoStart === false`.
   * Resolves to the system itself, so that typed callers get it with its components built.
   * Concurrent calls build one set of components; a failed build leaves nothing behind.
   */
  async initialize() {
    await this.lifecycle.run(async () => {
      // Only the call that builds starts: later ones (or concurrent ones, which run after
      // it) find the system as the first left it.
      const built = await this.initializeNow();
      if (built && this.config.autoStart !== false) await this.startNow();
    });
    return this;
  }

  /** Builds the components unless built; true when this call built them. */
  async initializeNow() {
    if (this.isInitialized) return false;
    if (this.lifecycle.state === 'closed') throw new Error('Performance system closed (accepted: a new system)');
    const profileManager = new EnvironmentProfileManager({
      profilesPath: this.config.profilePath,
      defaultProfile: this.config.environment,
    });
    const profile = await profileManager.loadProfile(this.config.environment);
    const collectorConfig = this.collectorConfig(profile);
    const created = firstMissing(path.resolve(this.config.dataPath));
    let framework = null;
    let collector = null;
    try {
      // Precedence: a call's options > this system config > the profile (see frameworkConfig).
      framework = new PerformanceBenchmarkingFramework({
        metricsPath: this.config.dataPath,
        ...this.frameworkConfig(profile),
        ...this.config,
        startMonitoring: false,
      });
      collector = new PerformanceMetricsCollector(collectorConfig);
      framework.attachCollector(collector);
    } catch (err) {
      // Undo the half-built system: release the collector's store and remove the folders
      // this call created, so that a refused option leaves the disk as it found it.
      if (collector) await collector.close().catch(() => {});
      if (framework) {
        framework.stopSystemMonitoring();
        framework.releaseEvents();
      }
      if (created) await fs.rm(created, { recursive: true, force: true }).catch(() => {});
      throw err;
    }
    this.framework = framework;
    this.metricsCollector = collector;
    this.profileManager = profileManager;
    this.currentProfile = profile;
    this.isInitialized = true;
    return true;
  }

  /**
   * The framework settings of `profile` with the system config's own framework keys on
   * top: a `benchmarkTimeout` or `samplingInterval` given to the system wins over the
   * profile's (and a call's options win over both, see `runBenchmark`).
   */
  frameworkConfig(profile) {
    const out = { ...profile.framework };
    for (const key of FRAMEWORK_KEYS) if (this.config[key] !== undefined) out[key] = this.config[key];
    return out;
  }

  /**
   * The collector's options: the profile's `monitoring` section (its `updateInterval` is the
   * sampling period unless `collectionInterval` is set), the store under `<dataPath>/metrics`,
   * and the system config's `metrics` object on top.
   */
  collectorConfig(profile) {
    const extra = this.config.metrics ?? {};
    check.plainObject('config.metrics', extra);
    return { ...profile.monitoring, storageLocation: path.join(this.config.dataPath, 'metrics'), ...extra };
  }

  /** Starts the components (initializing first if needed); a failed start stops what it started. */
  async start() {
    await this.lifecycle.run(() => this.startNow());
  }

  async startNow() {
    await this.initializeNow();
    await this.lifecycle.startNow(
      async () => {
        await this.metricsCollector.start();
        this.framework.startSystemMonitoring();
        this.isRunning = true;
      },
      () => this.endComponents(),
    );
  }

  /** Stops every component; the Node process can exit afterwards. */
  async stop() {
    await this.lifecycle.run(() => this.stopNow());
  }

  async stopNow() {
    await this.lifecycle.stopNow(() => this.endComponents());
  }

  async endComponents() {
    this.isRunning = false;
    this.framework.stopSystemMonitoring();
    await this.metricsCollector.stop();
  }

  /**
   * Stops, then releases what outlives a stop: the collector's store (its connections and
   * the folder's writer lock). The system cannot start again; a second call is a no-op.
   */
  async close() {
    await this.lifecycle.close(
      () => this.endComponents(),
      async () => {
        try {
          if (this.metricsCollector) await this.metricsCollector.close();
        } finally {
          // A closed system holds no event thread, even while it is still referenced.
          if (this.framework) this.framework.releaseEvents();
        }
      },
    );
  }

  requireInitialized() {
    if (!this.isInitialized) throw new Error('Performance system not initialized');
  }

  /** Runs a registered benchmark (see `PerformanceBenchmarkingFramework.runBenchmark`). */
  async runBenchmark(benchmarkName, config = {}) {
    this.requireInitialized();
    return this.framework.runBenchmark(benchmarkName, config);
  }

  /** Runs a suite (see `PerformanceBenchmarkingFramework.runBenchmarkSuite`). */
  async runBenchmarkSuite(suiteConfig) {
    this.requireInitialized();
    return this.framework.runBenchmarkSuite(suiteConfig);
  }

  /** Metrics history (see `PerformanceMetricsCollector.getMetrics`). */
  async getMetrics(query = {}) {
    if (!this.metricsCollector) throw new Error('Metrics collector not initialized');
    return this.metricsCollector.getMetrics(query);
  }

  /** Trend summary; needs the trend analyzer, which is not part of this build yet. */
  async getTrendSummary(timeRange = '24h') {
    if (!this.trendAnalyzer) throw new Error('Trend analyzer not initialized');
    return this.trendAnalyzer.getTrendSummary(timeRange);
  }

  /** Recommendations; needs the recommendation engine, which is not part of this build yet. */
  async getRecommendations(filter = {}) {
    if (!this.recommendationEngine) throw new Error('Recommendation engine not initialized');
    return this.recommendationEngine.getRecommendations(filter);
  }

  /** Applies a recommendation; needs the recommendation engine, which is not part of this build yet. */
  async implementRecommendation(recommendationId, options = {}) {
    if (!this.recommendationEngine) throw new Error('Recommendation engine not initialized');
    return this.recommendationEngine.implementRecommendation(recommendationId, options);
  }

  /**
   * Loads `profileName` (built-in, custom or the name `optimizeProfile` returned), makes it
   * the reported profile and applies its settings to the components; a running system is
   * restarted with them.
   */
  async switchProfile(profileName) {
    this.requireInitialized();
    check.string('profileName', profileName);
    // One step of the lifecycle: a second switch (or a stop) waits for this one, so two
    // switches never stop and start the collector over each other.
    await this.lifecycle.run(async () => {
      // Loading validates the whole profile, and applying the framework settings validates
      // them, before anything is stopped: a bad profile leaves the system as it was.
      const profile = await this.profileManager.loadProfile(profileName);
      // The collector keeps its sampling settings: a second collector on the same store
      // folder would hold a second set of in-memory heads.
      this.framework.applyConfig(this.frameworkConfig(profile));
      const wasRunning = this.lifecycle.state === 'running';
      if (wasRunning) await this.stopNow();
      this.currentProfile = profile;
      this.config.environment = profileName;
      if (wasRunning) await this.startNow();
    });
  }

  /** Saves `<profilePath>/<name>.json`: `baseProfile` deep-merged with `customizations`, validated. */
  async createCustomProfile(name, baseProfile, customizations) {
    if (!this.profileManager) throw new Error('Profile manager not initialized');
    check.string('baseProfile', baseProfile);
    check.plainObject('customizations', customizations);
    const base = await this.profileManager.getProfileConfiguration(baseProfile);
    const merged = native.deepMerge(base, customizations);
    await this.profileManager.saveCustomProfile(name, merged);
  }

  /** `{ initialized, running, currentProfile, components }`; absent components are null. */
  getStatus() {
    return {
      initialized: this.isInitialized,
      running: this.isRunning,
      currentProfile: this.config.environment,
      components: {
        framework: Boolean(this.framework),
        metricsCollector: this.metricsCollector ? this.metricsCollector.getStatus() : null,
        dashboard: this.dashboard ? this.dashboard.getStatus() : null,
        runner: this.runner ? this.runner.getStatus() : null,
        trendAnalyzer: this.trendAnalyzer ? this.trendAnalyzer.getStatus() : null,
        recommendationEngine: this.recommendationEngine ? this.recommendationEngine.getStatus() : null,
      },
    };
  }

  /** A system on the 'development' profile, initialized (and started unless autoStart is false). */
  static async createDevelopmentSystem(config = {}) {
    return NovaCronPerformanceSystem.create('development', config);
  }

  /** A system on the 'production' profile. */
  static async createProductionSystem(config = {}) {
    return NovaCronPerformanceSystem.create('production', config);
  }

  /** A system on the 'ml-training' profile. */
  static async createMLTrainingSystem(config = {}) {
    return NovaCronPerformanceSystem.create('ml-training', config);
  }

  /** A system on the 'cloud' profile. */
  static async createCloudSystem(config = {}) {
    return NovaCronPerformanceSystem.create('cloud', config);
  }

  static async create(environment, config) {
    const system = new NovaCronPerformanceSystem({ environment, ...config });
    await system.initialize();
    return system;
  }
}

/** The top-most missing folder of `dir` (what creating `dir` would create), or null. */
function firstMissing(dir) {
  let missing = null;
  for (let d = dir; !fsSync.existsSync(d); d = path.dirname(d)) {
    missing = d;
    if (path.dirname(d) === d) break;
  }
  return missing;
}

module.exports = { NovaCronPerformanceSystem };
