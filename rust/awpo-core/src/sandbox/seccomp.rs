//! A seccomp-BPF deny-list: system calls no tool needs and that widen the kernel attack surface
//! or reach outside the sandbox (host IPC through pathname UNIX sockets, new namespaces, mounts,
//! io_uring, BPF, ptrace, key rings, kernel modules).
//!
//! Everything else is allowed: this is attack-surface reduction on top of the namespace,
//! Landlock and capability isolation, not an allow-list sandbox on its own.

/// Offsets into `struct seccomp_data`.
const NR: u32 = 0;
const ARCH: u32 = 4;
const ARG0_LOW: u32 = 16;

// Classic BPF opcodes.
const LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
const JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
const JSET_K: u16 = (libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K) as u16;
const RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;

const RET_ALLOW: u32 = libc::SECCOMP_RET_ALLOW;
const RET_KILL: u32 = libc::SECCOMP_RET_KILL_PROCESS;

fn ret_errno(errno: i32) -> u32 {
    libc::SECCOMP_RET_ERRNO | (errno as u32 & libc::SECCOMP_RET_DATA)
}

fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xC000_003E; // AUDIT_ARCH_X86_64
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xC000_00B7; // AUDIT_ARCH_AARCH64

/// Namespace flags a sandboxed `clone` may not ask for.
const NAMESPACE_FLAGS: u32 = (libc::CLONE_NEWUSER
    | libc::CLONE_NEWNET
    | libc::CLONE_NEWNS
    | libc::CLONE_NEWPID
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWCGROUP) as u32;

/// System calls answered with `EPERM`.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
fn denied() -> Vec<i64> {
    vec![
        libc::SYS_unshare,
        libc::SYS_setns,
        libc::SYS_mount,
        libc::SYS_umount2,
        libc::SYS_pivot_root,
        libc::SYS_chroot,
        libc::SYS_fsopen,
        libc::SYS_fsmount,
        libc::SYS_fsconfig,
        libc::SYS_move_mount,
        libc::SYS_open_tree,
        libc::SYS_mount_setattr,
        libc::SYS_bpf,
        libc::SYS_perf_event_open,
        libc::SYS_userfaultfd,
        libc::SYS_io_uring_setup,
        libc::SYS_io_uring_enter,
        libc::SYS_io_uring_register,
        libc::SYS_keyctl,
        libc::SYS_add_key,
        libc::SYS_request_key,
        libc::SYS_ptrace,
        libc::SYS_process_vm_readv,
        libc::SYS_process_vm_writev,
        libc::SYS_pidfd_getfd,
        libc::SYS_kexec_load,
        libc::SYS_init_module,
        libc::SYS_finit_module,
        libc::SYS_delete_module,
        libc::SYS_open_by_handle_at,
        libc::SYS_name_to_handle_at,
        libc::SYS_swapon,
        libc::SYS_swapoff,
        libc::SYS_reboot,
        libc::SYS_acct,
        libc::SYS_quotactl,
    ]
}

/// The filter program, or `None` on architectures it does not cover.
pub(crate) fn deny_list_filter() -> Option<Vec<libc::sock_filter>> {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    {
        let mut p = vec![
            stmt(LD_W_ABS, ARCH),
            // Another ABI (i386 via int 0x80 on x86_64) would bypass the numbers below: kill.
            jump(JEQ_K, AUDIT_ARCH, 1, 0),
            stmt(RET_K, RET_KILL),
            stmt(LD_W_ABS, NR),
        ];
        #[cfg(target_arch = "x86_64")]
        {
            // The x32 ABI numbers (bit 30) alias the x86_64 ones: refuse them all.
            p.push(jump(JSET_K, 0x4000_0000, 0, 1));
            p.push(stmt(RET_K, ret_errno(libc::EPERM)));
        }
        for nr in denied() {
            p.push(jump(JEQ_K, nr as u32, 0, 1));
            p.push(stmt(RET_K, ret_errno(libc::EPERM)));
        }
        // clone3 passes its flags in memory BPF cannot read: report it missing so libc falls back
        // to clone, whose flags we can check.
        p.push(jump(JEQ_K, libc::SYS_clone3 as u32, 0, 1));
        p.push(stmt(RET_K, ret_errno(libc::ENOSYS)));
        // clone: no new namespaces (flags are argument 0 on both architectures).
        p.push(jump(JEQ_K, libc::SYS_clone as u32, 0, 4));
        p.push(stmt(LD_W_ABS, ARG0_LOW));
        p.push(jump(JSET_K, NAMESPACE_FLAGS, 0, 1));
        p.push(stmt(RET_K, ret_errno(libc::EPERM)));
        p.push(stmt(RET_K, RET_ALLOW));
        // socket(AF_UNIX, ...): pathname UNIX sockets reach host daemons (docker, dbus, ...)
        // that Landlock ABI < 9 does not guard. socketpair stays allowed.
        p.push(stmt(LD_W_ABS, NR));
        p.push(jump(JEQ_K, libc::SYS_socket as u32, 0, 4));
        p.push(stmt(LD_W_ABS, ARG0_LOW));
        p.push(jump(JEQ_K, libc::AF_UNIX as u32, 0, 1));
        p.push(stmt(RET_K, ret_errno(libc::EPERM)));
        p.push(stmt(RET_K, RET_ALLOW));
        p.push(stmt(RET_K, RET_ALLOW));
        Some(p)
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        None
    }
}

/// Human-readable name of the architecture the filter covers.
pub(crate) fn arch_name() -> &'static str {
    if cfg!(target_arch = "x86_64") {
        "x86_64"
    } else if cfg!(target_arch = "aarch64") {
        "aarch64"
    } else {
        "unsupported"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_is_well_formed() {
        let Some(p) = deny_list_filter() else { return };
        assert!(
            p.len() < 4096,
            "BPF programs are limited to 4096 instructions"
        );
        // Every jump lands inside the program.
        for (i, ins) in p.iter().enumerate() {
            if ins.code & 0x07 == libc::BPF_JMP as u16 {
                assert!(i + 1 + (ins.jt as usize) < p.len());
                assert!(i + 1 + (ins.jf as usize) < p.len());
            }
        }
        // It ends in a return.
        assert_eq!(p.last().map(|i| i.code), Some(RET_K));
    }
}
