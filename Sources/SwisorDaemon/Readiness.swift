#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorSystem

/// systemd's notify protocol for apps (SEMANTICS.md, "Readiness"), and `reload`, which
/// is built on it: each app with `wait_ready` or `watchdog_sec` gets a NOTIFY_SOCKET of
/// its own; `READY=1` makes it online, `STATUS=` shows in describe, `WATCHDOG=1` keeps
/// it alive. A datagram counts only when its sender (SCM_CREDENTIALS) is a process of
/// the app.
extension Supervisor {
    // MARK: The socket

    /// Binds the instance's socket before its first spawn that needs one; kept across
    /// runs, closed on delete.
    func openNotifySocket(_ inst: Instance) throws(ContainmentError) {
        let owner = inst.origin ?? inst
        guard owner.spec.speaksNotify || inst.spec.speaksNotify, owner.notifySocket == nil else { return }
        var path = home.notifyDirectory + "/\(owner.id).sock"
        if path.utf8.count > UnixSocket.maxPathLength {
            // A long home: an abstract socket (the sender's pid is checked anyway).
            path = "@swisor/\(getpid())/\(owner.id)"
        }
        do {
            if !path.hasPrefix("@") { try Home.makeDirectory(home.notifyDirectory, mode: 0o700) }
            let fd = try NotifySocket.bind(path: path)
            try loop.register(fd) { [unowned self, weak owner] _ in
                guard let owner else { return }
                self.receiveNotifications(owner)
            }
            owner.notifySocket = fd
            owner.notifyPath = path
        } catch {
            throw ContainmentError("cannot create its NOTIFY_SOCKET: \(error)")
        }
    }

    func closeNotifySocket(_ inst: Instance) {
        guard let fd = inst.notifySocket else { return }
        loop.unregister(fd)
        fd.close()
        if let path = inst.notifyPath, !path.hasPrefix("@") { unlink(path) }
        inst.notifySocket = nil
        inst.notifyPath = nil
    }

    private func receiveNotifications(_ owner: Instance) {
        guard let fd = owner.notifySocket else { return }
        var buffer = [UInt8](repeating: 0, count: NotifySocket.maxDatagram)
        var refreshed = false
        // A bounded number per wake-up: a flood from one app cannot hold the loop.
        for _ in 0..<64 {
            guard let datagram = NotifySocket.receive(fd, buffer: &buffer) else { return }
            let message = NotifyMessage.parse(datagram.bytes)
            // Nothing swisor acts on (BARRIER=1 from sd_notify_barrier, whose fd is closed
            // on receipt, which is all a barrier asks): no sender to check.
            guard message.ready || message.status != nil || message.watchdogPing || message.watchdogTrigger
                    || message.watchdogUsec != nil else { continue }
            if !refreshed && !containment.knowsEmptinessExactly {
                // Without cgroups, membership is the /proc snapshot: one per wake-up.
                refreshOncePerTurn()
                refreshed = true
            }
            guard let (run, alive) = sender(of: datagram, for: owner) else {
                owner.foreignNotifications += 1
                if owner.foreignNotifications == 1 {
                    let why = "a notify message from pid \(datagram.pid) (uid \(datagram.uid)), which is no process of the app, was ignored (and any more are counted)"
                    owner.record("notify", why)
                    log.warning("app \(owner.spec.name) (id \(owner.id)): \(why)")
                }
                continue
            }
            apply(message, to: run, fromLiveMember: alive)
        }
    }

    /// Which run of the app sent it (the current one, or the new run of a reload), and
    /// whether the sender is a live member of it. A sender of the daemon's user (or root)
    /// already gone (a short-lived `systemd-notify`) is taken for the run waiting to be
    /// ready, but only READY=1 and STATUS= count from it (see `apply`).
    private func sender(of datagram: NotifySocket.Datagram, for owner: Instance) -> (Instance, Bool)? {
        let pid = datagram.pid
        guard pid > 0, datagram.uid == geteuid() || datagram.uid == 0 else { return nil }
        let candidates = others.values.filter { $0.origin === owner && $0.role == .candidate }.sorted { $0.unit < $1.unit }
        let runs = [owner] + candidates
        for run in runs where run.pid != nil {
            if run.pid == pid || containment.contains(pid: pid, unit: run.unit) { return (run, true) }
        }
        // Gone, or a zombie (no longer in any cgroup): it sent while it lived.
        if ProcFS.entry(pid: pid)?.isZombie ?? true {
            if let waiting = runs.reversed().first(where: { $0.pid != nil && $0.status == .launching }) {
                return (waiting, false)
            }
        }
        return nil
    }

    private func apply(_ message: NotifyMessage, to run: Instance, fromLiveMember: Bool) {
        guard fromLiveMember else {
            // A sender that cannot be checked any more may only report a start.
            guard run.status == .launching else { return }
            if let status = message.status { run.run.notifyStatus = status.isEmpty ? nil : status }
            if message.ready && run.termination == nil { becameOnline(run, how: "READY=1") }
            return
        }
        if let status = message.status {
            run.run.notifyStatus = status.isEmpty ? nil : status
        }
        if let usec = message.watchdogUsec {
            // The app may change its own interval (sd_notify "WATCHDOG_USEC=…"), as with
            // systemd; 0 turns the watchdog off.
            run.run.watchdogMs = usec == 0 ? nil : max(AppSpec.minimumWatchdogMs, Int(min(usec / 1000, UInt64(Int32.max))))
            if run.status == .online { armWatchdog(run) }
        }
        if message.ready && run.status == .launching && run.termination == nil && run.pid != nil {
            becameOnline(run, how: "READY=1")
        }
        if message.watchdogTrigger && run.termination == nil && run.pid != nil {
            watchdogFired(run, why: "the app sent WATCHDOG=trigger")
        } else if message.watchdogPing && run.status == .online {
            armWatchdog(run)
        }
    }

    // MARK: Readiness and the watchdog

    func armReadyTimeout(_ inst: Instance) {
        let timeout = Int64(inst.spec.readyTimeoutMs)
        inst.run.readyTimer = loop.schedule(afterMilliseconds: timeout) { [unowned self, weak inst] in
            guard let inst else { return }
            inst.run.readyTimer = nil
            guard inst.status == .launching, inst.pid != nil, inst.termination == nil else { return }
            // PM2's rule: an app that never says it is ready still goes online.
            self.becameOnline(inst, how: "no READY=1 within listen_timeout \(timeout) ms: online anyway")
        }
    }

    func armSurvivalTimeout(_ inst: Instance) {
        let wait = Int64(max(0, inst.spec.minUptimeMs))
        inst.run.readyTimer = loop.schedule(afterMilliseconds: wait) { [unowned self, weak inst] in
            guard let inst else { return }
            inst.run.readyTimer = nil
            guard inst.status == .launching, inst.pid != nil, inst.termination == nil else { return }
            self.becameOnline(inst, how: "up for min_uptime \(wait) ms")
        }
    }

    /// The run is online: because it exec'd (no wait_ready), said READY=1, or its
    /// listen_timeout passed.
    func becameOnline(_ inst: Instance, how: String?) {
        loop.cancel(inst.run.readyTimer)
        inst.run.readyTimer = nil
        inst.status = .online
        if let how { inst.record("ready", how) }
        if inst.role == .candidate {
            completeReload(inst)
            return
        }
        armWatchdog(inst)
    }

    func armWatchdog(_ inst: Instance) {
        loop.cancel(inst.run.watchdogTimer)
        inst.run.watchdogTimer = nil
        guard let ms = inst.run.watchdogMs, inst.role == .current else { return }
        inst.run.watchdogTimer = loop.schedule(afterMilliseconds: Int64(ms)) { [unowned self, weak inst] in
            guard let inst else { return }
            inst.run.watchdogTimer = nil
            guard inst.status == .online, inst.pid != nil, inst.termination == nil else { return }
            self.watchdogFired(inst, why: "no WATCHDOG=1 within watchdog_sec \(ms) ms")
        }
    }

    /// The run is ended as a crash would end it, and the restart policy decides (a hung
    /// app in a loop becomes errored after max_restarts, as a crashing one).
    private func watchdogFired(_ inst: Instance, why: String) {
        guard inst.role == .current, inst.termination == nil else { return }
        inst.record("watchdog", why)
        log.warning("app \(inst.spec.name) (id \(inst.id)): \(why): stopping it")
        inst.failureReason = Supervisor.watchdogReason
        terminate(inst, requested: false) {}
    }

    /// The run's main process is gone or being stopped: no readiness or watchdog
    /// decision may fire for it any more.
    func stopHealthTimers(_ inst: Instance) {
        loop.cancel(inst.run.readyTimer)
        loop.cancel(inst.run.watchdogTimer)
        inst.run.readyTimer = nil
        inst.run.watchdogTimer = nil
    }

    // MARK: Reload

    /// `reload`: for each instance in turn, a new process beside the old one; once the
    /// new one is online the old one is stopped. Instances that are not online restart.
    /// `completion` gets one line per instance whose new process failed (its old process
    /// kept running).
    func reload(_ targets: [Instance], completion: @escaping ([String]) -> Void) {
        // Each instance as it is now: one that a later request stops, restarts or deletes
        // before its turn comes is left to that request.
        var queue = targets.sorted { $0.id < $1.id }.map { ($0, $0.generation) }
        var failures: [String] = []
        func next() {
            guard !queue.isEmpty else { return completion(failures) }
            let (inst, generation) = queue.removeFirst()
            guard !stoppingAll, instances[inst.id] === inst, inst.generation == generation else { return next() }
            reloadOne(inst) { failure in
                if let failure { failures.append(failure) }
                next()
            }
        }
        next()
    }

    private func reloadOne(_ inst: Instance, done: @escaping (String?) -> Void) {
        if others.values.contains(where: { $0.origin === inst && $0.role == .candidate }) {
            return done("app \(inst.spec.name) (id \(inst.id)): a reload of it is already in progress")
        }
        let serving = instances[inst.id] === inst && inst.pid != nil && inst.status == .online
            && inst.termination == nil && inst.desired == .run
        guard serving else {
            // Nothing serves that could be kept: a plain restart (a start when stopped).
            restart(inst, reason: inst.pid == nil ? Supervisor.startReason : "manual") {
                done(inst.status == .errored
                    ? "app \(inst.spec.name) (id \(inst.id)): \(inst.statusReason ?? "errored")" : nil)
            }
            return
        }
        let candidate = Instance(candidateFor: inst, unit: nextCandidateUnit)
        nextCandidateUnit += 1
        others[candidate.unit] = candidate
        candidate.reloadDone = { failure in
            done(failure.map { "app \(inst.spec.name) (id \(inst.id)): \($0); the old process keeps running" })
        }
        launch(candidate, event: "reload", reason: "started beside pid \(inst.pid ?? 0)")
    }

    /// The new run is online: it becomes the instance's run, and the old one is stopped.
    private func completeReload(_ candidate: Instance) {
        guard let inst = candidate.origin, instances[inst.id] === inst, inst.termination == nil,
              inst.desired == .run else {
            // Stopped, deleted or restarted meanwhile: the new run is not wanted.
            candidateFailed(candidate, "the app was stopped or restarted during the reload")
            return
        }
        let oldPID = inst.pid
        // The old run may have crashed meanwhile (waiting to restart, or given up): the
        // new one serves instead, and nothing is left of the old one to stop.
        cancelScheduledRestart(inst)
        swap(&inst.run, &candidate.run)
        candidate.role = .retiring
        candidate.status = .online
        inst.status = .online
        inst.statusReason = nil
        inst.restarts += 1
        inst.policy = RestartPolicy.History()
        snapshotTurn = .max
        armWatchdog(inst)
        stopHealthTimers(candidate)
        let done = candidate.reloadDone
        candidate.reloadDone = nil
        guard let oldPID else {
            inst.record("reload", "pid \(inst.pid ?? 0) online; the old run had already ended")
            endSideRun(candidate)
            done?(nil)
            return
        }
        inst.record("reload", "pid \(inst.pid ?? 0) online; stopping the old pid \(oldPID)")
        terminate(candidate, requested: true) { done?(nil) }
    }

    /// The new run of a reload will not serve: end whatever it started, report why.
    func candidateFailed(_ candidate: Instance, _ why: String) {
        candidate.record("reload failed", why)
        log.warning("app \(candidate.spec.name) (id \(candidate.id)): reload failed: \(why)")
        let done = candidate.reloadDone
        candidate.reloadDone = nil
        candidate.role = .retiring
        if candidate.pid == nil && candidate.termination == nil && containment.isEmpty(candidate.unit) {
            endSideRun(candidate)
            done?(why)
        } else {
            terminate(candidate, requested: true) { done?(why) }
        }
    }

    /// A reload's side run has no process left: forget it. A candidate whose main process
    /// exited before it was online ends here too, with the reason.
    func endSideRun(_ run: Instance) {
        stopHealthTimers(run)
        if let done = run.reloadDone {
            run.reloadDone = nil
            let why = run.lastExit.map { "the new process exited (\($0.summary)) before it was online" }
                ?? "the new process ended before it was online"
            run.record("reload failed", why)
            done(why)
        }
        containment.release(unit: run.unit)
        others[run.unit] = nil
    }
}

extension Home {
    /// The apps' NOTIFY_SOCKETs.
    var notifyDirectory: String { root + "/notify" }
}
