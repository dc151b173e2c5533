#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
@testable import SwisorSystem
import Testing

/// An in-memory cgroup file system that behaves like the kernel where swisor's setup
/// depends on it: mkdir in a hierarchy makes the interface files, cgroup.procs moves a
/// process (and `populated` follows), cgroup.subtree_control obeys the availability and
/// no-internal-processes rules, rmdir refuses a populated or parent cgroup.
final class FakeCgroupFS: CgroupFileSystem {
    struct Hierarchy {
        var mountPoint: String
        var v2: Bool
        /// v2: the controllers of the mount's root; v1: the hierarchy's controllers.
        var controllers: [String]
    }

    static let v2Order = ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"]

    private(set) var files: [String: String] = [:]
    private(set) var dirs: Set<String> = ["/"]
    private(set) var hierarchies: [Hierarchy] = []
    /// Pids directly in each cgroup.
    private(set) var members: [String: Set<Int32>] = [:]
    /// v2 cgroups that are the kernel's root (no cgroup.events, spared by the
    /// no-internal-processes rule). A container's mount root is not one.
    private(set) var kernelRoots: Set<String> = []
    /// Every mutation fails with EACCES.
    var readOnly = false
    /// Directories in which mkdir fails with EACCES.
    var locked: Set<String> = []
    /// memory.swap.max / memory.memsw.limit_in_bytes exist (swap accounting on).
    var swapAccounting = false
    /// cgroup.kill exists (Linux 5.14+).
    var hasKill = true
    /// Writes to these files fail with the errno.
    var writeFailures: [String: Int32] = [:]
    /// "mkdir p", "rmdir p", "rename a b", "write p v", in order.
    var log: [String] = []
    /// Files opened by openForWriting, in order.
    private(set) var opened: [String] = []
    private(set) var killed: [Int32] = []

    init(mountinfo: String?, selfCgroup: String?) {
        if let mountinfo { addFile("/proc/self/mountinfo", mountinfo) }
        if let selfCgroup { addFile("/proc/self/cgroup", selfCgroup) }
    }

    // MARK: Building a host

    func addDirectories(_ path: String) {
        var p = ""
        for part in path.split(separator: "/") {
            p += "/" + part
            dirs.insert(p)
        }
    }

    func addFile(_ path: String, _ content: String) {
        addDirectories(Self.parent(path))
        files[path] = content
    }

    func setFile(_ path: String, _ content: String) {
        precondition(files[path] != nil, "no file \(path)")
        files[path] = content
    }

    func mountV2(_ point: String, kernelRoot: Bool, controllers: [String], enabled: [String] = []) {
        addDirectories(point)
        let h = Hierarchy(mountPoint: point, v2: true, controllers: controllers)
        hierarchies.append(h)
        if kernelRoot { kernelRoots.insert(point) }
        createInterface(point, h)
        files[point + "/cgroup.subtree_control"] = Self.line(enabled)
    }

    func mountV1(_ point: String, controllers: [String]) {
        addDirectories(point)
        let h = Hierarchy(mountPoint: point, v2: false, controllers: controllers)
        hierarchies.append(h)
        createInterface(point, h)
    }

    /// Makes `path` and its missing ancestors, each ancestor enabling `enable` (those of
    /// it that it has) for its children first, as systemd does above a delegated unit.
    func makeCgroups(_ path: String, enable: [String] = []) {
        guard let h = hierarchy(of: path) else { preconditionFailure("\(path) is in no hierarchy") }
        var dir = hierarchies[h].mountPoint
        for part in path.dropFirst(dir.count).split(separator: "/") {
            let available = Self.words(files[dir + "/cgroup.controllers"])
            let wanted = enable.filter { available.contains($0) }
            if hierarchies[h].v2 && !wanted.isEmpty {
                try! write(dir + "/cgroup.subtree_control", wanted.map { "+" + $0 }.joined(separator: " "))
            }
            dir += "/" + part
            if !dirs.contains(dir) { try! makeDirectory(dir) }
        }
    }

    /// Puts a process in a cgroup with no rule checked (how it got there is not the test's business).
    func put(_ pid: Int32, in dir: String) {
        guard let h = hierarchy(of: dir) else { preconditionFailure("\(dir) is in no hierarchy") }
        move(pid, to: dir, h)
    }

    /// A process exits: it leaves every hierarchy.
    func exit(_ pid: Int32) {
        for key in members.keys { members[key]?.remove(pid) }
        for h in hierarchies.indices { refresh(h) }
    }

    func pids(in dir: String) -> Set<Int32> { members[dir] ?? [] }

    func subtreeControl(_ dir: String) -> [String] { Self.words(files[dir + "/cgroup.subtree_control"]) }

    func writes(to file: String) -> [String] {
        log.filter { $0.hasPrefix("write ") && $0.contains("/" + file + " ") }
    }

    // MARK: The kernel's rules

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    static func name(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    static func words(_ text: String?) -> [String] {
        (text ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }

    /// As the kernel prints a controller mask: canonical order, space-separated, a newline.
    static func line(_ controllers: [String]) -> String {
        let known = v2Order.filter { controllers.contains($0) }
        return (known + controllers.filter { !v2Order.contains($0) }).joined(separator: " ") + "\n"
    }

    func hierarchy(of path: String) -> Int? {
        var best: Int?
        for (i, h) in hierarchies.enumerated() where path == h.mountPoint || path.hasPrefix(h.mountPoint + "/") {
            if best == nil || hierarchies[best!].mountPoint.count < h.mountPoint.count { best = i }
        }
        return best
    }

    private func inSubtree(_ path: String, of dir: String) -> Bool {
        path == dir || path.hasPrefix(dir + "/")
    }

    private func children(_ dir: String) -> [String] {
        dirs.filter { $0 != "/" && Self.parent($0) == dir }.sorted()
    }

    private func createInterface(_ dir: String, _ h: Hierarchy) {
        if h.v2 {
            let available = dir == h.mountPoint ? h.controllers : Self.words(files[Self.parent(dir) + "/cgroup.subtree_control"])
            files[dir + "/cgroup.procs"] = ""
            files[dir + "/cgroup.threads"] = ""
            files[dir + "/cgroup.controllers"] = Self.line(available)
            files[dir + "/cgroup.subtree_control"] = "\n"
            files[dir + "/cpu.stat"] = "usage_usec 0\nuser_usec 0\nsystem_usec 0\n"
            guard !kernelRoots.contains(dir) else { return }
            files[dir + "/cgroup.type"] = "domain\n"
            files[dir + "/cgroup.events"] = "populated 0\nfrozen 0\n"
            files[dir + "/cgroup.freeze"] = "0\n"
            if hasKill { files[dir + "/cgroup.kill"] = "" }
            for c in available { addControllerFiles(dir, c, v2: true) }
        } else {
            files[dir + "/cgroup.procs"] = ""
            files[dir + "/tasks"] = ""
            files[dir + "/notify_on_release"] = "0\n"
            for c in h.controllers { addControllerFiles(dir, c, v2: false) }
        }
    }

    private func addControllerFiles(_ dir: String, _ c: String, v2: Bool) {
        var add: [String: String] = [:]
        switch (c, v2) {
        case ("memory", true):
            add = ["memory.max": "max\n", "memory.high": "max\n", "memory.current": "0\n",
                   "memory.stat": "anon 0\nfile 0\nactive_file 0\ninactive_file 0\n",
                   "memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n"]
            if swapAccounting { add["memory.swap.max"] = "max\n" }
        case ("memory", false):
            add = ["memory.limit_in_bytes": "9223372036854771712\n", "memory.usage_in_bytes": "0\n",
                   "memory.stat": "cache 0\nrss 0\ninactive_file 0\ntotal_inactive_file 0\n",
                   "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n", "memory.use_hierarchy": "0\n"]
            if swapAccounting { add["memory.memsw.limit_in_bytes"] = "9223372036854771712\n" }
        case ("pids", _):
            add = ["pids.max": "max\n", "pids.current": "0\n"]
        case ("cpu", true):
            add = ["cpu.max": "max 100000\n", "cpu.weight": "100\n"]
        case ("cpu", false):
            add = ["cpu.cfs_period_us": "100000\n", "cpu.cfs_quota_us": "-1\n", "cpu.shares": "1024\n"]
        case ("cpuacct", false):
            add = ["cpuacct.usage": "0\n"]
        default:
            break
        }
        for (file, value) in add where files[dir + "/" + file] == nil { files[dir + "/" + file] = value }
    }

    private func move(_ pid: Int32, to dir: String, _ h: Int) {
        for key in members.keys where hierarchy(of: key) == h { members[key]?.remove(pid) }
        members[dir, default: []].insert(pid)
        refresh(h)
    }

    /// cgroup.procs and cgroup.events of every cgroup of hierarchy `h`.
    private func refresh(_ h: Int) {
        let mp = hierarchies[h].mountPoint
        for dir in dirs where inSubtree(dir, of: mp) && hierarchy(of: dir) == h {
            let own = (members[dir] ?? []).sorted()
            files[dir + "/cgroup.procs"] = own.map { "\($0)\n" }.joined()
            if !hierarchies[h].v2 { files[dir + "/tasks"] = files[dir + "/cgroup.procs"] }
            if files[dir + "/cgroup.events"] != nil {
                let populated = members.contains { inSubtree($0.key, of: dir) && !$0.value.isEmpty }
                files[dir + "/cgroup.events"] = "populated \(populated ? 1 : 0)\nfrozen 0\n"
            }
        }
    }

    private func fail(_ call: String, _ path: String, _ errno: Int32) -> SystemError {
        SystemError(call, subject: path, errno: errno)
    }

    private func changeSubtreeControl(_ dir: String, _ value: String) throws(SystemError) {
        var enabled = Self.words(files[dir + "/cgroup.subtree_control"])
        let available = Self.words(files[dir + "/cgroup.controllers"])
        let path = dir + "/cgroup.subtree_control"
        for token in value.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let c = String(token.dropFirst())
            guard token.first == "+" || token.first == "-" else { throw fail("write", path, EINVAL) }
            guard available.contains(c) else { throw fail("write", path, ENOENT) }
            if token.first == "+" {
                if !kernelRoots.contains(dir) && !(members[dir] ?? []).isEmpty { throw fail("write", path, EBUSY) }
                if !enabled.contains(c) { enabled.append(c) }
                for child in children(dir) {
                    var theirs = Self.words(files[child + "/cgroup.controllers"])
                    if !theirs.contains(c) { theirs.append(c) }
                    files[child + "/cgroup.controllers"] = Self.line(theirs)
                    addControllerFiles(child, c, v2: true)
                }
            } else {
                enabled.removeAll { $0 == c }
                for child in children(dir) {
                    files[child + "/cgroup.controllers"] = Self.line(Self.words(files[child + "/cgroup.controllers"]).filter { $0 != c })
                }
            }
        }
        files[path] = Self.line(enabled)
    }

    // MARK: CgroupFileSystem

    func read(_ path: String) -> String? { files[path] }

    func write(_ path: String, _ value: String) throws(SystemError) {
        if let e = writeFailures[path] { throw fail("write", path, e) }
        guard files[path] != nil else { throw fail("open", path, ENOENT) }
        if readOnly { throw fail("open", path, EACCES) }
        let dir = Self.parent(path)
        switch Self.name(path) {
        case "cgroup.procs", "tasks":
            guard let pid = Int32(Self.words(value).first ?? ""), let h = hierarchy(of: dir) else { throw fail("write", path, EINVAL) }
            if hierarchies[h].v2 && !kernelRoots.contains(dir) && !subtreeControl(dir).isEmpty {
                throw fail("write", path, EBUSY)
            }
            move(pid, to: dir, h)
        case "cgroup.subtree_control":
            try changeSubtreeControl(dir, value)
        case "cgroup.kill":
            guard value == "1", let h = hierarchy(of: dir) else { throw fail("write", path, EINVAL) }
            for key in members.keys where inSubtree(key, of: dir) {
                killed += (members[key] ?? []).sorted()
                members[key] = []
            }
            refresh(h)
        default:
            files[path] = value
        }
        log.append("write \(path) \(value)")
    }

    func makeDirectory(_ path: String) throws(SystemError) {
        if readOnly || locked.contains(Self.parent(path)) { throw fail("mkdir", path, EACCES) }
        guard dirs.contains(Self.parent(path)) else { throw fail("mkdir", path, ENOENT) }
        guard !exists(path) else { throw fail("mkdir", path, EEXIST) }
        dirs.insert(path)
        if let h = hierarchy(of: path) { createInterface(path, hierarchies[h]) }
        log.append("mkdir \(path)")
    }

    func removeDirectory(_ path: String) throws(SystemError) {
        if readOnly { throw fail("rmdir", path, EACCES) }
        guard dirs.contains(path) else { throw fail("rmdir", path, ENOENT) }
        guard children(path).isEmpty, (members[path] ?? []).isEmpty else { throw fail("rmdir", path, EBUSY) }
        dirs.remove(path)
        files = files.filter { Self.parent($0.key) != path }
        members[path] = nil
        log.append("rmdir \(path)")
    }

    func rename(_ from: String, _ to: String) throws(SystemError) {
        if readOnly { throw fail("rename", from, EACCES) }
        guard dirs.contains(from) else { throw fail("rename", from, ENOENT) }
        guard !exists(to) else { throw fail("rename", from, EEXIST) }
        guard dirs.contains(Self.parent(to)) else { throw fail("rename", from, ENOENT) }
        func moved(_ p: String) -> String {
            p == from ? to : p.hasPrefix(from + "/") ? to + p.dropFirst(from.count) : p
        }
        dirs = Set(dirs.map(moved))
        files = Dictionary(uniqueKeysWithValues: files.map { (moved($0.key), $0.value) })
        members = Dictionary(uniqueKeysWithValues: members.map { (moved($0.key), $0.value) })
        log.append("rename \(from) \(to)")
    }

    func list(_ path: String) -> [String] {
        children(path).map(Self.name)
    }

    func exists(_ path: String) -> Bool {
        dirs.contains(path) || files[path] != nil
    }

    func openForWriting(_ path: String) throws(SystemError) -> FileDescriptor {
        guard files[path] != nil else { throw fail("open", path, ENOENT) }
        if readOnly { throw fail("open", path, EACCES) }
        let fd = Glibc.open("/dev/null", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw fail("open", "/dev/null", Glibc.errno) }
        opened.append(path)
        return FileDescriptor(rawValue: fd)
    }
}

/// The hosts of the issue, as fake file systems.
enum FakeHosts {
    static let home = "/home/alice/.swisor"
    static let groupName = CgroupNames.group(forHome: home)
    static let daemon: Int32 = 4242
    static let allV2 = ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"]
    static let systemdEnables = ["cpuset", "cpu", "io", "memory", "pids"]

    static let pureV2Mountinfo = """
        24 29 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
        35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot

        """

    /// Pure cgroup v2 at /sys/fs/cgroup, the daemon in `path` (below systemd, every
    /// ancestor enables `enable` for its children), alone there unless `others`.
    static func pureV2(daemonIn path: String = "/system.slice/swisor.service", rootEnables: [String] = systemdEnables,
                       enable: [String] = systemdEnables, others: [Int32] = [], swap: Bool = false, kill: Bool = true,
                       mountinfo: String = pureV2Mountinfo, mountPoint: String = "/sys/fs/cgroup") -> FakeCgroupFS {
        let fs = FakeCgroupFS(mountinfo: mountinfo, selfCgroup: "0::\(path)\n")
        fs.swapAccounting = swap
        fs.hasKill = kill
        fs.mountV2(mountPoint, kernelRoot: true, controllers: allV2, enabled: rootEnables)
        let dir = path == "/" ? mountPoint : mountPoint + path
        if path != "/" { fs.makeCgroups(dir, enable: enable) }
        fs.put(daemon, in: dir)
        for pid in others { fs.put(pid, in: dir) }
        fs.log.removeAll()
        return fs
    }

    /// A container: cgroup2 at /sys/fs/cgroup whose root is the container's cgroup (not
    /// the kernel's root), the daemon as its pid 1.
    static func container(namespaced: Bool = false, others: [Int32] = []) -> FakeCgroupFS {
        let mountinfo = namespaced
            ? "612 603 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw,nsdelegate\n"
            : "612 603 0:26 /docker/abc /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw,nsdelegate\n"
        let fs = FakeCgroupFS(mountinfo: mountinfo, selfCgroup: namespaced ? "0::/\n" : "0::/docker/abc\n")
        fs.mountV2("/sys/fs/cgroup", kernelRoot: false, controllers: ["cpuset", "cpu", "io", "memory", "hugetlb", "pids"])
        fs.put(1, in: "/sys/fs/cgroup")
        for pid in others { fs.put(pid, in: "/sys/fs/cgroup") }
        fs.log.removeAll()
        return fs
    }

    static let memoryPath = "/process_api/8c9c92e759a090aeda75562aef18feab"

    static let hybridMountinfo = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
        37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
        38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
        39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw

        """

    /// This build machine: v1 cpu, cpuacct, memory, pids... one per hierarchy, and a
    /// controller-less cgroup2 at /sys/fs/cgroup/unified; the daemon at the root of all
    /// but memory.
    static func hybrid(withPids: Bool = true, swap: Bool = true, kill: Bool = true) -> FakeCgroupFS {
        let cgroup = ["9:name=systemd:/", "8:pids:/", "7:blkio:/", "6:freezer:/", "5:devices:/", "4:memory:\(memoryPath)",
                      "3:cpuset:/", "2:cpuacct:/", "1:cpu:/", "0::/"]
        let keep = { (line: Substring) in withPids || !line.contains("pids") }
        let fs = FakeCgroupFS(mountinfo: hybridMountinfo.split(separator: "\n").filter(keep).joined(separator: "\n") + "\n",
                              selfCgroup: cgroup.map { Substring($0) }.filter(keep).joined(separator: "\n") + "\n")
        fs.swapAccounting = swap
        fs.hasKill = kill
        fs.addDirectories("/sys/fs/cgroup")
        fs.mountV2("/sys/fs/cgroup/unified", kernelRoot: true, controllers: [])
        for c in ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio"] + (withPids ? ["pids"] : []) {
            fs.mountV1("/sys/fs/cgroup/" + c, controllers: [c])
        }
        fs.mountV1("/sys/fs/cgroup/systemd", controllers: [])
        fs.makeCgroups("/sys/fs/cgroup/memory" + memoryPath)
        fs.put(daemon, in: "/sys/fs/cgroup/unified")
        fs.put(daemon, in: "/sys/fs/cgroup/memory" + memoryPath)
        fs.put(daemon, in: "/sys/fs/cgroup/cpu")
        if withPids { fs.put(daemon, in: "/sys/fs/cgroup/pids") }
        fs.log.removeAll()
        return fs
    }

    static let session = "/user.slice/user-1000.slice/session-2.scope"

    /// Ubuntu 20.04: "cpu,cpuacct" in one hierarchy, the daemon in a login session.
    static func hybridCombined() -> FakeCgroupFS {
        let mountinfo = """
            26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate
            27 25 0:25 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,name=systemd
            30 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpu,cpuacct
            31 25 0:29 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory
            32 25 0:30 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,pids

            """
        let cgroup = "12:pids:\(session)\n5:memory:\(session)\n4:cpu,cpuacct:/user.slice\n1:name=systemd:\(session)\n0::\(session)\n"
        let fs = FakeCgroupFS(mountinfo: mountinfo, selfCgroup: cgroup)
        fs.mountV2("/sys/fs/cgroup/unified", kernelRoot: true, controllers: [])
        fs.mountV1("/sys/fs/cgroup/systemd", controllers: [])
        fs.mountV1("/sys/fs/cgroup/cpu,cpuacct", controllers: ["cpu", "cpuacct"])
        fs.mountV1("/sys/fs/cgroup/memory", controllers: ["memory"])
        fs.mountV1("/sys/fs/cgroup/pids", controllers: ["pids"])
        for dir in ["/sys/fs/cgroup/unified" + session, "/sys/fs/cgroup/memory" + session, "/sys/fs/cgroup/pids" + session,
                    "/sys/fs/cgroup/cpu,cpuacct/user.slice"] {
            fs.makeCgroups(dir)
            fs.put(daemon, in: dir)
        }
        fs.log.removeAll()
        return fs
    }

    static func setUp(_ fs: FakeCgroupFS, pid: Int32 = daemon) -> Result<CgroupHost, ContainmentError> {
        CgroupHost.setUp(fs: fs, home: home, pid: pid)
    }
}

@Suite("the fake cgroup file system")
struct FakeCgroupFSTests {
    @Test func behavesLikeTheKernelWhereSetupDependsOnIt() throws {
        let fs = FakeHosts.pureV2()
        let service = "/sys/fs/cgroup/system.slice/swisor.service"
        #expect(fs.read(service + "/cgroup.controllers") == "cpuset cpu io memory pids\n")
        #expect(fs.read(service + "/cgroup.events") == "populated 1\nfrozen 0\n")
        #expect(fs.read("/sys/fs/cgroup/cgroup.events") == nil)
        // Controllers only above leaves.
        #expect(throws: SystemError("write", subject: service + "/cgroup.subtree_control", errno: EBUSY)) {
            try fs.write(service + "/cgroup.subtree_control", "+memory")
        }
        try fs.makeDirectory(service + "/leaf")
        #expect(fs.read(service + "/leaf/cgroup.controllers") == "\n")
        try fs.write(service + "/leaf/cgroup.procs", "4242")
        #expect(fs.read(service + "/cgroup.events") == "populated 1\nfrozen 0\n")
        #expect(fs.read(service + "/cgroup.procs") == "")
        try fs.write(service + "/cgroup.subtree_control", "+memory +pids")
        #expect(fs.read(service + "/leaf/cgroup.controllers") == "memory pids\n")
        #expect(fs.read(service + "/leaf/memory.max") == "max\n")
        #expect(throws: SystemError("write", subject: service + "/leaf/cgroup.subtree_control", errno: ENOENT)) {
            try fs.write(service + "/leaf/cgroup.subtree_control", "+cpu")
        }
        #expect(throws: SystemError("rmdir", subject: service + "/leaf", errno: EBUSY)) { try fs.removeDirectory(service + "/leaf") }
        try fs.write(service + "/leaf/cgroup.kill", "1")
        #expect(fs.killed == [4242])
        #expect(fs.read(service + "/cgroup.events") == "populated 0\nfrozen 0\n")
        try fs.removeDirectory(service + "/leaf")
        #expect(fs.list(service) == [])
        fs.readOnly = true
        #expect(throws: SystemError("mkdir", subject: service + "/x", errno: EACCES)) { try fs.makeDirectory(service + "/x") }
    }
}

@Suite("cgroup setup per host kind")
struct CgroupHostSetUpTests {
    typealias Dirs = [CgroupController: (version: CgroupVersion, directory: String)]

    func describe(_ dirs: Dirs) -> [CgroupController: String] {
        dirs.mapValues { "\($0.version.rawValue) \($0.directory)" }
    }

    @Test func pureV2UnderSystemdWithDelegate() throws {
        let fs = FakeHosts.pureV2()
        let service = "/sys/fs/cgroup/system.slice/swisor.service"
        let group = service + "/" + FakeHosts.groupName
        let host = try FakeHosts.setUp(fs).get()
        #expect(host.mode == "cgroup2")
        #expect(host.group == group)
        #expect(host.groupName == FakeHosts.groupName)
        #expect(describe(host.controllerDirs) == [.memory: "v2 \(group)", .pids: "v2 \(group)", .cpu: "v2 \(group)"])
        #expect(host.versions == [.memory: .v2, .pids: .v2, .cpu: .v2])
        #expect(host.missing.isEmpty)
        #expect(host.hasKill)
        #expect(host.stale.isEmpty)
        #expect(host.reason == "a cgroup per app under \(group); controllers cpu, memory, pids")
        // The daemon left the service's cgroup for G/daemon: the no-internal-processes rule.
        #expect(fs.pids(in: service).isEmpty)
        #expect(fs.pids(in: group + "/daemon") == [FakeHosts.daemon])
        #expect(fs.subtreeControl(service) == ["cpu", "memory", "pids"])
        #expect(fs.subtreeControl(group) == ["cpu", "memory", "pids"])
        // Top-down, each controller above before below, and only once the daemon is out.
        #expect(fs.log == [
            "mkdir \(group)",
            "mkdir \(group)/daemon",
            "write \(group)/daemon/cgroup.procs 4242",
            "write \(service)/cgroup.subtree_control +memory",
            "write \(group)/cgroup.subtree_control +memory",
            "write \(service)/cgroup.subtree_control +pids",
            "write \(group)/cgroup.subtree_control +pids",
            "write \(service)/cgroup.subtree_control +cpu",
            "write \(group)/cgroup.subtree_control +cpu",
        ])
    }

    @Test func aSecondSetUpReusesTheGroup() throws {
        let fs = FakeHosts.pureV2()
        let first = try FakeHosts.setUp(fs).get()
        fs.log.removeAll()
        let second = try FakeHosts.setUp(fs).get()
        #expect(second.group == first.group)
        #expect(second.missing.isEmpty)
        // Nothing made again, nothing enabled again above G.
        #expect(!fs.log.contains { $0.hasPrefix("mkdir") })
        #expect(fs.writes(to: "cgroup.subtree_control").allSatisfy { $0.contains(first.group + "/cgroup.subtree_control") })
    }

    @Test func pureV2WithoutCgroupKill() throws {
        let host = try FakeHosts.setUp(FakeHosts.pureV2(kill: false)).get()
        #expect(!host.hasKill)
        #expect(host.mode == "cgroup2")
    }

    @Test func pureV2AtTheKernelRootStaysThere() throws {
        let fs = FakeHosts.pureV2(daemonIn: "/", rootEnables: ["cpu", "memory", "pids"])
        let group = "/sys/fs/cgroup/" + FakeHosts.groupName
        let host = try FakeHosts.setUp(fs).get()
        #expect(host.group == group)
        #expect(fs.pids(in: "/sys/fs/cgroup") == [FakeHosts.daemon])
        #expect(!fs.exists(group + "/daemon"))
        // Already enabled at the root: only G is written.
        #expect(fs.writes(to: "cgroup.subtree_control") == [
            "write \(group)/cgroup.subtree_control +memory",
            "write \(group)/cgroup.subtree_control +pids",
            "write \(group)/cgroup.subtree_control +cpu",
        ])
        #expect(host.missing.isEmpty)
        #expect(host.reason == "a cgroup per app under \(group); controllers cpu, memory, pids")
    }

    /// Bug: "cpuset" enabled above counted as "cpu" enabled above (a prefix match), so
    /// +cpu was never written there and G could not enable it.
    @Test func cpusetEnabledAboveIsNotCpu() throws {
        let fs = FakeHosts.pureV2(daemonIn: "/", rootEnables: ["cpuset", "io", "memory", "pids"])
        let host = try FakeHosts.setUp(fs).get()
        #expect(host.missing[.cpu] == nil)
        #expect(host.controllerDirs[.cpu]?.version == .v2)
        #expect(fs.writes(to: "cgroup.subtree_control").contains("write /sys/fs/cgroup/cgroup.subtree_control +cpu"))
        #expect(fs.subtreeControl("/sys/fs/cgroup") == ["cpuset", "cpu", "io", "memory", "pids"])
    }

    @Test func onlyTheControllersTheDaemonsCgroupHas() throws {
        // A user service: user@.service delegates memory and pids, not cpu.
        let path = "/user.slice/user-1000.slice/user@1000.service/app.slice/swisor.service"
        let fs = FakeHosts.pureV2(daemonIn: path, enable: ["memory", "pids"])
        let host = try FakeHosts.setUp(fs).get()
        #expect(host.mode == "cgroup2")
        #expect(Set(host.controllerDirs.keys) == [.memory, .pids])
        let own = "/sys/fs/cgroup" + path
        #expect(host.missing == [.cpu: "no cpu controller is available to \(own) (not in its cgroup.controllers, and no v1 hierarchy has it)"])
        #expect(host.reason.hasSuffix("; controllers memory, pids; no cpu (see swisor doctor)"))
    }

    /// The daemon's cgroup also holds other processes (started from a shell): the daemon
    /// moves out, but controllers cannot be enabled there.
    @Test func pureV2SharedCgroupGivesMembershipWithoutControllers() throws {
        let path = "/user.slice/user-1000.slice/user@1000.service/app.slice/vte-spawn-1.scope"
        let fs = FakeHosts.pureV2(daemonIn: path, others: [1000, 1001])
        let own = "/sys/fs/cgroup" + path
        let host = try FakeHosts.setUp(fs).get()
        #expect(host.mode == "cgroup2")
        #expect(host.controllerDirs.isEmpty)
        #expect(Set(host.missing.keys) == [.memory, .pids, .cpu])
        for reason in host.missing.values {
            #expect(reason.contains("cannot enable it in \(own)"))
            #expect(reason.contains("other processes live there"))
            #expect(reason.contains("swisor startup"))
        }
        #expect(host.reason.contains("no cpu, memory, pids (see swisor doctor)"))
        #expect(fs.pids(in: host.group + "/daemon") == [FakeHosts.daemon])
        #expect(fs.pids(in: own) == [1000, 1001])
    }

    @Test func aDaemonThatCannotMoveEnablesNothing() throws {
        let fs = FakeHosts.pureV2()
        let leaf = "/sys/fs/cgroup/system.slice/swisor.service/\(FakeHosts.groupName)/daemon"
        fs.writeFailures[leaf + "/cgroup.procs"] = EACCES
        let host = try FakeHosts.setUp(fs).get()
        #expect(host.mode == "cgroup2")
        #expect(host.controllerDirs.isEmpty)
        #expect(host.missing[.memory] == "the daemon could not leave its cgroup /sys/fs/cgroup/system.slice/swisor.service to enable controllers there")
        #expect(host.reason.contains("the daemon could not move to \(leaf): write \(leaf)/cgroup.procs: Permission denied (EACCES)"))
        #expect(fs.writes(to: "cgroup.subtree_control").isEmpty)
    }

    /// Bug: a container's cgroup is the root of what it mounts, not the kernel's root;
    /// the daemon stayed in it and every controller failed with EBUSY.
    @Test(arguments: [false, true])
    func containerAsPid1(namespaced: Bool) throws {
        let fs = FakeHosts.container(namespaced: namespaced)
        let group = "/sys/fs/cgroup/" + FakeHosts.groupName
        let host = try FakeHosts.setUp(fs, pid: 1).get()
        #expect(host.mode == "cgroup2")
        #expect(host.group == group)
        #expect(fs.pids(in: "/sys/fs/cgroup").isEmpty)
        #expect(fs.pids(in: group + "/daemon") == [1])
        #expect(host.missing.isEmpty)
        #expect(describe(host.controllerDirs) == [.memory: "v2 \(group)", .pids: "v2 \(group)", .cpu: "v2 \(group)"])
        #expect(fs.subtreeControl("/sys/fs/cgroup") == ["cpu", "memory", "pids"])
    }

    @Test func containerWithOtherProcessesAtItsRoot() throws {
        let fs = FakeHosts.container(others: [7])
        let host = try FakeHosts.setUp(fs, pid: 1).get()
        #expect(host.mode == "cgroup2")
        #expect(host.controllerDirs.isEmpty)
        #expect(host.missing[.memory]?.contains("other processes live there") == true)
        #expect(fs.pids(in: "/sys/fs/cgroup") == [7])
    }

    @Test func hybridLikeThisMachine() throws {
        let fs = FakeHosts.hybrid()
        let name = FakeHosts.groupName
        let group = "/sys/fs/cgroup/unified/" + name
        let memory = "/sys/fs/cgroup/memory" + FakeHosts.memoryPath + "/" + name
        let host = try FakeHosts.setUp(fs).get()
        #expect(host.mode == "cgroup-hybrid")
        #expect(host.group == group)
        #expect(describe(host.controllerDirs) == [
            .memory: "v1 \(memory)", .pids: "v1 /sys/fs/cgroup/pids/\(name)", .cpu: "v1 /sys/fs/cgroup/cpu/\(name)",
        ])
        #expect(host.missing.isEmpty)
        #expect(host.reason == "a cgroup per app under \(group); cpu, memory, pids through cgroup v1 (hybrid host)")
        #expect(host.hasKill)
        // At the root of the unified hierarchy: no daemon leaf, no controller to enable.
        #expect(fs.pids(in: "/sys/fs/cgroup/unified") == [FakeHosts.daemon])
        #expect(fs.list(group) == [])
        #expect(fs.writes(to: "cgroup.subtree_control").isEmpty)
        for dir in [group, memory, "/sys/fs/cgroup/pids/" + name, "/sys/fs/cgroup/cpu/" + name] {
            #expect(fs.dirs.contains(dir))
        }
        #expect(fs.read(memory + "/memory.use_hierarchy") == "1")
        // Nothing made in hierarchies swisor does not use.
        #expect(!fs.dirs.contains("/sys/fs/cgroup/cpuacct/" + name))
        #expect(!fs.dirs.contains("/sys/fs/cgroup/blkio/" + name))
    }

    @Test func hybridWithCombinedCpuHierarchyInASession() throws {
        let fs = FakeHosts.hybridCombined()
        let name = FakeHosts.groupName
        let group = "/sys/fs/cgroup/unified" + FakeHosts.session + "/" + name
        let host = try FakeHosts.setUp(fs).get()
        #expect(host.mode == "cgroup-hybrid")
        #expect(host.group == group)
        #expect(describe(host.controllerDirs) == [
            .memory: "v1 /sys/fs/cgroup/memory\(FakeHosts.session)/\(name)",
            .pids: "v1 /sys/fs/cgroup/pids\(FakeHosts.session)/\(name)",
            .cpu: "v1 /sys/fs/cgroup/cpu,cpuacct/user.slice/\(name)",
        ])
        // Not at the unified root: the daemon moves to G/daemon there (v1 has no such rule).
        #expect(fs.pids(in: group + "/daemon") == [FakeHosts.daemon])
        #expect(fs.pids(in: "/sys/fs/cgroup/memory" + FakeHosts.session) == [FakeHosts.daemon])
        #expect(host.hasKill)
    }

    @Test func hybridWithoutAPidsHierarchy() throws {
        let fs = FakeHosts.hybrid(withPids: false)
        let host = try FakeHosts.setUp(fs).get()
        #expect(host.mode == "cgroup-hybrid")
        #expect(Set(host.controllerDirs.keys) == [.memory, .cpu])
        #expect(host.missing == [.pids: "no pids controller is available to /sys/fs/cgroup/unified (not in its cgroup.controllers, and no v1 hierarchy has it)"])
        #expect(host.reason.hasSuffix("; cpu, memory through cgroup v1 (hybrid host); no pids (see swisor doctor)"))
    }

    @Test func hybridWithAnUnwritableV1Hierarchy() throws {
        let fs = FakeHosts.hybrid()
        fs.locked = ["/sys/fs/cgroup/memory" + FakeHosts.memoryPath]
        let host = try FakeHosts.setUp(fs).get()
        let dir = "/sys/fs/cgroup/memory" + FakeHosts.memoryPath + "/" + FakeHosts.groupName
        #expect(host.missing == [.memory: "cannot create \(dir): Permission denied (EACCES)"])
        #expect(Set(host.controllerDirs.keys) == [.pids, .cpu])
        #expect(host.mode == "cgroup-hybrid")
    }

    @Test func controllerLessCgroup2AloneIsStillCgroup2() throws {
        // Hybrid kernel where no v1 hierarchy has swisor's controllers: membership only.
        let fs = FakeCgroupFS(mountinfo: "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n", selfCgroup: "0::/\n")
        fs.mountV2("/sys/fs/cgroup/unified", kernelRoot: true, controllers: [])
        let host = try FakeHosts.setUp(fs).get()
        #expect(host.mode == "cgroup2")
        #expect(host.controllerDirs.isEmpty)
        #expect(host.missing.count == 3)
    }

    @Test func v1OnlyHostFails() {
        let mountinfo = FakeHosts.hybridMountinfo.split(separator: "\n").filter { !$0.contains("cgroup2") }.joined(separator: "\n")
        for selfCgroup in ["4:memory:/\n1:cpu:/\n", "4:memory:/\n1:cpu:/\n0::/\n"] {
            let fs = FakeCgroupFS(mountinfo: mountinfo, selfCgroup: selfCgroup)
            fs.addDirectories("/sys/fs/cgroup")
            fs.mountV1("/sys/fs/cgroup/memory", controllers: ["memory"])
            fs.mountV1("/sys/fs/cgroup/cpu", controllers: ["cpu"])
            guard case .failure(let error) = FakeHosts.setUp(fs) else {
                Issue.record("a v1-only host must fail")
                continue
            }
            #expect(error.message == (selfCgroup.contains("0::")
                ? "no cgroup2 file system is mounted" : "the kernel has no cgroup2 hierarchy (cgroup v1 only)"))
            #expect(fs.log.isEmpty)
        }
    }

    @Test func unwritableHostFailsNamingTheDirectory() {
        let fs = FakeHosts.pureV2(daemonIn: FakeHosts.session)
        fs.readOnly = true
        guard case .failure(let error) = FakeHosts.setUp(fs) else {
            Issue.record("an unwritable host must fail")
            return
        }
        let group = "/sys/fs/cgroup" + FakeHosts.session + "/" + FakeHosts.groupName
        #expect(error.message.contains("cannot create the cgroup \(group)"))
        #expect(error.message.contains("Permission denied (EACCES)"))
        #expect(error.message.contains("run as root"))
        #expect(error.message.contains("Delegate=yes"))
        #expect(error.message.contains("swisor startup"))
    }

    @Test func unreadableProcFails() {
        let fs = FakeCgroupFS(mountinfo: nil, selfCgroup: "0::/\n")
        guard case .failure(let error) = FakeHosts.setUp(fs) else {
            Issue.record("must fail")
            return
        }
        #expect(error.message == "cannot read /proc/self/mountinfo and /proc/self/cgroup")
    }

    @Test func cgroupOutsideTheMountFails() {
        let fs = FakeHosts.container()
        fs.setFile("/proc/self/cgroup", "0::/elsewhere\n")
        guard case .failure(let error) = FakeHosts.setUp(fs, pid: 1) else {
            Issue.record("must fail")
            return
        }
        #expect(error.message == "the daemon's cgroup2 /elsewhere is not visible under any cgroup2 mount")
    }

    @Test func escapedMountPoint() throws {
        let mountinfo = #"35 24 0:30 / /run/my\040cgroup rw,relatime - cgroup2 cgroup2 rw"# + "\n"
        let fs = FakeHosts.pureV2(daemonIn: "/", mountinfo: mountinfo, mountPoint: "/run/my cgroup")
        let host = try FakeHosts.setUp(fs).get()
        #expect(host.group == "/run/my cgroup/" + FakeHosts.groupName)
        #expect(fs.dirs.contains(host.group))
        #expect(host.controllerDirs[.memory]?.directory == host.group)
    }
}

@Suite("leftovers of an earlier daemon")
struct CgroupLeftoverTests {
    /// The first daemon dies; its apps' cgroups stay, some still running. cgroup2
    /// refuses rename(2), so populated ones keep their names and are listed.
    @Test func pureV2() throws {
        let fs = FakeHosts.pureV2()
        let group = try FakeHosts.setUp(fs).get().group
        for app in ["app-1-web", "app-2-api", "app-3-old"] {
            try fs.makeDirectory(group + "/" + app)
        }
        fs.put(900, in: group + "/app-2-api")
        fs.put(901, in: group + "/app-3-old")
        fs.exit(FakeHosts.daemon)
        fs.put(5252, in: "/sys/fs/cgroup/system.slice/swisor.service")
        fs.log.removeAll()

        let host = try FakeHosts.setUp(fs, pid: 5252).get()
        #expect(fs.list(group) == ["app-2-api", "app-3-old", "daemon"])
        #expect(host.stale == [group + "/app-2-api", group + "/app-3-old"])
        #expect(fs.pids(in: group + "/app-2-api") == [900])
        #expect(fs.pids(in: group + "/daemon") == [5252])
        #expect(fs.log.contains("rmdir \(group)/app-1-web"))
        #expect(!fs.log.contains { $0.hasPrefix("rename") })

        let containment = CgroupContainment(host: host)
        let strays = containment.strayGroups()
        #expect(strays.map(\.path) == [group + "/app-2-api", group + "/app-3-old"])
        #expect(strays.map(\.pids) == [[900], [901]])

        // A new app whose name a leftover holds gets one of its own beside it.
        let fds = try containment.prepare(unit: 2, name: "api", limits: ResourceLimits())
        for fd in fds { fd.close() }
        #expect(containment.cgroupPath(of: 2) == group + "/app-2-api.1")
        #expect(fs.pids(in: group + "/app-2-api") == [900])

        // Once the operator ended them, daemon exit removes the leftovers and the group
        // keeps only the daemon's leaf.
        _ = containment.finished(unit: 2)
        fs.exit(900)
        fs.exit(901)
        containment.shutdown()
        #expect(fs.list(group) == ["daemon"])
    }

    @Test func hybridKeepsPopulatedV1TwinsAndRemovesEmptyOnes() throws {
        let fs = FakeHosts.hybrid()
        let first = try FakeHosts.setUp(fs).get()
        let group = first.group
        let memory = try #require(first.controllerDirs[.memory]).directory
        let pids = try #require(first.controllerDirs[.pids]).directory
        for app in ["app-1-web", "app-2-api"] {
            try fs.makeDirectory(group + "/" + app)
            try fs.makeDirectory(memory + "/" + app)
            try fs.makeDirectory(pids + "/" + app)
        }
        // v1 directories without a cgroup2 twin (a crash between two mkdirs).
        try fs.makeDirectory(memory + "/app-9-orphan")
        try fs.makeDirectory(memory + "/app-8-busy")
        fs.put(900, in: group + "/app-2-api")
        fs.put(900, in: memory + "/app-2-api")
        fs.put(900, in: pids + "/app-2-api")
        fs.put(902, in: memory + "/app-8-busy")
        fs.log.removeAll()

        let host = try FakeHosts.setUp(fs).get()
        #expect(host.stale == [group + "/app-2-api"])
        #expect(fs.list(group) == ["app-2-api"])
        #expect(fs.list(memory) == ["app-2-api", "app-8-busy"])
        #expect(fs.list(pids) == ["app-2-api"])
        #expect(fs.pids(in: memory + "/app-2-api") == [900])
        let cpu = try #require(host.controllerDirs[.cpu]).directory
        #expect(fs.list(cpu) == [])
    }

    @Test func nothingOutsideTheAppPrefixIsTouched() throws {
        let fs = FakeHosts.pureV2(daemonIn: "/", rootEnables: ["memory"])
        let group = try FakeHosts.setUp(fs).get().group
        try fs.makeDirectory(group + "/mine")
        fs.log.removeAll()
        let host = try FakeHosts.setUp(fs).get()
        #expect(host.stale.isEmpty)
        #expect(fs.list(group) == ["mine"])
        #expect(!fs.log.contains { $0.hasPrefix("rmdir") || $0.hasPrefix("rename") })
    }
}

@Suite("a cgroup per app, on the fake file system")
struct CgroupContainmentTests {
    static let mib: UInt64 = 1 << 20

    func containment(_ fs: FakeCgroupFS) throws -> CgroupContainment {
        CgroupContainment(host: try FakeHosts.setUp(fs).get())
    }

    func close(_ fds: [FileDescriptor]) {
        for fd in fds {
            #expect(fcntl(fd.rawValue, F_GETFD) >= 0, "an open descriptor")
            fd.close()
        }
    }

    @Test func prepareOnPureV2WritesEveryLimit() throws {
        let fs = FakeHosts.pureV2(swap: true)
        let c = try containment(fs)
        let dir = c.host.group + "/app-3-web"
        let limits = ResourceLimits(memoryMaxBytes: 64 * Self.mib, memoryHighBytes: 48 * Self.mib, tasksMax: 50, cpuQuotaPercent: 150)
        #expect(c.check(limits) == nil)
        let fds = try c.prepare(unit: 3, name: "web", limits: limits)
        defer { close(fds) }
        #expect(fds.count == 1)
        #expect(fs.opened == [dir + "/cgroup.procs"])
        #expect(fs.read(dir + "/memory.max") == "67108864")
        #expect(fs.read(dir + "/memory.swap.max") == "0")
        #expect(fs.read(dir + "/memory.high") == "50331648")
        #expect(fs.read(dir + "/pids.max") == "50")
        #expect(fs.read(dir + "/cpu.max") == "150000 100000")
        #expect(c.cgroupPath(of: 3) == dir)
        #expect(c.mode == "cgroup2")
        #expect(c.controllers.map(\.version) == [.v2, .v2, .v2])
    }

    @Test func optionalSwapLimitIsSkippedWithoutSwapAccounting() throws {
        let fs = FakeHosts.pureV2(swap: false)
        let c = try containment(fs)
        let dir = c.host.group + "/app-1-db"
        let fds = try c.prepare(unit: 1, name: "db", limits: ResourceLimits(memoryMaxBytes: 8 * Self.mib))
        defer { close(fds) }
        #expect(fs.read(dir + "/memory.max") == "8388608")
        #expect(!fs.exists(dir + "/memory.swap.max"))
    }

    @Test func anOptionalWriteFailingOtherwiseIsAnError() throws {
        let fs = FakeHosts.pureV2(swap: true)
        let c = try containment(fs)
        let dir = c.host.group + "/app-1-db"
        fs.writeFailures[dir + "/memory.swap.max"] = EACCES
        #expect(throws: ContainmentError.self) {
            _ = try c.prepare(unit: 1, name: "db", limits: ResourceLimits(memoryMaxBytes: 8 * Self.mib))
        }
        // Undone: no directory, no descriptor left.
        #expect(!fs.dirs.contains(dir))
        #expect(c.cgroupPath(of: 1) == nil)
    }

    @Test func aFailedLimitWriteUndoesTheCgroups() throws {
        let fs = FakeHosts.hybrid()
        let c = try containment(fs)
        let pidsDir = try #require(c.host.controllerDirs[.pids]).directory + "/app-2-x"
        fs.writeFailures[pidsDir + "/pids.max"] = EINVAL
        do {
            _ = try c.prepare(unit: 2, name: "x", limits: ResourceLimits(tasksMax: 5))
            Issue.record("prepare must fail")
        } catch {
            #expect(error.message.contains("cannot set up the app's cgroup"))
            #expect(error.message.contains("pids.max"))
        }
        #expect(fs.list(c.host.group) == [])
        let memory = try #require(c.host.controllerDirs[.memory]).directory
        #expect(fs.list(memory) == [])
        #expect(fs.list(FakeCgroupFS.parent(pidsDir)) == [])
    }

    @Test func prepareOnHybridJoinsOnlyTheNeededV1Controllers() throws {
        let fs = FakeHosts.hybrid(swap: true)
        let c = try containment(fs)
        let v2 = c.host.group + "/app-4-api"
        let memory = try #require(c.host.controllerDirs[.memory]).directory + "/app-4-api"
        let pids = try #require(c.host.controllerDirs[.pids]).directory + "/app-4-api"
        let cpu = try #require(c.host.controllerDirs[.cpu]).directory + "/app-4-api"
        let fds = try c.prepare(unit: 4, name: "api", limits: ResourceLimits(memoryMaxBytes: 32 * Self.mib, tasksMax: 9))
        defer { close(fds) }
        #expect(fds.count == 3)
        #expect(fs.opened == [v2 + "/cgroup.procs", memory + "/cgroup.procs", pids + "/cgroup.procs"])
        #expect(!fs.dirs.contains(cpu))
        #expect(fs.read(memory + "/memory.limit_in_bytes") == "33554432")
        #expect(fs.read(memory + "/memory.memsw.limit_in_bytes") == "33554432")
        #expect(fs.read(pids + "/pids.max") == "9")
        #expect(c.finished(unit: 4) == nil)
        for dir in [v2, memory, pids] { #expect(!fs.dirs.contains(dir)) }
    }

    @Test func memoryIsAlwaysJoinedOnHybrid() throws {
        let fs = FakeHosts.hybrid(swap: false)
        let c = try containment(fs)
        let memoryG = try #require(c.host.controllerDirs[.memory]).directory
        let memory = memoryG + "/app-5-plain"
        var fds = try c.prepare(unit: 5, name: "plain", limits: ResourceLimits())
        close(fds)
        #expect(fs.opened == [c.host.group + "/app-5-plain/cgroup.procs", memory + "/cgroup.procs"])
        // cpu_quota on v1: period then quota; memsw skipped without swap accounting.
        fds = try c.prepare(unit: 6, name: "cpu", limits: ResourceLimits(memoryMaxBytes: 4 * Self.mib, cpuQuotaPercent: 25))
        close(fds)
        let cpu = try #require(c.host.controllerDirs[.cpu]).directory + "/app-6-cpu"
        #expect(fs.read(cpu + "/cpu.cfs_period_us") == "100000")
        #expect(fs.read(cpu + "/cpu.cfs_quota_us") == "25000")
        #expect(fs.opened.suffix(3) == [c.host.group + "/app-6-cpu/cgroup.procs", cpu + "/cgroup.procs",
                                         memoryG + "/app-6-cpu/cgroup.procs"])
        #expect(fs.writes(to: "memory.memsw.limit_in_bytes").isEmpty)
    }

    @Test func unenforceableLimitsAreRefusedBeforeAnyDirectory() throws {
        let hybrid = FakeHosts.hybrid()
        let c = try containment(hybrid)
        hybrid.log.removeAll()
        do {
            _ = try c.prepare(unit: 1, name: "x", limits: ResourceLimits(memoryHighBytes: 8 * Self.mib))
            Issue.record("memory_high must be refused on v1")
        } catch {
            #expect(error.message.hasPrefix("memory_high cannot be enforced here: "))
            #expect(error.message.contains("v1"))
        }
        #expect(c.check(ResourceLimits(memoryHighBytes: 1))?.option == "memory_high")
        #expect(hybrid.log.isEmpty)

        let shared = FakeHosts.pureV2(daemonIn: "/user.slice/user-1000.slice/session-2.scope", others: [1000])
        let d = try containment(shared)
        do {
            _ = try d.prepare(unit: 1, name: "x", limits: ResourceLimits(tasksMax: 3))
            Issue.record("tasks_max must be refused without pids")
        } catch {
            #expect(error.message.hasPrefix("tasks_max cannot be enforced here: cannot enable it in "))
            #expect(error.message.contains("other processes live there"))
        }
        // Membership still works there.
        let fds = try d.prepare(unit: 2, name: "y", limits: ResourceLimits())
        close(fds)
        #expect(fds.count == 1)
        #expect(d.controllers.allSatisfy { $0.version == nil && $0.problem?.contains("other processes") == true })
    }

    @Test func aSecondPrepareStartsFromAFreshCgroup() throws {
        let fs = FakeHosts.pureV2()
        let c = try containment(fs)
        let dir = c.host.group + "/app-1-web"
        close(try c.prepare(unit: 1, name: "web", limits: ResourceLimits(memoryMaxBytes: 8 * Self.mib)))
        #expect(fs.read(dir + "/memory.max") == "8388608")
        // The limit was removed from the spec: it must not linger.
        close(try c.prepare(unit: 1, name: "web", limits: ResourceLimits()))
        #expect(fs.read(dir + "/memory.max") == "max\n")
        // Renamed app: the old directory goes.
        close(try c.prepare(unit: 1, name: "www", limits: ResourceLimits()))
        #expect(fs.list(c.host.group) == ["app-1-www", "daemon"])
    }

    @Test func isEmptyFollowsPopulated() throws {
        let fs = FakeHosts.pureV2()
        let c = try containment(fs)
        #expect(c.isEmpty(7))  // unknown unit
        close(try c.prepare(unit: 7, name: "w", limits: ResourceLimits()))
        let dir = c.host.group + "/app-7-w"
        #expect(c.isEmpty(7))
        fs.put(3001, in: dir)
        #expect(!c.isEmpty(7))
        // A grandchild keeps it populated.
        try fs.makeDirectory(dir + "/sub")
        fs.put(3001, in: dir + "/sub")
        #expect(!c.isEmpty(7))
        fs.exit(3001)
        #expect(c.isEmpty(7))
    }

    @Test func killAllUsesCgroupKill() throws {
        let fs = FakeHosts.pureV2()
        let c = try containment(fs)
        close(try c.prepare(unit: 1, name: "w", limits: ResourceLimits()))
        fs.put(3001, in: c.host.group + "/app-1-w")
        fs.put(3002, in: c.host.group + "/app-1-w")
        #expect(c.killAll(1))
        #expect(fs.killed == [3001, 3002])
        #expect(c.isEmpty(1))
        #expect(!c.killAll(2))

        let old = FakeHosts.pureV2(kill: false)
        let d = try containment(old)
        close(try d.prepare(unit: 1, name: "w", limits: ResourceLimits()))
        #expect(!d.killAll(1))
    }

    @Test func finishedRemovesTheCgroupOnceEmpty() throws {
        let fs = FakeHosts.pureV2()
        let c = try containment(fs)
        let dir = c.host.group + "/app-1-w"
        close(try c.prepare(unit: 1, name: "w", limits: ResourceLimits()))
        fs.put(3001, in: dir)
        let problem = try #require(c.finished(unit: 1))
        #expect(problem.contains("cannot remove the app's cgroup"))
        #expect(problem.contains("Device or resource busy (EBUSY)"))
        #expect(c.cgroupPath(of: 1) == dir)
        fs.exit(3001)
        #expect(c.finished(unit: 1) == nil)
        #expect(!fs.dirs.contains(dir))
        #expect(c.cgroupPath(of: 1) == nil)
        #expect(c.finished(unit: 1) == nil)
        #expect(c.isEmpty(1))
    }

    @Test func finishedToleratesAGroupRemovedByHand() throws {
        let fs = FakeHosts.pureV2()
        let c = try containment(fs)
        close(try c.prepare(unit: 1, name: "w", limits: ResourceLimits()))
        try fs.removeDirectory(c.host.group + "/app-1-w")
        #expect(c.isEmpty(1))
        #expect(c.finished(unit: 1) == nil)
    }

    @Test func oomKillsOnV2AndV1() throws {
        let v2 = FakeHosts.pureV2()
        let c = try containment(v2)
        #expect(c.oomKills(1) == nil)
        close(try c.prepare(unit: 1, name: "w", limits: ResourceLimits()))
        #expect(c.oomKills(1) == 0)
        v2.setFile(c.host.group + "/app-1-w/memory.events", "low 0\nhigh 0\nmax 9\noom 3\noom_kill 2\noom_group_kill 0\n")
        #expect(c.oomKills(1) == 2)

        let v1 = FakeHosts.hybrid()
        let d = try containment(v1)
        close(try d.prepare(unit: 1, name: "w", limits: ResourceLimits()))
        let memory = try #require(d.host.controllerDirs[.memory]).directory + "/app-1-w"
        v1.setFile(memory + "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n")
        #expect(d.oomKills(1) == 1)
    }

    @Test func sampleOnV2CountsTheWorkingSet() throws {
        let fs = FakeHosts.pureV2()
        let c = try containment(fs)
        close(try c.prepare(unit: 1, name: "w", limits: ResourceLimits()))
        let dir = c.host.group + "/app-1-w"
        fs.put(3001, in: dir)
        fs.put(3002, in: dir)
        fs.setFile(dir + "/memory.current", "104857600\n")
        fs.setFile(dir + "/memory.stat", "anon 90000000\nfile 14857600\nactive_file 10000000\ninactive_file 4194304\n")
        fs.setFile(dir + "/cpu.stat", "usage_usec 1234567\nuser_usec 1000000\nsystem_usec 234567\n")
        let usage = c.sample(units: [1, 2])
        #expect(usage == [1: AppUsage(memoryBytes: 104_857_600 - 4_194_304, cpuMicroseconds: 1_234_567, processes: 2)])
        // More inactive cache than usage (read at different moments): never negative.
        fs.setFile(dir + "/memory.current", "1000\n")
        #expect(c.sample(units: [1])[1]?.memoryBytes == 0)
    }

    @Test func sampleOnV1UsesTheHierarchicalInactiveFile() throws {
        let fs = FakeHosts.hybrid()
        let c = try containment(fs)
        close(try c.prepare(unit: 1, name: "w", limits: ResourceLimits()))
        let memory = try #require(c.host.controllerDirs[.memory]).directory + "/app-1-w"
        fs.put(3001, in: c.host.group + "/app-1-w")
        fs.setFile(memory + "/memory.usage_in_bytes", "50000000\n")
        fs.setFile(memory + "/memory.stat", "cache 1\ninactive_file 100\ntotal_inactive_file 20000000\n")
        fs.setFile(c.host.group + "/app-1-w/cpu.stat", "usage_usec 77\n")
        #expect(c.sample(units: [1])[1] == AppUsage(memoryBytes: 30_000_000, cpuMicroseconds: 77, processes: 1))
    }

    @Test func workingSetWithoutFiles() {
        let fs = FakeCgroupFS(mountinfo: nil, selfCgroup: nil)
        #expect(CgroupContainment.workingSet(fs: fs, dir: "/nowhere", version: .v2) == 0)
        fs.addFile("/g/memory.current", "max\n")
        #expect(CgroupContainment.workingSet(fs: fs, dir: "/g", version: .v2) == 0)
        fs.setFile("/g/memory.current", "4096\n")
        #expect(CgroupContainment.workingSet(fs: fs, dir: "/g", version: .v2) == 4096)
    }

    @Test func shutdownRemovesWhatThisDaemonMade() throws {
        let fs = FakeHosts.hybrid()
        let c = try containment(fs)
        close(try c.prepare(unit: 1, name: "w", limits: ResourceLimits(tasksMax: 4)))
        c.shutdown()
        #expect(!fs.dirs.contains(c.host.group))
        for (_, dir) in c.host.controllerDirs.values { #expect(!fs.dirs.contains(dir)) }
    }
}
