#if canImport(Glibc)
import Glibc
#endif
import SwisorCore

/// Finds every process of an app instance, so that stop, restart and accounting see
/// the whole tree, never just the main pid. Two implementations: a cgroup per app
/// (`CgroupContainment`, exact) and `ProcessTreeContainment` (process groups, the
/// subreaper and /proc), used where no cgroup is writable.
public protocol Containment: AnyObject {
    /// "process-tree", "cgroup2", "cgroup-hybrid".
    var mode: String { get }
    /// Why this mode: shown by `swisor ping` and `swisor doctor`.
    var reason: String { get }
    /// Each controller and where it is, or why it is missing (`doctor`).
    var controllers: [ControllerStatus] { get }
    /// `isEmpty` asks the kernel (a cgroup's `populated`), cheaply: worth asking on every
    /// reap. Without it, emptiness needs a /proc scan, which the caller batches.
    var knowsEmptinessExactly: Bool { get }

    /// nil when every limit can be enforced here, else the first that cannot.
    func check(_ limits: ResourceLimits) -> LimitProblem?
    /// Called before each spawn of `unit`. Returns open cgroup.procs files for the
    /// child to join before exec (none without cgroups).
    /// `id` and `name` name the cgroup (`app-<id>-<name>`); several units of one app (a
    /// reload's old and new run) get distinct directories.
    func prepare(unit: Int, id: Int, name: String, limits: ResourceLimits) throws(ContainmentError) -> [FileDescriptor]
    /// The main process of `unit` now runs as `pid`.
    func started(unit: Int, pid: pid_t)
    /// The main process of `unit` was reaped: its pid may be reused from now on.
    func mainExited(unit: Int)
    /// Starts a new snapshot of the units' processes; `members(of:)` answers from it.
    /// Without cgroups this is one /proc walk for every unit; with, each unit is read
    /// when first asked for (its cgroup names its processes: nothing to walk).
    func refresh()
    /// Live (non-zombie) processes of `unit` in the current snapshot.
    func members(of unit: Int) -> [ProcessEntry]
    /// Whether `pid` is a live process of `unit` (a notify message's sender): now with
    /// cgroups, else as of the last `refresh`.
    func contains(pid: pid_t, unit: Int) -> Bool
    /// Memory, CPU time and process count of each running unit, for the sampler.
    func sample(units: [Int]) -> [Int: AppUsage]
    /// The app's memory read now (not from the last sample), where that is cheap to get
    /// exactly: a memory restart is decided on it. nil: use the sample.
    func freshMemory(of unit: Int) -> Int64?
    /// An upper bound of the app's memory, read at the cost of one syscall (the cgroup's
    /// usage, page cache included): under the limit, no closer look is needed. nil: none.
    func memoryCeiling(of unit: Int) -> Int64?
    /// No process of `unit` is left (the last snapshot, or the cgroup's `populated`).
    func isEmpty(_ unit: Int) -> Bool
    /// SIGKILLs every process of `unit` at once through the kernel (`cgroup.kill`);
    /// false where there is no such thing (the caller signals each member).
    func killAll(_ unit: Int) -> Bool
    /// Kills by the kernel's OOM killer in `unit`'s cgroup since it was made.
    func oomKills(_ unit: Int) -> UInt64?
    /// Calls `handler` on the loop when `unit` may have become empty; until `unwatch`.
    func watchEmpty(_ unit: Int, loop: EventLoop, _ handler: @escaping () -> Void)
    func unwatch(_ unit: Int, loop: EventLoop)
    /// The termination of `unit` ended and nothing of it is left: remove its cgroup
    /// (a parked one too). Returns a problem to log, if any.
    func finished(unit: Int) -> String?
    /// Nothing of `unit` is left and its next run may follow: keep its empty cgroup for
    /// that run, which `prepare` reuses when the limits are the same (else it makes a
    /// new one). false: nothing to keep (the caller calls `finished`).
    func park(unit: Int) -> Bool
    /// The counters the current run's cgroup had when the run began: nil when they
    /// began at zero (a new cgroup), else those of a reused one.
    func baseline(of unit: Int) -> AppUsageBaseline?
    /// The unit is gone for good (deleted): forget it.
    func release(unit: Int)
    /// The cgroup directory of `unit`, when it has one now.
    func cgroupPath(of unit: Int) -> String?
    /// The daemon is exiting: remove what it made.
    func shutdown()
    /// Populated cgroups left by an earlier daemon of this home (`doctor`).
    func strayGroups() -> [(path: String, pids: [pid_t])]
}

extension Containment {
    /// A unit named after itself.
    public func prepare(unit: Int, name: String, limits: ResourceLimits) throws(ContainmentError) -> [FileDescriptor] {
        try prepare(unit: unit, id: unit, name: name, limits: limits)
    }
}

/// What a reused cgroup had counted before the run began.
public struct AppUsageBaseline: Sendable, Equatable {
    public var cpuMicroseconds: UInt64
    public var oomKills: UInt64

    public init(cpuMicroseconds: UInt64, oomKills: UInt64) {
        self.cpuMicroseconds = cpuMicroseconds
        self.oomKills = oomKills
    }
}

/// Accounting of one app, from its cgroup or from its processes.
public struct AppUsage: Sendable, Equatable {
    public var memoryBytes: Int64
    public var cpuMicroseconds: UInt64
    public var processes: Int

    public init(memoryBytes: Int64, cpuMicroseconds: UInt64, processes: Int) {
        self.memoryBytes = memoryBytes
        self.cpuMicroseconds = cpuMicroseconds
        self.processes = processes
    }
}

public struct ControllerStatus: Sendable, Equatable {
    public var controller: CgroupController
    /// "v1" or "v2" with the group's directory, or nil with `problem`.
    public var version: CgroupVersion?
    public var directory: String?
    public var problem: String?
}

public struct ContainmentError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Containment without cgroups. An app's processes are found, in this order, as:
/// 1. descendants of its live main process (the /proc parent links);
/// 2. processes seen as its members in an earlier snapshot (pid + start time), which
///    keeps a worker attributed after its parent dies and it is re-parented;
/// 3. orphans re-parented to the daemon (it is a child subreaper, so every escapee of
///    an app lands here, even after setsid and a double fork) whose environment names
///    the app (`SWISOR_APP_ID`, inherited from the main process);
/// 4. orphans in the session of the app's last main process.
/// Only processes below the daemon are ever considered: nothing outside it can be an
/// app's, so no other process is ever signalled.
public final class ProcessTreeContainment: Containment {
    public let mode = "process-tree"
    public let reason: String

    private let daemonPID = getpid()
    private var mainPIDs: [Int: pid_t] = [:]
    private var lastSession: [Int: pid_t] = [:]
    private var known: [ProcessIdentity: Int] = [:]
    /// Orphans whose environment named no app: read once, not every tick.
    private var unattributable: Set<ProcessIdentity> = []
    private var snapshot: [Int: [ProcessEntry]] = [:]
    public private(set) var orphans: [ProcessEntry] = []

    public init(reason: String) {
        self.reason = reason
    }

    public var controllers: [ControllerStatus] {
        CgroupController.allCases.map { ControllerStatus(controller: $0, problem: "no cgroups: \(reason)") }
    }

    public var knowsEmptinessExactly: Bool { false }

    public func check(_ limits: ResourceLimits) -> LimitProblem? {
        guard let option = limits.optionNames.first else { return nil }
        return LimitProblem(option: option, reason: "it needs a cgroup, and swisor runs without: \(reason)")
    }

    public func prepare(unit: Int, id: Int, name: String, limits: ResourceLimits) throws(ContainmentError) -> [FileDescriptor] {
        if let problem = check(limits) { throw ContainmentError(problem.description) }
        return []
    }

    public func sample(units: [Int]) -> [Int: AppUsage] {
        refresh()
        var out: [Int: AppUsage] = [:]
        for unit in units {
            let m = members(of: unit)
            let ticks = m.reduce(UInt64(0)) { $0 + $1.cpuTicks }
            out[unit] = AppUsage(memoryBytes: m.reduce(Int64(0)) { $0 + $1.rssPages } * ProcFS.pageSize,
                                 cpuMicroseconds: ticks * 1_000_000 / UInt64(ProcFS.clockTicksPerSecond),
                                 processes: m.count)
        }
        return out
    }

    public func isEmpty(_ unit: Int) -> Bool { members(of: unit).isEmpty }
    public func freshMemory(of unit: Int) -> Int64? { nil }
    public func memoryCeiling(of unit: Int) -> Int64? { nil }
    public func killAll(_ unit: Int) -> Bool { false }
    public func oomKills(_ unit: Int) -> UInt64? { nil }
    public func watchEmpty(_ unit: Int, loop: EventLoop, _ handler: @escaping () -> Void) {}
    public func unwatch(_ unit: Int, loop: EventLoop) {}
    public func finished(unit: Int) -> String? { nil }
    public func park(unit: Int) -> Bool { false }
    public func baseline(of unit: Int) -> AppUsageBaseline? { nil }
    public func cgroupPath(of unit: Int) -> String? { nil }
    public func shutdown() {}
    public func strayGroups() -> [(path: String, pids: [pid_t])] { [] }

    public func started(unit: Int, pid: pid_t) {
        mainPIDs[unit] = pid
        // The child called setsid(): its pid is its session and process group id.
        lastSession[unit] = pid
    }

    public func mainExited(unit: Int) {
        mainPIDs[unit] = nil
    }

    public func release(unit: Int) {
        mainPIDs[unit] = nil
        lastSession[unit] = nil
        snapshot[unit] = nil
        known = known.filter { $0.value != unit }
    }

    /// From the last snapshot: the caller refreshes it (once per loop turn, not per question).
    public func contains(pid: pid_t, unit: Int) -> Bool {
        if mainPIDs[unit] == pid { return true }
        return snapshot[unit]?.contains(where: { $0.pid == pid }) ?? false
    }

    public func members(of unit: Int) -> [ProcessEntry] {
        snapshot[unit] ?? []
    }

    public func refresh() {
        let all = ProcFS.scan()
        var children: [pid_t: [ProcessEntry]] = [:]
        for e in all { children[e.ppid, default: []].append(e) }

        var owner: [pid_t: Int] = [:]
        var result: [Int: [ProcessEntry]] = [:]

        func claim(_ root: ProcessEntry, for unit: Int) {
            var stack = [root]
            while let e = stack.popLast() {
                if owner[e.pid] != nil { continue }
                owner[e.pid] = unit
                if !e.isZombie { result[unit, default: []].append(e) }
                stack.append(contentsOf: children[e.pid] ?? [])
            }
        }

        let byPID = Dictionary(all.map { ($0.pid, $0) }, uniquingKeysWith: { a, _ in a })
        // 1. Trees of live main processes.
        for (unit, pid) in mainPIDs {
            if let e = byPID[pid], e.ppid == daemonPID { claim(e, for: unit) }
        }
        // 2-4. Everything else directly below the daemon is an adopted orphan.
        let sessionOwner = Dictionary(lastSession.map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a })
        var unclaimed: [ProcessEntry] = []
        for e in children[daemonPID] ?? [] where owner[e.pid] == nil {
            if let unit = known[e.identity] ?? attributeByEnvironment(e) ?? sessionOwner[e.sid] {
                claim(e, for: unit)
            } else {
                unclaimed.append(e)
                claim(e, for: -1)
            }
        }
        // Processes remembered from earlier snapshots whose parent is not the daemon
        // (a worker whose parent is another orphan tree) are covered by the claims above.

        var nextKnown: [ProcessIdentity: Int] = [:]
        for (unit, entries) in result where unit >= 0 {
            for e in entries { nextKnown[e.identity] = unit }
        }
        known = nextKnown
        result[-1] = nil
        snapshot = result
        orphans = unclaimed.filter { !$0.isZombie }
        let live = Set(all.map(\.identity))
        unattributable = unattributable.filter { live.contains($0) }
    }

    private func attributeByEnvironment(_ e: ProcessEntry) -> Int? {
        if unattributable.contains(e.identity) { return nil }
        if let env = ProcFS.environment(pid: e.pid),
           let raw = env[ProcessTreeContainment.unitVariable] ?? env[ProcessTreeContainment.appIDVariable],
           let unit = Int(raw), mainPIDs[unit] != nil || lastSession[unit] != nil {
            return unit
        }
        unattributable.insert(e.identity)
        return nil
    }

    public static let appIDVariable = "SWISOR_APP_ID"
    /// Set beside SWISOR_APP_ID when a run's unit is not the app's id (the new run of a
    /// `reload`), so that its escaped processes are told from the old run's.
    public static let unitVariable = "SWISOR_UNIT"
}
