#if canImport(Glibc)
import Glibc
#endif

// Paths: what a path names, whole files read and written safely (the dump, the units of
// `startup`), rename, removal. Like FileDescriptor's, these wrappers retry EINTR and
// throw a `SystemError` naming the call and the path; the daemon and the CLI call no
// file system function of libc directly.

/// What fstat(2) or stat(2) says about a file, reduced to what swisor looks at.
public struct FileStatus: Sendable, Equatable {
    public var size: Int64
    public var isRegular: Bool
    /// Hard links to the file.
    public var links: UInt64
    public var owner: uid_t
    public var device: UInt64
    public var inode: UInt64
    /// The last modification, in ms since the epoch.
    public var modifiedMs: Int64

    init(_ st: stat) {
        size = Int64(st.st_size)
        isRegular = (st.st_mode & S_IFMT) == S_IFREG
        links = UInt64(st.st_nlink)
        owner = st.st_uid
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        modifiedMs = Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000
    }

    /// The same file (device and inode), whatever its name now.
    public func isSameFile(as other: FileStatus) -> Bool {
        device == other.device && inode == other.inode
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

    /// The file's bytes, nil when it does not exist. More than `limit` bytes is EFBIG.
    public static func contents(_ path: String, limit: Int = .max) throws(SystemError) -> [UInt8]? {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(path, O_RDONLY)
        } catch where error.errno == ENOENT {
            return nil
        }
        defer { fd.close() }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = try chunk.withUnsafeMutableBytes { buffer in
                Result { () throws(SystemError) in try fd.read(into: buffer, subject: path) }
            }.get()
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
            if out.count > limit { throw SystemError("read", subject: path, errno: EFBIG) }
        }
    }

    /// Creates `path` (`mode` whatever the umask), writes `bytes` and fsyncs them. A
    /// failure leaves no file behind; a file of that name (left by a crashed process of
    /// the same pid) is replaced.
    public static func writeDurably(_ bytes: [UInt8], to path: String, mode: mode_t) throws(SystemError) {
        removeIgnoringErrors(path)
        let fd = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_EXCL, mode: mode)
        do throws(SystemError) {
            _ = try syscallRetrying("fchmod", subject: path) { fchmod(fd.rawValue, mode) }
            try fd.writeAll(bytes, subject: path)
            _ = try syscallRetrying("fsync", subject: path) { fsync(fd.rawValue) }
            fd.close()
        } catch {
            fd.close()
            removeIgnoringErrors(path)
            throw error
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
        try writeDurably(bytes, to: temporary, mode: mode)
        do throws(SystemError) {
            try rename(temporary, to: path)
        } catch {
            removeIgnoringErrors(temporary)
            throw error
        }
        let dir = try FileDescriptor.open(folder, O_RDONLY | O_DIRECTORY)
        defer { dir.close() }
        _ = try syscallRetrying("fsync", subject: folder) { fsync(dir.rawValue) }
    }

    // MARK: Files a root daemon writes where others may write too

    /// Opens a log file for appending (created with `mode` when missing) without letting
    /// another user aim it elsewhere (docs/semantics.md, "Logs"). A directory others can
    /// write to (a shared /tmp or /var/log/app) lets them plant the name before the
    /// daemon opens it: as a symlink to a file only root may write (the daemon, root,
    /// would append app output to it), or as a hard link to one. So a final symlink is
    /// followed only when nobody but root and the daemon's user can have made it: the
    /// link is theirs and its directory is writable by nobody else (`/dev/stdout` is
    /// such a link). A file with more than one hard link is refused: a log file the
    /// daemon created has one.
    public static func openForAppend(_ path: String, mode: mode_t) throws(SystemError) -> FileDescriptor {
        let flags = O_WRONLY | O_APPEND | O_CREAT
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(path, flags | O_NOFOLLOW, mode: mode)
        } catch where error.errno == ELOOP {
            guard isTrustedLink(path) else {
                throw SystemError("open", subject: "\(path) (a symbolic link another user could have made: not followed)", errno: ELOOP)
            }
            fd = try FileDescriptor.open(path, flags, mode: mode)
        }
        if let st = try? fd.status(subject: path), st.isRegular, st.links > 1 {
            fd.close()
            throw SystemError("open", subject: "\(path) (a file with \(st.links) hard links: not a log file of its own)", errno: EPERM)
        }
        return fd
    }

    /// Creates `path` afresh for writing: what is there (a leftover, or a planted
    /// symlink) is removed first, and the new file is made with O_EXCL, so no name
    /// someone else made is ever written through.
    public static func createExclusive(_ path: String, mode: mode_t) throws(SystemError) -> FileDescriptor {
        try remove(path)
        return try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: mode)
    }

    /// Removes `path` only if it is a regular file of the daemon's own user (or root's):
    /// retention prunes its own rotated logs, never what another user put beside them.
    public static func removeOwnFile(_ path: String) {
        var st = stat()
        guard syscallRetrying0({ lstat(path, &st) }), (st.st_mode & S_IFMT) == S_IFREG,
              st.st_uid == geteuid() || st.st_uid == 0 else { return }
        removeIgnoringErrors(path)
    }

    private static func isTrustedLink(_ path: String) -> Bool {
        var link = stat()
        guard syscallRetrying0({ lstat(path, &link) }), (link.st_mode & S_IFMT) == S_IFLNK else { return false }
        let me = geteuid()
        guard link.st_uid == 0 || link.st_uid == me else { return false }
        var dir = stat()
        let parent = Directory.parent(of: path)
        let folder = parent.isEmpty ? "." : parent.count > 1 ? String(parent.dropLast()) : "/"
        guard syscallRetrying0({ stat(folder, &dir) }) else { return false }
        return (dir.st_uid == 0 || dir.st_uid == me) && dir.st_mode & 0o022 == 0
    }

    private static func syscallRetrying0(_ body: () -> Int32) -> Bool {
        (try? syscallRetrying("stat", body)) != nil
    }

    /// Removes a file or symlink; a missing one is not an error.
    public static func remove(_ path: String) throws(SystemError) {
        do {
            _ = try syscallRetrying("unlink", subject: path) { unlink(path) }
        } catch where error.errno == ENOENT {
        }
    }

    /// Removes a file where a failure changes nothing for the caller: a clean-up after
    /// another error, a socket or pid file at exit, an old rotated log.
    public static func removeIgnoringErrors(_ path: String) {
        _ = try? syscallRetrying("unlink", subject: path) { unlink(path) }
    }

    /// rename(2): `from` takes the name `to`, replacing what was there. The error names
    /// both.
    public static func rename(_ from: String, to: String) throws(SystemError) {
        _ = try syscallRetrying("rename", subject: "\(from) to \(to)") { Glibc.rename(from, to) }
    }

    /// stat(2), following symlinks.
    public static func status(_ path: String) throws(SystemError) -> FileStatus {
        var st = stat()
        _ = try syscallRetrying("stat", subject: path) { stat(path, &st) }
        return FileStatus(st)
    }

    /// Whether `path` names something (access(2) F_OK, following symlinks).
    public static func exists(_ path: String) -> Bool {
        (try? syscallRetrying("access", subject: path) { access(path, F_OK) }) != nil
    }

    /// Whether `path` is a regular file (symlinks followed) this process may execute.
    public static func isExecutableFile(_ path: String) -> Bool {
        guard (try? status(path))?.isRegular == true else { return false }
        return (try? syscallRetrying("access", subject: path) { access(path, X_OK) }) != nil
    }

    /// The target of a symlink, such as /proc/self/exe.
    public static func readLink(_ path: String) throws(SystemError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = try syscallRetrying("readlink", subject: path) { readlink(path, &buffer, buffer.count - 1) }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
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
