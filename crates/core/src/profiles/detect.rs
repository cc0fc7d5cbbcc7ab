//! `detectEnvironment()` (api-spec §12.3): `NODE_ENV` when it names a built-in profile,
//! Kubernetes → `cloud`, CI → `testing`, > 32 GiB and ≥ 16 CPUs → `hpc`, < 4 GiB → `edge`,
//! else the default profile.

use super::builtin;

/// What detection looks at, read from the process and the machine.
#[derive(Debug, Clone)]
pub struct Environment {
    /// `NODE_ENV`.
    pub node_env: Option<String>,
    /// `KUBERNETES_SERVICE_HOST` is set.
    pub kubernetes: bool,
    /// `CI` or `GITHUB_ACTIONS` is set.
    pub ci: bool,
    /// Total memory, bytes.
    pub total_memory: u64,
    /// Logical CPUs.
    pub cpus: usize,
}

impl Environment {
    /// Reads this process's environment and this machine.
    pub fn current() -> Environment {
        let set = |k: &str| std::env::var_os(k).is_some();
        Environment {
            node_env: std::env::var("NODE_ENV").ok(),
            kubernetes: set("KUBERNETES_SERVICE_HOST"),
            ci: set("CI") || set("GITHUB_ACTIONS"),
            total_memory: crate::host::meminfo::read().get("MemTotal").unwrap_or(0),
            cpus: crate::host::machine::cores(),
        }
    }
}

/// The profile name for `env`.
pub fn detect(env: &Environment, default_profile: &str) -> String {
    const GIB: u64 = 1 << 30;
    if let Some(n) = env.node_env.as_deref().map(str::to_lowercase) {
        if builtin::find(&n).is_some() {
            return n;
        }
    }
    if env.kubernetes {
        "cloud".into()
    } else if env.ci {
        "testing".into()
    } else if env.total_memory > 32 * GIB && env.cpus >= 16 {
        "hpc".into()
    } else if env.total_memory < 4 * GIB {
        "edge".into()
    } else {
        default_profile.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_in_order() {
        let base = Environment {
            node_env: None,
            kubernetes: false,
            ci: false,
            total_memory: 8 << 30,
            cpus: 4,
        };
        assert_eq!(detect(&base, "development"), "development");
        assert_eq!(
            detect(
                &Environment {
                    node_env: Some("Production".into()),
                    ci: true,
                    ..base.clone()
                },
                "d"
            ),
            "production"
        );
        assert_eq!(
            detect(
                &Environment {
                    node_env: Some("dev".into()),
                    ..base.clone()
                },
                "d"
            ),
            "d"
        );
        assert_eq!(
            detect(
                &Environment {
                    kubernetes: true,
                    ci: true,
                    ..base.clone()
                },
                "d"
            ),
            "cloud"
        );
        assert_eq!(
            detect(
                &Environment {
                    ci: true,
                    ..base.clone()
                },
                "d"
            ),
            "testing"
        );
        assert_eq!(
            detect(
                &Environment {
                    total_memory: 64 << 30,
                    cpus: 16,
                    ..base.clone()
                },
                "d"
            ),
            "hpc"
        );
        assert_eq!(
            detect(
                &Environment {
                    total_memory: 2 << 30,
                    ..base
                },
                "d"
            ),
            "edge"
        );
    }
}
