#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed system call: which call, on what, and the errno. One type for the whole
/// Linux layer, so every caller can report "open /x/y: Permission denied (EACCES)".
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public var call: String
    public var subject: String?
    public var errno: Int32

    public init(_ call: String, subject: String? = nil, errno: Int32) {
        self.call = call
        self.subject = subject
        self.errno = errno
    }

    public var description: String {
        let what = subject.map { "\(call) \($0)" } ?? call
        return "\(what): \(SystemError.describe(errno: errno))"
    }

    /// "No such file or directory (ENOENT)": the text users search for and the name
    /// developers grep for.
    public static func describe(errno code: Int32) -> String {
        let text = String(cString: strerror(code))
        if let name = errnoNames[code] { return "\(text) (\(name))" }
        return "\(text) (errno \(code))"
    }

    static let errnoNames: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR", EIO: "EIO",
        E2BIG: "E2BIG", ENOEXEC: "ENOEXEC", EBADF: "EBADF", ECHILD: "ECHILD", EAGAIN: "EAGAIN",
        ENOMEM: "ENOMEM", EACCES: "EACCES", EBUSY: "EBUSY", EEXIST: "EEXIST", ENOTDIR: "ENOTDIR",
        EISDIR: "EISDIR", EINVAL: "EINVAL", ENFILE: "ENFILE", EMFILE: "EMFILE", ETXTBSY: "ETXTBSY",
        ENOSPC: "ENOSPC", EROFS: "EROFS", EPIPE: "EPIPE", ENAMETOOLONG: "ENAMETOOLONG",
        ELOOP: "ELOOP", ECONNREFUSED: "ECONNREFUSED", EADDRINUSE: "EADDRINUSE",
        ECONNRESET: "ECONNRESET", ENOTCONN: "ENOTCONN", ETIMEDOUT: "ETIMEDOUT",
        EDQUOT: "EDQUOT", ENOSYS: "ENOSYS",
    ]
}

/// The choke point for system calls that return -1 and set errno: retries EINTR and
/// turns the failure into a typed error.
@inline(__always)
public func syscallRetrying<T: BinaryInteger>(
    _ call: String, subject: String? = nil, _ body: () -> T
) throws(SystemError) -> T {
    while true {
        let r = body()
        if r >= 0 { return r }
        let e = Glibc.errno
        if e == EINTR { continue }
        throw SystemError(call, subject: subject, errno: e)
    }
}
