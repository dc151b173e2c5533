#if canImport(Glibc)
import Glibc
#endif
import SwisorCore

/// A cgroup per app instance: the child joins it before it execs, so every process of
/// the app, however it forks or escapes its session, is found in `cgroup.procs`; the
/// kernel says when none is left (`cgroup.events`), kills all at once (`cgroup.kill`),
/// accounts memory and CPU, enforces limits and counts OOM kills.
public final class CgroupContainment: Containment {
    public let host: CgroupHost
    private var fs: CgroupFileSystem { host.fs }

    private struct Unit {
        /// "app-<id>-<name>".
        var name: String
        /// v1 controllers the current run joined.
        var v1: [CgroupController]
        var exists: Bool
        var watch: FileDescriptor?
        /// memory.stat's inactive file cache at the last read (sampled every tenth tick).
        var inactiveFile: UInt64?
        /// The files read again and again, kept open while the cgroup exists.
        let files = UnitFiles()
        /// Empty, kept for the unit's next run (`park`), with the limits it was made with.
        var parked = false
        var limits = ResourceLimits()
        /// The current run reuses the cgroup of an earlier one: its counters do not
        /// start at zero (`baseline`).
        var reused = false
    }

    /// Descriptors of one cgroup's files, opened on first read and closed before the
    /// directory is removed: an app nobody asks about has none open.
    private final class UnitFiles {
        var cpuStat: FileDescriptor?
        var procs: FileDescriptor?
        var memoryUsage: FileDescriptor?
        var memoryStat: FileDescriptor?
        var memoryEvents: FileDescriptor?
        var events: FileDescriptor?

        func close() {
            for fd in [cpuStat, procs, memoryUsage, memoryStat, memoryEvents, events] { fd?.close() }
            (cpuStat, procs, memoryUsage, memoryStat, memoryEvents, events) = (nil, nil, nil, nil, nil, nil)
        }
    }
    private var units: [Int: Unit] = [:]
    private var snapshot: [Int: [ProcessEntry]] = [:]

    public init(host: CgroupHost) {
        self.host = host
    }

    public var mode: String { host.mode }
    public var knowsEmptinessExactly: Bool { true }
    public var reason: String { host.reason }

    public var controllers: [ControllerStatus] {
        CgroupController.allCases.map { c in
            if let d = host.controllerDirs[c] {
                return ControllerStatus(controller: c, version: d.version, directory: d.directory)
            }
            return ControllerStatus(controller: c, problem: host.missing[c])
        }
    }

    public func check(_ limits: ResourceLimits) -> LimitProblem? {
        if case .failure(let p) = CgroupLimits.writes(for: limits, versions: host.versions, missing: host.missing) { return p }
        return nil
    }

    private func v2Dir(_ unit: Unit) -> String { host.group + "/" + unit.name }

    private func dir(_ unit: Unit, _ c: CgroupController) -> String? {
        guard let d = host.controllerDirs[c] else { return nil }
        return d.version == .v2 ? v2Dir(unit) : d.directory + "/" + unit.name
    }

    public func prepare(unit id: Int, id label: Int, name: String, limits: ResourceLimits) throws(ContainmentError) -> [FileDescriptor] {
        let writes: [CgroupWrite]
        switch CgroupLimits.writes(for: limits, versions: host.versions, missing: host.missing) {
        case .failure(let p): throw ContainmentError(p.description)
        case .success(let w): writes = w
        }
        let v1 = CgroupLimits.controllers(for: limits).filter { host.controllerDirs[$0]?.version == .v1 }.sorted()
        if var old = units[id], old.exists {
            if old.parked && old.limits == limits && old.v1 == v1, let fds = try? joinFiles(old) {
                // The same limits as the run before: the empty cgroup it left serves
                // again (a mkdir and an rmdir per controller less in every respawn).
                old.parked = false
                old.reused = true
                units[id] = old
                return fds
            }
            _ = remove(old)
        }
        // A populated cgroup of an earlier daemon, or the other run of a reload, may hold
        // this name: never share it.
        var dirName = CgroupNames.app(id: label, name: name)
        var suffix = 1
        while host.stale.contains(host.group + "/" + dirName)
                || units.contains(where: { $0.key != id && $0.value.exists && $0.value.name == dirName }) {
            dirName = CgroupNames.app(id: label, name: name) + ".\(suffix)"
            suffix += 1
        }
        var unit = Unit(name: dirName, v1: v1, exists: true, watch: units[id]?.watch)
        unit.limits = limits
        var fds: [FileDescriptor] = []
        do {
            // A directory left by a run whose removal failed is made anew: limits
            // removed from the spec must not linger in it.
            try? fs.removeDirectory(v2Dir(unit))
            try fs.makeDirectory(v2Dir(unit))
            for c in v1 {
                guard let d = dir(unit, c) else { continue }
                try? fs.removeDirectory(d)
                try fs.makeDirectory(d)
            }
            for w in writes {
                guard let d = dir(unit, w.controller) else { continue }
                do { try fs.write(d + "/" + w.file, w.value) } catch {
                    if w.optional && error.errno == ENOENT { continue }
                    throw error
                }
            }
            fds = try joinFiles(unit)
        } catch {
            for fd in fds { fd.close() }
            _ = remove(unit)
            unit.exists = false
            units[id] = unit
            throw ContainmentError("cannot set up the app's cgroup: \(error)")
        }
        units[id] = unit
        return fds
    }

    /// The cgroup.procs files the child writes itself into: cgroup2 first, then v1.
    private func joinFiles(_ unit: Unit) throws(SystemError) -> [FileDescriptor] {
        var fds: [FileDescriptor] = []
        do {
            fds.append(try fs.openForWriting(v2Dir(unit) + "/cgroup.procs"))
            for c in unit.v1 {
                guard let d = dir(unit, c) else { continue }
                fds.append(try fs.openForWriting(d + "/cgroup.procs"))
            }
        } catch {
            for fd in fds { fd.close() }
            throw error
        }
        return fds
    }

    /// The caller (the end of a stop) has just seen the cgroup empty.
    public func park(unit id: Int) -> Bool {
        guard var unit = units[id], unit.exists else { return false }
        unit.parked = true
        unit.reused = false
        units[id] = unit
        snapshot[id] = nil
        return true
    }

    public func baseline(of id: Int) -> AppUsageBaseline? {
        guard let unit = units[id], unit.exists, unit.reused else { return nil }
        let cpu = fs.withBytes(v2Dir(unit) + "/cpu.stat", kept: &unit.files.cpuStat) { CgroupFiles.value(of: "usage_usec", in: $0) } ?? nil
        return AppUsageBaseline(cpuMicroseconds: cpu ?? 0, oomKills: oomKills(id) ?? 0)
    }

    public func started(unit: Int, pid: pid_t) {}
    public func mainExited(unit: Int) {}

    private func pids(_ unit: Unit) -> [Int32] {
        fs.withBytes(v2Dir(unit) + "/cgroup.procs", kept: &unit.files.procs) { CgroupFiles.pids($0) } ?? []
    }

    public func contains(pid: pid_t, unit id: Int) -> Bool {
        guard let unit = units[id], unit.exists else { return false }
        return pids(unit).contains(pid)
    }

    /// The snapshot is taken unit by unit, when a unit's members are first asked for
    /// after a refresh: a stop, a start or a describe of one app reads that app's
    /// cgroup and its processes' /proc entries, never every app's (`start all` of 100
    /// apps asked for a refresh per start and so read the cgroups of all the apps already
    /// running, 5,000 reads; issue 15).
    public func refresh() {
        snapshot.removeAll(keepingCapacity: true)
    }

    public func members(of id: Int) -> [ProcessEntry] {
        if let known = snapshot[id] { return known }
        guard let unit = units[id], unit.exists else { return [] }
        var entries: [ProcessEntry] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        for pid in pids(unit) {
            if let e = ProcFS.entry(pid: pid, buffer: &buffer), !e.isZombie { entries.append(e) }
        }
        snapshot[id] = entries
        return entries
    }

    public func sample(units ids: [Int]) -> [Int: AppUsage] {
        var out: [Int: AppUsage] = [:]
        var buffer = [UInt8](repeating: 0, count: 1024)
        sampleCount &+= 1
        for id in ids {
            guard var unit = units[id], unit.exists else { continue }
            let dir = v2Dir(unit)
            // cpu.stat's usage is kept by every cgroup2, with or without the cpu controller.
            let cpu = fs.withBytes(dir + "/cpu.stat", kept: &unit.files.cpuStat) { CgroupFiles.value(of: "usage_usec", in: $0) } ?? nil
            var memory: Int64 = 0
            var count = 0
            if let (version, _) = host.controllerDirs[.memory], let mdir = self.dir(unit, .memory),
               version == .v2 || unit.v1.contains(.memory) {
                count = fs.withBytes(dir + "/cgroup.procs", kept: &unit.files.procs) { CgroupFiles.lineCount($0) } ?? 0
                let usage = usage(unit, dir: mdir, version: version)
                // memory.stat is the costliest file here; its inactive_file moves slowly,
                // so it is read every tenth sample (and afresh by `freshMemory`).
                if unit.inactiveFile == nil || sampleCount % 10 == UInt64(id % 10) {
                    unit.inactiveFile = inactiveFile(unit, dir: mdir, version: version)
                    units[id] = unit
                }
                memory = CgroupContainment.workingSet(usage: usage, inactive: unit.inactiveFile)
            } else {
                let procs = pids(unit)
                count = procs.count
                for pid in procs {
                    if let e = ProcFS.entry(pid: pid, buffer: &buffer) { memory += e.rssPages * ProcFS.pageSize }
                }
            }
            out[id] = AppUsage(memoryBytes: memory, cpuMicroseconds: cpu ?? 0, processes: count)
        }
        return out
    }

    private var sampleCount: UInt64 = 0

    private func inactiveFile(_ unit: Unit, dir: String, version: CgroupVersion) -> UInt64? {
        CgroupContainment.inactiveFile(fs: fs, dir: dir, version: version, kept: &unit.files.memoryStat)
    }

    private func usage(_ unit: Unit, dir: String, version: CgroupVersion) -> UInt64? {
        CgroupContainment.usage(fs: fs, dir: dir, version: version, kept: &unit.files.memoryUsage)
    }

    static func inactiveFile(fs: CgroupFileSystem, dir: String, version: CgroupVersion, kept: inout FileDescriptor?) -> UInt64? {
        fs.withBytes(dir + "/memory.stat", kept: &kept) {
            version == .v2 ? CgroupFiles.value(of: "inactive_file", in: $0) : CgroupFiles.value(of: "total_inactive_file", in: $0)
        } ?? nil
    }

    static func usage(fs: CgroupFileSystem, dir: String, version: CgroupVersion, kept: inout FileDescriptor?) -> UInt64? {
        fs.withBytes(dir + (version == .v2 ? "/memory.current" : "/memory.usage_in_bytes"), kept: &kept) {
            CgroupFiles.number($0)
        } ?? nil
    }

    /// The memory controller's directory of the unit, when the unit is accounted there.
    private func memoryDir(_ unit: Unit) -> (CgroupVersion, String)? {
        guard unit.exists, let (version, _) = host.controllerDirs[.memory], let mdir = dir(unit, .memory),
              version == .v2 || unit.v1.contains(.memory) else { return nil }
        return (version, mdir)
    }

    /// The working set read afresh, for a max_memory_restart decision.
    public func freshMemory(of id: Int) -> Int64? {
        guard var unit = units[id], let (version, mdir) = memoryDir(unit) else { return nil }
        unit.inactiveFile = inactiveFile(unit, dir: mdir, version: version)
        units[id] = unit
        return CgroupContainment.workingSet(usage: usage(unit, dir: mdir, version: version), inactive: unit.inactiveFile)
    }

    /// The cgroup's whole memory usage, page cache included: one pread. The working set
    /// is never above it, so a usage under the limit settles the memory watch's question
    /// without memory.stat.
    public func memoryCeiling(of id: Int) -> Int64? {
        guard let unit = units[id], let (version, mdir) = memoryDir(unit),
              let usage = usage(unit, dir: mdir, version: version) else { return nil }
        return Int64(clamping: usage)
    }

    /// Usage minus inactive file cache: the memory the app cannot give back, as kubelet
    /// and `docker stats` count it. The raw usage includes page cache the kernel
    /// reclaims at will; a restart on it would punish an app for reading files.
    static func workingSet(usage: UInt64?, inactive: UInt64?) -> Int64 {
        guard let usage else { return 0 }
        let inactive = inactive ?? 0
        return Int64(clamping: usage > inactive ? usage - inactive : 0)
    }

    /// One reading of a cgroup's working set, with nothing kept open.
    static func workingSet(fs: CgroupFileSystem, dir: String, version: CgroupVersion) -> Int64 {
        var (a, b): (FileDescriptor?, FileDescriptor?) = (nil, nil)
        defer { a?.close(); b?.close() }
        return workingSet(usage: usage(fs: fs, dir: dir, version: version, kept: &a),
                          inactive: inactiveFile(fs: fs, dir: dir, version: version, kept: &b))
    }

    public func isEmpty(_ id: Int) -> Bool {
        guard let unit = units[id], unit.exists else { return true }
        guard let populated = fs.withBytes(v2Dir(unit) + "/cgroup.events", kept: &unit.files.events, {
            CgroupFiles.value(of: "populated", in: $0)
        }) else {
            // Gone (removed by hand): nothing can be in it.
            return !fs.exists(v2Dir(unit))
        }
        return populated == 0
    }

    public func killAll(_ id: Int) -> Bool {
        guard host.hasKill, let unit = units[id], unit.exists else { return false }
        return (try? fs.write(v2Dir(unit) + "/cgroup.kill", "1")) != nil
    }

    public func oomKills(_ id: Int) -> UInt64? {
        guard let unit = units[id], let (version, mdir) = memoryDir(unit) else { return nil }
        let file = version == .v2 ? "/memory.events" : "/memory.oom_control"
        return fs.withBytes(mdir + file, kept: &unit.files.memoryEvents) { CgroupFiles.value(of: "oom_kill", in: $0) } ?? nil
    }

    public func watchEmpty(_ id: Int, loop: EventLoop, _ handler: @escaping () -> Void) {
        guard var unit = units[id], unit.exists, unit.watch == nil else { return }
        guard let real = fs as? RealCgroupFileSystem,
              let fd = try? FileDescriptor.open(real.root + v2Dir(unit) + "/cgroup.events", O_RDONLY) else { return }
        do {
            // kernfs raises EPOLLPRI (with EPOLLERR) when the file changes; reading it
            // again re-arms the notification.
            try loop.register(fd, events: EventLoop.priority) { _ in
                _ = lseek(fd.rawValue, 0, SEEK_SET)
                var scratch = [UInt8](repeating: 0, count: 128)
                _ = scratch.withUnsafeMutableBytes { try? fd.read(into: $0) }
                handler()
            }
            unit.watch = fd
            units[id] = unit
        } catch {
            fd.close()
        }
    }

    public func unwatch(_ id: Int, loop: EventLoop) {
        guard var unit = units[id], let fd = unit.watch else { return }
        loop.unregister(fd)
        fd.close()
        unit.watch = nil
        units[id] = unit
    }

    public func finished(unit id: Int) -> String? {
        guard var unit = units[id], unit.exists else { return nil }
        let problem = remove(unit)
        unit.exists = problem != nil
        unit.parked = false
        units[id] = unit
        snapshot[id] = nil
        return problem
    }

    private func remove(_ unit: Unit) -> String? {
        unit.files.close()
        var problems: [String] = []
        for c in unit.v1 {
            guard let d = dir(unit, c) else { continue }
            do { try fs.removeDirectory(d) } catch where error.errno != ENOENT { problems.append(error.description) } catch {}
        }
        do { try fs.removeDirectory(v2Dir(unit)) } catch where error.errno != ENOENT { problems.append(error.description) } catch {}
        return problems.isEmpty ? nil : "cannot remove the app's cgroup: " + problems.joined(separator: "; ")
    }

    public func release(unit id: Int) {
        if let unit = units[id], unit.exists { _ = remove(unit) }
        units[id] = nil
        snapshot[id] = nil
    }

    public func cgroupPath(of id: Int) -> String? {
        guard let unit = units[id], unit.exists else { return nil }
        let prefix = (fs as? RealCgroupFileSystem)?.root ?? ""
        return prefix + v2Dir(unit)
    }

    public func strayGroups() -> [(path: String, pids: [pid_t])] {
        host.stale.compactMap { path in
            let pids = CgroupFiles.pids(fs.read(path + "/cgroup.procs") ?? "")
            return pids.isEmpty ? nil : (path: path, pids: pids)
        }
    }

    public func shutdown() {
        for (id, unit) in units where unit.exists {
            if let fd = unit.watch { fd.close() }
            units[id]?.watch = nil
            _ = remove(unit)
        }
        // Stale cgroups the operator has emptied since (as doctor advises): removed
        // with their v1 twins, so that G can go too.
        for path in host.stale where !(CgroupFiles.populated(fs.read(path + "/cgroup.events") ?? "") ?? false) {
            let name = path.split(separator: "/").last.map(String.init) ?? ""
            for (version, dir) in host.controllerDirs.values where version == .v1 { try? fs.removeDirectory(dir + "/" + name) }
            try? fs.removeDirectory(path)
        }
        // G itself, when this daemon left nothing in it (not when it lives in G/daemon,
        // or stale cgroups are kept there).
        for (version, dir) in host.controllerDirs.values where version == .v1 { try? fs.removeDirectory(dir) }
        try? fs.removeDirectory(host.group)
    }
}

