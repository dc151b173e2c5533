#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorSystem

/// The registry of app instances, the facade requests come through, and the executor of
/// what their life-cycle machines decide (SwisorCore/InstanceMachine.swift). Nothing here
/// decides a transition: events go to an instance's machine, and its actions are carried
/// out against the spawner (`Launcher`), the stops of process trees (`Terminator`), the
/// loop's timers and the waiting replies. Runs entirely on the event loop; every request
/// completes through a callback once the processes involved have really changed.
public final class Supervisor {
    let loop: EventLoop
    let home: Home
    let containment: Containment
    let log: DaemonLog
    /// The daemon's local time zone: cron schedules are in local time.
    let zone: TimeZoneRules
    /// Every instance, deleted ones included until nothing of theirs is left running
    /// (`visible` is what users see).
    private(set) var instances: [Int: Instance] = [:]
    /// Which instance a unit (a run) belongs to.
    private var owners: [Int: Instance] = [:]
    /// Units of reloads' new runs: far above any instance id, so the two never meet.
    private var nextCandidateUnit = 1 << 40
    /// Called (on the loop) when an instance's status may have changed: the daemon keeps
    /// systemd's STATUS= line from it.
    var onStatusChange: (() -> Void)?
    /// `stopAll` began: nothing starts any more (a queued reload step included).
    private(set) var stoppingAll = false
    private var nextID = 0
    /// The log writer's loop side: routes, flush, reloadLogs.
    let logs: LogService
    /// The stops of process trees in progress.
    private(set) var terminator: Terminator!
    /// CPU, memory, the memory watch and OOM kills.
    private(set) var sampler: Sampler!
    /// Events waiting for their machine: handled one at a time, in order, so a machine
    /// never sees an event while it handles another.
    private var pending: [(Instance, InstanceMachine.Event)] = []
    private var draining = false
    /// Waiting for every run beside an instance to be gone (`stopAll`).
    private var sidesDrained: (() -> Void)?

    init(loop: EventLoop, home: Home, containment: Containment, log: DaemonLog, logs: LogService, zone: TimeZoneRules = .utc) {
        self.loop = loop
        self.logs = logs
        self.zone = zone
        self.home = home
        self.containment = containment
        self.log = log
        self.terminator = Terminator(loop: loop, containment: containment, log: log) { [unowned self] unit in
            guard let inst = self.owners[unit] else { return }
            self.post(.treeEmpty(unit: unit), to: inst)
        }
        self.sampler = Sampler(containment: containment, loop: loop, supervisor: self)
    }

    /// The instances users see, in id order (ids only grow: a new one is appended): each
    /// until its machine is deleted. `list` and `ping` read this without asking a
    /// machine per instance, each ask being a copy of it.
    private(set) var visible: [Instance] = []

    var count: Int { visible.count }

    // MARK: Requests

    /// RLIMIT_NOFILE for the apps, when the daemon raised its own (FileLimits).
    var appFileLimit: rlimit?

    /// Usage read at most a second ago (Sampler.freshen): 200 `list`s in a row read the
    /// cgroups once.
    func list() -> [AppInfo] {
        sampler.freshen(visible, maxAgeMs: 1000)
        return visible.map { $0.info(detailed: false, snapshot: []) }
    }

    func resolve(_ target: String) -> [Instance] {
        let shown = visible
        let candidates = shown.map {
            TargetResolver.Candidate(id: $0.id, name: $0.spec.name, namespace: $0.spec.namespace)
        }
        return TargetResolver.resolve(target, in: candidates).compactMap { instances[$0] }
    }

    func describe(_ targets: [Instance]) -> [AppInfo] {
        snapshot.refreshIfStale(maxAgeMs: 200)
        sampler.freshen(targets, maxAgeMs: 200)
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
            if spec.argv.isEmpty {
                return completion(.failure(.invalidApp, "app \"\(spec.name)\": incomplete specification"))
            }
            // The loader's rules and bounds, checked again here: a request may come from
            // any client of the socket, not only from this version's CLI, and a value out
            // of bounds (a duration near 2^63 ms, 2^62 instances) must be refused before
            // it reaches arithmetic or an allocation (docs/semantics.md, "Limits").
            if let problem = spec.problem {
                return completion(.failure(.invalidApp, "app \"\(spec.name)\": \(problem)"))
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
            let existing = visible.filter { $0.spec.name == spec.name }
            for (i, inst) in existing.enumerated() {
                group.enter()
                if i < spec.instances {
                    inst.configure(spec: spec)
                    post(.configure(spec, scheduled: inst.cron != nil), to: inst)
                    cancelCron(inst)
                    touched.append(inst.id)
                    request(.start(.manual), on: inst) { group.leave() }
                } else {
                    request(.delete, on: inst) { group.leave() }
                }
            }
            if !existing.isEmpty {
                messages.append("\(spec.name): known, restarted with the new options")
            }
            for index in existing.count..<max(existing.count, spec.instances) {
                let inst = create(spec: spec, index: index)
                touched.append(inst.id)
                post(.added, to: inst)
                scheduleCron(inst)
            }
        }
        group.arm()
    }

    /// `start <target>`: starts what is not running; leaves running instances alone.
    func startExisting(_ targets: [Instance], completion: @escaping () -> Void) {
        let idle = targets.filter { $0.machine.needsStart }
        forEach(idle, completion) { self.request(.start(.start), on: $0, then: $1) }
    }

    func restart(_ targets: [Instance], completion: @escaping () -> Void) {
        forEach(targets, completion) { self.request(.start(.manual), on: $0, then: $1) }
    }

    func stop(_ targets: [Instance], completion: @escaping () -> Void) {
        forEach(targets, completion) { self.request(.stop, on: $0, then: $1) }
    }

    func delete(_ targets: [Instance], completion: @escaping () -> Void) {
        forEach(targets, completion) { self.request(.delete, on: $0, then: $1) }
    }

    /// `trigger`: what a cron tick does, now.
    func trigger(_ targets: [Instance], completion: @escaping () -> Void) {
        forEach(targets, completion) { self.request(.cronTick(trigger: true), on: $0, then: $1) }
    }

    /// `reset`: zero the restart counters and the backoff; the processes are untouched.
    func reset(_ targets: [Instance]) {
        for inst in targets { post(.reset, to: inst) }
    }

    /// `reload`, one instance after the other (ReloadCoordinator.swift).
    func reload(_ targets: [Instance], completion: @escaping ([String]) -> Void) {
        ReloadCoordinator(supervisor: self, targets: targets, completion: completion).next()
    }

    /// One instance's reload: a new run beside the old one when it serves, else a plain
    /// restart (a start when stopped). `done` gets why the new run did not take over.
    func reloadOne(_ inst: Instance, done: @escaping (String?) -> Void) {
        if inst.machine.reloadingUnit != nil {
            return done("app \(inst.spec.name) (id \(inst.id)): a reload of it is already in progress")
        }
        guard inst.machine.isServing else {
            let relaunch: InstanceMachine.Relaunch = inst.pid == nil ? .start : .manual
            request(.start(relaunch), on: inst) {
                done(inst.status == .errored
                    ? "app \(inst.spec.name) (id \(inst.id)): \(inst.statusReason ?? "errored")" : nil)
            }
            return
        }
        let unit = nextCandidateUnit
        nextCandidateUnit += 1
        inst.reloadReplies[unit] = { [unowned inst] failure in
            guard let failure else { return done(nil) }
            // What became of the old run is said as it is when the answer goes: a stop
            // or a restart that interrupted the reload ended it too.
            let old = inst.machine.isServing ? "the old process keeps running"
                : inst.status == .stopping ? "the old process is being stopped as requested"
                : "the old process is not running either (\(inst.status.rawValue))"
            done("app \(inst.spec.name) (id \(inst.id)): \(failure); \(old)")
        }
        post(.reload(unit: unit), to: inst)
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

    /// A request whose reply waits for the machine's answer.
    func request(_ event: InstanceMachine.Event, on inst: Instance, then done: @escaping () -> Void) {
        inst.waiters.append(done)
        post(event, to: inst)
    }

    /// Stops every app, and the runs of reloads in progress, before `completion`.
    func stopAll(completion: @escaping () -> Void) {
        stoppingAll = true
        stop(visible) { [unowned self] in
            if self.instances.values.allSatisfy({ $0.machine.sides.isEmpty }) { return completion() }
            self.sidesDrained = completion
        }
    }

    /// Skips the rest of every running kill_timeout: SIGKILL now.
    func killRemaining() {
        // One rescan for all, not one per unit escalated.
        terminator.deferRescans = true
        for inst in instances.values.sorted(by: { $0.id < $1.id }) { post(.killNow, to: inst) }
        terminator.deferRescans = false
        terminator.rescanNow()
    }

    /// SIGCHLD: reap every child that exited. Main processes of runs become the
    /// machine's `mainExited`; anything else is an adopted orphan, reaped so no zombie
    /// stays.
    func reap() {
        let reaped = ProcessControl.reapAll()
        guard !reaped.isEmpty else { return }
        snapshot.invalidate()
        var byPID: [pid_t: (Instance, Int)] = [:]
        for inst in instances.values {
            for (unit, run) in inst.runs { if let p = run.pid { byPID[p] = (inst, unit) } }
        }
        var units: [Int] = []
        for r in reaped {
            let pid: pid_t, code: Int32?, sig: Int32?
            switch r {
            case .exited(let p, let c): (pid, code, sig) = (p, c, nil)
            case .signaled(let p, let s): (pid, code, sig) = (p, nil, s)
            }
            guard let (inst, unit) = byPID[pid] else { continue }
            units.append(unit)
            inst.runs[unit]?.pid = nil
            containment.mainExited(unit: unit)
            let signal = sig.map { Signal(number: $0)?.name ?? "signal \($0)" }
            if sig == SIGKILL, !terminator.isStopping(unit) {
                // A SIGKILL swisor did not send: perhaps the OOM killer's.
                judgeKill(unit: unit, of: inst, code: code, signal: signal, checksLeft: Supervisor.oomChecks)
            } else {
                post(.mainExited(unit: unit, InstanceMachine.MainExit(code: code, signal: signal, oom: false)), to: inst)
            }
        }
        terminator.mainReaped(units: units)
        if !units.isEmpty { sampler.runsEnded() }
    }

    /// How often, 10 ms apart, an unexplained SIGKILL is checked against the OOM count.
    static let oomChecks = 10

    /// The OOM killer sends SIGKILL, and a kill counted in the run's own cgroup that no
    /// sampler tick has attributed to another process yet is this one. The kernel counts
    /// the kill only after it has sent the signal (and signalled every other process
    /// sharing the memory): on a loaded machine the victim can be reaped first. So an
    /// unexplained SIGKILL is reported once the count has risen, or after 100 ms without.
    /// Nothing else waits on it: no stop of the run is in progress, and a stop asked
    /// meanwhile waits for the main process's exit like any other.
    private func judgeKill(unit: Int, of inst: Instance, code: Int32?, signal: String?, checksLeft: Int) {
        var oom = false
        if let kills = containment.oomKills(unit) {
            if kills > (inst.runs[unit]?.oomSeen ?? 0) {
                inst.runs[unit]?.oomSeen = kills
                oom = true
            } else if checksLeft > 0 {
                _ = loop.schedule(afterMilliseconds: 10) { [weak self, weak inst] in
                    guard let self, let inst else { return }
                    self.judgeKill(unit: unit, of: inst, code: code, signal: signal, checksLeft: checksLeft - 1)
                }
                return
            }
        }
        post(.mainExited(unit: unit, InstanceMachine.MainExit(code: code, signal: signal, oom: oom)), to: inst)
    }

    /// The process tree as the containment sees it, shared by stops, readiness checks,
    /// describe and doctor.
    var snapshot: ProcessSnapshot { terminator.snapshot }

    func refresh() { snapshot.refresh() }

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
        instances[id] = inst
        visible.append(inst)
        owners[inst.unit] = inst
        return inst
    }

    // MARK: The executor

    /// Hands `event` to the instance's machine and carries out what it decides. Events
    /// that arrive while another is handled (a reply's callback, a tree found empty at
    /// once) wait their turn.
    func post(_ event: InstanceMachine.Event, to inst: Instance) {
        guard !draining else { return pending.append((inst, event)) }
        draining = true
        defer { draining = false }
        handle(event, on: inst)
        var i = 0
        while i < pending.count {
            let (target, next) = pending[i]
            i += 1
            handle(next, on: target)
            if i > 256 {
                pending.removeFirst(i)
                i = 0
            }
        }
        pending.removeAll(keepingCapacity: true)
    }

    private func handle(_ event: InstanceMachine.Event, on inst: Instance) {
        let now = InstanceMachine.Instant(mono: monotonicMilliseconds(), wall: wallClockMilliseconds())
        for action in inst.machine.handle(event, now: now) { execute(action, on: inst) }
    }

    private func execute(_ action: InstanceMachine.Action, on inst: Instance) {
        switch action {
        case .spawn(let unit):
            owners[unit] = inst
            // The result is the machine's next event, before any other.
            let result = Launcher.spawn(inst, unit: unit, supervisor: self)
            switch result {
            case .success(let pid):
                handle(.spawned(unit: unit, pid: pid), on: inst)
                sampler.runStarted(inst)
            case .failure(let reason):
                handle(.spawnFailed(unit: unit, reason: reason), on: inst)
            }
        case .terminate(let unit):
            terminator.begin(unit: unit, of: inst)
        case .killAll(let unit, let note):
            terminator.escalate(unit: unit, note: note)
        case .arm(let timer, let ms):
            // The machine cancels before it re-arms; a timer of the same key still armed
            // here would be a bug, and must never fire for the new state.
            loop.cancel(inst.timers.removeValue(forKey: timer))
            inst.timers[timer] = loop.schedule(afterMilliseconds: ms) { [unowned self, weak inst] in
                guard let inst else { return }
                inst.timers[timer] = nil
                self.post(.timer(timer), to: inst)
            }
        case .cancel(let timer):
            loop.cancel(inst.timers.removeValue(forKey: timer))
        case .record(let event, let reason):
            inst.record(event, reason)
        case .warn(let line):
            log.warning("app \(inst.spec.name) (id \(inst.id)): \(line)")
        case .answerRequests:
            let waiters = inst.waiters
            inst.waiters = []
            for w in waiters { w() }
        case .reloadFinished(let unit, let failure):
            inst.reloadReplies.removeValue(forKey: unit)?(failure)
        case .release(let unit):
            if unit != inst.unit { owners[unit] = nil }
            inst.runs[unit] = nil
            containment.release(unit: unit)
            if let done = sidesDrained, instances.values.allSatisfy({ $0.machine.sides.isEmpty }) {
                sidesDrained = nil
                done()
            }
        case .scheduleCron:
            if inst.cronTimer == nil { scheduleCron(inst) }
        case .cancelCron:
            cancelCron(inst)
        case .remove:
            inst.logs.close()
            closeNotifySocket(inst)
            for timer in inst.timers.values { loop.cancel(timer) }
            inst.timers = [:]
            cancelCron(inst)
            for unit in Set(inst.runs.keys).union([inst.unit]) {
                owners[unit] = nil
                containment.release(unit: unit)
            }
            instances[inst.id] = nil
        case .statusChanged:
            if inst.machine.isDeleted, let shown = visible.firstIndex(where: { $0 === inst }) {
                visible.remove(at: shown)
            }
            // No run follows a stopped or errored instance: the cgroup its last run left
            // for the next one goes (Terminator.finish parks it).
            if inst.pid == nil, inst.status == .stopped || inst.status == .errored,
               !terminator.isStopping(inst.unit), let problem = containment.finished(unit: inst.unit) {
                inst.record("cgroup", problem)
                log.warning("app \(inst.spec.name) (id \(inst.id)): \(problem)")
            }
            // A deleted instance too: the daemon's STATUS= line must stop counting it.
            onStatusChange?()
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
