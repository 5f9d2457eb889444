//! A pids cgroup per sandbox: it bounds how many processes a sandbox may have (a fork bomb
//! hits `pids.max`, even as root, where RLIMIT_NPROC is ignored) and lists every process in it,
//! so none can escape the kill at the end of a call by double-forking or calling `setsid`.
use super::sys;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Where this process may create pids cgroups, and which hierarchy version they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PidsBase {
    pub dir: PathBuf,
    pub v2: bool,
}

impl PidsBase {
    /// Finds a pids controller this process may use: a cgroup v1 `pids` hierarchy, or a cgroup v2
    /// hierarchy whose (delegated) cgroup enables `pids` for its children.
    pub(crate) fn discover() -> Option<Self> {
        let mountinfo = fs::read_to_string("/proc/self/mountinfo").ok()?;
        let own = fs::read_to_string("/proc/self/cgroup").ok()?;
        for line in mountinfo.lines() {
            // "id parent maj:min root mountpoint opts - fstype source superopts"
            let Some((left, right)) = line.split_once(" - ") else {
                continue;
            };
            let fields: Vec<&str> = left.split(' ').collect();
            let rfields: Vec<&str> = right.split(' ').collect();
            let (Some(mount_point), Some(fstype), Some(superopts)) =
                (fields.get(4), rfields.first(), rfields.get(2))
            else {
                continue;
            };
            if *fstype == "cgroup" && superopts.split(',').any(|o| o == "pids") {
                let rel = own_path(&own, |controllers| {
                    controllers.split(',').any(|c| c == "pids")
                })?;
                let dir = Path::new(mount_point).join(rel.trim_start_matches('/'));
                return Some(Self { dir, v2: false });
            }
        }
        for line in mountinfo.lines() {
            let Some((left, right)) = line.split_once(" - ") else {
                continue;
            };
            let fields: Vec<&str> = left.split(' ').collect();
            if right.split(' ').next() != Some("cgroup2") {
                continue;
            }
            let Some(mount_point) = fields.get(4) else {
                continue;
            };
            let Some(rel) = own_path(&own, |controllers| controllers.is_empty()) else {
                continue;
            };
            let dir = Path::new(mount_point).join(rel.trim_start_matches('/'));
            let subtree =
                fs::read_to_string(dir.join("cgroup.subtree_control")).unwrap_or_default();
            if subtree.split_whitespace().any(|c| c == "pids") {
                return Some(Self { dir, v2: true });
            }
        }
        None
    }

    /// Human-readable description for the isolation report.
    pub(crate) fn describe(&self) -> String {
        let v = if self.v2 { "v2" } else { "v1" };
        format!("pids cgroup {v} ({})", self.dir.display())
    }
}

/// The cgroup path of this process for the hierarchy whose controller list matches.
fn own_path(own: &str, matches: impl Fn(&str) -> bool) -> Option<String> {
    own.lines().find_map(|l| {
        let mut parts = l.splitn(3, ':');
        let _id = parts.next()?;
        let controllers = parts.next()?;
        let path = parts.next()?;
        matches(controllers).then(|| path.to_string())
    })
}

static SEQ: AtomicU64 = AtomicU64::new(0);

/// One sandbox's pids cgroup. Dropping it kills what is left inside and removes it.
#[derive(Debug)]
pub(crate) struct PidsCgroup {
    dir: PathBuf,
}

impl PidsCgroup {
    /// Creates `awpo-<pid>-<n>` under `base` with `pids.max = max`.
    pub(crate) fn create(base: &PidsBase, max: u64) -> io::Result<Self> {
        let name = format!(
            "awpo-{}-{}",
            sys::getpid(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let dir = base.dir.join(name);
        fs::create_dir(&dir)?;
        let cg = Self { dir };
        fs::write(cg.dir.join("pids.max"), max.to_string())?;
        Ok(cg)
    }

    /// The `cgroup.procs` file a child writes "0" into to join.
    pub(crate) fn procs_file(&self) -> io::Result<fs::File> {
        fs::OpenOptions::new()
            .write(true)
            .open(self.dir.join("cgroup.procs"))
    }

    /// Process ids in the cgroup now.
    pub(crate) fn pids(&self) -> Vec<i32> {
        fs::read_to_string(self.dir.join("cgroup.procs"))
            .map(|s| s.lines().filter_map(|l| l.trim().parse().ok()).collect())
            .unwrap_or_default()
    }

    /// How many forks failed because `pids.max` was reached (`pids.events`, "max N").
    pub(crate) fn fork_failures(&self) -> u64 {
        fs::read_to_string(self.dir.join("pids.events"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("max ").and_then(|n| n.trim().parse().ok()))
            })
            .unwrap_or(0)
    }

    /// SIGKILLs every process in the cgroup except `keep`; returns how many were signalled.
    /// Loops until none is left, because a process may fork between the read and the kill.
    pub(crate) fn kill_all_except(&self, keep: Option<i32>) -> usize {
        let kill_file = self.dir.join("cgroup.kill");
        if keep.is_none() && kill_file.exists() && fs::write(&kill_file, "1").is_ok() {
            // cgroup v2: the kernel kills the whole cgroup atomically.
            return self.pids().len();
        }
        let mut killed = std::collections::BTreeSet::new();
        for round in 0..1000 {
            let victims: Vec<i32> = self
                .pids()
                .into_iter()
                .filter(|p| Some(*p) != keep)
                .collect();
            if victims.is_empty() {
                break;
            }
            for pid in victims {
                // A killed process stays listed until it has exited: count it once.
                if sys::kill(pid, libc::SIGKILL).is_ok() {
                    killed.insert(pid);
                }
            }
            if round > 10 {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        killed.len()
    }

    /// Kills everything inside and removes the directory (retrying while exiting tasks linger).
    pub(crate) fn destroy(&mut self) {
        self.kill_all_except(None);
        for attempt in 0..200 {
            match fs::remove_dir(&self.dir) {
                Ok(()) => return,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return,
                Err(_) => {
                    if attempt % 10 == 9 {
                        self.kill_all_except(None);
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }
}

impl Drop for PidsCgroup {
    fn drop(&mut self) {
        self.destroy();
    }
}

/// Removes empty cgroups left by earlier awpo processes that died without cleaning up.
pub(crate) fn sweep_stale(base: &PidsBase) {
    let Ok(entries) = fs::read_dir(&base.dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix("awpo-")) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        if pid != sys::getpid() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_dir(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_path_picks_the_matching_hierarchy() {
        let own = "9:name=systemd:/\n8:pids:/a/b\n4:memory:/x\n0::/unified\n";
        assert_eq!(
            own_path(own, |c| c.split(',').any(|x| x == "pids")).as_deref(),
            Some("/a/b")
        );
        assert_eq!(own_path(own, |c| c.is_empty()).as_deref(), Some("/unified"));
        assert_eq!(own_path(own, |c| c == "cpu"), None);
    }
}
