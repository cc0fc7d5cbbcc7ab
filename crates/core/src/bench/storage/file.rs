//! The test file: opened with O_DIRECT when asked (and when the file system refuses it, the
//! reason is kept and reported: never a silent fallback), fully written with random data
//! before any read (rule S4: not sparse, not zeros), and removed when dropped, whatever
//! ended the run.

use std::fs::{File, OpenOptions};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::bench::control::RunControl;
use crate::bench::rng::Rng;
use crate::bench::{BenchError, BenchResult};

/// Alignment of every I/O buffer: a page, which satisfies any logical block size ≤ 4096.
pub const BUF_ALIGN: usize = 4096;

/// Chunk used to write the file before the reads.
const FILL_CHUNK: u64 = 1 << 20;

/// A heap buffer aligned to [`BUF_ALIGN`], as O_DIRECT requires.
pub struct AlignedBuf {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the buffer owns its allocation exclusively; moving it between threads is fine.
unsafe impl Send for AlignedBuf {}

impl AlignedBuf {
    /// A buffer of `len` bytes (> 0) filled from `rng`.
    pub fn random(len: usize, rng: &mut Rng) -> AlignedBuf {
        let layout =
            std::alloc::Layout::from_size_align(len.max(1), BUF_ALIGN).expect("valid layout");
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
        if ptr.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        let mut buf = AlignedBuf { ptr, len };
        rng.fill(buf.as_mut_slice());
        buf
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `ptr` points to `len` initialised bytes owned by `self`.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// The bytes, mutable.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as above, and `&mut self` guarantees exclusivity.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }

    /// Raw pointer for io_uring, which writes into the buffer asynchronously.
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.ptr
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for a zero-length buffer (never built).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Makes each 4 KiB block of the buffer unique (a counter in its first 8 bytes), as fio's
    /// `scramble_buffers` does, so that deduplication cannot skip writes.
    pub fn stamp(&mut self, counter: u64) {
        for (i, block) in self.as_mut_slice().chunks_mut(4096).enumerate() {
            if block.len() >= 8 {
                block[..8].copy_from_slice(&(counter ^ ((i as u64) << 48)).to_le_bytes());
            }
        }
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        let layout =
            std::alloc::Layout::from_size_align(self.len.max(1), BUF_ALIGN).expect("valid layout");
        // SAFETY: allocated in `random` with this same layout.
        unsafe { std::alloc::dealloc(self.ptr, layout) }
    }
}

/// The open test file; removed from disk on drop.
pub struct TestFile {
    path: PathBuf,
    file: File,
    /// True when the file is open with O_DIRECT.
    pub direct: bool,
    /// Why O_DIRECT is off (asked for but refused, or not asked for).
    pub direct_reason: Option<String>,
    /// Size in bytes.
    pub size: u64,
}

impl TestFile {
    /// Creates `dir/.novacron-perf-<pid>-<n>.dat` (O_EXCL), with O_DIRECT when `direct`.
    /// A file system that refuses O_DIRECT (EINVAL at open or at the first aligned write)
    /// gets a buffered file and the reason.
    pub fn create(dir: &Path, size: u64, direct: bool, align: usize) -> BenchResult<TestFile> {
        let path = dir.join(format!(
            ".novacron-perf-{}-{}.dat",
            std::process::id(),
            super::target::unique()
        ));
        let open = |flags: i32| {
            OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .custom_flags(flags)
                .open(&path)
        };
        let io_err = |e: std::io::Error| {
            BenchError::Io(format!(
                "storage: cannot create the test file {}: {e}",
                path.display()
            ))
        };
        if !direct {
            let file = open(0).map_err(io_err)?;
            return Ok(TestFile {
                path,
                file,
                direct: false,
                direct_reason: Some("not requested (storage.direct: false)".into()),
                size,
            });
        }
        match open(libc::O_DIRECT) {
            Ok(file) => {
                let mut t = TestFile {
                    path,
                    file,
                    direct: true,
                    direct_reason: None,
                    size,
                };
                // Some file systems accept the flag at open and refuse the I/O.
                let mut probe = AlignedBuf::random(align.max(BUF_ALIGN), &mut Rng::new(1));
                if let Err(e) = t.file.write_at(probe.as_mut_slice(), 0) {
                    if e.raw_os_error() == Some(libc::EINVAL) {
                        t.reopen_buffered(format!("an aligned O_DIRECT write failed: {e}"))?;
                    } else {
                        return Err(BenchError::Io(format!(
                            "storage: writing {} failed: {e}",
                            t.path.display()
                        )));
                    }
                }
                Ok(t)
            }
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                // Some file systems (ramfs) create the file before refusing the flag; the
                // name is ours (pid + counter), so reopening it is safe.
                let file = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(&path)
                    .map_err(|e2| {
                        let _ = std::fs::remove_file(&path);
                        io_err(e2)
                    })?;
                Ok(TestFile {
                    path,
                    file,
                    direct: false,
                    direct_reason: Some(format!("the file system refused O_DIRECT at open: {e}")),
                    size,
                })
            }
            Err(e) => Err(io_err(e)),
        }
    }

    fn reopen_buffered(&mut self, reason: String) -> BenchResult<()> {
        self.file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.path)
            .map_err(|e| {
                BenchError::Io(format!(
                    "storage: reopening {} failed: {e}",
                    self.path.display()
                ))
            })?;
        self.direct = false;
        self.direct_reason = Some(reason);
        Ok(())
    }

    /// The raw descriptor, for io_uring and pread/pwrite workers.
    pub fn fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }

    /// The file, for positioned I/O.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Path of the file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the whole file with random data in 1 MiB chunks, then fsyncs and drops it
    /// from the page cache. Returns the time taken, ms.
    pub fn precondition(&self, ctl: &RunControl) -> BenchResult<f64> {
        let t0 = Instant::now();
        let mut rng = Rng::from_clock(0xF11E);
        let mut buf = AlignedBuf::random(FILL_CHUNK as usize, &mut rng);
        let mut off = 0;
        while off < self.size {
            ctl.check()?;
            let n = (self.size - off).min(FILL_CHUNK) as usize;
            rng.fill(&mut buf.as_mut_slice()[..n]);
            self.file
                .write_all_at(&buf.as_slice()[..n], off)
                .map_err(|e| {
                    BenchError::Io(format!(
                        "storage: writing the test file at offset {off} failed: {e}"
                    ))
                })?;
            off += n as u64;
        }
        self.file
            .sync_all()
            .map_err(|e| BenchError::Io(format!("storage: fsync of the test file failed: {e}")))?;
        self.drop_cache();
        Ok(t0.elapsed().as_secs_f64() * 1e3)
    }

    /// Asks the kernel to drop the file's cached pages (fio `invalidate=1`).
    pub fn drop_cache(&self) {
        let _ = self.file.sync_data();
        // SAFETY: plain syscall on a descriptor we own; the result is advisory.
        unsafe {
            libc::posix_fadvise(self.fd(), 0, 0, libc::POSIX_FADV_DONTNEED);
        }
    }
}

impl Drop for TestFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_is_written_with_nonzero_data_and_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let ctl = RunControl::new(None);
        let path;
        {
            let f = TestFile::create(dir.path(), 3 << 20, true, 4096).unwrap();
            path = f.path().to_path_buf();
            f.precondition(&ctl).unwrap();
            let meta = std::fs::metadata(&path).unwrap();
            assert_eq!(meta.len(), 3 << 20);
            // Fully allocated, not sparse: 512-byte blocks cover the size.
            use std::os::unix::fs::MetadataExt;
            assert!(meta.blocks() * 512 >= 3 << 20);
            let data = std::fs::read(&path).unwrap();
            let zero_pages = data
                .chunks(4096)
                .filter(|c| c.iter().all(|&b| b == 0))
                .count();
            assert_eq!(zero_pages, 0);
        }
        assert!(!path.exists());
    }
}
