//! Linux `membarrier(2)`: the system calls behind the asymmetric handshake
//! (`handshake.rs` decides when to use them).
//!
//! `MEMBARRIER_CMD_PRIVATE_EXPEDITED` makes every running thread of this
//! process execute a full memory barrier before the call returns (by an
//! inter-processor interrupt to the CPUs running them), so one side of a
//! Dekker handshake can pay for both.

// From <linux/membarrier.h>.
const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_int = 1 << 3;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_int = 1 << 4;

/// Registers the process for expedited private barriers. Returns whether
/// the kernel accepted (Linux 4.14 and later; seccomp may refuse it).
pub(crate) fn register() -> bool {
    // SAFETY: a plain syscall with integer arguments.
    let r = unsafe {
        libc::syscall(
            libc::SYS_membarrier,
            MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
            0,
            0,
        )
    };
    r == 0
}

/// A full barrier on every running thread of the process. Returns whether
/// the kernel did it (it cannot fail after a successful `register`).
pub(crate) fn barrier() -> bool {
    // SAFETY: a plain syscall with integer arguments.
    let r = unsafe { libc::syscall(libc::SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) };
    r == 0
}
