//! Starting one isolated process: its private working directory, pids cgroup, Landlock ruleset
//! or private mount root, rlimits, scrubbed environment and descriptors, then fork and exec.
use super::cgroup::PidsCgroup;
use super::child::{self, Bind, ChildPlan, MountPlan, Stage};
use super::config::{IsolationConfig, Limits, SYSTEM_READ_ONLY, SYSTEM_READ_WRITE};
use super::isolation::{FsMech, Mechanisms, NetMech};
use super::{seccomp, sys};
use crate::{Error, Result};
use landlock::{
    ABI, Access, AccessFs, AccessNet, CompatLevel, Compatible, Ruleset, RulesetAttr,
    RulesetCreatedAttr, Scope, path_beneath_rules,
};
use std::ffi::CString;
use std::fs;
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

static SEQ: AtomicU64 = AtomicU64::new(0);

/// A private directory, removed with everything in it when dropped.
#[derive(Debug)]
pub(crate) struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub(crate) fn new(root: &Path, prefix: &str) -> io::Result<Self> {
        for _ in 0..100 {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let name = format!(
                "{prefix}-{}-{}-{nanos:08x}",
                sys::getpid(),
                SEQ.fetch_add(1, Ordering::Relaxed)
            );
            let path = root.join(name);
            match fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return Ok(Self { path }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::other(
            "could not create a unique temporary directory",
        ))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Removes everything inside, keeping the directory. Returns whether it had content.
    pub(crate) fn clear(&self) -> io::Result<bool> {
        let mut had = false;
        for entry in fs::read_dir(&self.path)? {
            let entry = entry?;
            had = true;
            let p = entry.path();
            if entry.file_type()?.is_dir() {
                fs::remove_dir_all(&p)?;
            } else {
                fs::remove_file(&p)?;
            }
        }
        Ok(had)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// What to start and how to connect to it.
pub(crate) struct SpawnRequest<'a> {
    pub program: &'a Path,
    pub args: Vec<String>,
    pub isolation: &'a IsolationConfig,
    pub limits: &'a Limits,
    pub mechanisms: &'a Mechanisms,
    /// Give the child a private bidirectional channel; its descriptor number is appended to args.
    pub channel: bool,
    /// Give the child a stdin pipe (else /dev/null).
    pub stdin: bool,
    /// RLIMIT_CPU at start, seconds.
    pub start_cpu_seconds: u64,
    /// Make the process a child subreaper (it reaps the orphans of its descendants).
    pub subreaper: bool,
}

/// A running isolated process. Dropping it kills everything in its sandbox and removes its
/// working directory and cgroup.
#[derive(Debug)]
pub(crate) struct Sandboxed {
    pub pid: i32,
    pub stdin: Option<ChildStdin>,
    pub stdout: Option<ChildStdout>,
    pub stderr: Option<ChildStderr>,
    pub channel: Option<UnixStream>,
    pub pidfd: Option<OwnedFd>,
    pub cgroup: Option<PidsCgroup>,
    pub workdir: TempDir,
    /// The (empty, on the host) mount point of the private root; removed on drop.
    _mount_root: Option<TempDir>,
    reaped: bool,
}

impl Sandboxed {
    /// Kills every process of the sandbox (the cgroup, else the process group and the child).
    pub(crate) fn kill_all(&self) {
        if self.reaped {
            // The pid may already belong to another process: only the cgroup is safe to use.
            if let Some(cg) = &self.cgroup {
                cg.kill_all_except(None);
            }
            return;
        }
        let _ = sys::killpg(self.pid, libc::SIGKILL);
        let _ = sys::kill(self.pid, libc::SIGKILL);
        if let Some(cg) = &self.cgroup {
            cg.kill_all_except(None);
        }
    }

    /// After a kill: waits (at most `limit`) until no process of the sandbox is left, so none is
    /// visible once the call or run returns. With a cgroup it re-kills what it finds; without
    /// one it can only watch the process group (`kill(-pgid, 0)` until ESRCH).
    pub(crate) fn wait_gone(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            let alive = match &self.cgroup {
                Some(cg) => {
                    let left = !cg.pids().is_empty();
                    if left {
                        cg.kill_all_except(None);
                    }
                    left
                }
                None => sys::killpg(self.pid, 0).is_ok(),
            };
            if !alive {
                return;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// Kills every process of the sandbox except the main one; returns how many.
    pub(crate) fn kill_strays(&self) -> usize {
        match &self.cgroup {
            Some(cg) => cg.kill_all_except(Some(self.pid)),
            None => 0,
        }
    }

    /// Reaps the main process (blocking unless `nohang`).
    pub(crate) fn reap(&mut self, nohang: bool) -> Option<sys::Reaped> {
        if self.reaped {
            return None;
        }
        match sys::wait4(self.pid, nohang) {
            Ok(Some(r)) => {
                self.reaped = true;
                Some(r)
            }
            Ok(None) => None,
            Err(_) => {
                self.reaped = true;
                None
            }
        }
    }
}

impl Drop for Sandboxed {
    fn drop(&mut self) {
        self.kill_all();
        if !self.reaped {
            let _ = sys::wait4(self.pid, false);
            self.reaped = true;
        }
        if let Some(cg) = &mut self.cgroup {
            cg.destroy();
        }
        // Then the fields drop: the workdir and mount root are removed.
    }
}

fn cstring(p: &Path) -> Result<CString> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| Error::InvalidInput(format!("path {} contains a NUL byte", p.display())))
}

/// Existing paths, each also under its canonical name when that differs (symlinks), with
/// entries nested inside another entry dropped.
fn normalize(paths: impl IntoIterator<Item = PathBuf>) -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = Vec::new();
    for p in paths {
        if !p.is_absolute() || fs::symlink_metadata(&p).is_err() {
            continue;
        }
        match fs::canonicalize(&p) {
            Ok(c) if c != p => all.push(c),
            _ => {}
        }
        all.push(p);
    }
    all.sort();
    all.dedup();
    let mut out: Vec<PathBuf> = Vec::new();
    for p in all {
        if !out.iter().any(|q| p.starts_with(q)) {
            out.push(p);
        }
    }
    out
}

/// The read-only and read-write path lists of a sandbox (the workdir is added by the caller).
pub(crate) fn allowed_paths(iso: &IsolationConfig) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut ro: Vec<PathBuf> = iso.read_only.clone();
    let mut rw: Vec<PathBuf> = iso.read_write.clone();
    if iso.system_paths {
        ro.extend(SYSTEM_READ_ONLY.iter().map(PathBuf::from));
        rw.extend(SYSTEM_READ_WRITE.iter().map(PathBuf::from));
    }
    let rw = normalize(rw);
    // A path both read-only and read-write is read-write; nested read-only entries stay (the
    // read-write one is bound on top in the mount mode).
    let ro = normalize(ro)
        .into_iter()
        .filter(|p| !rw.contains(p))
        .collect();
    (ro, rw)
}

fn landlock_ruleset(
    ro: &[PathBuf],
    rw: &[PathBuf],
    workdir: &Path,
    deny_tcp: bool,
) -> Result<OwnedFd> {
    let abi = ABI::V10; // best effort: the crate keeps what the running kernel supports
    let err = |e: landlock::RulesetError| Error::Sandbox(format!("landlock ruleset: {e}"));
    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(AccessFs::from_all(abi))
        .map_err(err)?
        .scope(Scope::AbstractUnixSocket | Scope::Signal)
        .map_err(err)?;
    if deny_tcp {
        // No rules for TCP: every bind and connect is denied (a second wall behind the netns).
        ruleset = ruleset
            .handle_access(AccessNet::BindTcp | AccessNet::ConnectTcp)
            .map_err(err)?;
    }
    let created = ruleset
        .create()
        .map_err(err)?
        .add_rules(path_beneath_rules(ro, AccessFs::from_read(abi)))
        .map_err(err)?
        .add_rules(path_beneath_rules(rw, AccessFs::from_all(abi)))
        .map_err(err)?
        .add_rules(path_beneath_rules([workdir], AccessFs::from_all(abi)))
        .map_err(err)?;
    let fd: Option<OwnedFd> = created.into();
    fd.ok_or_else(|| Error::Sandbox("landlock is not supported by this kernel".into()))
}

fn mount_plan(root: &Path, ro: &[PathBuf], rw: &[PathBuf], workdir: &Path) -> Result<MountPlan> {
    let mut entries: Vec<(PathBuf, bool)> = ro.iter().map(|p| (p.clone(), true)).collect();
    entries.extend(rw.iter().map(|p| (p.clone(), false)));
    entries.push((workdir.to_path_buf(), false));
    // Parents before children, so nested binds land on top.
    entries.sort_by_key(|(p, _)| p.components().count());
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut files: Vec<CString> = Vec::new();
    let mut binds: Vec<Bind> = Vec::new();
    for (p, read_only) in entries {
        let rel = p.strip_prefix("/").unwrap_or(&p);
        let dst = root.join(rel);
        let is_dir = fs::metadata(&p).map(|m| m.is_dir()).unwrap_or(false);
        let mut parent = dst.parent();
        let mut chain = Vec::new();
        while let Some(d) = parent {
            if d == root || !d.starts_with(root) {
                break;
            }
            chain.push(d.to_path_buf());
            parent = d.parent();
        }
        chain.reverse();
        for d in chain {
            if !dirs.contains(&d) {
                dirs.push(d);
            }
        }
        if is_dir {
            if !dirs.contains(&dst) {
                dirs.push(dst.clone());
            }
        } else {
            files.push(cstring(&dst)?);
        }
        binds.push(Bind {
            src: cstring(&p)?,
            dst: cstring(&dst)?,
            read_only,
            devices: p.starts_with("/dev"),
        });
    }
    Ok(MountPlan {
        root: cstring(root)?,
        dirs: dirs.iter().map(|d| cstring(d)).collect::<Result<_>>()?,
        files,
        binds,
    })
}

/// Starts one isolated process: prepares its isolation (working directory, pids cgroup, Landlock
/// ruleset or private mount root), forks a scrubbed command that applies the child plan before
/// exec, then hands back its non-blocking pipes.
pub(crate) fn spawn(req: SpawnRequest<'_>) -> Result<Sandboxed> {
    let mech = req.mechanisms;
    let workdir_root = req
        .isolation
        .workdir_root
        .clone()
        .unwrap_or_else(std::env::temp_dir);
    let workdir = private_workdir(&workdir_root, mech)?;
    let (ro, rw) = allowed_paths(req.isolation);
    let cgroup = pids_cgroup(mech, req.limits)?;
    let cgroup_file = cgroup.as_ref().map(|c| c.procs_file()).transpose()?;
    let landlock_fd = match mech.fs {
        FsMech::Landlock { .. } => Some(landlock_ruleset(
            &ro,
            &rw,
            workdir.path(),
            matches!(mech.net, NetMech::Namespace { .. }),
        )?),
        _ => None,
    };
    let mount_root = match mech.fs {
        FsMech::MountNamespace => Some(TempDir::new(&workdir_root, "awpo-root")?),
        _ => None,
    };
    let mount = mount_root
        .as_ref()
        .map(|root| mount_plan(root.path(), &ro, &rw, workdir.path()))
        .transpose()?;

    let (stage_parent, stage_child) = UnixStream::pair()?;
    let (channel_parent, channel_child) = if req.channel {
        UnixStream::pair().map(|(a, b)| (Some(a), Some(b)))?
    } else {
        (None, None)
    };
    let mut args = req.args.clone();
    let mut keep_fds: Vec<RawFd> = Vec::new();
    if let Some(c) = &channel_child {
        keep_fds.push(c.as_raw_fd());
        args.push(c.as_raw_fd().to_string());
    }
    let plan = ChildPlan {
        parent_pid: sys::getpid(),
        stage_fd: Some(stage_child.as_raw_fd()),
        cgroup_procs_fd: cgroup_file.as_ref().map(|f| f.as_raw_fd()),
        rlimits: rlimits(req.limits, mech, req.start_cpu_seconds),
        unshare_flags: unshare_flags(mech),
        mount,
        workdir: cstring(workdir.path())?,
        keep_fds,
        subreaper: req.subreaper,
        switch_user: mech.switch_user,
        drop_capabilities: drops_capabilities(mech),
        landlock_fd: landlock_fd.as_ref().map(|f| f.as_raw_fd()),
        seccomp: if mech.seccomp {
            seccomp::deny_list_filter()
        } else {
            None
        },
    };

    let mut cmd = scrubbed_command(&req, &args, workdir.path());
    child::install(&mut cmd, Arc::new(plan));
    let spawned = cmd.spawn();
    // The child has its copies now (or never started): close the parent's ends.
    drop((stage_child, channel_child, cgroup_file, landlock_fd));
    let mut child = spawned.map_err(|e| start_error(req.program, stage_parent, &e))?;
    let pid = child.id() as i32;
    let (stdin, stdout, stderr) = nonblocking_pipes(&mut child)?;
    if let Some(c) = &channel_parent {
        c.set_nonblocking(true)?;
    }
    // `child` is dropped without waiting (std's Child does nothing on drop): wait4 reaps it.
    drop(child);
    Ok(Sandboxed {
        pid,
        stdin,
        stdout,
        stderr,
        channel: channel_parent,
        pidfd: sys::pidfd_open(pid),
        cgroup,
        workdir,
        _mount_root: mount_root,
        reaped: false,
    })
}

/// The sandbox's private working directory under `root`, owned by the user it switches to.
fn private_workdir(root: &Path, mech: &Mechanisms) -> Result<TempDir> {
    let workdir = TempDir::new(root, "awpo-sbx")?;
    if let Some((uid, gid)) = mech.switch_user {
        std::os::unix::fs::chown(workdir.path(), Some(uid), Some(gid))?;
    }
    Ok(workdir)
}

/// A fresh pids cgroup capped at `max_processes`, when the machine has a cgroup base.
fn pids_cgroup(mech: &Mechanisms, limits: &Limits) -> Result<Option<PidsCgroup>> {
    let Some(base) = &mech.pids else {
        return Ok(None);
    };
    PidsCgroup::create(base, limits.max_processes)
        .map(Some)
        .map_err(|e| {
            Error::Sandbox(format!(
                "cannot create a pids cgroup under {}: {e}",
                base.dir.display()
            ))
        })
}

/// The namespaces the child unshares: network (inside a user namespace when not root) and mount.
fn unshare_flags(mech: &Mechanisms) -> libc::c_int {
    let mut flags = 0;
    if let NetMech::Namespace { user_namespace } = mech.net {
        flags |= libc::CLONE_NEWNET;
        if user_namespace {
            flags |= libc::CLONE_NEWUSER;
        }
    }
    if mech.fs == FsMech::MountNamespace {
        flags |= libc::CLONE_NEWNS;
    }
    flags
}

/// The resource limits set in the child, as (resource, soft, hard).
fn rlimits(
    limits: &Limits,
    mech: &Mechanisms,
    start_cpu_seconds: u64,
) -> Vec<(libc::__rlimit_resource_t, u64, u64)> {
    let same = |resource, value| (resource, value, value);
    let mut out = vec![
        same(libc::RLIMIT_AS, limits.memory_bytes),
        same(libc::RLIMIT_FSIZE, limits.file_size_bytes),
        same(libc::RLIMIT_NOFILE, limits.open_files),
        same(libc::RLIMIT_CORE, 0),
    ];
    let cpu = start_cpu_seconds.max(1);
    // Root re-arms RLIMIT_CPU before each call (prlimit may raise the hard limit); otherwise the
    // hard limit must stay open so the soft limit can be re-armed.
    let cpu_hard = if mech.root {
        cpu + 1
    } else {
        libc::RLIM_INFINITY
    };
    out.push((libc::RLIMIT_CPU, cpu, cpu_hard));
    // Without a pids cgroup, RLIMIT_NPROC is the process cap (it counts the user's processes,
    // so not for root).
    if mech.pids.is_none() && !mech.root {
        out.push(same(libc::RLIMIT_NPROC, limits.max_processes));
    }
    out
}

/// Whether the child drops its capabilities: root does, and so does a user namespace (it holds
/// all capabilities inside).
fn drops_capabilities(mech: &Mechanisms) -> bool {
    mech.root
        || matches!(
            mech.net,
            NetMech::Namespace {
                user_namespace: true
            }
        )
}

/// The command to exec: only the configured environment (plus HOME and TMPDIR in the workdir
/// unless configured), started in `/`, with piped stdout and stderr.
fn scrubbed_command(req: &SpawnRequest<'_>, args: &[String], workdir: &Path) -> Command {
    let env = &req.isolation.env;
    let mut cmd = Command::new(req.program);
    cmd.args(args)
        .env_clear()
        .envs(env)
        .current_dir("/")
        .stdin(if req.stdin {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for key in ["HOME", "TMPDIR"] {
        if !env.contains_key(key) {
            cmd.env(key, workdir);
        }
    }
    cmd
}

/// The error of a failed start, naming the child setup step that failed.
fn start_error(program: &Path, stage: UnixStream, e: &io::Error) -> Error {
    let what = last_stage(stage).map(Stage::describe).unwrap_or("exec");
    Error::Sandbox(format!(
        "cannot start {} in the sandbox: {what} failed: {e}",
        program.display()
    ))
}

/// Takes the child's pipes, each switched to non-blocking.
fn nonblocking_pipes(
    child: &mut Child,
) -> Result<(Option<ChildStdin>, Option<ChildStdout>, Option<ChildStderr>)> {
    let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let fds = [
        stdout.as_ref().map(|s| s.as_fd()),
        stderr.as_ref().map(|s| s.as_fd()),
        stdin.as_ref().map(|s| s.as_fd()),
    ];
    for fd in fds.into_iter().flatten() {
        sys::set_nonblocking(fd)?;
    }
    Ok((stdin, stdout, stderr))
}

fn last_stage(mut s: UnixStream) -> Option<Stage> {
    let _ = s.set_nonblocking(true);
    let mut buf = [0u8; 64];
    let mut last = None;
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        last = buf[..n].last().copied().or(last);
    }
    last.and_then(Stage::from_byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_keeps_existing_outermost_paths() {
        let got = normalize(vec![
            PathBuf::from("/usr/lib"),
            PathBuf::from("/usr"),
            PathBuf::from("/definitely/not/here"),
            PathBuf::from("relative"),
        ]);
        assert_eq!(got, vec![PathBuf::from("/usr")]);
    }

    #[test]
    fn mount_plan_creates_parents_before_binds() {
        let root = Path::new("/r");
        let work = TempDir::new(&std::env::temp_dir(), "awpo-plan-test").unwrap();
        let plan = mount_plan(
            root,
            &[PathBuf::from("/usr"), PathBuf::from("/etc/hostname")],
            &[PathBuf::from("/dev/null")],
            work.path(),
        )
        .unwrap();
        let dirs: Vec<PathBuf> = plan
            .dirs
            .iter()
            .map(|d| PathBuf::from(d.to_string_lossy().into_owned()))
            .collect();
        let inside = root.join(work.path().strip_prefix("/").unwrap());
        let parent = inside.parent().unwrap().to_path_buf();
        assert!(dirs.contains(&PathBuf::from("/r/usr")));
        assert!(dirs.contains(&inside));
        assert!(dirs.iter().position(|d| *d == parent) < dirs.iter().position(|d| *d == inside));
        // A file is bound onto an empty file, not a directory.
        assert!(
            plan.files
                .iter()
                .any(|f| f.to_string_lossy() == "/r/etc/hostname")
        );
        let binds: Vec<(String, bool)> = plan
            .binds
            .iter()
            .map(|b| (b.dst.to_string_lossy().into_owned(), b.read_only))
            .collect();
        assert!(binds.contains(&("/r/usr".into(), true)));
        assert!(binds.contains(&("/r/dev/null".into(), false)));
        assert!(binds.contains(&(inside.display().to_string(), false)));
        assert!(plan.binds.iter().any(|b| b.devices));
    }
}
