'use strict';
/**
 * Environment profiles (api-spec §12): the profile classes, `CustomProfile`,
 * `EnvironmentProfileManager` and `ProfileOptimizer`. Values, validation, merge, tuning
 * and files live in the Rust core (`profiles` module); these classes hold state and names.
 */
const native = require('./native');
const check = require('./validate');

const BUILTINS = native.builtinProfiles();

/** Base of every profile. Subclasses implement `getDefaultConfiguration()`. */
class EnvironmentProfile {
  /**
   * @param {string} name profile name
   * @param {object} [configuration] initial configuration (CustomProfile passes its own)
   */
  constructor(name, configuration) {
    this.name = name;
    this.config = configuration === undefined ? this.getDefaultConfiguration() : configuration;
  }

  /** The profile's default configuration; the base class has none. */
  getDefaultConfiguration() {
    throw new Error('getDefaultConfiguration must be implemented by subclass');
  }

  /** One-line description. */
  getDescription() {
    return 'Base environment profile';
  }

  /** Workloads the profile is tuned for. */
  getOptimizedFor() {
    return ['general'];
  }

  /** A copy of the configuration (sections `framework`, `benchmarks`, `optimizers`, `monitoring`, `alerts`). */
  getConfiguration() {
    return structuredClone(this.config);
  }

  /** Deep-merges `overrides` into the configuration and validates the result. */
  applyOverrides(overrides) {
    check.plainObject('overrides', overrides);
    check.crossable('overrides', overrides);
    const merged = this.deepMerge(this.config, overrides);
    native.validateProfile(this.name, merged);
    this.config = merged;
  }

  /**
   * Recursive merge for objects; arrays, primitives and null from `source` replace. Keys
   * `__proto__`, `constructor` and `prototype` are dropped (with a process warning) from
   * both inputs, so the result never carries a caller-chosen prototype.
   */
  deepMerge(target, source) {
    return native.deepMerge(check.withoutForbiddenKeys(target, 'deepMerge target'), check.withoutForbiddenKeys(source, 'deepMerge source'));
  }
}

function builtinClass(info) {
  const cls = class extends EnvironmentProfile {
    constructor() {
      super(info.name);
    }
    getDefaultConfiguration() {
      return native.builtinProfileConfig(info.name);
    }
    getDescription() {
      return info.description;
    }
    getOptimizedFor() {
      return [...info.optimizedFor];
    }
  };
  Object.defineProperty(cls, 'name', { value: info.className });
  return cls;
}

const builtinClasses = Object.fromEntries(BUILTINS.map((info) => [info.className, builtinClass(info)]));

/** A user-defined profile: `new CustomProfile(name, configuration)`. */
class CustomProfile extends EnvironmentProfile {
  constructor(name, configuration = {}) {
    check.string('name', name);
    check.plainObject('configuration', configuration);
    // Refuses prototype keys, NaN, cycles and deep nesting with the field's path.
    check.crossable('configuration', configuration);
    super(name, structuredClone(configuration));
  }
  getDefaultConfiguration() {
    return {};
  }
  getDescription() {
    return this.config.description || 'Custom user-defined profile';
  }
  getOptimizedFor() {
    return this.config.optimizedFor || ['custom'];
  }
}

/** Tunes a profile configuration for workload flags (api-spec §12.4). */
class ProfileOptimizer {
  /**
   * @param {object} baseProfile a profile configuration (or a profile object)
   * @param {{ cpuIntensive?: boolean, memoryIntensive?: boolean, ioIntensive?: boolean, networkIntensive?: boolean, mlWorkload?: boolean }} workloadCharacteristics
   */
  constructor(baseProfile, workloadCharacteristics = {}) {
    const config = baseProfile instanceof EnvironmentProfile ? baseProfile.getConfiguration() : baseProfile;
    check.plainObject('baseProfile', config);
    check.crossable('baseProfile', config);
    check.plainObject('workloadCharacteristics', workloadCharacteristics);
    native.tuneProfile({}, workloadCharacteristics); // validates the flags now
    this.baseProfile = config;
    this.workloadCharacteristics = workloadCharacteristics;
  }

  /** A tuned deep copy of the base configuration. */
  async optimize() {
    return native.tuneProfile(this.baseProfile, this.workloadCharacteristics);
  }

  /** Applies the `cpuIntensive` rules to `config` in place. */
  optimizeCPUSettings(config) {
    return tuneInPlace(config, 'cpuIntensive');
  }

  /** Applies the `memoryIntensive` rules to `config` in place. */
  optimizeMemorySettings(config) {
    return tuneInPlace(config, 'memoryIntensive');
  }

  /** Applies the `ioIntensive` rules to `config` in place. */
  optimizeIOSettings(config) {
    return tuneInPlace(config, 'ioIntensive');
  }

  /** Applies the `networkIntensive` rules to `config` in place. */
  optimizeNetworkSettings(config) {
    return tuneInPlace(config, 'networkIntensive');
  }

  /** Applies the `mlWorkload` rules to `config` in place. */
  optimizeMLSettings(config) {
    return tuneInPlace(config, 'mlWorkload');
  }
}

/** Tunes `config` (a plain object, checked first) for one workload flag, in place. */
function tuneInPlace(config, flag) {
  check.plainObject('config', config);
  return replaceContents(config, native.tuneProfile(config, { [flag]: true }));
}

function replaceContents(target, source) {
  for (const key of Object.keys(target)) delete target[key];
  return Object.assign(target, source);
}

/** Loads, lists, saves and tunes profiles. */
class EnvironmentProfileManager {
  /**
   * @param {object} [config] `profilesPath` (folder of custom profiles and
   *   `<name>-overrides.json` files, './profiles'), `defaultProfile` ('development'),
   *   `autoDetectEnvironment` (true).
   */
  constructor(config = {}) {
    check.plainObject('config', config);
    this.config = { profilesPath: './profiles', defaultProfile: 'development', autoDetectEnvironment: true, ...config };
    check.string('profilesPath', this.config.profilesPath);
    check.string('defaultProfile', this.config.defaultProfile);
    check.bool('autoDetectEnvironment', this.config.autoDetectEnvironment);
    /** Built-in profile objects by name. */
    this.profiles = new Map();
    /** Custom profile objects by name (filled as they are saved or loaded). */
    this.customProfiles = new Map();
    /** The profile object last loaded. */
    this.currentProfile = null;
    this.initializeDefaultProfiles();
  }

  /** Instantiates the nine built-in profiles. */
  initializeDefaultProfiles() {
    for (const info of BUILTINS) this.profiles.set(info.name, new builtinClasses[info.className]());
  }

  /**
   * Loads a profile (built-in with its overrides file merged, or custom from
   * `<profilesPath>/<name>.json`), makes it current and returns a copy of its configuration.
   * An empty name detects the environment. Unknown names and malformed files throw.
   */
  async loadProfile(profileName) {
    // Only a missing or empty name detects; null, numbers and objects are caller mistakes.
    if (profileName !== undefined && profileName !== '') check.string('profileName', profileName);
    const name = profileName || this.detectEnvironment();
    check.string('profileName', name);
    const config = native.loadProfile(this.config.profilesPath, name);
    let profile = this.profiles.get(name);
    if (profile) {
      profile.config = config;
    } else {
      profile = new CustomProfile(name, config);
      this.customProfiles.set(name, profile);
    }
    this.currentProfile = profile;
    return structuredClone(config);
  }

  /** The configuration of `name` without making it current. */
  async getProfileConfiguration(name) {
    check.string('profileName', name);
    return native.loadProfile(this.config.profilesPath, name);
  }

  /** The built-in profile to use here: NODE_ENV, Kubernetes, CI, machine size, else default. */
  detectEnvironment() {
    if (this.config.autoDetectEnvironment === false) return this.config.defaultProfile;
    return native.detectEnvironment(this.config.defaultProfile);
  }

  /** Validates and writes `<profilesPath>/<name>.json`; the name must be a plain identifier. */
  async saveCustomProfile(name, configuration) {
    check.string('name', name);
    check.plainObject('configuration', configuration);
    check.crossable('configuration', configuration);
    native.saveProfile(this.config.profilesPath, name, configuration);
    this.customProfiles.set(name, new CustomProfile(name, configuration));
  }

  /** `[{ name, type: 'built-in' | 'custom', description, optimizedFor }]`, built-ins first. */
  getAvailableProfiles() {
    const list = [...this.profiles.values()].map((p) => ({
      name: p.name,
      type: 'built-in',
      description: p.getDescription(),
      optimizedFor: p.getOptimizedFor(),
    }));
    for (const { name, configuration } of native.listCustomProfiles(this.config.profilesPath)) {
      if (!this.customProfiles.has(name)) this.customProfiles.set(name, new CustomProfile(name, configuration));
    }
    for (const p of this.customProfiles.values()) {
      list.push({ name: p.name, type: 'custom', description: p.getDescription(), optimizedFor: p.getOptimizedFor() });
    }
    return list;
  }

  /** The current profile object (not its configuration). */
  getCurrentProfile() {
    return this.currentProfile;
  }

  /** Runs `benchmarkSuite.run(profileConfig)` under `profileName`, then restores the current profile. */
  async benchmarkProfile(profileName, benchmarkSuite) {
    if (!benchmarkSuite || typeof benchmarkSuite.run !== 'function') {
      throw new TypeError(`benchmarkSuite: got ${check.show(benchmarkSuite)} (accepted: an object with an async run(profileConfig))`);
    }
    const previous = this.currentProfile;
    try {
      const configuration = await this.loadProfile(profileName);
      const benchmarkResults = await benchmarkSuite.run(configuration);
      return { profile: profileName, configuration, benchmarkResults, timestamp: Date.now() };
    } finally {
      this.currentProfile = previous;
    }
  }

  /**
   * Saves a tuned copy of built-in `profileName` as `<profileName>-optimized-<ms>` and
   * returns that name (pass it to `switchProfile`).
   */
  async optimizeProfile(profileName, workloadCharacteristics = {}) {
    check.string('profileName', profileName);
    if (!this.profiles.has(profileName)) {
      throw new Error(`Profile ${check.preview(profileName)} not found (accepted: a built-in profile name: ${[...this.profiles.keys()].join(', ')})`);
    }
    const base = await this.getProfileConfiguration(profileName);
    const optimized = await new ProfileOptimizer(base, workloadCharacteristics).optimize();
    const name = `${profileName}-optimized-${Date.now()}`;
    await this.saveCustomProfile(name, optimized);
    return name;
  }
}

module.exports = {
  EnvironmentProfile,
  ...builtinClasses,
  CustomProfile,
  ProfileOptimizer,
  EnvironmentProfileManager,
};
