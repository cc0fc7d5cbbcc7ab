'use strict';
/**
 * novacron-perf: NovaCron's performance benchmarking, monitoring and optimization system.
 * `require('./config/performance')` (or the package) returns the names of api-spec §1 whose
 * components are built; the rest arrive with the components that implement them, and none
 * is exported as a placeholder.
 */
const { NovaCronPerformanceSystem } = require('./lib/system');
const { PerformanceBenchmarkingFramework } = require('./lib/framework');
const { SystemBenchmark, MLEStarBenchmark } = require('./lib/benchmarks');
const { NetworkStorageBenchmark } = require('./lib/network-storage');
const { DatabaseBenchmark } = require('./lib/database-benchmark');
const profiles = require('./lib/profiles');
const metrics = require('./lib/metrics');

module.exports = {
  NovaCronPerformanceSystem,
  PerformanceBenchmarkingFramework,
  SystemBenchmark,
  NetworkStorageBenchmark,
  DatabaseBenchmark,
  MLEStarBenchmark,
  PerformanceMetricsCollector: metrics.PerformanceMetricsCollector,
  SystemMetricsCollector: metrics.SystemMetricsCollector,
  ApplicationMetricsCollector: metrics.ApplicationMetricsCollector,
  DatabaseMetricsCollector: metrics.DatabaseMetricsCollector,
  NetworkMetricsCollector: metrics.NetworkMetricsCollector,
  MLWorkflowMetricsCollector: metrics.MLWorkflowMetricsCollector,
  CustomMetricsCollector: metrics.CustomMetricsCollector,
  EnvironmentProfileManager: profiles.EnvironmentProfileManager,
  EnvironmentProfile: profiles.EnvironmentProfile,
  DevelopmentProfile: profiles.DevelopmentProfile,
  TestingProfile: profiles.TestingProfile,
  StagingProfile: profiles.StagingProfile,
  ProductionProfile: profiles.ProductionProfile,
  HPCProfile: profiles.HPCProfile,
  CloudProfile: profiles.CloudProfile,
  EdgeProfile: profiles.EdgeProfile,
  MLTrainingProfile: profiles.MLTrainingProfile,
  MLInferenceProfile: profiles.MLInferenceProfile,
  CustomProfile: profiles.CustomProfile,
  ProfileOptimizer: profiles.ProfileOptimizer,
};
