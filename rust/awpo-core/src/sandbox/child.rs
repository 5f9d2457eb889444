//! What the forked child does between `fork` and `exec`: the isolation steps, in order.
//!
//! Everything here runs in a child of a possibly multi-threaded parent, so it is restricted to
//! async-signal-safe work: raw system calls on values prepared by the parent (C strings, BPF
//! program, descriptor numbers). No allocation, no locks, no panics.
use std::ffi::CString;
use std::io;
use std::os::fd::RawFd;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::Arc;

/// Steps of the child setup; the child writes each step's number to the stage descriptor before
/// running it, so a failure names its step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Stage {
    Session = 1,
    DeathSignal,
    Cgroup,
    Rlimits,
    Unshare,
    MountRoot,
    Chdir,
    Descriptors,
    SwitchUser,
    DropCapabilities,
    NoNewPrivs,
    Landlock,
    Seccomp,
    Exec,
}

impl Stage {
    pub(crate) fn from_byte(b: u8) -> Option<Self> {
        use Stage::*;
        [
            Session,
            DeathSignal,
            Cgroup,
            Rlimits,
            Unshare,
            MountRoot,
            Chdir,
            Descriptors,
            SwitchUser,
            DropCapabilities,
            NoNewPrivs,
            Landlock,
            Seccomp,
            Exec,
        ]
        .into_iter()
        .find(|s| *s as u8 == b)
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            Stage::Session => "setsid (own session and process group)",
            Stage::DeathSignal => "PR_SET_PDEATHSIG",
            Stage::Cgroup => "joining the pids cgroup",
            Stage::Rlimits => "setrlimit",
            Stage::Unshare => "unshare (network / mount namespace)",
            Stage::MountRoot => "building the private mount-namespace root",
            Stage::Chdir => "chdir into the working directory",
            Stage::Descriptors => "closing inherited descriptors",
            Stage::SwitchUser => "switching to the unprivileged user",
            Stage::DropCapabilities => "dropping capabilities",
            Stage::NoNewPrivs => "PR_SET_NO_NEW_PRIVS",
            Stage::Landlock => "landlock_restrict_self",
            Stage::Seccomp => "installing the seccomp filter",
            Stage::Exec => "exec",
        }
    }
}

/// One bind mount of the mount-namespace root.
#[derive(Debug)]
pub(crate) struct Bind {
    pub src: CString,
    pub dst: CString,
    pub read_only: bool,
    pub devices: bool,
}

/// A private root for the mount-namespace fallback: a tmpfs holding bind mounts of the allowed
/// paths at their host paths.
#[derive(Debug)]
pub(crate) struct MountPlan {
    pub root: CString,
    pub dirs: Vec<CString>,
    pub files: Vec<CString>,
    pub binds: Vec<Bind>,
}

/// Everything the child applies to itself before `exec`, prepared by the parent.
#[derive(Debug)]
pub(crate) struct ChildPlan {
    pub parent_pid: i32,
    pub stage_fd: Option<RawFd>,
    pub cgroup_procs_fd: Option<RawFd>,
    pub rlimits: Vec<(libc::__rlimit_resource_t, u64, u64)>,
    pub unshare_flags: libc::c_int,
    pub mount: Option<MountPlan>,
    pub workdir: CString,
    pub keep_fds: Vec<RawFd>,
    /// Make the child a subreaper: orphans of its descendants become its children, so it can
    /// reap them (init may be slow to, and zombies keep their pids.max slot until reaped).
    pub subreaper: bool,
    pub switch_user: Option<(u32, u32)>,
    pub drop_capabilities: bool,
    pub landlock_fd: Option<RawFd>,
    pub seccomp: Option<Vec<libc::sock_filter>>,
}

/// Registers `plan` to run in the child between fork and exec.
pub(crate) fn install(cmd: &mut Command, plan: Arc<ChildPlan>) {
    #[allow(unsafe_code)]
    // SAFETY: the closure only calls `ChildPlan::apply`, which makes raw system calls on data
    // prepared before the fork (no allocation, no locks), so it is async-signal-safe.
    unsafe {
        cmd.pre_exec(move || plan.apply());
    }
}

/// `Err(last OS error)` when `rc` is negative.
fn check(rc: i64) -> io::Result<()> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

#[allow(unsafe_code)]
impl ChildPlan {
    fn stage(&self, stage: Stage) {
        if let Some(fd) = self.stage_fd {
            let b = stage as u8;
            // SAFETY: write(2) of one byte from a live local to a descriptor the parent made;
            // the result is ignored on purpose (the stage report is best-effort).
            unsafe {
                libc::write(fd, std::ptr::from_ref(&b).cast(), 1);
            }
        }
    }

    /// Runs in the child. Async-signal-safe: raw system calls only.
    fn apply(&self) -> io::Result<()> {
        self.stage(Stage::Session);
        // SAFETY: setsid(2) takes no arguments.
        check(unsafe { libc::setsid() } as i64)?;

        self.stage(Stage::DeathSignal);
        // SAFETY: prctl with integer arguments.
        check(unsafe {
            libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            )
        } as i64)?;
        // SAFETY: getppid(2) cannot fail.
        if unsafe { libc::getppid() } != self.parent_pid {
            // The supervisor died between fork and prctl: do not run unsupervised.
            return Err(io::Error::from_raw_os_error(libc::ESRCH));
        }
        if self.subreaper {
            // SAFETY: prctl with integer arguments.
            check(
                unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1 as libc::c_ulong, 0, 0, 0) }
                    as i64,
            )?;
        }

        if let Some(fd) = self.cgroup_procs_fd {
            self.stage(Stage::Cgroup);
            // Writing "0" to cgroup.procs moves the writing process.
            // SAFETY: write(2) of a static one-byte buffer.
            check(unsafe { libc::write(fd, b"0".as_ptr().cast(), 1) } as i64)?;
        }

        self.stage(Stage::Rlimits);
        for &(resource, soft, hard) in &self.rlimits {
            let lim = libc::rlimit64 {
                rlim_cur: soft,
                rlim_max: hard,
            };
            // SAFETY: `lim` is a live local.
            check(unsafe { libc::setrlimit64(resource, &lim) } as i64)?;
        }

        if self.unshare_flags != 0 {
            self.stage(Stage::Unshare);
            // SAFETY: unshare(2) with integer flags; the child is single-threaded.
            check(unsafe { libc::unshare(self.unshare_flags) } as i64)?;
        }

        if let Some(m) = &self.mount {
            self.stage(Stage::MountRoot);
            self.build_root(m)?;
        }

        self.stage(Stage::Chdir);
        // SAFETY: a NUL-terminated path prepared by the parent.
        check(unsafe { libc::chdir(self.workdir.as_ptr()) } as i64)?;

        self.stage(Stage::Descriptors);
        self.close_inherited()?;

        if let Some((uid, gid)) = self.switch_user {
            self.stage(Stage::SwitchUser);
            // Drop the bounding set first (needs CAP_SETPCAP, which setuid is about to lose).
            self.drop_bounding_set()?;
            // Raw syscalls: they act on this (only) thread, with no glibc setxid broadcast.
            // SAFETY: integer arguments; a null list with size 0 clears supplementary groups.
            unsafe {
                check(libc::syscall(
                    libc::SYS_setgroups,
                    0usize,
                    std::ptr::null::<libc::gid_t>(),
                ))?;
                check(libc::syscall(libc::SYS_setresgid, gid, gid, gid))?;
                check(libc::syscall(libc::SYS_setresuid, uid, uid, uid))?;
            }
        }

        if self.drop_capabilities {
            self.stage(Stage::DropCapabilities);
            if self.switch_user.is_none() {
                self.drop_bounding_set()?;
            }
            // SAFETY: prctl with integer arguments; EINVAL on kernels without ambient caps.
            unsafe {
                libc::prctl(
                    libc::PR_CAP_AMBIENT,
                    libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
                    0,
                    0,
                    0,
                );
            }
            let header = CapHeader {
                version: LINUX_CAPABILITY_VERSION_3,
                pid: 0,
            };
            let data = [CapData {
                effective: 0,
                permitted: 0,
                inheritable: 0,
            }; 2];
            // SAFETY: capset(2) reads the live locals `header` and `data` (two elements, as
            // version 3 requires).
            check(unsafe { libc::syscall(libc::SYS_capset, &header, data.as_ptr()) })?;
        }

        self.stage(Stage::NoNewPrivs);
        // SAFETY: prctl with integer arguments.
        check(
            unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1 as libc::c_ulong, 0, 0, 0) } as i64,
        )?;

        if let Some(fd) = self.landlock_fd {
            self.stage(Stage::Landlock);
            // SAFETY: landlock_restrict_self(2) with a ruleset descriptor made by the parent.
            check(unsafe { libc::syscall(libc::SYS_landlock_restrict_self, fd, 0u32) })?;
        }

        if let Some(filter) = &self.seccomp {
            self.stage(Stage::Seccomp);
            let prog = libc::sock_fprog {
                len: filter.len() as libc::c_ushort,
                filter: filter.as_ptr().cast_mut(),
            };
            // SAFETY: `prog` points into `filter`, which the plan keeps alive; the kernel copies
            // the program during the call.
            check(unsafe {
                libc::prctl(
                    libc::PR_SET_SECCOMP,
                    libc::SECCOMP_MODE_FILTER as libc::c_ulong,
                    std::ptr::from_ref(&prog) as libc::c_ulong,
                    0,
                    0,
                )
            } as i64)?;
        }
        self.stage(Stage::Exec);
        Ok(())
    }

    fn drop_bounding_set(&self) -> io::Result<()> {
        for cap in 0..64 {
            // SAFETY: prctl with integer arguments.
            let rc = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) };
            if rc != 0 {
                let err = io::Error::last_os_error();
                if err.raw_os_error() == Some(libc::EINVAL) {
                    break; // past the kernel's last capability
                }
                if err.raw_os_error() == Some(libc::EPERM) && cap == 0 {
                    break; // no CAP_SETPCAP: an unprivileged process has nothing to drop
                }
                return Err(err);
            }
        }
        Ok(())
    }

    /// Marks every descriptor above 2 close-on-exec, then keeps the protocol descriptors open.
    fn close_inherited(&self) -> io::Result<()> {
        // SAFETY: close_range(2) with integer arguments; CLOEXEC marks instead of closing, so the
        // descriptors this setup still uses stay valid until exec.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_close_range,
                3u32,
                u32::MAX,
                libc::CLOSE_RANGE_CLOEXEC,
            )
        };
        if rc != 0 {
            // Kernels before 5.11: mark them one by one.
            for fd in 3..65_536 {
                // SAFETY: fcntl on a descriptor number; EBADF for unused numbers is ignored.
                unsafe {
                    libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
                }
            }
        }
        for &fd in &self.keep_fds {
            // SAFETY: fcntl(F_SETFD, 0) clears close-on-exec on a descriptor the parent passed.
            check(unsafe { libc::fcntl(fd, libc::F_SETFD, 0) } as i64)?;
        }
        Ok(())
    }

    fn build_root(&self, m: &MountPlan) -> io::Result<()> {
        let none = std::ptr::null::<libc::c_char>();
        let root_slash = c"/";
        let tmpfs = c"tmpfs";
        let dot = c".";
        // SAFETY (whole block): mount/mkdir/open/chdir/umount2/pivot_root with NUL-terminated
        // strings prepared by the parent, static C strings, or null where the kernel allows it.
        unsafe {
            check(libc::mount(
                none,
                root_slash.as_ptr(),
                none,
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ) as i64)?;
            check(libc::mount(
                tmpfs.as_ptr(),
                m.root.as_ptr(),
                tmpfs.as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV,
                c"mode=0755,size=4m".as_ptr().cast(),
            ) as i64)?;
            for d in &m.dirs {
                if libc::mkdir(d.as_ptr(), 0o755) != 0 {
                    let err = io::Error::last_os_error();
                    if err.raw_os_error() != Some(libc::EEXIST) {
                        return Err(err);
                    }
                }
            }
            for f in &m.files {
                let fd = libc::open(
                    f.as_ptr(),
                    libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
                    0o644,
                );
                check(fd as i64)?;
                libc::close(fd);
            }
            for b in &m.binds {
                check(libc::mount(
                    b.src.as_ptr(),
                    b.dst.as_ptr(),
                    none,
                    libc::MS_BIND | libc::MS_REC,
                    std::ptr::null(),
                ) as i64)?;
                let mut flags = libc::MS_BIND | libc::MS_REMOUNT | libc::MS_NOSUID;
                if b.read_only {
                    flags |= libc::MS_RDONLY;
                }
                if !b.devices {
                    flags |= libc::MS_NODEV;
                }
                check(libc::mount(none, b.dst.as_ptr(), none, flags, std::ptr::null()) as i64)?;
            }
            check(libc::chdir(m.root.as_ptr()) as i64)?;
            check(libc::syscall(
                libc::SYS_pivot_root,
                dot.as_ptr(),
                dot.as_ptr(),
            ))?;
            check(libc::umount2(dot.as_ptr(), libc::MNT_DETACH) as i64)?;
            check(libc::chdir(root_slash.as_ptr()) as i64)?;
            check(libc::mount(
                none,
                root_slash.as_ptr(),
                none,
                libc::MS_REMOUNT | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV,
                std::ptr::null(),
            ) as i64)?;
        }
        Ok(())
    }
}

/// Runs `flags` through `unshare(2)` in a forked child that never execs, to learn whether this
/// process may create those namespaces. `Ok(())` when it may.
pub(crate) fn probe_unshare(flags: libc::c_int) -> io::Result<()> {
    // A distinctive errno reported by the probe child when unshare succeeded.
    const PROBE_OK: i32 = libc::ENOTRECOVERABLE;
    let mut cmd = Command::new("/awpo-sandbox-probe-never-executed");
    cmd.env_clear();
    #[allow(unsafe_code)]
    // SAFETY: the closure makes one raw system call (unshare) and reads errno.
    unsafe {
        cmd.pre_exec(move || {
            if libc::unshare(flags) != 0 {
                return Err(io::Error::last_os_error());
            }
            Err(io::Error::from_raw_os_error(PROBE_OK))
        });
    }
    match cmd.spawn() {
        Ok(mut child) => {
            // Cannot happen (the program does not exist), but never leave a child behind.
            let _ = child.kill();
            let _ = child.wait();
            Err(io::Error::other("namespace probe unexpectedly executed"))
        }
        Err(e) if e.raw_os_error() == Some(PROBE_OK) => Ok(()),
        Err(e) => Err(e),
    }
}
