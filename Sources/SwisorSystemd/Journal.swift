#if canImport(Glibc)
import Glibc
#endif
import CSystemd
import SwisorSystem

/// Lines to the systemd journal through libsystemd's sd_journal_sendv (the native
/// protocol: one datagram per entry to /run/systemd/journal/socket, fields as
/// `NAME=value`, binary-safe).
public enum Journal {
    /// journald's native socket; libsystemd sends to it.
    public static let socketPath = "/run/systemd/journal/socket"

    /// Whether a journal can receive entries here: its socket exists. (Containers and
    /// machines without systemd have none; sd_journal_sendv would fail with ENOENT.)
    public static func isAvailable() -> Bool {
        access(socketPath, F_OK) == 0
    }

    /// Sends one entry made of `fields`, each the bytes of `NAME=value`. Returns nil on
    /// success, else the error.
    public static func send(_ fields: [[UInt8]]) -> SystemError? {
        var iovecs: [iovec] = []
        iovecs.reserveCapacity(fields.count)
        // The pointers are valid for the duration of this call only: the arrays are
        // pinned by withUnsafeBytes, nested through recursion.
        func pin(_ i: Int) -> Int32 {
            if i == fields.count {
                return iovecs.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
            }
            return fields[i].withUnsafeBytes { raw in
                iovecs.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress), iov_len: raw.count))
                return pin(i + 1)
            }
        }
        let r = pin(0)
        return r < 0 ? SystemError("sd_journal_sendv", errno: -r) : nil
    }
}
