//! NVIDIA GPUs through NVML, which `nvml-wrapper` loads at run time (`libnvidia-ml.so.1`),
//! so the addon builds and runs on machines without a driver. With no library or no GPU the
//! collector says so once, as `{ status: 'unavailable', reason, hint }`, and stays quiet; a
//! driver error on a machine that has GPUs is a real failure (the collector is degraded).

use nvml_wrapper::enum_wrappers::device::{Clock, TemperatureSensor};
use nvml_wrapper::enums::device::UsedGpuMemory;
use nvml_wrapper::Nvml;
use serde::Serialize;

use super::{Reading, Source};
use crate::prometheus::{Family, MetricKind::Gauge};

/// The `system.gpu` slot of a sample: `{ status: 'available', devices }` or
/// `{ status: 'unavailable', reason, hint }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum GpuReading {
    /// NVML answered.
    Available {
        /// One row per GPU.
        devices: Vec<GpuDevice>,
    },
    /// No NVML library or no GPU.
    Unavailable {
        /// Why.
        reason: String,
        /// What would make GPUs readable.
        hint: &'static str,
    },
}

/// One GPU.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GpuDevice {
    /// NVML index, as a string (the series label).
    pub gpu: String,
    /// Board UUID.
    pub uuid: String,
    /// Product name.
    pub name: String,
    /// Share of the last sample period a kernel ran, %.
    pub utilization: u32,
    /// Share of the last sample period memory was read or written, %.
    pub memory_utilization: u32,
    /// Memory in use, bytes.
    pub memory_used: u64,
    /// Memory size, bytes.
    pub memory_total: u64,
    /// Core temperature, °C; `None` where the board has no sensor.
    pub temperature: Option<u32>,
    /// Power draw, W.
    pub power_watts: Option<f64>,
    /// SM clock, MHz.
    #[serde(rename = "smClockMHz")]
    pub sm_clock_mhz: Option<u32>,
    /// Compute processes.
    pub processes: Vec<GpuProcess>,
}

/// One compute process on a GPU.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GpuProcess {
    /// Process id, as a string (the series label).
    pub pid: String,
    /// GPU memory it uses, bytes, when NVML says.
    pub memory_used: Option<u64>,
}

const HINT: &str =
    "install the NVIDIA driver (it provides libnvidia-ml.so.1) on a machine with an NVIDIA GPU";

/// The GPU sub-collector; its reading appears as `system.gpu` in samples.
pub struct GpuSource {
    nvml: Result<Nvml, String>,
}

impl Default for GpuSource {
    fn default() -> Self {
        let nvml = Nvml::init().map_err(|e| format!("NVML could not be loaded: {e}"));
        GpuSource { nvml }
    }
}

impl GpuSource {
    /// `None` when GPUs can be read; otherwise why not.
    pub fn unavailable_reason(&self) -> Option<String> {
        match &self.nvml {
            Err(reason) => Some(reason.clone()),
            Ok(nvml) => match nvml.device_count() {
                Ok(0) => Some("NVML is loaded but reports no GPU".into()),
                Ok(_) => None,
                Err(e) => Some(format!("NVML cannot count devices: {e}")),
            },
        }
    }
}

impl Source for GpuSource {
    fn name(&self) -> &'static str {
        "gpu"
    }

    fn collect(&mut self) -> Result<Reading, String> {
        let nvml = match &self.nvml {
            Ok(n) => n,
            Err(reason) => return Ok(unavailable(reason)),
        };
        let count = nvml
            .device_count()
            .map_err(|e| format!("NVML device count: {e}"))?;
        if count == 0 {
            return Ok(unavailable("NVML is loaded but reports no GPU"));
        }
        let f = |name: &str, help: &str| Family::new(name, Gauge, help);
        let mut util = f("novacron_gpu_utilization_ratio", "Fraction of the last sample period a kernel ran on the GPU (NVML utilization.gpu / 100).");
        let mut mem_used = f(
            "novacron_gpu_memory_used_bytes",
            "GPU memory in use, bytes.",
        );
        let mut mem_total = f("novacron_gpu_memory_total_bytes", "GPU memory size, bytes.");
        let mut temp = f(
            "novacron_gpu_temperature_celsius",
            "GPU core temperature, degrees Celsius.",
        );
        let mut power = f("novacron_gpu_power_watts", "GPU board power draw, watts.");
        let mut sm = f("novacron_gpu_sm_clock_hertz", "Current SM clock, hertz.");
        let mut proc_mem = f(
            "novacron_gpu_process_memory_bytes",
            "GPU memory used by one process, bytes.",
        );
        // The same readings under the names NovaCron's alert rules use.
        let mut util_pct = f(
            "gpu_utilization_percent",
            "Percent of the last sample period a kernel ran on the GPU (NVML utilization.gpu).",
        );
        let mut std_used = f("gpu_memory_used_bytes", "GPU memory in use, bytes.");
        let mut std_total = f("gpu_memory_total_bytes", "GPU memory size, bytes.");
        let mut std_temp = f(
            "gpu_temperature_celsius",
            "GPU core temperature, degrees Celsius.",
        );
        let mut devices = Vec::new();
        for i in 0..count {
            let d = nvml
                .device_by_index(i)
                .map_err(|e| format!("NVML device {i}: {e}"))?;
            let index = i.to_string();
            let uuid = d.uuid().unwrap_or_default();
            let name = d.name().unwrap_or_default();
            let labels = [
                ("gpu", index.as_str()),
                ("uuid", uuid.as_str()),
                ("name", name.as_str()),
            ];
            // Utilisation and memory are the core readings: an error there is a failure.
            let u = d
                .utilization_rates()
                .map_err(|e| format!("NVML utilization of GPU {i}: {e}"))?;
            let m = d
                .memory_info()
                .map_err(|e| format!("NVML memory of GPU {i}: {e}"))?;
            // Sensors some boards lack are null, not an error.
            let t = d.temperature(TemperatureSensor::Gpu).ok();
            let p = d.power_usage().ok().map(|mw| mw as f64 / 1000.0);
            let c = d.clock_info(Clock::SM).ok();
            util.push(&labels, u.gpu as f64 / 100.0);
            util_pct.push(&labels, u.gpu as f64);
            mem_used.push(&labels, m.used as f64);
            std_used.push(&labels, m.used as f64);
            mem_total.push(&labels, m.total as f64);
            std_total.push(&labels, m.total as f64);
            if let Some(t) = t {
                temp.push(&labels, t as f64);
                std_temp.push(&labels, t as f64);
            }
            if let Some(p) = p {
                power.push(&labels, p);
            }
            if let Some(c) = c {
                sm.push(&labels, c as f64 * 1e6);
            }
            let processes: Vec<GpuProcess> = d
                .running_compute_processes()
                .unwrap_or_default()
                .into_iter()
                .map(|pi| {
                    let used = match pi.used_gpu_memory {
                        UsedGpuMemory::Used(b) => Some(b),
                        UsedGpuMemory::Unavailable => None,
                    };
                    if let Some(b) = used {
                        let pid = pi.pid.to_string();
                        proc_mem.push(&[("gpu", index.as_str()), ("pid", pid.as_str())], b as f64);
                    }
                    GpuProcess {
                        pid: pi.pid.to_string(),
                        memory_used: used,
                    }
                })
                .collect();
            devices.push(GpuDevice {
                gpu: index,
                uuid,
                name,
                utilization: u.gpu,
                memory_utilization: u.memory,
                memory_used: m.used,
                memory_total: m.total,
                temperature: t,
                power_watts: p,
                sm_clock_mhz: c,
                processes,
            });
        }
        Ok(Reading::new(
            GpuReading::Available { devices },
            vec![
                util, mem_used, mem_total, temp, power, sm, proc_mem, util_pct, std_used,
                std_total, std_temp,
            ],
        ))
    }
}

fn unavailable(reason: &str) -> Reading {
    Reading::unavailable(
        GpuReading::Unavailable {
            reason: reason.to_owned(),
            hint: HINT,
        },
        reason,
        Vec::new(),
    )
}
