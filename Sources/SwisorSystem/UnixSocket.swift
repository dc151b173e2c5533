#if canImport(Glibc)
import Glibc
#endif
import CSwisor
import SwisorCore

/// AF_UNIX stream sockets: the daemon's control socket and the CLI's connection to it.
public enum UnixSocket {
    /// sun_path is 108 bytes including the NUL: a longer SWISOR_HOME cannot work, and
    /// saying so beats a truncated path that binds somewhere else.
    public static let maxPathLength = 107

    static func withAddress<R>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) throws(SystemError) -> R {
        let bytes = Array(path.utf8)
        guard bytes.count <= maxPathLength else {
            throw SystemError("socket path", subject: path, errno: ENAMETOOLONG)
        }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }

    /// Binds and listens on `path` with the given mode. The caller holds the daemon
    /// lock, so a leftover socket file is stale and removed.
    public static func listen(path: String, mode: mode_t = 0o600) throws(SystemError) -> FileDescriptor {
        let fd = try syscallRetrying("socket") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0) }
        let sock = FileDescriptor(rawValue: fd)
        do throws(SystemError) {
            unlink(path)
            // Bind under a restrictive umask so the socket is never, even briefly,
            // reachable with wider permissions than `mode`.
            let old = umask(0o177)
            let r = try withAddress(path) { addr, len in bind(fd, addr, len) }
            umask(old)
            if r < 0 { throw SystemError("bind", subject: path, errno: errno) }
            _ = try syscallRetrying("chmod", subject: path) { chmod(path, mode) }
            _ = try syscallRetrying("listen", subject: path) { Glibc.listen(fd, 128) }
            return sock
        } catch {
            sock.close()
            throw error
        }
    }

    /// Accepts one connection (non-blocking, close-on-exec); nil when none is pending.
    public static func accept(_ listener: FileDescriptor) -> FileDescriptor? {
        while true {
            let fd = cswisor_accept(listener.rawValue)
            if fd >= 0 { return FileDescriptor(rawValue: fd) }
            if errno == EINTR || errno == ECONNABORTED { continue }
            return nil
        }
    }

    /// Blocking connect, for the CLI.
    public static func connect(path: String) throws(SystemError) -> FileDescriptor {
        let fd = try syscallRetrying("socket") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        let r = try withAddress(path) { addr, len -> Int32 in
            while true {
                let r = Glibc.connect(fd, addr, len)
                if r == 0 || errno != EINTR { return r }
            }
        }
        if r < 0 {
            let e = errno
            Glibc.close(fd)
            throw SystemError("connect", subject: path, errno: e)
        }
        return FileDescriptor(rawValue: fd)
    }

    /// The path a Unix socket is bound to ("" when unnamed or abstract): which socket
    /// systemd passed (socket activation).
    public static func boundPath(_ fd: FileDescriptor) -> String {
        var addr = sockaddr_un()
        var len = socklen_t(MemoryLayout<sockaddr_un>.size)
        let r = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd.rawValue, $0, &len) }
        }
        guard r == 0 else { return "" }
        return withUnsafeBytes(of: &addr.sun_path) { raw in
            let bytes = raw.prefix(while: { $0 != 0 })
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    public struct Credentials: Sendable { public var uid: uid_t; public var pid: pid_t }

    public static func peerCredentials(_ fd: FileDescriptor) throws(SystemError) -> Credentials {
        var uid: uid_t = 0
        var pid: pid_t = 0
        _ = try syscallRetrying("getsockopt(SO_PEERCRED)") { cswisor_peer_credentials(fd.rawValue, &uid, &pid) }
        return Credentials(uid: uid, pid: pid)
    }
}

/// An exclusive advisory lock held for the daemon's lifetime: two daemons on one home
/// would fight over the socket and the apps. The kernel drops it when the holder dies,
/// so a crashed daemon never leaves a stale lock.
///
/// Two locks, because the first lives in the home: a home removed under a live daemon
/// (`rm -rf ~/.swisor`) takes its lock file with it, and a second daemon would then start
/// for the same home and the same cgroups. The second is a name in the abstract socket
/// namespace derived from the home's path as its cgroups' names are: it belongs to the
/// daemon's socket, not to any file, and the kernel frees it when the daemon dies.
public enum DaemonLock {
    public struct Held {
        let file: FileDescriptor
        let name: FileDescriptor
        public func release() {
            name.close()
            file.close()
        }
    }

    /// nil: another daemon holds either lock for this home.
    public static func acquire(path: String, home: String) throws(SystemError) -> Held? {
        let fd = try FileDescriptor.open(path, O_RDWR | O_CREAT, mode: 0o600)
        guard flock(fd.rawValue, LOCK_EX | LOCK_NB) == 0 else {
            let e = errno
            fd.close()
            if e == EWOULDBLOCK { return nil }
            throw SystemError("flock", subject: path, errno: e)
        }
        let name = abstractName(forHome: home)
        let sock = cswisor_notify_socket(name)
        guard sock >= 0 else {
            let e = errno
            fd.close()
            if e == EADDRINUSE { return nil }
            throw SystemError("bind", subject: name, errno: e)
        }
        return Held(file: fd, name: FileDescriptor(rawValue: sock))
    }

    /// `@swisor/lock/` and the name of the home's cgroup group: the lock guards exactly
    /// what that name identifies (a home's cgroups), and is as short whatever the path.
    public static func abstractName(forHome home: String) -> String {
        "@swisor/lock/" + CgroupNames.group(forHome: home)
    }
}
