//! Which isolation mechanisms this machine offers, chosen against the config, and the report
//! of what is active (shown to the user at start).
use super::cgroup::{self, PidsBase, PidsCgroup};
use super::child::probe_unshare;
use super::config::{FilesystemPolicy, IsolationConfig, NetworkPolicy};
use super::{seccomp, sys};
use crate::{Error, Result};
use serde::Serialize;

/// What isolates the sandboxed processes, one human-readable line per concern.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IsolationReport {
    /// How the network is cut off (or that it is allowed by config).
    pub network: String,
    /// How the filesystem view is restricted.
    pub filesystem: String,
    /// What bounds and tracks the processes of a sandbox.
    pub processes: String,
    /// What stops sandboxed code from signalling processes outside the sandbox.
    pub signals: String,
    /// System-call filtering.
    pub syscalls: String,
    /// Capabilities left to sandboxed code.
    pub capabilities: String,
}

impl IsolationReport {
    /// `(key, value)` pairs in a fixed order.
    pub fn entries(&self) -> Vec<(&'static str, String)> {
        vec![
            ("network", self.network.clone()),
            ("filesystem", self.filesystem.clone()),
            ("processes", self.processes.clone()),
            ("signals", self.signals.clone()),
            ("syscalls", self.syscalls.clone()),
            ("capabilities", self.capabilities.clone()),
        ]
    }
}

/// The filesystem mechanism in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FsMech {
    Landlock { abi: i32 },
    MountNamespace,
    Allowed,
}

/// The network mechanism in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NetMech {
    Namespace { user_namespace: bool },
    Allowed,
}

/// The uid/gid sandboxed code runs as in the mount-namespace mode when the supervisor is root.
pub(crate) const NOBODY: (u32, u32) = (65_534, 65_534);

/// The mechanisms chosen for one config on this machine.
#[derive(Clone, Debug)]
pub(crate) struct Mechanisms {
    pub net: NetMech,
    pub fs: FsMech,
    pub pids: Option<PidsBase>,
    pub seccomp: bool,
    pub root: bool,
    pub switch_user: Option<(u32, u32)>,
    pub report: IsolationReport,
}

impl Mechanisms {
    /// Probes the machine and picks mechanisms for `cfg`; refuses (with the fix in the message)
    /// when the config asks for isolation this machine cannot give.
    pub(crate) fn resolve(cfg: &IsolationConfig, max_processes: u64) -> Result<Self> {
        let root = sys::geteuid() == 0;
        let net = match cfg.network {
            NetworkPolicy::Allow => NetMech::Allowed,
            NetworkPolicy::Isolate => {
                let flags = if root {
                    libc::CLONE_NEWNET
                } else {
                    libc::CLONE_NEWUSER | libc::CLONE_NEWNET
                };
                probe_unshare(flags).map_err(|e| {
                    Error::Sandbox(format!(
                        "cannot create a network namespace ({e}); refusing to run tools with the \
                         host network. Run as root or enable unprivileged user namespaces, or set \
                         network: allow in the sandbox config to accept the risk"
                    ))
                })?;
                NetMech::Namespace {
                    user_namespace: !root,
                }
            }
        };
        let abi = sys::landlock_abi();
        let mountns_ok = || root && probe_unshare(libc::CLONE_NEWNS).is_ok();
        let fs = match cfg.filesystem {
            FilesystemPolicy::Allow => FsMech::Allowed,
            FilesystemPolicy::Landlock if abi >= 1 => FsMech::Landlock { abi },
            FilesystemPolicy::Landlock => {
                return Err(Error::Sandbox(
                    "filesystem: landlock was asked for but this kernel has no Landlock (use \
                     filesystem: auto to fall back to a mount namespace)"
                        .into(),
                ));
            }
            FilesystemPolicy::MountNamespace if mountns_ok() => FsMech::MountNamespace,
            FilesystemPolicy::MountNamespace => {
                return Err(Error::Sandbox(
                    "filesystem: mount-namespace needs root and unshare(CLONE_NEWNS); neither \
                     works here (use filesystem: auto or landlock)"
                        .into(),
                ));
            }
            FilesystemPolicy::Auto if abi >= 1 => FsMech::Landlock { abi },
            FilesystemPolicy::Auto if mountns_ok() => FsMech::MountNamespace,
            FilesystemPolicy::Auto => {
                return Err(Error::Sandbox(
                    "no filesystem isolation available: the kernel has no Landlock and a mount \
                     namespace needs root. Set filesystem: allow in the sandbox config to run \
                     tools with the host filesystem view"
                        .into(),
                ));
            }
        };
        if fs == FsMech::MountNamespace
            && matches!(
                net,
                NetMech::Namespace {
                    user_namespace: true
                }
            )
        {
            return Err(Error::Sandbox(
                "the mount-namespace filesystem mode needs root".into(),
            ));
        }
        let pids = PidsBase::discover().filter(|base| {
            cgroup::sweep_stale(base);
            PidsCgroup::create(base, max_processes).is_ok()
        });
        let seccomp_on = cfg.seccomp && seccomp::deny_list_filter().is_some();
        let switch_user = (fs == FsMech::MountNamespace && root).then_some(NOBODY);

        let report = IsolationReport {
            network: match net {
                NetMech::Namespace {
                    user_namespace: false,
                } => "network namespace (only a loopback device, down)".into(),
                NetMech::Namespace {
                    user_namespace: true,
                } => "user + network namespace (only a loopback device, down)".into(),
                NetMech::Allowed => "host network (config network: allow)".into(),
            },
            filesystem: match fs {
                FsMech::Landlock { abi } => {
                    format!(
                        "landlock ABI {abi} (allow-listed paths read-only, private workdir writable)"
                    )
                }
                FsMech::MountNamespace => {
                    "mount namespace (private root: allow-listed paths bound \
                                           read-only, private workdir writable)"
                        .into()
                }
                FsMech::Allowed => {
                    "none (config filesystem: allow; cwd is the private workdir)".into()
                }
            },
            processes: match &pids {
                Some(base) => format!("{}, pids.max={max_processes}", base.describe()),
                None if root => "process group only: no usable pids cgroup, and RLIMIT_NPROC does \
                                 not bind root; a fork bomb is bounded only by the timeout"
                    .into(),
                None => format!("RLIMIT_NPROC={max_processes} (per user) and the process group"),
            },
            signals: match (fs, abi >= 6, switch_user) {
                (FsMech::Landlock { .. }, true, _) => {
                    "landlock scope (no signals outside the sandbox)".into()
                }
                (_, _, Some((uid, _))) => format!("unprivileged uid {uid}"),
                _ if !root => "same uid as the trainer (not isolated)".into(),
                _ => "not isolated (root without landlock signal scope)".into(),
            },
            syscalls: if seccomp_on {
                format!("seccomp deny-list ({})", seccomp::arch_name())
            } else {
                "no filter".into()
            },
            capabilities: match (root, net) {
                (true, _) => "all dropped (bounding set emptied, no_new_privs)".into(),
                (
                    false,
                    NetMech::Namespace {
                        user_namespace: true,
                    },
                ) => "not root; those of the user namespace dropped, no_new_privs".into(),
                (false, _) => "none held (not root), no_new_privs".into(),
            },
        };
        Ok(Self {
            net,
            fs,
            pids,
            seccomp: seccomp_on,
            root,
            switch_user,
            report,
        })
    }
}
