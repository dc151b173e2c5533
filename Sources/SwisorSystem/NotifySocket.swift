#if canImport(Glibc)
import Glibc
#endif
import CSwisor

/// An app's NOTIFY_SOCKET: a datagram socket the daemon reads, every datagram carrying
/// its sender's pid (SO_PASSCRED), so a message is only believed from a process of the
/// app it was meant for.
public enum NotifySocket {
    public struct Datagram {
        public var bytes: [UInt8]
        /// From SCM_CREDENTIALS; 0 when the kernel gave none.
        public var pid: pid_t
        public var uid: uid_t
        public var truncated: Bool
    }

    /// The biggest datagram read whole: systemd reads up to its pipe buffer, but nothing
    /// swisor acts on needs more than a STATUS= line.
    public static let maxDatagram = 4096

    /// Binds `path` ("@name" for an abstract socket), replacing a stale file.
    public static func bind(path: String) throws(SystemError) -> FileDescriptor {
        if !path.hasPrefix("@") { unlink(path) }
        let fd = try syscallRetrying("bind notify socket", subject: path) { cswisor_notify_socket(path) }
        return FileDescriptor(rawValue: fd)
    }

    /// One waiting datagram, or nil when there is none (or reading failed).
    public static func receive(_ fd: FileDescriptor, buffer: inout [UInt8]) -> Datagram? {
        var pid: pid_t = 0
        var uid: uid_t = 0
        var truncated: Int32 = 0
        let n = buffer.withUnsafeMutableBytes { cswisor_notify_recv(fd.rawValue, $0.baseAddress, $0.count, &pid, &uid, &truncated) }
        guard n >= 0 else { return nil }
        return Datagram(bytes: Array(buffer[0..<n]), pid: pid, uid: uid, truncated: truncated != 0)
    }
}
