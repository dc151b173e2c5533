#if canImport(Glibc)
import Glibc
#endif
import CSystemd

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

/// What a path names, without following a final symlink.
public enum PathKind: Sendable, Equatable {
    case missing
    case directory(uid: uid_t)
    case symlink
    case other
}

public enum FileSystem {
    public static func kind(_ path: String) throws(SystemError) -> PathKind {
        var st = stat()
        if lstat(path, &st) != 0 {
            if errno == ENOENT || errno == ENOTDIR { return .missing }
            throw SystemError("lstat", subject: path, errno: errno)
        }
        switch st.st_mode & S_IFMT {
        case S_IFDIR: return .directory(uid: st.st_uid)
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    /// The file's bytes, nil when it does not exist.
    public static func contents(_ path: String) throws(SystemError) -> [UInt8]? {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(path, O_RDONLY)
        } catch where error.errno == ENOENT {
            return nil
        }
        defer { fd.close() }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let n = try syscallRetrying("read", subject: path) {
                chunk.withUnsafeMutableBytes { Glibc.read(fd.rawValue, $0.baseAddress, $0.count) }
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
    }

    /// Replaces `path` whole: a temporary file in the same folder (`mode` whatever the
    /// umask), fsync, rename over `path`, fsync of the folder. A reader (systemd's
    /// daemon-reload) sees the old file or the new one, never a part; a failure leaves
    /// `path` as it was and no temporary file.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t) throws(SystemError) {
        let (folder, name) = split(path)
        // Hidden, and not ending in a unit suffix: systemd never loads it.
        let temporary = "\(folder)/.\(name).tmp-\(getpid())"
        unlink(temporary)
        let fd = try FileDescriptor.open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode: mode)
        do throws(SystemError) {
            _ = try syscallRetrying("fchmod", subject: temporary) { fchmod(fd.rawValue, mode) }
            try fd.writeAll(bytes)
            _ = try syscallRetrying("fsync", subject: temporary) { fsync(fd.rawValue) }
            fd.close()
            _ = try syscallRetrying("rename", subject: "\(temporary) to \(path)") { rename(temporary, path) }
        } catch {
            fd.close()
            unlink(temporary)
            throw error
        }
        let dir = try FileDescriptor.open(folder, O_RDONLY | O_DIRECTORY)
        defer { dir.close() }
        _ = try syscallRetrying("fsync", subject: folder) { fsync(dir.rawValue) }
    }

    /// Removes a file or symlink; a missing one is not an error.
    public static func remove(_ path: String) throws(SystemError) {
        if unlink(path) != 0, errno != ENOENT {
            throw SystemError("unlink", subject: path, errno: errno)
        }
    }

    /// mkdir -p for `path`; the folders it creates below the last are mode 0755 and
    /// root's, the last one `mode` and `owner`'s. Returns the folders it created, the
    /// outermost first, so that a failure later can remove exactly those.
    public static func makeDirectories(
        _ path: String, mode: mode_t, owner: (uid: uid_t, gid: gid_t)?
    ) throws(SystemError) -> [String] {
        var missing: [String] = []
        var current = path
        while case .missing = try kind(current), current != "/" {
            missing.append(current)
            current = split(current).folder
        }
        var created: [String] = []
        do throws(SystemError) {
            for (index, folder) in missing.reversed().enumerated() {
                let last = index == missing.count - 1
                _ = try syscallRetrying("mkdir", subject: folder) { mkdir(folder, last ? mode : 0o755) }
                created.append(folder)
                if last {
                    // mkdir's mode is filtered by the umask.
                    _ = try syscallRetrying("chmod", subject: folder) { chmod(folder, mode) }
                    if let owner {
                        _ = try syscallRetrying("chown", subject: folder) { chown(folder, owner.uid, owner.gid) }
                    }
                }
            }
        } catch {
            removeEmptyDirectories(created)
            throw error
        }
        return created
    }

    /// rmdir, innermost first; a folder something else has put a file in stays.
    public static func removeEmptyDirectories(_ created: [String]) {
        for folder in created.reversed() { rmdir(folder) }
    }

    /// access(2) W_OK, as an error that says why not (EROFS, EACCES).
    public static func checkWritable(_ path: String) throws(SystemError) {
        _ = try syscallRetrying("access", subject: path) { access(path, W_OK) }
    }

    static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = slash == path.startIndex ? "/" : String(path[..<slash])
        return (folder, String(path[path.index(after: slash)...]))
    }
}

/// systemd as this machine runs it.
public enum SystemdHost {
    /// Whether systemd is the running init system (sd_booted(3): /run/systemd/system/
    /// exists). Without it there is no manager to reload; `systemctl enable` still works,
    /// offline, on the unit files.
    public static var isBooted: Bool { sd_booted() > 0 }
}

/// A helper program run to completion, its stdout and stderr kept together.
public struct ProgramRun: Sendable {
    public var status: Int32
    public var output: String
    public var succeeded: Bool { status == 0 }

    /// Runs `argv` (argv[0] an absolute path) with `environment`, stdin /dev/null, and
    /// waits for it. A program that cannot be started is a SpawnError.
    public static func run(_ argv: [String], environment: [String: String]) throws(SpawnError) -> ProgramRun {
        let pipe: Pipe
        do {
            pipe = try Pipe.make()
        } catch {
            throw SpawnError(stage: .pipe, errno: error.errno, subject: argv.first ?? "")
        }
        let pid: pid_t
        do throws(SpawnError) {
            pid = try Spawner.spawn(SpawnRequest(
                argv: argv, environment: environment, cwd: "/", stdout: pipe.writeEnd, stderr: pipe.writeEnd))
        } catch {
            pipe.readEnd.close()
            pipe.writeEnd.close()
            throw error
        }
        pipe.writeEnd.close()
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(pipe.readEnd.rawValue, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            // A chatty program is cut, not allowed to fill memory.
            if output.count < 1 << 20 { output.append(contentsOf: chunk[0..<n]) }
        }
        pipe.readEnd.close()
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return ProgramRun(status: -1, output: String(decoding: output, as: UTF8.self)) }
        }
        // WIFEXITED / WEXITSTATUS are macros Swift cannot import.
        let code: Int32 = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return ProgramRun(status: code, output: String(decoding: output, as: UTF8.self))
    }
}
