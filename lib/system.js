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
const path = require('node:path');
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
  }

  /**
   * Loads the profile and builds the components; starts them unless `autoStart === false`.
   * Resolves to the system itself, so that typed callers get it with its components built.
   */
  async initialize() {
    if (this.isInitialized) return this;
    const profileManager = new EnvironmentProfileManager({
      profilesPath: this.config.profilePath,
      defaultProfile: this.config.environment,
    });
    const profile = await profileManager.loadProfile(this.config.environment);
    // Precedence: a call's options > this system config > the profile (see frameworkConfig).
    this.framework = new PerformanceBenchmarkingFramework({
      metricsPath: this.config.dataPath,
      ...this.frameworkConfig(profile),
      ...this.config,
      startMonitoring: false,
    });
    this.metricsCollector = new PerformanceMetricsCollector(this.collectorConfig(profile));
    this.framework.attachCollector(this.metricsCollector);
    this.profileManager = profileManager;
    this.currentProfile = profile;
    this.isInitialized = true;
    if (this.config.autoStart !== false) await this.start();
    return this;
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

  /** Starts the components (initializing first if needed). */
  async start() {
    if (!this.isInitialized) await this.initialize();
    if (this.isRunning) return;
    await this.metricsCollector.start();
    this.framework.startSystemMonitoring();
    this.isRunning = true;
  }

  /** Stops every component; the Node process can exit afterwards. */
  async stop() {
    if (!this.isRunning) return;
    this.framework.stopSystemMonitoring();
    await this.metricsCollector.stop();
    this.isRunning = false;
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
    // Loading validates the whole profile, and applying the framework settings validates
    // them, before anything is stopped: a bad profile leaves the system as it was.
    const profile = await this.profileManager.loadProfile(profileName);
    // The collector keeps its sampling settings: a second collector on the same store
    // folder would hold a second set of in-memory heads.
    this.framework.applyConfig(this.frameworkConfig(profile));
    const wasRunning = this.isRunning;
    if (wasRunning) await this.stop();
    this.currentProfile = profile;
    this.config.environment = profileName;
    if (wasRunning) await this.start();
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

module.exports = { NovaCronPerformanceSystem };
