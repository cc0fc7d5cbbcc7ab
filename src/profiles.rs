//! Profiles: built-in table, load/save under a folder, validation, merge, workload tuning
//! and environment detection, all from `novacron_perf_core::profiles`.

use std::path::Path;

use napi_derive::napi;
use novacron_perf_core::profiles::{
    builtin,
    detect::{detect, Environment},
    merge, schema,
    store::ProfileStore,
    tuning,
};
use serde_json::{json, Value};

use crate::error::IntoJs;

/// `[{ name, className, description, optimizedFor }]` for the nine built-ins, in order.
#[napi(catch_unwind)]
pub fn builtin_profiles() -> Value {
    builtin::BUILTINS
        .iter()
        .map(|b| json!({ "name": b.name, "className": b.class, "description": b.description, "optimizedFor": b.optimized_for }))
        .collect()
}

/// The configuration of built-in profile `name` as shipped (no overrides).
#[napi(catch_unwind)]
pub fn builtin_profile_config(name: String) -> napi::Result<Value> {
    match builtin::find(&name) {
        Some(b) => Ok(b.config()),
        None => Err(novacron_perf_core::profiles::ProfileError::NotBuiltin(
            novacron_perf_core::profiles::preview_str(&name),
        ))
        .js(),
    }
}

/// Loads a profile configuration: a built-in (with `<dir>/<name>-overrides.json` merged) or
/// a custom `<dir>/<name>.json`. Throws for unknown names and malformed files.
#[napi(catch_unwind)]
pub fn load_profile(dir: String, name: String) -> napi::Result<Value> {
    ProfileStore::new(Path::new(&dir)).load(&name).js()
}

/// Validates and saves a custom profile; returns the file path.
#[napi(catch_unwind)]
pub fn save_profile(dir: String, name: String, config: Value) -> napi::Result<String> {
    let path = ProfileStore::new(Path::new(&dir))
        .save(&name, &config)
        .js()?;
    Ok(path.display().to_string())
}

/// Custom profiles in `dir`: `[{ name, configuration }]`.
#[napi(catch_unwind)]
pub fn list_custom_profiles(dir: String) -> napi::Result<Value> {
    let list = ProfileStore::new(Path::new(&dir)).list_custom().js()?;
    Ok(list
        .into_iter()
        .map(|p| json!({ "name": p.name, "configuration": p.config }))
        .collect())
}

/// Throws unless `config` is a valid profile configuration.
#[napi(catch_unwind)]
pub fn validate_profile(name: String, config: Value) -> napi::Result<()> {
    schema::validate(&name, &config).js()
}

/// `deepMerge(target, source)`.
#[napi(catch_unwind)]
pub fn deep_merge(target: Value, source: Value) -> Value {
    merge::deep_merge(&target, &source)
}

/// `ProfileOptimizer.optimize`: the configuration tuned for the workload flags.
#[napi(catch_unwind)]
pub fn tune_profile(config: Value, workload: Value) -> napi::Result<Value> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    tuning::optimize(&config, &workload, cpus).js()
}

/// `detectEnvironment()` over this process's environment and this machine.
#[napi(catch_unwind)]
pub fn detect_environment(default_profile: String) -> String {
    detect(&Environment::current(), &default_profile)
}
