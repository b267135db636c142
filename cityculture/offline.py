"""Take away a process's ability to open network connections (Linux seccomp).

The processes that run untrusted SPARQL call :func:`forbid_network` before they read any
query: the endpoint's query workers, and the child process in which ``cityculture query``
runs a user's query on the embedded store (:func:`run_without_network`). From then on the
kernel answers ``socket()`` for every address family but ``AF_UNIX`` with ``EPERM``, whatever
the query says: a ``SERVICE`` that slipped past the query check, or a bug in an engine, cannot reach
another host. ``io_uring`` (which can open sockets without the ``socket`` system call) and
system calls of another ABI (32-bit, x32) are refused too.

This needs no privilege: a seccomp filter is installed after ``PR_SET_NO_NEW_PRIVS``, which
any process may set, as root in a container or as an ordinary user. It is Linux only (x86-64
and AArch64); elsewhere :func:`forbid_network` raises :class:`NetworkNotRemovable` and the
caller must refuse to run rather than run with the network. What stays possible: ``AF_UNIX``
sockets (the worker's pipe to the server is one) and files the process already holds open.
"""

from __future__ import annotations

import ctypes
import errno
import multiprocessing
import platform
import struct
import sys
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_AF_UNIX = 1
# system call numbers of socket, socketpair and io_uring_setup; the audit architecture
_ARCHITECTURES = {
    "x86_64": (0xC000003E, 41, 53, 425),
    "aarch64": (0xC00000B7, 198, 199, 425),
}
_BPF_LD_W_ABS, _BPF_JEQ, _BPF_JGE, _BPF_RET = 0x20, 0x15, 0x35, 0x06
_RET_ALLOW = 0x7FFF0000
_RET_KILL = 0x80000000
_RET_EPERM = 0x00050000 | errno.EPERM
_X32_SYSCALL_BIT = 0x40000000


class NetworkNotRemovable(OSError):
    """Network access cannot be taken away from a process on this platform."""


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _instruction(code: int, jump_true: int, jump_false: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jump_true, jump_false, k)


def _filter(arch: int, socket_nr: int, socketpair_nr: int, io_uring_nr: int) -> bytes:
    """Return the BPF program (seccomp_data is: int nr, u32 arch, u64 ip, u64 args[6])."""
    load, eq, ge, ret = _BPF_LD_W_ABS, _BPF_JEQ, _BPF_JGE, _BPF_RET
    return b"".join([
        _instruction(load, 0, 0, 4),                    # arch
        _instruction(eq, 1, 0, arch),
        _instruction(ret, 0, 0, _RET_KILL),              # another ABI: never
        _instruction(load, 0, 0, 0),                    # system call number
        _instruction(ge, 0, 1, _X32_SYSCALL_BIT),
        _instruction(ret, 0, 0, _RET_EPERM),
        _instruction(eq, 0, 1, io_uring_nr),
        _instruction(ret, 0, 0, _RET_EPERM),
        _instruction(eq, 1, 0, socket_nr),
        _instruction(eq, 0, 3, socketpair_nr),
        _instruction(load, 0, 0, 16),                   # args[0], low half: the family
        _instruction(eq, 1, 0, _AF_UNIX),
        _instruction(ret, 0, 0, _RET_EPERM),
        _instruction(ret, 0, 0, _RET_ALLOW),
    ])


def can_forbid_network() -> bool:
    """Tell whether this platform can take network access away (Linux, x86-64 or AArch64)."""
    return sys.platform.startswith("linux") and platform.machine().lower() in _ARCHITECTURES


def forbid_network() -> None:
    """Forbid this process (and its children) to create any socket but ``AF_UNIX``, for good.

    :raises NetworkNotRemovable: not Linux on x86-64 or AArch64, or the kernel refused.
    """
    machine = platform.machine().lower()
    if not sys.platform.startswith("linux") or machine not in _ARCHITECTURES:
        raise NetworkNotRemovable(f"cannot remove network access on {sys.platform} "
                                  f"{machine or 'unknown machine'} (needs Linux seccomp on "
                                  "x86-64 or AArch64)")
    program = _filter(*_ARCHITECTURES[machine])
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.addressof(buffer))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise NetworkNotRemovable(f"prctl(PR_SET_NO_NEW_PRIVS) failed: "
                                  f"{errno.errorcode.get(ctypes.get_errno(), '?')}")
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise NetworkNotRemovable(f"the kernel refused a seccomp filter: "
                                  f"{errno.errorcode.get(ctypes.get_errno(), '?')}")


def _child(conn: Any, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """Child process: give up the network, run the function, send back its result."""
    try:
        forbid_network()
        conn.send((True, function(*args)))
    except BaseException as exc:  # sent back and raised again in the parent
        try:
            conn.send((False, exc))
        except Exception:  # an exception that does not pickle
            conn.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        conn.close()


def run_without_network(function: Callable[..., T], *args: Any) -> T:
    """Run ``function(*args)`` in a child process without network access; return its result.

    The function, its arguments and its result travel by pickle; an exception it raises is
    raised again here. Each call starts a fresh interpreter (``spawn``), about a second.

    :raises NetworkNotRemovable: the child could not give up its network access.
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, function, args), daemon=True,
                              name="cityculture-offline")
    process.start()
    sender.close()
    try:
        succeeded, value = receiver.recv()
    except EOFError:
        raise RuntimeError(f"the process without network ended without an answer "
                           f"(exit code {process.exitcode})") from None
    finally:
        receiver.close()
        process.join()
    if succeeded:
        return value
    raise value
