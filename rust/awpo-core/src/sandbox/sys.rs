//! Thin, safe wrappers around the few Linux calls the supervisor makes in its own process.
//!
//! Each wrapper holds one `unsafe` block around one libc call whose arguments are plain values
//! or pointers to live locals. Code that runs in the forked child lives in `child.rs`.
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// `poll(2)` on `fds` for at most `timeout` (`None` = forever). Retries on `EINTR`.
pub(crate) fn poll(fds: &mut [libc::pollfd], timeout: Option<Duration>) -> io::Result<usize> {
    let ms: libc::c_int = match timeout {
        None => -1,
        // Round up so a 0.3 ms remainder still waits instead of spinning.
        Some(d) => i32::try_from(d.as_micros().div_ceil(1000)).unwrap_or(i32::MAX),
    };
    loop {
        #[allow(unsafe_code)]
        // SAFETY: `fds` is a live, exclusively borrowed slice of `pollfd`; its length is passed.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Sends `sig` to process `pid` (`pid > 0` only: never a group or "every process").
pub(crate) fn kill(pid: i32, sig: i32) -> io::Result<()> {
    if pid <= 0 {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    #[allow(unsafe_code)]
    // SAFETY: kill(2) takes plain integers; pid > 0 names exactly one process.
    let rc = unsafe { libc::kill(pid, sig) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Sends `sig` to process group `pgid` (`pgid > 1` only).
pub(crate) fn killpg(pgid: i32, sig: i32) -> io::Result<()> {
    if pgid <= 1 {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    #[allow(unsafe_code)]
    // SAFETY: killpg(3) takes plain integers; pgid > 1 names one process group.
    let rc = unsafe { libc::killpg(pgid, sig) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Sets the soft and hard limit of `resource` of another process (`prlimit(2)`).
pub(crate) fn prlimit(
    pid: i32,
    resource: libc::__rlimit_resource_t,
    soft: u64,
    hard: u64,
) -> io::Result<()> {
    let new = libc::rlimit64 {
        rlim_cur: soft,
        rlim_max: hard,
    };
    #[allow(unsafe_code)]
    // SAFETY: `new` is a live local; a null old-limit pointer is allowed by prlimit(2).
    let rc = unsafe { libc::prlimit64(pid, resource, &new, std::ptr::null_mut()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// CPU time (user + system, all threads) consumed so far by process `pid`, nanoseconds.
pub(crate) fn process_cpu_ns(pid: i32) -> Option<u64> {
    // glibc's MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED): ((~pid) << 3) | 2.
    let clock: libc::clockid_t = ((!(pid as u32)) << 3 | 2) as libc::clockid_t;
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    #[allow(unsafe_code)]
    // SAFETY: `ts` is a live local the kernel writes into.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    if rc != 0 {
        return None;
    }
    Some(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

/// How a reaped child ended, with the CPU time it and its reaped children used.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reaped {
    pub exit_status: Option<i32>,
    pub signal: Option<i32>,
    pub cpu_ns: u64,
}

/// `wait4(2)`: reaps child `pid`; `None` when `nohang` and it is still running.
pub(crate) fn wait4(pid: i32, nohang: bool) -> io::Result<Option<Reaped>> {
    let mut status: libc::c_int = 0;
    #[allow(unsafe_code)]
    // SAFETY: rusage is plain old data; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let flags = if nohang { libc::WNOHANG } else { 0 };
    loop {
        #[allow(unsafe_code)]
        // SAFETY: `status` and `usage` are live locals the kernel writes into.
        let rc = unsafe { libc::wait4(pid, &mut status, flags, &mut usage) };
        if rc == 0 {
            return Ok(None);
        }
        if rc < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        let tv = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1000;
        let cpu_ns = tv(usage.ru_utime) + tv(usage.ru_stime);
        let (exit_status, signal) = if libc::WIFEXITED(status) {
            (Some(libc::WEXITSTATUS(status)), None)
        } else if libc::WIFSIGNALED(status) {
            (None, Some(libc::WTERMSIG(status)))
        } else {
            (None, None)
        };
        return Ok(Some(Reaped {
            exit_status,
            signal,
            cpu_ns,
        }));
    }
}

/// A pollable descriptor that becomes readable when process `pid` exits (`pidfd_open(2)`),
/// or `None` on kernels without it.
pub(crate) fn pidfd_open(pid: i32) -> Option<OwnedFd> {
    #[allow(unsafe_code)]
    // SAFETY: pidfd_open takes plain integers and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return None;
    }
    #[allow(unsafe_code)]
    // SAFETY: the kernel just returned this descriptor to us; nothing else owns it.
    Some(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Sets `O_NONBLOCK` on a descriptor.
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    let raw = fd.as_raw_fd();
    #[allow(unsafe_code)]
    // SAFETY: fcntl(F_GETFL) on a descriptor borrowed for the duration of the call.
    let flags = unsafe { libc::fcntl(raw, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    #[allow(unsafe_code)]
    // SAFETY: as above, F_SETFL with the old flags plus O_NONBLOCK.
    let rc = unsafe { libc::fcntl(raw, libc::F_SETFL, flags | libc::O_NONBLOCK) };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// The running kernel's Landlock ABI version, or 0 without Landlock.
pub(crate) fn landlock_abi() -> i32 {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
    #[allow(unsafe_code)]
    // SAFETY: with a null attribute pointer, size 0 and the VERSION flag the kernel only
    // returns the ABI number (or -1); no memory is read or written.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    if v < 0 { 0 } else { v as i32 }
}

/// The effective user id of this process.
pub(crate) fn geteuid() -> u32 {
    #[allow(unsafe_code)]
    // SAFETY: geteuid(2) cannot fail and takes no arguments.
    unsafe {
        libc::geteuid()
    }
}

/// This process's id.
pub(crate) fn getpid() -> i32 {
    std::process::id() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_group_and_broadcast_targets() {
        assert!(kill(0, 0).is_err());
        assert!(kill(-1, 0).is_err());
        assert!(killpg(1, 0).is_err());
        assert!(kill(getpid(), 0).is_ok());
    }

    #[test]
    fn cpu_clock_of_self_moves() {
        let a = process_cpu_ns(getpid()).unwrap();
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let b = process_cpu_ns(getpid()).unwrap();
        assert!(b > a);
    }
}
