#if canImport(Glibc)
import Glibc
#endif

/// The daemon's home: `$SWISOR_HOME`, or `~/.swisor`. Everything swisor keeps lives
/// here, so two homes are two independent supervisors (which is how tests run).
public struct Home: Sendable {
    public let root: String

    public init(root: String) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
    }

    public static func fromEnvironment() -> Home {
        if let h = getenv("SWISOR_HOME"), h.pointee != 0 {
            return Home(root: absolute(String(cString: h)))
        }
        let base: String
        if let h = getenv("HOME"), h.pointee != 0 {
            base = String(cString: h)
        } else if let pw = getpwuid(geteuid()), let dir = pw.pointee.pw_dir {
            base = String(cString: dir)
        } else {
            base = "/root"
        }
        return Home(root: base + "/.swisor")
    }

    public var socket: String { root + "/swisor.sock" }
    public var pidFile: String { root + "/swisor.pid" }
    public var lockFile: String { root + "/daemon.lock" }
    public var daemonLog: String { root + "/daemon.log" }
    public var logs: String { root + "/logs" }

    /// Creates the home (mode 0700) and its logs/ folder. Refuses a home owned by
    /// another user: its socket and dump would be theirs to tamper with.
    public func prepare() throws(SystemError) {
        try Home.makeDirectory(root, mode: 0o700)
        var st = stat()
        _ = try syscallRetrying("stat", subject: root) { stat(root, &st) }
        if st.st_uid != geteuid() {
            throw SystemError("home \(root) is owned by uid \(st.st_uid), not", subject: "uid \(geteuid())", errno: EPERM)
        }
        if st.st_mode & 0o077 != 0 {
            _ = try syscallRetrying("chmod", subject: root) { chmod(root, 0o700) }
        }
        try Home.makeDirectory(logs, mode: 0o750)
    }

    /// mkdir -p.
    public static func makeDirectory(_ path: String, mode: mode_t) throws(SystemError) {
        if mkdir(path, mode) == 0 || errno == EEXIST { return }
        if errno == ENOENT, let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try makeDirectory(String(path[..<slash]), mode: 0o755)
            if mkdir(path, mode) == 0 || errno == EEXIST { return }
        }
        throw SystemError("mkdir", subject: path, errno: errno)
    }

    public static func currentDirectory() -> String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buf, buf.count) != nil else { return "/" }
        return String(cString: buf)
    }

    public static func absolute(_ path: String, relativeTo base: String = currentDirectory()) -> String {
        if path.hasPrefix("/") { return path }
        return base == "/" ? "/" + path : base + "/" + path
    }
}
