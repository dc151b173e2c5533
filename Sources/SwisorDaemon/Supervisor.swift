#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorSystem

/// Owns every app instance and drives its life: spawn, exit, termination of the whole
/// process tree, restart policy. Runs entirely on the event loop; every request
/// completes through a callback once the processes involved have really changed.
public final class Supervisor {
    let loop: EventLoop
    let home: Home
    let containment: Containment
    let log: DaemonLog
    /// The daemon's local time zone: cron schedules are in local time (SEMANTICS.md).
    let zone: TimeZoneRules
    private(set) var instances: [Int: Instance] = [:]
    /// Runs of a `reload` beside their instance, by unit: the new run until it is online,
    /// then the old one until it is stopped.
    var others: [Int: Instance] = [:]
    /// Units of reloads' new runs: far above any instance id, so the two never meet.
    var nextCandidateUnit = 1 << 40
    /// Called (on the loop) when an instance's status may have changed: the daemon keeps
    /// systemd's STATUS= line from it.
    var onStatusChange: (() -> Void)?
    /// `stopAll` began: nothing starts any more (a queued reload step included).
    private(set) var stoppingAll = false
    private var nextID = 0
    /// The log writer's loop side: routes, flush, reloadLogs.
    let logs: LogService

    private var rescanTimer: EventLoop.TimerID?
    private var sampleTimer: EventLoop.TimerID?
    private var lastRefreshMono: Int64 = 0
    private var lastSampleMono: Int64 = 0
    /// The loop turn of the last /proc snapshot; `.max` once a reap or a spawn made it
    /// stale.
    var snapshotTurn: UInt64 = .max

    /// While a termination runs, the process tree is re-read this often to catch
    /// processes forked after the signal and to see the last ones go.
    static let terminationPollMs: Int64 = 20
    /// CPU and memory of every app, and the memory watch, are read once per second.
    static let sampleIntervalMs: Int64 = 1000

    init(loop: EventLoop, home: Home, containment: Containment, log: DaemonLog, logs: LogService, zone: TimeZoneRules = .utc) {
        self.loop = loop
        self.logs = logs
        self.zone = zone
        self.home = home
        self.containment = containment
        self.log = log
    }

    var count: Int { instances.count }

    // MARK: Requests

    func list() -> [AppInfo] {
        instances.keys.sorted().map { instances[$0]!.info(detailed: false, snapshot: []) }
    }

    func resolve(_ target: String) -> [Instance] {
        let candidates = instances.values.map {
            TargetResolver.Candidate(id: $0.id, name: $0.spec.name, namespace: $0.spec.namespace)
        }
        return TargetResolver.resolve(target, in: candidates).compactMap { instances[$0] }
    }

    func describe(_ targets: [Instance]) -> [AppInfo] {
        refreshIfStale(maxAgeMs: 200)
        if monotonicMilliseconds() - lastSampleMono > 200 { updateAccounting() }
        return targets.map {
            $0.info(detailed: true, snapshot: containment.members(of: $0.unit), cgroup: containment.cgroupPath(of: $0.unit))
        }
    }

    /// `start` with apps from a file or a script: new names start, known names are
    /// restarted with the new options (PM2's semantics), scaled to the new instance
    /// count. Validation happens before anything changes: all or nothing.
    func start(specs: [AppSpec], completion: @escaping (Response) -> Void) {
        var seen = Set<String>()
        for spec in specs {
            if let problem = AppName.validate(spec.name) {
                return completion(.failure(.invalidApp, "app name \"\(spec.name)\": \(problem)"))
            }
            if !seen.insert(spec.name).inserted {
                return completion(.failure(.invalidApp, "app \"\(spec.name)\" is listed twice"))
            }
            if spec.instances < 1 || spec.argv.isEmpty || !spec.cwd.hasPrefix("/") {
                return completion(.failure(.invalidApp, "app \"\(spec.name)\": incomplete specification"))
            }
            // A limit the host cannot enforce is an error before anything starts, never
            // a silent no-op.
            if let problem = containment.check(spec.limits) {
                return completion(.failure(.invalidApp, "app \"\(spec.name)\": \(problem)"))
            }
        }
        var touched: [Int] = []
        var messages: [String] = []
        let group = Countdown { [unowned self] in
            let infos = touched.compactMap { self.instances[$0]?.info(detailed: false, snapshot: []) }
            completion(Response(apps: infos, messages: messages))
        }
        for spec in specs {
            let existing = instances.values.filter { $0.spec.name == spec.name }.sorted { $0.id < $1.id }
            for (i, inst) in existing.enumerated() {
                if i < spec.instances {
                    inst.spec = spec
                    inst.cron = Instance.parseCron(spec)
                    loop.cancel(inst.cronTimer)
                    inst.cronTimer = nil
                    touched.append(inst.id)
                    group.enter()
                    restart(inst, reason: "manual") { group.leave() }
                } else {
                    group.enter()
                    settle(inst, desired: .delete) { group.leave() }
                }
            }
            if !existing.isEmpty {
                messages.append("\(spec.name): known, restarted with the new options")
            }
            for index in existing.count..<max(existing.count, spec.instances) {
                let inst = create(spec: spec, index: index)
                touched.append(inst.id)
                if spec.autostart {
                    launch(inst, event: "start", reason: nil)
                } else {
                    inst.statusReason = inst.cron != nil
                        ? "autostart is off: waiting for its first cron run" : "autostart is off: waiting for a start"
                    inst.record("added", inst.statusReason)
                }
                scheduleCron(inst)
            }
        }
        group.arm()
    }

    /// A relaunch for `start <target>`: a start, not a restart, so it is not counted.
    static let startReason = "start"
    /// A relaunch because the app outgrew max_memory_restart: counted, but not a
    /// manual restart, so the crash-loop count and the backoff carry on.
    static let memoryReason = "memory"
    /// A cron tick (or `trigger`) of a running app: a counted restart.
    static let cronReason = "cron"
    /// A cron tick (or `trigger`) of a stopped, exited or errored app: a start.
    static let cronStartReason = "cron start"
    /// The run missed its watchdog_sec (or sent WATCHDOG=trigger): ended, and then judged
    /// by the restart policy as a crash (it counts towards max_restarts).
    static let watchdogReason = "watchdog"

    /// `start <target>`: starts what is not running; leaves running instances alone.
    func startExisting(_ targets: [Instance], completion: @escaping () -> Void) {
        let idle = targets.filter { $0.pid == nil || $0.desired != .run }
        forEach(idle, completion) { self.restart($0, reason: Supervisor.startReason, then: $1) }
    }

    func restart(_ targets: [Instance], completion: @escaping () -> Void) {
        forEach(targets, completion) { self.restart($0, reason: "manual", then: $1) }
    }

    func stop(_ targets: [Instance], completion: @escaping () -> Void) {
        forEach(targets, completion) { self.settle($0, desired: .stop, then: $1) }
    }

    func delete(_ targets: [Instance], completion: @escaping () -> Void) {
        forEach(targets, completion) { self.settle($0, desired: .delete, then: $1) }
    }

    /// `trigger`: what a cron tick does, now.
    func trigger(_ targets: [Instance], completion: @escaping () -> Void) {
        forEach(targets, completion) { self.cronTick($0, event: "trigger", then: $1) }
    }

    /// `reset`: zero the restart counters and the backoff; the processes are untouched.
    func reset(_ targets: [Instance]) {
        for inst in targets {
            inst.restarts = 0
            inst.policy = RestartPolicy.History()
            inst.record("reset", "restart counters set to 0")
        }
    }

    /// Runs `operation` on every instance; `completion` once all have called back.
    private func forEach(_ targets: [Instance], _ completion: @escaping () -> Void,
                         _ operation: (Instance, @escaping () -> Void) -> Void) {
        let group = Countdown(completion)
        for inst in targets {
            group.enter()
            operation(inst) { group.leave() }
        }
        group.arm()
    }

    /// Stops every app, and the processes of reloads in progress, before `completion`.
    func stopAll(completion: @escaping () -> Void) {
        stoppingAll = true
        stop(instances.values.sorted { $0.id < $1.id }) { [unowned self] in
            let group = Countdown(completion)
            for run in self.others.values {
                group.enter()
                self.terminate(run, requested: true) { group.leave() }
            }
            group.arm()
        }
    }

    // MARK: Life of an instance

    private func create(spec: AppSpec, index: Int) -> Instance {
        let id = nextID
        nextID += 1
        let route = logs.makeRoute(id: id) { [unowned self] problem in
            // Reported by the writer once per failure, not per line.
            self.instances[id]?.record("log", problem)
            self.log.warning("app \(spec.name) (id \(id)): \(problem)")
        }
        let inst = Instance(id: id, spec: spec, index: index, logs: route)
        inst.statusObserver = { [unowned self] in self.onStatusChange?() }
        instances[id] = inst
        return inst
    }

    func restart(_ inst: Instance, reason: String, then done: @escaping () -> Void) {
        settle(inst, desired: .run, relaunchReason: reason, then: done)
    }

    /// Every user request on one instance: record what is wanted, drop a scheduled
    /// restart, and end the current processes; `finishTermination` then acts on
    /// `desired` (and `relaunchReason`), whatever was running or pending before.
    func settle(_ inst: Instance, desired: Instance.Desired, relaunchReason: String? = nil,
                        then done: @escaping () -> Void) {
        inst.desired = desired
        inst.relaunchReason = relaunchReason
        inst.generation += 1
        cancelScheduledRestart(inst)
        // A reload in progress yields to any later request on the instance.
        for c in others.values where c.origin === inst && c.role == .candidate {
            candidateFailed(c, "interrupted by a \(relaunchReason ?? "\(desired)") request")
        }
        switch desired {
        case .stop, .delete:
            // `stop` pauses the schedule until the next start/restart (PM2 keeps firing).
            inst.cronPaused = true
            cancelCron(inst)
        case .run:
            if relaunchReason == "manual" || relaunchReason == Supervisor.startReason {
                inst.cronPaused = false
                if inst.cronTimer == nil { scheduleCron(inst) }
            }
        }
        terminate(inst, requested: true, then: done)
    }

    // MARK: Cron

    /// Longest single wait: the wall clock is checked again at least this often, so a
    /// clock set forward or back (NTP, an operator) moves the next run with it.
    static let cronRecheckMs: Int64 = 60_000

    private func scheduleCron(_ inst: Instance, after floorSeconds: Int64? = nil) {
        cancelCron(inst)
        guard let cron = inst.cron, !inst.cronPaused, inst.desired != .delete else { return }
        let nowMs = wallClockMilliseconds()
        let from = max(nowMs / 1000, floorSeconds ?? Int64.min)
        guard let next = cron.nextFire(after: from, in: zone) else { return }
        inst.nextCronAt = next * 1000
        arm(inst, at: next)
    }

    private func arm(_ inst: Instance, at next: Int64) {
        let wait = next * 1000 - wallClockMilliseconds()
        inst.cronTimer = loop.schedule(afterMilliseconds: min(max(0, wait), Supervisor.cronRecheckMs)) { [weak self, weak inst] in
            guard let self, let inst else { return }
            inst.cronTimer = nil
            if wallClockMilliseconds() < next * 1000 {
                // Woken early to look at the clock again (or it was set back): wait on.
                self.arm(inst, at: next)
                return
            }
            self.cronTick(inst, event: "cron") {}
            self.scheduleCron(inst, after: next)
        }
    }

    private func cancelCron(_ inst: Instance) {
        loop.cancel(inst.cronTimer)
        inst.cronTimer = nil
        inst.nextCronAt = nil
    }

    /// A tick restarts a running app, or starts a stopped, exited or errored one (how
    /// PM2 users run scheduled jobs). Either way through the graceful stop first.
    private func cronTick(_ inst: Instance, event: String, then done: @escaping () -> Void) {
        let running = inst.pid != nil || inst.termination != nil
        inst.record(event, running ? "restarting the running app" : "starting the app")
        settle(inst, desired: .run, relaunchReason: running ? Supervisor.cronReason : Supervisor.cronStartReason, then: done)
    }

    func cancelScheduledRestart(_ inst: Instance) {
        loop.cancel(inst.restartTimer)
        inst.restartTimer = nil
        inst.nextRestartAt = nil
    }

    /// Spawns the main process. A failure to exec is final for this attempt: the
    /// instance is `errored` with the reason, never reported as started.
    func launch(_ inst: Instance, event: String, reason: String?) {
        guard inst.pid == nil, inst.termination == nil else {
            // Unreachable by construction; never worth taking every app down for.
            log.warning("app \(inst.spec.name) (id \(inst.id)): launch while running ignored")
            return
        }
        inst.status = .launching
        inst.statusReason = nil
        inst.pendingExit = nil
        inst.failureReason = nil
        inst.run.watchdogMs = inst.spec.watchdogMs
        inst.relaunchReason = nil
        inst.desired = .run
        inst.logs.configure(spec: inst.spec, index: inst.index)
        let out: Pipe, err: Pipe
        do {
            out = try Pipe.make()
            do { err = try Pipe.make() } catch {
                out.readEnd.close(); out.writeEnd.close()
                throw error
            }
        } catch {
            fail(inst, "cannot create pipes: \(error)")
            return
        }
        let cgroups: [FileDescriptor]
        do {
            try openNotifySocket(inst)
            cgroups = try containment.prepare(unit: inst.unit, id: inst.id, name: inst.spec.name, limits: inst.spec.limits)
        } catch {
            for fd in [out.readEnd, out.writeEnd, err.readEnd, err.writeEnd] { fd.close() }
            fail(inst, error.message)
            return
        }
        let request = SpawnRequest(argv: inst.spec.argv, environment: inst.environment, cwd: inst.spec.cwd,
                                   stdout: out.writeEnd, stderr: err.writeEnd, cgroupProcs: cgroups)
        let result: Result<pid_t, SpawnError>
        do { result = .success(try Spawner.spawn(request)) } catch { result = .failure(error) }
        out.writeEnd.close()
        err.writeEnd.close()
        for fd in cgroups { fd.close() }

        switch result {
        case .failure(let error):
            out.readEnd.close()
            err.readEnd.close()
            _ = containment.finished(unit: inst.unit)
            fail(inst, error.description)
        case .success(let pid):
            inst.pid = pid
            snapshotTurn = .max
            inst.runStartedMono = monotonicMilliseconds()
            inst.runStartedWall = wallClockMilliseconds()
            inst.lastCPUMicros = 0
            inst.lastSampleMono = 0
            inst.oomSeen = 0
            containment.started(unit: inst.unit, pid: pid)
            do {
                try inst.logs.attach(out.readEnd, stream: .out, loop: loop)
                try inst.logs.attach(err.readEnd, stream: .err, loop: loop)
            } catch {
                log.warning("app \(inst.spec.name) (id \(inst.id)): cannot watch its output: \(error)")
            }
            inst.record(event, reason)
            ensureSampling()
            if inst.spec.waitsForReady {
                // Online once it says READY=1, or at listen_timeout (SEMANTICS.md, "Readiness").
                armReadyTimeout(inst)
            } else if inst.role == .candidate {
                // A reload's new process that cannot say it is ready must at least stay up
                // for min_uptime before the old one is stopped for it.
                armSurvivalTimeout(inst)
            } else {
                becameOnline(inst, how: nil)
            }
        }
    }

    private func fail(_ inst: Instance, _ reason: String) {
        if inst.role == .candidate {
            candidateFailed(inst, "could not start: \(reason)")
            return
        }
        inst.status = .errored
        inst.statusReason = reason
        inst.record("errored", reason)
        log.warning("app \(inst.spec.name) (id \(inst.id)) could not start: \(reason)")
    }

    // MARK: Exits

    /// SIGCHLD: reap every child that exited. Apps' main processes go through the
    /// exit path; anything else is an adopted orphan, reaped so no zombie stays.
    func reap() {
        let reaped = ProcessControl.reapAll()
        guard !reaped.isEmpty else { return }
        snapshotTurn = .max
        var byPID: [pid_t: Instance] = [:]
        for inst in instances.values { if let p = inst.pid { byPID[p] = inst } }
        for inst in others.values { if let p = inst.pid { byPID[p] = inst } }
        for r in reaped {
            switch r {
            case .exited(let pid, let code):
                if let inst = byPID[pid] { mainExited(inst, code: code, signal: nil) }
            case .signaled(let pid, let sig):
                if let inst = byPID[pid] { mainExited(inst, code: nil, signal: sig) }
            }
        }
        // A reaped main process may have been the last one of its app: with cgroups, look
        // now, not at the next poll (`populated 0` may have come while it was a zombie).
        // Without, a look is a /proc scan: the poll batches them (`stop all`).
        if instances.values.contains(where: { $0.termination != nil }) || others.values.contains(where: { $0.termination != nil }) {
            if containment.knowsEmptinessExactly { rescanNow() } else { rescanSoon() }
        }
    }

    private func mainExited(_ inst: Instance, code: Int32?, signal: Int32?) {
        let now = monotonicMilliseconds()
        let requested = inst.termination?.requested ?? false
        var exit = ExitInfo(
            code: code,
            signal: signal.map { Signal(number: $0)?.name ?? "signal \($0)" },
            at: wallClockMilliseconds(),
            runMs: now - inst.runStartedMono,
            requested: requested
        )
        // The OOM killer sends SIGKILL; a kill counted in the app's own cgroup that no
        // sampler tick has attributed to another process yet is this one.
        if signal == SIGKILL, let kills = containment.oomKills(inst.unit), kills > inst.oomSeen {
            inst.oomSeen = kills
            exit.oom = true
        }
        inst.pid = nil
        inst.lastExit = exit
        stopHealthTimers(inst)
        containment.mainExited(unit: inst.unit)
        inst.record("exit", exit.summary + (requested ? " (stop requested)" : ""))
        if inst.termination == nil {
            // Exited by itself: stop whatever it left behind, then apply the policy,
            // so a new main process never meets its predecessor's workers.
            inst.pendingExit = exit
            terminate(inst, requested: false) {}
        } else if inst.failureReason != nil && !requested {
            // Ended by swisor for its health (watchdog): the policy decides, as after a crash.
            inst.pendingExit = exit
        }
    }

    private func applyRestartPolicy(_ inst: Instance, exit: ExitInfo) {
        let outcome = RestartPolicy.decide(spec: inst.spec, exit: exit, history: inst.policy)
        inst.policy = outcome.history
        let reason = inst.failureReason ?? (exit.oom == true ? "oom" : exit.signal.map { "signal \($0)" } ?? "exit code \(exit.code ?? -1)")
        inst.failureReason = nil
        switch outcome.decision {
        case .restart(let delay):
            inst.restarts += 1
            if delay <= 0 {
                launch(inst, event: "restart", reason: reason)
            } else {
                inst.status = .waitingRestart
                inst.nextRestartAt = wallClockMilliseconds() + Int64(delay)
                inst.record("waiting restart", "\(reason); restart in \(delay) ms")
                inst.restartTimer = loop.schedule(afterMilliseconds: Int64(delay)) { [unowned self, weak inst] in
                    guard let inst else { return }
                    inst.restartTimer = nil
                    inst.nextRestartAt = nil
                    guard inst.desired == .run, inst.status == .waitingRestart else { return }
                    self.launch(inst, event: "restart", reason: reason)
                }
            }
        case .stop(let why):
            inst.status = .stopped
            inst.statusReason = "exited by itself: \(why)"
            inst.record("stopped", inst.statusReason)
        case .giveUp(let why):
            inst.status = .errored
            inst.statusReason = why
            inst.record("errored", why)
            log.warning("app \(inst.spec.name) (id \(inst.id)) errored: \(why)")
        }
    }

    // MARK: Termination of a whole tree

    /// Signals every process of the instance with kill_signal (and SIGCONT), SIGKILLs
    /// what is left after kill_timeout, and finishes only when none is left.
    func terminate(_ inst: Instance, requested: Bool, then done: @escaping () -> Void) {
        inst.waiters.append(done)
        stopHealthTimers(inst)
        if inst.termination != nil {
            if requested { inst.termination?.requested = true }
            return
        }
        inst.termination = Instance.Termination(requested: requested)
        if inst.pid != nil || inst.status == .launching || inst.status == .online {
            inst.status = .stopping
        }
        let timeout = Int64(max(0, inst.spec.killTimeoutMs))
        inst.termination?.killTimer = loop.schedule(afterMilliseconds: timeout) { [unowned self, weak inst] in
            guard let inst, inst.termination != nil else { return }
            inst.termination?.killTimer = nil
            inst.termination?.killing = true
            if inst.pid != nil || !self.containment.members(of: inst.unit).isEmpty {
                inst.record("kill", "still running after kill_timeout \(inst.spec.killTimeoutMs) ms: SIGKILL")
            }
            self.rescanNow()
        }
        containment.watchEmpty(inst.unit, loop: loop) { [unowned self] in
            // The cgroup's `populated` changed: the last process may be gone.
            self.snapshotTurn = .max
            self.rescanNow()
        }
        refreshOncePerTurn()
        signalRound(inst)
        if inst.termination != nil { rescanSoon() }
    }

    /// One pass over the instance's current processes.
    private func signalRound(_ inst: Instance) {
        guard var t = inst.termination else { return }
        let members = containment.members(of: inst.unit)
        if inst.pid == nil && containment.isEmpty(inst.unit) {
            finishTermination(inst)
            return
        }
        let sig = inst.spec.killSignal.number
        // kill_mode mixed: the main process alone gets kill_signal; the rest get
        // SIGKILL once it is gone (or at the timeout).
        let mixedWaitingForMain = inst.spec.killMode == .mixed && inst.pid != nil
        let killEveryone = t.killing || (inst.spec.killMode == .mixed && inst.pid == nil)
        // The kernel kills a whole cgroup at once, forks in flight included.
        if killEveryone && containment.killAll(inst.unit) {
            inst.termination = t
            return
        }
        for m in members {
            if killEveryone {
                _ = ExactSignal.send(SIGKILL, to: m.identity)
            } else if !t.signalled.contains(m.identity) {
                if mixedWaitingForMain && m.pid != inst.pid { continue }
                _ = ExactSignal.send(sig, to: m.identity)
                _ = ExactSignal.send(SIGCONT, to: m.identity)
                t.signalled.insert(m.identity)
            }
        }
        inst.termination = t
    }

    private func finishTermination(_ inst: Instance) {
        guard let t = inst.termination else { return }
        loop.cancel(t.killTimer)
        inst.termination = nil
        let waiters = inst.waiters
        inst.waiters = []
        containment.unwatch(inst.unit, loop: loop)
        if let kills = containment.oomKills(inst.unit), kills > inst.oomSeen {
            let what = "the kernel's OOM killer ended \(kills - inst.oomSeen) process(es) of the app"
            inst.record("oom", what + (inst.spec.memoryMaxBytes.map { " (memory_max \(Supervisor.mebibytes(Int64(clamping: $0))))" } ?? ""))
            inst.oomSeen = kills
        }
        if let problem = containment.finished(unit: inst.unit) {
            inst.record("cgroup", problem)
            log.warning("app \(inst.spec.name) (id \(inst.id)): \(problem)")
        }
        if inst.role != .current {
            // A reload's run: its new process died before it was online (the old one
            // keeps serving), or its old one is gone now that the new one serves.
            endSideRun(inst)
            for w in waiters { w() }
            return
        }

        switch inst.desired {
        case .delete:
            inst.status = .stopped
            inst.statusReason = "deleted"
            inst.logs.close()
            closeNotifySocket(inst)
            instances[inst.id] = nil
            containment.release(unit: inst.unit)
        case .stop:
            inst.status = .stopped
            inst.statusReason = "stopped by request"
            inst.record("stopped", "by request")
        case .run:
            if let reason = inst.relaunchReason {
                // A manual restart (or a cron run) is a fresh start for the crash-loop
                // count and the backoff (SEMANTICS.md); a memory restart is not.
                if reason != Supervisor.memoryReason { inst.policy = RestartPolicy.History() }
                switch reason {
                case Supervisor.startReason:
                    launch(inst, event: "start", reason: nil)
                case Supervisor.cronStartReason:
                    launch(inst, event: "start", reason: "cron")
                default:
                    inst.restarts += 1
                    launch(inst, event: "restart", reason: reason)
                }
            } else if let exit = inst.pendingExit {
                inst.pendingExit = nil
                applyRestartPolicy(inst, exit: exit)
            }
        }
        for w in waiters { w() }
    }

    /// Skips the rest of every running kill_timeout: SIGKILL now.
    func killRemaining() {
        for inst in Array(instances.values) + Array(others.values) where inst.termination != nil {
            loop.cancel(inst.termination?.killTimer)
            inst.termination?.killTimer = nil
            inst.termination?.killing = true
        }
        rescanNow()
    }

    func rescanNow() {
        refreshOncePerTurn()
        for inst in instances.values.sorted(by: { $0.id < $1.id }) where inst.termination != nil {
            signalRound(inst)
        }
        for inst in others.values.sorted(by: { $0.unit < $1.unit }) where inst.termination != nil {
            signalRound(inst)
        }
        if instances.values.contains(where: { $0.termination != nil }) || others.values.contains(where: { $0.termination != nil }) {
            rescanSoon()
        }
    }

    /// Coalesces re-reads of the process tree: one scan serves every terminating
    /// instance (`stop all` of 100 apps is one /proc walk per round, not 100).
    private func rescanSoon() {
        guard rescanTimer == nil else { return }
        rescanTimer = loop.schedule(afterMilliseconds: Supervisor.terminationPollMs) { [unowned self] in
            self.rescanTimer = nil
            self.rescanNow()
        }
    }

    // MARK: Accounting

    func refresh() {
        containment.refresh()
        lastRefreshMono = monotonicMilliseconds()
        snapshotTurn = loop.turn
    }

    /// The snapshot termination decisions need: `stop all` of 100 apps is one /proc walk,
    /// not 100. Reusing one from the same turn is safe because a reap or a spawn since
    /// invalidates it, and a process that was already gone when it was taken cannot have
    /// forked since: "no process left" in it is still true.
    func refreshOncePerTurn() {
        if snapshotTurn != loop.turn { refresh() }
    }

    /// A recent snapshot serves again, unless a spawn or a reap since made it stale
    /// (a describe right after a start must see the new processes).
    private func refreshIfStale(maxAgeMs: Int64) {
        if snapshotTurn == .max || monotonicMilliseconds() - lastRefreshMono > maxAgeMs { refresh() }
    }

    private func updateAccounting() {
        let now = monotonicMilliseconds()
        let running = instances.values.filter { $0.pid != nil || $0.termination != nil }
        let usage = containment.sample(units: running.map(\.unit))
        for inst in instances.values {
            guard let u = usage[inst.unit] else {
                inst.cpu = 0
                inst.memory = 0
                inst.processCount = 0
                continue
            }
            inst.memory = u.memoryBytes
            inst.processCount = u.processes
            if inst.lastSampleMono > 0 && now > inst.lastSampleMono && u.cpuMicroseconds >= inst.lastCPUMicros {
                let cpuMs = Double(u.cpuMicroseconds - inst.lastCPUMicros) / 1000
                inst.cpu = (cpuMs / Double(now - inst.lastSampleMono) * 1000).rounded() / 10
            } else {
                inst.cpu = 0
            }
            inst.lastCPUMicros = u.cpuMicroseconds
            inst.lastSampleMono = now
        }
        lastSampleMono = now
    }

    /// Samples once a second while any app runs; stops sampling when none does, so an
    /// idle daemon wakes up for nothing.
    private func ensureSampling() {
        guard sampleTimer == nil else { return }
        sampleTimer = loop.schedule(afterMilliseconds: Supervisor.sampleIntervalMs) { [unowned self] in
            self.sampleTimer = nil
            guard self.instances.values.contains(where: { $0.pid != nil }) else {
                self.updateAccountingIdle()
                return
            }
            if monotonicMilliseconds() - self.lastSampleMono > Supervisor.sampleIntervalMs / 2 {
                self.updateAccounting()
            }
            self.checkOOMKills()
            self.checkMemoryLimits()
            self.ensureSampling()
        }
    }

    /// max_memory_restart over the whole app: the memory of every process of it in
    /// the last sample (at most a second old), not the main pid's RSS as PM2 reads
    /// it. Runs from the sampler only, never from inside a termination's refresh.
    private func checkMemoryLimits() {
        for inst in instances.values.sorted(by: { $0.id < $1.id }) {
            guard let limit = inst.spec.maxMemoryRestartBytes, inst.status == .online,
                  inst.termination == nil, inst.pid != nil, inst.memory > Int64(clamping: limit) else { continue }
            // The sample may carry a page-cache figure up to ten seconds old: decide on
            // a fresh one.
            if let fresh = containment.freshMemory(of: inst.unit) {
                inst.memory = fresh
                guard fresh > Int64(clamping: limit) else { continue }
            }
            let why = "\(Supervisor.mebibytes(inst.memory)) in \(inst.processCount) process(es) exceeds max_memory_restart \(Supervisor.mebibytes(Int64(clamping: limit)))"
            inst.record("memory", why)
            log.warning("app \(inst.spec.name) (id \(inst.id)): \(why): restarting")
            settle(inst, desired: .run, relaunchReason: Supervisor.memoryReason) {}
        }
    }

    /// A process of the app killed by the kernel inside the app's memory limit, while
    /// the app goes on (a worker, not the main process): recorded as reason `oom`.
    private func checkOOMKills() {
        for inst in instances.values where inst.pid != nil && inst.termination == nil && inst.spec.memoryMaxBytes != nil {
            guard let kills = containment.oomKills(inst.unit), kills > inst.oomSeen else { continue }
            let why = "the kernel's OOM killer ended \(kills - inst.oomSeen) process(es) of the app at memory_max \(Supervisor.mebibytes(Int64(clamping: inst.spec.memoryMaxBytes ?? 0)))"
            inst.oomSeen = kills
            inst.record("oom", why)
            log.warning("app \(inst.spec.name) (id \(inst.id)): \(why)")
        }
    }

    static func mebibytes(_ bytes: Int64) -> String {
        let tenths = bytes * 10 / (1024 * 1024)
        return "\(tenths / 10).\(tenths % 10) MiB"
    }

    private func updateAccountingIdle() {
        for inst in instances.values {
            inst.cpu = 0
            inst.memory = 0
            inst.processCount = 0
        }
    }
}

/// Calls `done` once every `enter()` has been matched by a `leave()`, and not before
/// `arm()`: lets a request wait for several instances, some of which finish at once.
final class Countdown {
    private var pending = 0
    private var armed = false
    private var done: (() -> Void)?

    init(_ done: @escaping () -> Void) { self.done = done }

    func enter() { pending += 1 }

    func leave() {
        pending -= 1
        fire()
    }

    func arm() {
        armed = true
        fire()
    }

    private func fire() {
        guard armed, pending == 0, let d = done else { return }
        done = nil
        d()
    }
}
