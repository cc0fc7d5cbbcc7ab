'use strict';
// Custom Profile Creation: derive a profile from production, switch to it, then to a
// workload-tuned copy. Custom profiles are saved under profilePath; this example keeps them
// in ./performance-data/profiles so that running it from the package root leaves the
// package's own profiles/ folder (the built-ins) untouched.
const { NovaCronPerformanceSystem } = require('..');

async function main() {
  const perfSystem = new NovaCronPerformanceSystem({
    environment: 'production',
    autoStart: false,
    profilePath: './performance-data/profiles',
  });
  await perfSystem.initialize();

  await perfSystem.createCustomProfile('high-throughput', 'production', {
    framework: { maxConcurrency: 16 },
    optimizers: {
      cpu: { targetUtilization: 0.85 },
      cache: { targetHitRatio: 0.95, aggressiveness: 'aggressive' },
    },
  });
  await perfSystem.switchProfile('high-throughput');
  console.log('switched to', perfSystem.getStatus().currentProfile, '— maxConcurrency', perfSystem.framework.config.maxConcurrency);

  const optimizedProfile = await perfSystem.profileManager.optimizeProfile('production', { cpuIntensive: true, mlWorkload: true });
  await perfSystem.switchProfile(optimizedProfile);
  console.log('switched to', optimizedProfile, '— cpu target', perfSystem.currentProfile.optimizers.cpu.targetUtilization);
  console.table(perfSystem.profileManager.getAvailableProfiles().map(({ name, type }) => ({ name, type })));
  await perfSystem.stop();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
