#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorSystem

/// Carries out the stops the instance machines decide: signals every process of a unit
/// with kill_signal (and SIGCONT), SIGKILLs what is left once told to (kill_timeout is
/// the machine's timer), and reports the unit empty once its main process was reaped
/// and no process is left (docs/semantics.md, "Stopping"). One snapshot of the process
/// tree serves every unit being stopped in a round (`stop all` of 100 apps is one /proc
/// walk per round, not 100).
final class Terminator {
    private struct Job {
        unowned let instance: Instance
        var signalled: Set<ProcessIdentity> = []
        var killing = false
    }

    private let loop: EventLoop
    private let containment: Containment
    private let log: DaemonLog
    let snapshot: ProcessSnapshot
    private let onEmpty: (Int) -> Void
    private var jobs: [Int: Job] = [:]
    private var rescanTimer: EventLoop.TimerID?
    /// Escalations leave the rescan to the caller (a second SIGTERM escalates every unit
    /// at once: one rescan after all of them).
    var deferRescans = false

    /// While a stop runs, the process tree is re-read this often to catch processes
    /// forked after the signal and to see the last ones go.
    static let pollMs: Int64 = 20

    init(loop: EventLoop, containment: Containment, log: DaemonLog, onEmpty: @escaping (Int) -> Void) {
        self.loop = loop
        self.containment = containment
        self.log = log
        self.snapshot = ProcessSnapshot(loop: loop, containment: containment)
        self.onEmpty = onEmpty
    }

    func isStopping(_ unit: Int) -> Bool { jobs[unit] != nil }

    /// Begins the stop of `unit`'s processes; a unit already being stopped goes on.
    func begin(unit: Int, of inst: Instance) {
        guard jobs[unit] == nil else { return }
        jobs[unit] = Job(instance: inst)
        // The settling stop before every start (nothing of an earlier run may be left)
        // usually finds nothing: with cgroups the kernel says so, without a scan.
        if inst.runs[unit]?.pid == nil && containment.knowsEmptinessExactly && containment.isEmpty(unit) {
            return finish(unit)
        }
        containment.watchEmpty(unit, loop: loop) { [unowned self] in
            // The cgroup's `populated` changed: its last process may be gone. Only this
            // unit is looked at (100 apps stopping at once get 100 of these).
            self.snapshot.invalidate()
            self.snapshot.refreshOncePerTurn()
            self.round(unit)
        }
        snapshot.refreshOncePerTurn()
        round(unit)
        if jobs[unit] != nil { rescanSoon() }
    }

    /// kill_timeout passed (or a second SIGTERM at shutdown): SIGKILL on every round.
    func escalate(unit: Int, note: String) {
        guard let job = jobs[unit] else { return }
        jobs[unit]?.killing = true
        if job.instance.runs[unit]?.pid != nil || !containment.members(of: unit).isEmpty {
            job.instance.record("kill", note)
        }
        if !deferRescans { rescanNow() }
    }

    func rescanNow() {
        snapshot.refreshOncePerTurn()
        for unit in jobs.keys.sorted() { round(unit) }
        if !jobs.isEmpty { rescanSoon() }
    }

    /// A reaped main process may have been the last one of its unit: with cgroups, look
    /// at those units now, not at the next poll (`populated 0` may have come while it
    /// was a zombie). Without, a look is a /proc scan: the poll batches them (`stop all`).
    func mainReaped(units: [Int]) {
        guard !jobs.isEmpty else { return }
        guard containment.knowsEmptinessExactly else { return rescanSoon() }
        snapshot.refreshOncePerTurn()
        for unit in units.sorted() where jobs[unit] != nil { round(unit) }
    }

    /// Coalesces re-reads of the process tree: one scan serves every unit being stopped.
    private func rescanSoon() {
        guard rescanTimer == nil else { return }
        rescanTimer = loop.schedule(afterMilliseconds: Terminator.pollMs) { [unowned self] in
            self.rescanTimer = nil
            self.rescanNow()
        }
    }

    /// One pass over the unit's current processes.
    private func round(_ unit: Int) {
        guard var job = jobs[unit] else { return }
        let inst = job.instance
        let mainPID = inst.runs[unit]?.pid
        if mainPID == nil && containment.isEmpty(unit) {
            finish(unit)
            return
        }
        let plan = TerminationRound(killMode: inst.spec.killMode, killing: job.killing, mainAlive: mainPID != nil)
        // The kernel kills a whole cgroup at once, forks in flight included.
        if plan.killEveryone && containment.killAll(unit) { return }
        let sig = inst.spec.killSignal.number
        for m in containment.members(of: unit) {
            if plan.killEveryone {
                _ = ExactSignal.send(SIGKILL, to: m.identity)
            } else if !job.signalled.contains(m.identity) {
                if plan.mainOnly && m.pid != mainPID { continue }
                _ = ExactSignal.send(sig, then: SIGCONT, to: m.identity)
                job.signalled.insert(m.identity)
            }
        }
        jobs[unit] = job
    }

    private func finish(_ unit: Int) {
        guard let job = jobs.removeValue(forKey: unit) else { return }
        let inst = job.instance
        containment.unwatch(unit, loop: loop)
        if let kills = containment.oomKills(unit), kills > (inst.runs[unit]?.oomSeen ?? 0) {
            let seen = inst.runs[unit]?.oomSeen ?? 0
            let what = "the kernel's OOM killer ended \(kills - seen) process(es) of the app"
            inst.record("oom", what + (inst.spec.memoryMaxBytes.map { " (memory_max \(Sampler.mebibytes(Int64(clamping: $0))))" } ?? ""))
            inst.runs[unit]?.oomSeen = kills
        }
        // The cgroup of an app without memory options is kept for its next run (a
        // restart reuses it: no rmdir and mkdir in a respawn); one with memory options
        // gets a new one each run, so that no page cache charged to an earlier run
        // counts against the next. A stop or a delete removes it before it is answered;
        // after an exit the policy may stop there, and the Supervisor removes it then.
        let parked = unit == inst.unit && inst.spec.reusesCgroup && inst.machine.mayRunAfterStop
            && containment.park(unit: unit)
        if !parked, let problem = containment.finished(unit: unit) {
            inst.record("cgroup", problem)
            log.warning("app \(inst.spec.name) (id \(inst.id)): \(problem)")
        }
        onEmpty(unit)
    }
}

/// The containment's snapshot of the process tree, taken at most once per loop turn for
/// the decisions that need one, and again when a reap or a spawn made it stale.
final class ProcessSnapshot {
    private let loop: EventLoop
    private let containment: Containment
    private var turn: UInt64 = .max
    private var lastMono: Int64 = 0

    init(loop: EventLoop, containment: Containment) {
        self.loop = loop
        self.containment = containment
    }

    func refresh() {
        containment.refresh()
        lastMono = monotonicMilliseconds()
        turn = loop.turn
    }

    /// A reap or a spawn since the last snapshot: it no longer tells who is there.
    func invalidate() { turn = .max }

    /// Reusing a snapshot from the same turn is safe because a reap or a spawn since
    /// invalidates it, and a process that was already gone when it was taken cannot have
    /// forked since: "no process left" in it is still true.
    func refreshOncePerTurn() {
        if turn != loop.turn { refresh() }
    }

    /// A recent snapshot serves again, unless a spawn or a reap since made it stale
    /// (a describe right after a start must see the new processes).
    func refreshIfStale(maxAgeMs: Int64) {
        if turn == .max || monotonicMilliseconds() - lastMono > maxAgeMs { refresh() }
    }
}
