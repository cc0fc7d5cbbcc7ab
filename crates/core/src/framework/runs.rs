//! The set of benchmark names currently running. A name enters with [`ActiveRuns::begin`]
//! and leaves when the returned guard drops, so a benchmark that throws or times out always
//! frees its name for the next run.

use std::collections::HashSet;
use std::sync::Arc;

use parking_lot::Mutex;

use super::FrameworkError;
use crate::host::proc_stat::CpuTimes;

/// Names of the running benchmarks.
#[derive(Debug, Default, Clone)]
pub struct ActiveRuns {
    names: Arc<Mutex<HashSet<String>>>,
}

/// A running benchmark. Dropping it frees the name.
#[derive(Debug)]
pub struct RunGuard {
    names: Arc<Mutex<HashSet<String>>>,
    name: String,
    /// CPU counters when the run began, so the end-of-run snapshot reports the machine's
    /// CPU use during the run.
    pub cpu_at_start: Option<CpuTimes>,
}

impl ActiveRuns {
    /// Marks `name` running, or fails with the contract's "already running" error.
    pub fn begin(&self, name: &str) -> Result<RunGuard, FrameworkError> {
        if !self.names.lock().insert(name.to_owned()) {
            return Err(FrameworkError::AlreadyRunning(name.to_owned()));
        }
        Ok(RunGuard {
            names: Arc::clone(&self.names),
            name: name.to_owned(),
            cpu_at_start: CpuTimes::read(),
        })
    }

    /// Names running now, sorted.
    pub fn list(&self) -> Vec<String> {
        let mut v: Vec<String> = self.names.lock().iter().cloned().collect();
        v.sort();
        v
    }
}

impl RunGuard {
    /// The benchmark name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        self.names.lock().remove(&self.name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_begin_fails_until_the_first_ends() {
        let runs = ActiveRuns::default();
        let g = runs.begin("a").unwrap();
        let err = runs.begin("a").unwrap_err();
        assert_eq!(err.to_string(), "Benchmark 'a' is already running");
        let _b = runs.begin("b").unwrap();
        assert_eq!(runs.list(), vec!["a", "b"]);
        drop(g);
        runs.begin("a").unwrap();
    }
}
