//! The few Linux calls of the HTTP event loop: epoll and a timerfd, each descriptor owned by
//! an `OwnedFd` so that it is closed on every path out of the loop.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// A new epoll set.
pub fn epoll_create() -> io::Result<OwnedFd> {
    // SAFETY: plain syscall; the new descriptor is owned by the returned OwnedFd.
    unsafe { cvt(libc::epoll_create1(libc::EPOLL_CLOEXEC)).map(|fd| OwnedFd::from_raw_fd(fd)) }
}

/// Watches `fd` for input under `token`.
pub fn epoll_add(ep: &OwnedFd, fd: RawFd, token: u64) -> io::Result<()> {
    let mut ev = libc::epoll_event {
        events: libc::EPOLLIN as u32,
        u64: token,
    };
    // SAFETY: both descriptors are open; `ev` is a valid event we own.
    unsafe {
        cvt(libc::epoll_ctl(
            ep.as_raw_fd(),
            libc::EPOLL_CTL_ADD,
            fd,
            &mut ev,
        ))
        .map(|_| ())
    }
}

/// Waits up to `max` for events; an interrupted wait returns none.
pub fn epoll_wait(
    ep: &OwnedFd,
    events: &mut [libc::epoll_event],
    max: Duration,
) -> io::Result<usize> {
    // SAFETY: `events` is a writable buffer of `events.len()` entries.
    let n = unsafe {
        libc::epoll_wait(
            ep.as_raw_fd(),
            events.as_mut_ptr(),
            events.len() as i32,
            max.as_millis() as i32,
        )
    };
    match cvt(n) {
        Ok(n) => Ok(n as usize),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(0),
        Err(e) => Err(e),
    }
}

/// A non-blocking monotonic timerfd.
pub fn timerfd_create() -> io::Result<OwnedFd> {
    // SAFETY: plain syscall; the new descriptor is owned by the returned OwnedFd.
    unsafe {
        cvt(libc::timerfd_create(
            libc::CLOCK_MONOTONIC,
            libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
        ))
        .map(|fd| OwnedFd::from_raw_fd(fd))
    }
}

/// Arms the timer to fire once after `d` (at least 1 ns: zero would disarm it).
pub fn arm(timer: &OwnedFd, d: Duration) -> io::Result<()> {
    let d = d.max(Duration::from_nanos(1));
    let spec = libc::itimerspec {
        it_interval: libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        },
        it_value: libc::timespec {
            tv_sec: d.as_secs() as libc::time_t,
            tv_nsec: libc::c_long::from(d.subsec_nanos() as i32),
        },
    };
    // SAFETY: valid timer descriptor and itimerspec; the old value is not asked for.
    unsafe {
        cvt(libc::timerfd_settime(
            timer.as_raw_fd(),
            0,
            &spec,
            std::ptr::null_mut(),
        ))
        .map(|_| ())
    }
}

/// Consumes the timer's expiry count so that it stops being readable.
pub fn drain_timer(timer: &OwnedFd) {
    let mut buf = [0u8; 8];
    // SAFETY: reads at most 8 bytes into a buffer we own; errors (EAGAIN) are harmless.
    unsafe {
        libc::read(timer.as_raw_fd(), buf.as_mut_ptr().cast(), 8);
    }
}
