#if canImport(Glibc)
import Glibc
#endif

/// The Linux side of `swisor startup` / `unstartup`: the user database, files written
/// whole, and running systemctl with its output kept for the error message.

/// One entry of the user database (passwd(5)).
public struct Account: Sendable, Equatable {
    public var name: String
    public var uid: uid_t
    public var gid: gid_t
    /// pw_dir: the user's home directory.
    public var directory: String

    /// The entry for `name`, nil when there is none. getpwnam_r, so that NSS errors
    /// (an unreachable LDAP server) are told apart from "no such user".
    public static func lookup(_ name: String) throws(SystemError) -> Account? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16 << 10)
        while true {
            let code = getpwnam_r(name, &entry, &buffer, buffer.count, &result)
            if code == ERANGE, buffer.count < 1 << 20 {
                buffer = [CChar](repeating: 0, count: buffer.count * 4)
                continue
            }
            // ENOENT, ESRCH, EBADF and EPERM also mean "not found" (getpwnam_r(3)).
            if code != 0, ![ENOENT, ESRCH, EBADF, EPERM].contains(code) {
                throw SystemError("getpwnam_r", subject: name, errno: code)
            }
            guard result != nil else { return nil }
            return Account(
                name: name, uid: entry.pw_uid, gid: entry.pw_gid,
                directory: entry.pw_dir.map { String(cString: $0) } ?? "/")
        }
    }
}

/// systemd as this machine runs it.
public enum SystemdHost {
    /// Whether systemd is the running init system: sd_booted(3)'s test, written out
    /// (the directory /run/systemd/system/ exists) so that the CLI, which runs this for
    /// `startup`, need not link libsystemd. Without it there is no manager to reload;
    /// `systemctl enable` still works, offline, on the unit files.
    public static var isBooted: Bool { FileSystem.exists("/run/systemd/system/") }
}
