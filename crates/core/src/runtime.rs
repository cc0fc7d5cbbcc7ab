//! The one tokio runtime of the addon, for I/O-bound work: the database drivers, the
//! `/metrics` listener and, later, HTTP clients, webhooks and the WebSocket server.
//!
//! Thread model (also written in the README's architecture section):
//! - the runtime has [`WORKER_THREADS`] worker threads named `novacron-io-N`; tasks on them
//!   only wait on sockets and timers, so two workers keep up with every listener and driver
//!   of a node while leaving the cores to the measurements;
//! - CPU-bound measurement loops (storage, network and HTTP benchmarks, the collector's
//!   clock, the framework's sampler) keep their own dedicated threads. They never run on a
//!   tokio worker, where they would stall every socket of the process, nor on the JS thread;
//! - the runtime is created at first use and lives as long as the process: an addon cannot
//!   know when Node is about to exit, and idle workers cost nothing but their stacks.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use tokio::runtime::{Builder, Handle, Runtime};

/// Worker threads of the runtime. The work is waiting on I/O, not computing, so a small
/// fixed number is enough and leaves the cores to the measurement threads.
pub const WORKER_THREADS: usize = 2;

/// Prefix of the runtime's thread names, for `top -H` and debuggers.
pub const THREAD_NAME_PREFIX: &str = "novacron-io-";

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

fn runtime() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        Builder::new_multi_thread()
            .worker_threads(WORKER_THREADS)
            // Blocking calls handed to the runtime (SQLite reads) are rare and short; a small
            // cap keeps a misbehaving caller from growing hundreds of threads.
            .max_blocking_threads(8)
            .thread_name_fn(|| {
                format!(
                    "{THREAD_NAME_PREFIX}{}",
                    NEXT.fetch_add(1, Ordering::Relaxed)
                )
            })
            .enable_all()
            .build()
            // Only fails when the OS refuses threads or an epoll fd: nothing in the addon could
            // go on without them either.
            .expect("cannot start the addon's I/O runtime")
    })
}

/// A handle to the shared runtime, created at the first call.
pub fn handle() -> &'static Handle {
    runtime().handle()
}

/// Spawns an I/O task on the shared runtime.
pub fn spawn<F>(future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    handle().spawn(future)
}

/// Runs `future` on the shared runtime and waits for it on the calling thread.
///
/// For the dedicated threads (the collector's clock, benchmark threads, tests) that need one
/// answer from an async driver. The future itself runs on the runtime, so its sockets are
/// driven by the runtime's reactor whatever thread waits.
///
/// # Panics
/// When called from a task of the runtime itself: blocking a worker on its own runtime
/// could deadlock it, so tokio refuses.
pub fn block_on<F>(future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let task = spawn(future);
    match handle().block_on(task) {
        Ok(out) => out,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Tasks are only cancelled when the runtime shuts down, which a static one never does.
        Err(e) => panic!("I/O task cancelled: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_runtime_with_named_io_threads() {
        assert!(std::ptr::eq(handle(), handle()), "created once");
        let name = block_on(async { std::thread::current().name().map(str::to_owned) });
        let name = name.expect("worker threads are named");
        assert!(name.starts_with(THREAD_NAME_PREFIX), "{name}");
        assert_eq!(
            handle().metrics().num_workers(),
            WORKER_THREADS,
            "a few workers only"
        );
    }

    #[test]
    fn a_panic_in_the_task_reaches_the_caller() {
        let r = std::panic::catch_unwind(|| block_on(async { panic!("boom") }));
        assert!(r.is_err());
    }
}
