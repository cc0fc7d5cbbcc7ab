//! The nine built-in profiles: names, descriptions and `getOptimizedFor()` lists from
//! api-spec §12.1, configurations from the package's `profiles/<name>.json`.

use serde_json::Value;

/// One built-in profile.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// Profile name (`production`, …).
    pub name: &'static str,
    /// JS class name (`ProductionProfile`, …).
    pub class: &'static str,
    /// `getDescription()`.
    pub description: &'static str,
    /// `getOptimizedFor()`.
    pub optimized_for: &'static [&'static str],
    json: &'static str,
}

impl Builtin {
    /// A fresh copy of the configuration.
    pub fn config(&self) -> Value {
        serde_json::from_str(self.json).expect("built-in profiles are valid JSON (tested)")
    }
}

macro_rules! builtin {
    ($name:literal, $class:literal, $desc:literal, [$($tag:literal),*]) => {
        Builtin {
            name: $name,
            class: $class,
            description: $desc,
            optimized_for: &[$($tag),*],
            json: include_str!(concat!("../../../../profiles/", $name, ".json")),
        }
    };
}

/// The built-ins in registration order (the order `getAvailableProfiles()` lists them).
pub const BUILTINS: [Builtin; 9] = [
    builtin!(
        "development",
        "DevelopmentProfile",
        "Optimized for development with minimal resource usage and fast feedback",
        ["development", "debugging", "fast-feedback"]
    ),
    builtin!(
        "testing",
        "TestingProfile",
        "Comprehensive testing profile with full benchmark coverage",
        ["testing", "validation", "qa"]
    ),
    builtin!(
        "staging",
        "StagingProfile",
        "Production-like staging environment for final validation",
        ["staging", "pre-production", "validation"]
    ),
    builtin!(
        "production",
        "ProductionProfile",
        "Production-optimized profile with maximum performance and reliability",
        ["production", "high-availability", "performance"]
    ),
    builtin!(
        "hpc",
        "HPCProfile",
        "High-performance computing profile optimized for maximum throughput",
        ["hpc", "high-throughput", "compute-intensive"]
    ),
    builtin!(
        "cloud",
        "CloudProfile",
        "Cloud-optimized profile balancing performance and cost efficiency",
        ["cloud", "cost-optimization", "scalability"]
    ),
    builtin!(
        "edge",
        "EdgeProfile",
        "Edge computing profile optimized for resource-constrained environments",
        ["edge", "iot", "mobile", "low-power"]
    ),
    builtin!(
        "ml-training",
        "MLTrainingProfile",
        "Optimized for ML model training with GPU acceleration support",
        ["ml-training", "gpu-computing", "data-intensive"]
    ),
    builtin!(
        "ml-inference",
        "MLInferenceProfile",
        "Optimized for ML model inference with focus on low latency and high throughput",
        ["ml-inference", "low-latency", "high-throughput"]
    ),
];

/// Built-in names in order.
pub const NAMES: [&str; 9] = [
    "development",
    "testing",
    "staging",
    "production",
    "hpc",
    "cloud",
    "edge",
    "ml-training",
    "ml-inference",
];

/// The built-in profile called `name`.
pub fn find(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::schema::validate;

    #[test]
    fn every_builtin_is_valid_and_complete() {
        for (b, n) in BUILTINS.iter().zip(NAMES) {
            assert_eq!(b.name, n);
            let c = b.config();
            validate(b.name, &c).unwrap();
            for section in [
                "framework",
                "benchmarks",
                "optimizers",
                "monitoring",
                "alerts",
            ] {
                assert!(c[section].is_object(), "{} lacks {section}", b.name);
            }
        }
    }

    #[test]
    fn spot_values_match_the_spec_tables() {
        let p = find("production").unwrap().config();
        assert_eq!(p["framework"]["metricsRetention"], 604_800_000);
        assert_eq!(p["framework"]["samplingInterval"], 30_000);
        assert_eq!(p["optimizers"]["cpu"]["targetUtilization"], 0.8);
        assert_eq!(p["alerts"]["thresholds"]["availability"], 99.9);
        let e = find("edge").unwrap().config();
        assert_eq!(e["monitoring"]["updateInterval"], 60_000);
        assert_eq!(e["optimizers"]["memory"]["heapSize"], "512MB");
        let d = find("development").unwrap().config();
        assert!(d["framework"].get("compressionEnabled").is_none());
        assert!(d["optimizers"].get("storage").is_none());
        let t = find("ml-training").unwrap().config();
        assert_eq!(t["framework"]["benchmarkTimeout"], 3_600_000);
        assert_eq!(t["optimizers"]["gpu"]["mixedPrecision"], true);
    }
}
