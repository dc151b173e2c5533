#if canImport(Glibc)
import Glibc
#endif

// Kept apart from Systemd.swift: importing libsystemd's headers next to Glibc in one file
// hides Glibc's socket constants from the whole module.

extension SystemdNotify {
    /// Whether systemd (or whoever set NOTIFY_SOCKET) listens at all: the daemon keeps
    /// its STATUS= line up to date only then.
    public static var isExpected: Bool { getenv("NOTIFY_SOCKET") != nil }
}
