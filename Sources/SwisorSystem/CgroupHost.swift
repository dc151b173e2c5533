#if canImport(Glibc)
import Glibc
#endif
import SwisorCore

/// The file operations cgroup containment needs, behind a protocol so that the setup
/// logic runs against a fake file system in tests (pure v2, hybrid, read-only hosts).
public protocol CgroupFileSystem: AnyObject {
    func read(_ path: String) -> String?
    func write(_ path: String, _ value: String) throws(SystemError)
    func makeDirectory(_ path: String) throws(SystemError)
    func removeDirectory(_ path: String) throws(SystemError)
    func rename(_ from: String, _ to: String) throws(SystemError)
    func list(_ path: String) -> [String]
    func exists(_ path: String) -> Bool
    /// An open write-only descriptor (for cgroup.procs, joined by the child).
    func openForWriting(_ path: String) throws(SystemError) -> FileDescriptor
    /// The file's bytes, lent to `body`: the sampler's hot path, with no allocation on a
    /// real host.
    func withBytes<R>(_ path: String, _ body: (UnsafeRawBufferPointer) -> R) -> R?
    /// `withBytes` through a descriptor kept open in `kept` (opened on first use, read
    /// again from offset 0, closed by the caller): a read of a file the sampler or the
    /// memory watch reads again and again is one pread(2), not a path walk, an open and
    /// a close (about 1 µs against 8 on kernfs; issue 15).
    func withBytes<R>(_ path: String, kept: inout FileDescriptor?, _ body: (UnsafeRawBufferPointer) -> R) -> R?
}

extension CgroupFileSystem {
    public func withBytes<R>(_ path: String, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        guard let text = read(path) else { return nil }
        return Array(text.utf8).withUnsafeBytes(body)
    }

    public func withBytes<R>(_ path: String, kept: inout FileDescriptor?, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        withBytes(path, body)
    }
}

/// The real file system, every path below `root` ("" on a real host).
public final class RealCgroupFileSystem: CgroupFileSystem {
    public let root: String

    public init(root: String = "") {
        self.root = root
    }

    /// Reused by `withBytes`: only the event loop's thread reads cgroup files, and those the sampler
    /// reads (cpu.stat, memory.stat, cgroup.procs of an app) fit in it; a larger one
    /// grows it once.
    private var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 << 10, alignment: 8)

    deinit { buffer.deallocate() }

    private func growBuffer() {
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 8)
        bigger.copyMemory(from: UnsafeRawBufferPointer(buffer))
        buffer.deallocate()
        buffer = bigger
    }

    public func withBytes<R>(_ path: String, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        guard let fd = try? FileDescriptor.open(root + path, O_RDONLY) else { return nil }
        defer { fd.close() }
        var used = 0
        while true {
            if used == buffer.count { growBuffer() }
            guard let n = try? fd.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[used...])) else {
                return nil
            }
            if n == 0 { break }
            used += n
        }
        return body(UnsafeRawBufferPointer(rebasing: buffer[0..<used]))
    }

    public func withBytes<R>(_ path: String, kept: inout FileDescriptor?, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        if kept == nil { kept = try? FileDescriptor.open(root + path, O_RDONLY) }
        guard let fd = kept else { return nil }
        var used = 0
        while true {
            if used == buffer.count { growBuffer() }
            let room = UnsafeMutableRawBufferPointer(rebasing: buffer[used...])
            guard let n = try? fd.read(into: room, atOffset: Int64(used)) else {
                // The cgroup is gone (ENODEV): the next read opens the file afresh.
                fd.close()
                kept = nil
                return nil
            }
            used += n
            // Every cgroup file is a seq_file, which fills the buffer up to the end of
            // the file: a short read is the end (no second call to see 0).
            if n < room.count { break }
        }
        return body(UnsafeRawBufferPointer(rebasing: buffer[0..<used]))
    }

    public func read(_ path: String) -> String? {
        FileDescriptor.readSmallFile(root + path, limit: 1 << 20).map { String(decoding: $0, as: UTF8.self) }
    }

    public func write(_ path: String, _ value: String) throws(SystemError) {
        // One write(2) per value: cgroup files act on each write, never on a partial one.
        let fd = try FileDescriptor.open(root + path, O_WRONLY)
        defer { fd.close() }
        let bytes = Array(value.utf8)
        let n = try bytes.withUnsafeBytes { raw in
            Result { () throws(SystemError) in try fd.write(raw, subject: root + path) }
        }.get()
        if n != bytes.count { throw SystemError("write", subject: root + path, errno: EIO) }
    }

    public func makeDirectory(_ path: String) throws(SystemError) {
        _ = try syscallRetrying("mkdir", subject: root + path) { mkdir(root + path, 0o755) }
    }

    public func removeDirectory(_ path: String) throws(SystemError) {
        _ = try syscallRetrying("rmdir", subject: root + path) { rmdir(root + path) }
    }

    public func rename(_ from: String, _ to: String) throws(SystemError) {
        _ = try syscallRetrying("rename", subject: root + from) { Glibc.rename(root + from, root + to) }
    }

    public func list(_ path: String) -> [String] {
        guard let dir = opendir(root + path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let ent = readdir(dir) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." && ent.pointee.d_type == DT_DIR { names.append(name) }
        }
        return names.sorted()
    }

    public func exists(_ path: String) -> Bool {
        access(root + path, F_OK) == 0
    }

    public func openForWriting(_ path: String) throws(SystemError) -> FileDescriptor {
        try FileDescriptor.open(root + path, O_WRONLY)
    }
}

/// The cgroups of one daemon: found, made and checked once at start.
///
/// Layout (G = "swisor-<hash of the home>"):
/// - cgroup2: `<daemon's cgroup>/G/app-<id>-<name>`; when the daemon's cgroup is not the
///   kernel's root cgroup, the daemon first moves itself to `<daemon's cgroup>/G/daemon`, so
///   that controllers can be enabled above the apps (the no-internal-processes rule:
///   under systemd with Delegate=yes the service's cgroup is exactly that).
/// - v1 controllers (hybrid hosts): `<daemon's v1 cgroup>/G/app-<id>-<name>` in the
///   memory, pids and cpu hierarchies, joined only where a limit or the accounting
///   needs them.
public final class CgroupHost {
    public let fs: CgroupFileSystem
    /// G in the cgroup2 hierarchy.
    public let group: String
    public let groupName: String
    /// Where each usable controller's G is.
    public let controllerDirs: [CgroupController: (version: CgroupVersion, directory: String)]
    /// Why each other controller is not usable.
    public let missing: [CgroupController: String]
    /// cgroup.kill exists (Linux 5.14+).
    public let hasKill: Bool
    /// Populated app cgroups left by an earlier daemon, renamed `stale-…` (doctor).
    public let stale: [String]
    public let mode: String
    public let reason: String

    init(fs: CgroupFileSystem, group: String, groupName: String,
         controllerDirs: [CgroupController: (version: CgroupVersion, directory: String)],
         missing: [CgroupController: String], hasKill: Bool, stale: [String], mode: String, reason: String) {
        self.fs = fs
        self.group = group
        self.groupName = groupName
        self.controllerDirs = controllerDirs
        self.missing = missing
        self.hasKill = hasKill
        self.stale = stale
        self.mode = mode
        self.reason = reason
    }

    public var versions: [CgroupController: CgroupVersion] {
        controllerDirs.mapValues(\.version)
    }

    /// Finds the hierarchies from /proc/self/mountinfo and /proc/self/cgroup, makes G,
    /// enables the controllers it can, and sets aside what an earlier daemon left. Fails
    /// (the daemon then uses the process tree) only when no cgroup2 directory is usable.
    public static func setUp(fs: CgroupFileSystem, home: String, pid: pid_t) -> Result<CgroupHost, ContainmentError> {
        guard let mountinfo = fs.read("/proc/self/mountinfo"), let selfCgroup = fs.read("/proc/self/cgroup") else {
            return .failure(ContainmentError("cannot read /proc/self/mountinfo and /proc/self/cgroup"))
        }
        let layout = CgroupLayout.resolve(mountinfo: mountinfo, selfCgroup: selfCgroup)
        guard let unified = layout.unified else {
            return .failure(ContainmentError(layout.problem ?? "no cgroup2 hierarchy"))
        }
        let own = unified.directory
        let name = CgroupNames.group(forHome: home)
        let group = own + "/" + name
        do {
            if !fs.exists(group) { try fs.makeDirectory(group) }
        } catch {
            return .failure(ContainmentError("cannot create the cgroup \(group): \(SystemError.describe(errno: error.errno)); run as root, or under systemd with Delegate=yes (swisor startup)"))
        }

        var missing: [CgroupController: String] = [:]
        var dirs: [CgroupController: (version: CgroupVersion, directory: String)] = [:]
        var notes: [String] = []

        // Controllers of cgroup2 are enabled top-down; the daemon must not stay in a
        // cgroup whose subtree_control is set, unless that cgroup is the kernel's root.
        // A container's cgroup is the root of its mount but not exempt: only the real
        // root has no cgroup.events.
        var canEnable = true
        if !unified.isRoot || fs.exists(own + "/cgroup.events") {
            let leaf = group + "/" + CgroupNames.daemonLeaf
            do {
                if !fs.exists(leaf) { try fs.makeDirectory(leaf) }
                try fs.write(leaf + "/cgroup.procs", String(pid))
            } catch {
                canEnable = false
                notes.append("the daemon could not move to \(leaf): \(error)")
            }
        }
        let available = Set((fs.read(own + "/cgroup.controllers") ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        for c in CgroupController.allCases {
            if available.contains(c.rawValue) {
                guard canEnable else {
                    missing[c] = "the daemon could not leave its cgroup \(own) to enable controllers there"
                    continue
                }
                let enabledAbove = (fs.read(own + "/cgroup.subtree_control") ?? "")
                    .split(whereSeparator: { $0 == " " || $0 == "\n" }).contains { $0 == c.rawValue }
                do {
                    if !enabledAbove { try fs.write(own + "/cgroup.subtree_control", "+" + c.rawValue) }
                    try fs.write(group + "/cgroup.subtree_control", "+" + c.rawValue)
                    dirs[c] = (.v2, group)
                } catch {
                    missing[c] = error.errno == EBUSY
                        ? "cannot enable it in \(own): other processes live there (cgroup v2 allows controllers only above leaves); run swisor under systemd (swisor startup)"
                        : "cannot enable it in \(own): \(error)"
                }
            } else if let v1 = layout.v1[c] {
                let dir = v1.directory + "/" + name
                do {
                    if !fs.exists(dir) { try fs.makeDirectory(dir) }
                    if c == .memory {
                        // Old kernels default to flat accounting in v1; the limit must cover
                        // the whole app's subtree. Refused once children exist: then it is
                        // already in effect from an earlier daemon.
                        try? fs.write(dir + "/memory.use_hierarchy", "1")
                    }
                    dirs[c] = (.v1, dir)
                } catch {
                    missing[c] = "cannot create \(dir): \(SystemError.describe(errno: error.errno))"
                }
            } else {
                missing[c] = "no \(c.rawValue) controller is available to \(own) (not in its cgroup.controllers, and no v1 hierarchy has it)"
            }
        }

        let stale = setAsideLeftovers(fs: fs, group: group, dirs: dirs)
        let hybrid = dirs.values.contains { $0.version == .v1 }
        let mode = hybrid ? "cgroup-hybrid" : "cgroup2"
        var reason = "a cgroup per app under \(group)"
        let v1 = dirs.filter { $0.value.version == .v1 }.keys.sorted().map(\.rawValue)
        let v2 = dirs.filter { $0.value.version == .v2 }.keys.sorted().map(\.rawValue)
        if !v2.isEmpty { reason += "; controllers " + v2.joined(separator: ", ") }
        if !v1.isEmpty { reason += "; \(v1.joined(separator: ", ")) through cgroup v1 (hybrid host)" }
        if !missing.isEmpty { reason += "; no " + missing.keys.sorted().map(\.rawValue).joined(separator: ", ") + " (see swisor doctor)" }
        if !notes.isEmpty { reason += "; " + notes.joined(separator: "; ") }
        let host = CgroupHost(fs: fs, group: group, groupName: name, controllerDirs: dirs, missing: missing,
                              hasKill: fs.exists(group + "/cgroup.kill"), stale: stale, mode: mode, reason: reason)
        return .success(host)
    }

    /// App cgroups of an earlier daemon of this home: empty ones are removed; populated
    /// ones (it died without stopping its apps) are left running and listed: killing a
    /// server no one asked to stop is worse than reporting it (`swisor doctor` says how
    /// to end them). New app cgroups never share their names (`CgroupContainment`);
    /// cgroup2 refuses rename(2), so they keep theirs.
    static func setAsideLeftovers(fs: CgroupFileSystem, group: String,
                                  dirs: [CgroupController: (version: CgroupVersion, directory: String)]) -> [String] {
        var stale: [String] = []
        let v1Dirs = dirs.values.filter { $0.version == .v1 }.map(\.directory)
        for entry in fs.list(group) where entry.hasPrefix(CgroupNames.appPrefix) {
            let populated = CgroupFiles.populated(fs.read(group + "/" + entry + "/cgroup.events") ?? "") ?? false
            if populated {
                stale.append(group + "/" + entry)
            } else {
                for dir in v1Dirs { try? fs.removeDirectory(dir + "/" + entry) }
                try? fs.removeDirectory(group + "/" + entry)
            }
        }
        // v1 leftovers without a cgroup2 twin (a crash between two mkdirs): remove the
        // empty ones; a populated one stays for doctor.
        for dir in v1Dirs {
            for entry in fs.list(dir) where entry.hasPrefix(CgroupNames.appPrefix) && !fs.exists(group + "/" + entry) {
                try? fs.removeDirectory(dir + "/" + entry)
            }
        }
        return stale
    }
}
