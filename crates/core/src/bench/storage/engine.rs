//! The two I/O engines. Both time each I/O from submission to completion on the worker
//! thread (fio's clat), count only completions inside the measured window, and integrate
//! the number of I/Os in flight over the window so that the achieved queue depth is
//! measured, not assumed (rule S8).
//!
//! - io_uring: one ring per job keeps `queueDepth` I/Os in flight. Like fio's io_uring
//!   engine with its defaults (iodepth_batch_submit=1, iodepth_batch_complete_min=1) it
//!   submits each I/O on its own as soon as a slot is free — batching submissions delays
//!   the first I/O of a batch and cost 20 % of the IOPS at QD 32 here — then waits for at
//!   least one completion and reaps every completion ready, timestamping each batch once.
//! - psync: `queueDepth` threads per job, each with one pread/pwrite outstanding.

use std::fs::File;
use std::os::fd::RawFd;
use std::os::unix::fs::FileExt;
use std::time::Instant;

use io_uring::{opcode, types, IoUring};

use super::file::AlignedBuf;
use super::job::{JobSpec, Offsets, Pattern, Window, WorkerStats};
use crate::bench::control::RunControl;
use crate::bench::rng::Rng;

/// Whether io_uring works here: `Ok` or the reason it does not (old kernel, seccomp,
/// `kernel.io_uring_disabled`).
pub fn io_uring_available() -> Result<(), String> {
    let mut ring = IoUring::new(2).map_err(|e| format!("io_uring_setup failed: {e}"))?;
    let nop = opcode::Nop::new().build().user_data(7);
    // SAFETY: a NOP references no memory.
    unsafe { ring.submission().push(&nop) }.map_err(|e| format!("io_uring push failed: {e}"))?;
    ring.submit_and_wait(1)
        .map_err(|e| format!("io_uring_enter failed: {e}"))?;
    let done = ring.completion().next().map(|c| c.user_data());
    match done {
        Some(7) => Ok(()),
        _ => Err("io_uring returned no completion for a NOP".into()),
    }
}

/// `IORING_ENTER_GETEVENTS` (linux/io_uring.h).
const ENTER_GETEVENTS: u32 = 1;

/// A ring for one submitting thread. Like fio (engines/io_uring.c), ask for cooperative
/// and deferred task running with a single issuer: completions are posted when the thread
/// waits for them instead of interrupting it (kernels ≥ 6.1); older kernels get less.
fn new_ring(entries: u32) -> std::io::Result<IoUring> {
    IoUring::builder()
        .setup_coop_taskrun()
        .setup_single_issuer()
        .setup_defer_taskrun()
        .build(entries)
        .or_else(|_| IoUring::builder().setup_coop_taskrun().build(entries))
        .or_else(|_| IoUring::new(entries))
}

/// Per-worker state shared by both engines.
pub struct Worker<'a> {
    /// The job.
    pub spec: &'a JobSpec,
    /// Where this worker reads and writes.
    pub offsets: Offsets,
    /// The measured window.
    pub window: Window,
    /// Offsets, read/write choice and buffer contents.
    pub rng: Rng,
    /// Stop flag.
    pub ctl: &'a RunControl,
}

impl Worker<'_> {
    fn is_read(&mut self) -> bool {
        match self.spec.pattern {
            Pattern::Read | Pattern::RandRead => true,
            Pattern::Write | Pattern::RandWrite => false,
            Pattern::RandRw => self.rng.below(100) < u64::from(self.spec.rwmixread),
        }
    }

    fn stop(&self, now: Instant) -> bool {
        now >= self.window.end || self.ctl.is_cancelled()
    }
}

/// psync: one synchronous I/O at a time on this thread.
pub fn run_psync(file: &File, mut w: Worker<'_>) -> WorkerStats {
    let bs = w.spec.block_size;
    let mut buf = AlignedBuf::random(bs as usize, &mut w.rng);
    let mut st = WorkerStats::default();
    let mut writes = 0u64;
    loop {
        let off = w.offsets.next(&mut w.rng);
        let read = w.is_read();
        if !read {
            writes += 1;
            buf.stamp(writes);
        }
        let t = Instant::now();
        if w.stop(t) {
            break;
        }
        let r = if read {
            file.read_at(buf.as_mut_slice(), off)
        } else {
            file.write_at(buf.as_slice(), off)
        };
        let done = Instant::now();
        match r {
            Ok(n) if n as u64 == bs => st.complete(&w.window, done, done - t, read, bs),
            Ok(n) => st.fail(format!(
                "short {} of {n} of {bs} bytes at offset {off}",
                if read { "read" } else { "write" }
            )),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => st.fail(format!(
                "{} at offset {off} failed: {e}",
                if read { "read" } else { "write" }
            )),
        }
        st.inflight_ns += (w.window.clip(done) - w.window.clip(t)).as_nanos() as f64;
        if st.errors > 0 && st.read.ops + st.write.ops == 0 && st.errors >= 16 {
            break; // the device refuses every I/O; the caller reports the first error
        }
    }
    st
}

struct Slot {
    buf: AlignedBuf,
    read: bool,
    offset: u64,
    submitted: Instant,
}

/// io_uring: `queueDepth` I/Os in flight on one ring. Every buffer outlives its I/O: the
/// loop only returns once nothing is in flight (or leaks the buffers if the ring breaks).
pub fn run_io_uring(fd: RawFd, mut w: Worker<'_>) -> WorkerStats {
    let mut st = WorkerStats::default();
    let qd = w.spec.queue_depth as usize;
    let bs = w.spec.block_size;
    let mut ring = match new_ring((qd as u32).next_power_of_two().max(2)) {
        Ok(r) => r,
        Err(e) => {
            st.fail(format!("io_uring_setup failed: {e}"));
            return st;
        }
    };
    let start = Instant::now();
    let mut slots: Vec<Slot> = (0..qd)
        .map(|_| Slot {
            buf: AlignedBuf::random(bs as usize, &mut w.rng),
            read: true,
            offset: 0,
            submitted: start,
        })
        .collect();
    let mut inflight = 0usize;
    let mut last_change = start;
    let mut writes = 0u64;
    let mut ready: Vec<usize> = (0..qd).collect();
    let mut done_batch: Vec<(usize, i32)> = Vec::with_capacity(qd);
    loop {
        let now = Instant::now();
        st.inflight_ns +=
            inflight as f64 * (w.window.clip(now) - w.window.clip(last_change)).as_nanos() as f64;
        last_change = now;
        if !w.stop(now) {
            for idx in ready.drain(..) {
                let read = w.is_read();
                let slot = &mut slots[idx];
                slot.read = read;
                slot.offset = w.offsets.next(&mut w.rng);
                slot.submitted = now;
                let entry = if read {
                    opcode::Read::new(types::Fd(fd), slot.buf.as_mut_ptr(), bs as u32)
                        .offset(slot.offset)
                        .build()
                } else {
                    writes += 1;
                    slot.buf.stamp(writes);
                    opcode::Write::new(types::Fd(fd), slot.buf.as_mut_ptr().cast_const(), bs as u32)
                        .offset(slot.offset)
                        .build()
                }
                .user_data(idx as u64);
                // SAFETY: the buffer lives in `slots` until this I/O's completion is reaped;
                // the queue has room for `qd` entries and at most `qd` are outstanding.
                if unsafe { ring.submission().push(&entry) }.is_ok() {
                    inflight += 1;
                    // One I/O per submission, as fio's default iodepth_batch_submit=1: each
                    // request reaches the device at once instead of waiting for a batch.
                    // SAFETY: plain io_uring_enter on our ring with no extra argument.
                    let _ = unsafe {
                        ring.submitter()
                            .enter::<libc::sigset_t>(1, 0, ENTER_GETEVENTS, None)
                    };
                }
            }
        } else {
            ready.clear();
        }
        if inflight == 0 {
            break;
        }
        // Anything not yet taken by the kernel is submitted here; with GETEVENTS the call
        // also posts completions ready meanwhile, and we wait only if none is there.
        let to_submit = ring.submission().len() as u32;
        let submitted = if to_submit == 0 {
            Ok(0)
        } else {
            // SAFETY: plain io_uring_enter on our ring with no extra argument.
            unsafe {
                ring.submitter()
                    .enter::<libc::sigset_t>(to_submit, 0, ENTER_GETEVENTS, None)
            }
        };
        let waited = match submitted {
            Ok(_) if ring.completion().is_empty() => ring.submit_and_wait(1),
            other => other,
        };
        match waited {
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
            Err(e) => {
                st.fail(format!("io_uring_enter failed: {e}"));
                // The kernel may still write into the buffers: never free them.
                std::mem::forget(slots);
                return st;
            }
        }
        let now = Instant::now();
        st.inflight_ns +=
            inflight as f64 * (w.window.clip(now) - w.window.clip(last_change)).as_nanos() as f64;
        last_change = now;
        done_batch.extend(
            ring.completion()
                .map(|c| (c.user_data() as usize, c.result())),
        );
        for (idx, res) in done_batch.drain(..) {
            inflight -= 1;
            let slot = &slots[idx];
            if res == bs as i32 {
                st.complete(&w.window, now, now - slot.submitted, slot.read, bs);
            } else if res < 0 {
                let e = std::io::Error::from_raw_os_error(-res);
                st.fail(format!(
                    "{} at offset {} failed: {e}",
                    if slot.read { "read" } else { "write" },
                    slot.offset
                ));
            } else {
                st.fail(format!(
                    "short I/O of {res} of {bs} bytes at offset {}",
                    slot.offset
                ));
            }
            ready.push(idx);
        }
        if st.errors >= 16 && st.read.ops + st.write.ops == 0 {
            // Nothing succeeds: stop submitting, drain, and let the caller report the error.
            w.window.end = now;
        }
    }
    st
}
