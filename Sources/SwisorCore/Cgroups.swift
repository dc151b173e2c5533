/// The pure half of cgroup containment: where the hierarchies are, what an app's
/// cgroup is called, which files a limit is written to, and how the kernel's files
/// read. No file is touched here; `SwisorSystem.CgroupHost` does that, so every rule
/// below is unit-tested without a cgroup file system.

/// The limits of one app, from its ecosystem options.
public struct ResourceLimits: Codable, Sendable, Equatable {
    public var memoryMaxBytes: UInt64?
    public var memoryHighBytes: UInt64?
    public var tasksMax: Int?
    public var cpuQuotaPercent: Int?

    public init(memoryMaxBytes: UInt64? = nil, memoryHighBytes: UInt64? = nil,
                tasksMax: Int? = nil, cpuQuotaPercent: Int? = nil) {
        self.memoryMaxBytes = memoryMaxBytes
        self.memoryHighBytes = memoryHighBytes
        self.tasksMax = tasksMax
        self.cpuQuotaPercent = cpuQuotaPercent
    }

    public var isEmpty: Bool {
        memoryMaxBytes == nil && memoryHighBytes == nil && tasksMax == nil && cpuQuotaPercent == nil
    }

    /// Below this an app cannot even exec; the kernel would OOM-kill it at once.
    public static let minimumMemoryBytes: UInt64 = 1 << 20
    /// 1000 % is ten CPUs' worth; the cap only catches typos (a quota of 5000000).
    public static let maximumCPUQuotaPercent = 100_000
    /// cfs period used for cpu_quota (systemd's default): 100 ms.
    public static let cpuPeriodMicroseconds = 100_000

    /// `cpu_quota`: 50, 50.5 is refused (whole percents), "50" or "50%".
    public static func parseCPUQuota(_ value: JSON) -> Int? {
        let n: Int64?
        switch value {
        case .int(let i): n = i
        case .double(let d): n = d == d.rounded() && abs(d) < 1e9 ? Int64(d) : nil
        case .string(var s):
            if s.hasSuffix("%") { s.removeLast() }
            n = Int64(s)
        default: n = nil
        }
        guard let n, n >= 1, n <= Int64(maximumCPUQuotaPercent) else { return nil }
        return Int(n)
    }

    /// The option names set, in the order the docs list them.
    public var optionNames: [String] {
        var names: [String] = []
        if memoryMaxBytes != nil { names.append("memory_max") }
        if memoryHighBytes != nil { names.append("memory_high") }
        if tasksMax != nil { names.append("tasks_max") }
        if cpuQuotaPercent != nil { names.append("cpu_quota") }
        return names
    }
}

/// The three controllers swisor uses.
public enum CgroupController: String, Sendable, CaseIterable, Codable, Comparable {
    case memory, pids, cpu

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Where a controller lives on this host.
public enum CgroupVersion: String, Sendable, Codable {
    case v1, v2
}

/// One line of /proc/self/mountinfo that mounts a cgroup file system.
public struct CgroupMount: Sendable, Equatable {
    /// "cgroup2" or "cgroup".
    public var fsType: String
    /// Where it is mounted, e.g. "/sys/fs/cgroup/memory".
    public var mountPoint: String
    /// The cgroup that is the mount's root ("/" unless a container bind-mounted a subtree).
    public var root: String
    /// v1 only: the controllers of this hierarchy (from the super options), e.g. ["cpu", "cpuacct"].
    public var controllers: [String]

    public init(fsType: String, mountPoint: String, root: String, controllers: [String]) {
        self.fsType = fsType
        self.mountPoint = mountPoint
        self.root = root
        self.controllers = controllers
    }

    /// The cgroup mounts in a mountinfo text (proc(5)): `id parent maj:min root mountpoint
    /// options [optional fields] - fstype source superoptions`. Paths are octal-escaped.
    public static func parse(mountinfo text: String) -> [CgroupMount] {
        var mounts: [CgroupMount] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let dash = fields.firstIndex(of: "-"), dash >= 6, fields.count >= dash + 3 else { continue }
            let fsType = String(fields[dash + 1])
            guard fsType == "cgroup" || fsType == "cgroup2" else { continue }
            let superOptions = fields[dash + 3].split(separator: ",").map(String.init)
            let controllers = fsType == "cgroup"
                ? superOptions.filter { !["rw", "ro"].contains($0) && !$0.contains("=") && !$0.hasPrefix("noprefix") && !$0.hasPrefix("clone_children") && !$0.hasPrefix("xattr") && !$0.hasPrefix("cpuset_v2_mode") }
                : []
            mounts.append(CgroupMount(fsType: fsType, mountPoint: unescape(fields[4]), root: unescape(fields[3]),
                                      controllers: controllers))
        }
        return mounts
    }

    /// mountinfo writes space, tab, newline and backslash as \040, \011, \012, \134.
    static func unescape(_ s: Substring) -> String {
        guard s.contains("\\") else { return String(s) }
        var bytes: [UInt8] = []
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "\\"), i + 3 < u.count,
               let v = UInt8(String(decoding: u[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                bytes.append(v)
                i += 4
            } else {
                bytes.append(u[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// One line of /proc/<pid>/cgroup: `hierarchy-id:controllers:path`.
public struct CgroupMembership: Sendable, Equatable {
    public var hierarchy: Int
    public var controllers: [String]
    public var path: String

    public static func parse(_ text: String) -> [CgroupMembership] {
        text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let id = Int(parts[0]) else { return nil }
            let names = parts[1].split(separator: ",").map { name -> String in
                // A named v1 hierarchy ("name=systemd") is not a controller.
                String(name)
            }
            return CgroupMembership(hierarchy: id, controllers: names, path: String(parts[2]))
        }
    }
}

/// Where this process's cgroups are, in every hierarchy that matters.
public struct CgroupLayout: Sendable, Equatable {
    /// The directory of the daemon's own cgroup2 (mount point + path), and the path
    /// relative to the hierarchy's root.
    public var unified: Location?
    /// v1 hierarchies of the controllers swisor uses (only on hybrid or v1 hosts).
    public var v1: [CgroupController: Location]
    /// Why there is no usable cgroup2, when there is none.
    public var problem: String?

    public struct Location: Sendable, Equatable {
        public var mountPoint: String
        /// The daemon's cgroup, "/" for the hierarchy's root.
        public var path: String
        public var directory: String {
            path == "/" ? mountPoint : mountPoint + path
        }
        public var isRoot: Bool { path == "/" }
    }

    public static func resolve(mountinfo: String, selfCgroup: String) -> CgroupLayout {
        let mounts = CgroupMount.parse(mountinfo: mountinfo)
        let members = CgroupMembership.parse(selfCgroup)
        var layout = CgroupLayout(unified: nil, v1: [:], problem: nil)

        func locate(_ mount: CgroupMount, _ path: String) -> Location? {
            // A mount of a subtree (containers) shows cgroups below its root only.
            if mount.root == "/" { return Location(mountPoint: mount.mountPoint, path: path) }
            if path == mount.root { return Location(mountPoint: mount.mountPoint, path: "/") }
            if path.hasPrefix(mount.root + "/") {
                return Location(mountPoint: mount.mountPoint, path: String(path.dropFirst(mount.root.count)))
            }
            return nil
        }

        if let line = members.first(where: { $0.hierarchy == 0 && $0.controllers.isEmpty }) {
            let candidates = mounts.filter { $0.fsType == "cgroup2" }
            if candidates.isEmpty {
                layout.problem = "no cgroup2 file system is mounted"
            } else if let loc = candidates.lazy.compactMap({ locate($0, line.path) }).first {
                layout.unified = loc
            } else {
                layout.problem = "the daemon's cgroup2 \(line.path) is not visible under any cgroup2 mount"
            }
        } else {
            layout.problem = "the kernel has no cgroup2 hierarchy (cgroup v1 only)"
        }
        for controller in CgroupController.allCases {
            guard let line = members.first(where: { $0.hierarchy != 0 && $0.controllers.contains(controller.rawValue) }),
                  let mount = mounts.first(where: { $0.fsType == "cgroup" && $0.controllers.contains(controller.rawValue) }),
                  let loc = locate(mount, line.path) else { continue }
            layout.v1[controller] = loc
        }
        return layout
    }
}

/// Names of the cgroups swisor makes. All below one directory per home, so two
/// daemons (two users, or tests) never meet, and nothing outside it is touched.
public enum CgroupNames {
    /// "swisor-" and 8 hex digits of the home path's FNV-1a hash: the same home finds its
    /// own cgroups again after a restart.
    public static func group(forHome home: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for b in home.utf8 {
            hash ^= UInt32(b)
            hash = hash &* 16_777_619
        }
        let hex = String(hash, radix: 16)
        return "swisor-" + String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// The daemon's own leaf, when it must leave its cgroup to enable controllers there
    /// (cgroup v2's no-internal-processes rule).
    public static let daemonLeaf = "daemon"

    /// "app-<id>-<name>": the prefix keeps an app named `memory.max` from meeting a
    /// cgroup interface file, and the id keeps instances apart.
    public static func app(id: Int, name: String) -> String {
        "app-\(id)-\(name)"
    }

    public static let appPrefix = "app-"
}

/// One value written to one control file of an app's cgroup.
public struct CgroupWrite: Sendable, Equatable {
    public var controller: CgroupController
    public var file: String
    public var value: String
    /// Absent on some hosts (swap accounting off): skipped there, not an error.
    public var optional: Bool

    public init(_ controller: CgroupController, _ file: String, _ value: String, optional: Bool = false) {
        self.controller = controller
        self.file = file
        self.value = value
        self.optional = optional
    }
}

/// A limit this host cannot enforce: an error at start, never a silent no-op.
public struct LimitProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var option: String
    public var reason: String

    public init(option: String, reason: String) {
        self.option = option
        self.reason = reason
    }

    public var description: String { "\(option) cannot be enforced here: \(reason)" }
}

public enum CgroupLimits {
    /// The controllers an app with these limits must join (memory always, where there is
    /// one: it accounts the app's memory and reports OOM kills).
    public static func controllers(for limits: ResourceLimits) -> Set<CgroupController> {
        var set: Set<CgroupController> = [.memory]
        if limits.tasksMax != nil { set.insert(.pids) }
        if limits.cpuQuotaPercent != nil { set.insert(.cpu) }
        return set
    }

    /// The writes that set `limits`, in order, for controllers at the given versions;
    /// `missing` says why an absent controller is absent.
    public static func writes(
        for limits: ResourceLimits,
        versions: [CgroupController: CgroupVersion],
        missing: [CgroupController: String]
    ) -> Result<[CgroupWrite], LimitProblem> {
        var out: [CgroupWrite] = []
        func need(_ c: CgroupController, _ option: String) -> Result<CgroupVersion, LimitProblem> {
            if let v = versions[c] { return .success(v) }
            return .failure(LimitProblem(option: option, reason: missing[c] ?? "no \(c.rawValue) controller"))
        }
        if let bytes = limits.memoryMaxBytes {
            switch need(.memory, "memory_max") {
            case .failure(let p): return .failure(p)
            case .success(.v2):
                out.append(CgroupWrite(.memory, "memory.max", String(bytes)))
                // A hard limit on RAM alone would let the app swap instead of being
                // stopped at it; memory_max is meant as "never more than this".
                out.append(CgroupWrite(.memory, "memory.swap.max", "0", optional: true))
            case .success(.v1):
                out.append(CgroupWrite(.memory, "memory.limit_in_bytes", String(bytes)))
                out.append(CgroupWrite(.memory, "memory.memsw.limit_in_bytes", String(bytes), optional: true))
            }
        }
        if let bytes = limits.memoryHighBytes {
            switch need(.memory, "memory_high") {
            case .failure(let p): return .failure(p)
            case .success(.v2): out.append(CgroupWrite(.memory, "memory.high", String(bytes)))
            case .success(.v1):
                return .failure(LimitProblem(option: "memory_high", reason: "it needs the cgroup v2 memory controller; this host has the v1 memory controller, which has no memory.high (use memory_max)"))
            }
        }
        if let tasks = limits.tasksMax {
            switch need(.pids, "tasks_max") {
            case .failure(let p): return .failure(p)
            case .success: out.append(CgroupWrite(.pids, "pids.max", String(tasks)))
            }
        }
        if let percent = limits.cpuQuotaPercent {
            let period = ResourceLimits.cpuPeriodMicroseconds
            let quota = percent * period / 100
            switch need(.cpu, "cpu_quota") {
            case .failure(let p): return .failure(p)
            case .success(.v2): out.append(CgroupWrite(.cpu, "cpu.max", "\(quota) \(period)"))
            case .success(.v1):
                out.append(CgroupWrite(.cpu, "cpu.cfs_period_us", String(period)))
                out.append(CgroupWrite(.cpu, "cpu.cfs_quota_us", String(quota)))
            }
        }
        return .success(out)
    }
}

/// Readers for the kernel's cgroup files (all "key value" lines or a list of pids).
public enum CgroupFiles {
    /// `cgroup.events`: "populated 0|1".
    public static func populated(_ text: String) -> Bool? {
        value(of: "populated", in: text).map { $0 != 0 }
    }

    /// The value of `key` in a flat-keyed file (memory.events, memory.stat, cpu.stat,
    /// memory.oom_control).
    public static func value(of key: String, in text: String) -> UInt64? {
        for line in text.split(separator: "\n") {
            guard let space = line.firstIndex(of: " "), line[..<space] == key else { continue }
            return UInt64(line[line.index(after: space)...])
        }
        return nil
    }

    /// `cgroup.procs`: one pid a line.
    public static func pids(_ text: String) -> [Int32] {
        text.split(separator: "\n").compactMap { Int32($0) }
    }

    /// `pids(_:)` on raw bytes: digits lines, anything else skipped.
    public static func pids(_ bytes: UnsafeRawBufferPointer) -> [Int32] {
        var out: [Int32] = []
        var v: Int64 = 0
        var digits = 0
        var bad = false
        for b in bytes {
            if b == 0x0A {
                if digits > 0 && !bad && v <= Int64(Int32.max) { out.append(Int32(v)) }
                (v, digits, bad) = (0, 0, false)
            } else if b >= 0x30 && b <= 0x39 && digits < 10 {
                v = v * 10 + Int64(b - 0x30)
                digits += 1
            } else {
                bad = true
            }
        }
        if digits > 0 && !bad && v <= Int64(Int32.max) { out.append(Int32(v)) }
        return out
    }

    /// `value(of:in:)` on raw bytes, without making a String of the file.
    public static func value(of key: StaticString, in bytes: UnsafeRawBufferPointer) -> UInt64? {
        let k = UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        var lineStart = 0
        let n = bytes.count
        while lineStart < n {
            var end = lineStart
            while end < n && bytes[end] != 0x0A { end += 1 }
            if end - lineStart > k.count, bytes[lineStart + k.count] == 0x20,
               memcmpEqual(bytes, lineStart, k) {
                var v: UInt64 = 0
                var i = lineStart + k.count + 1
                var any = false
                while i < end, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                    v = v &* 10 &+ UInt64(bytes[i] - 0x30)
                    i += 1
                    any = true
                }
                return any ? v : nil
            }
            lineStart = end + 1
        }
        return nil
    }

    /// The leading number of the bytes (memory.current, usage_in_bytes), nil for "max".
    public static func number(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        var v: UInt64 = 0
        var any = false
        for b in bytes {
            guard b >= 0x30 && b <= 0x39 else { break }
            v = v &* 10 &+ UInt64(b - 0x30)
            any = true
        }
        return any ? v : nil
    }

    /// Lines of cgroup.procs: the number of processes.
    public static func lineCount(_ bytes: UnsafeRawBufferPointer) -> Int {
        var count = 0
        for b in bytes where b == 0x0A { count += 1 }
        return count
    }

    private static func memcmpEqual(_ bytes: UnsafeRawBufferPointer, _ at: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        for i in 0..<key.count where bytes[at + i] != key[i] { return false }
        return true
    }

    /// A single number, or nil for "max" and garbage.
    public static func number(_ text: String) -> UInt64? {
        var s = Substring(text)
        while s.last == "\n" || s.last == " " { s = s.dropLast() }
        return UInt64(s)
    }
}
