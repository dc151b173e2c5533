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
        // A bounded number per wake-up: a flood from one app cannot hold the loop.
        for _ in 0..<64 {
            guard let datagram = NotifySocket.receive(fd, buffer: &buffer) else { return }
            let message = NotifyMessage.parse(datagram.bytes)
            // Nothing swisor acts on (BARRIER=1 from sd_notify_barrier, whose fd is closed
            // on receipt, which is all a barrier asks): no sender to check.
            guard message.ready || message.status != nil || message.watchdogPing || message.watchdogTrigger
                    || message.watchdogUsec != nil else { continue }
            guard let run = sender(of: datagram, for: owner) else {
                owner.foreignNotifications += 1
                if owner.foreignNotifications == 1 {
                    let why = "a notify message from pid \(datagram.pid), which is no process of the app, was ignored (and any more are counted)"
                    owner.record("notify", why)
                    log.warning("app \(owner.spec.name) (id \(owner.id)): \(why)")
                }
                continue
            }
            apply(message, to: run)
        }
    }

    /// Which run of the app sent it: the current one, or the new run of a reload. A
    /// sender already gone (a short-lived `systemd-notify`) is believed for the run that
    /// is waiting to be ready, since only the app's processes were given the socket.
    private func sender(of datagram: NotifySocket.Datagram, for owner: Instance) -> Instance? {
        let pid = datagram.pid
        guard pid > 0 else { return nil }
        let candidate = others.values.first { $0.origin === owner && $0.role == .candidate }
        for run in [owner, candidate].compactMap({ $0 }) where run.pid != nil {
            if run.pid == pid || containment.contains(pid: pid, unit: run.unit) { return run }
        }
        // Gone, or a zombie (no longer in any cgroup): it sent while it lived.
        if ProcFS.entry(pid: pid)?.isZombie ?? true {
            if let candidate, candidate.status == .launching { return candidate }
            if owner.pid != nil { return owner }
        }
        return nil
    }

    private func apply(_ message: NotifyMessage, to run: Instance) {
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
        inst.run.watchdogMs = inst.spec.watchdogMs
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

    private func watchdogFired(_ inst: Instance, why: String) {
        guard inst.role == .current else { return }
        inst.record("watchdog", why)
        log.warning("app \(inst.spec.name) (id \(inst.id)): \(why): restarting")
        settle(inst, desired: .run, relaunchReason: Supervisor.watchdogReason) {}
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
        var queue = targets.sorted { $0.id < $1.id }
        var failures: [String] = []
        func next() {
            guard !queue.isEmpty else { return completion(failures) }
            let inst = queue.removeFirst()
            reloadOne(inst) { failure in
                if let failure { failures.append(failure) }
                next()
            }
        }
        next()
    }

    private func reloadOne(_ inst: Instance, done: @escaping (String?) -> Void) {
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
              inst.desired == .run, inst.pid != nil else {
            // Stopped, deleted or restarted meanwhile: the new run is not wanted.
            candidateFailed(candidate, "the app was stopped or restarted during the reload")
            return
        }
        let oldPID = inst.pid ?? 0
        swap(&inst.run, &candidate.run)
        candidate.role = .retiring
        candidate.status = .online
        inst.status = .online
        inst.statusReason = nil
        inst.restarts += 1
        inst.policy = RestartPolicy.History()
        snapshotTurn = .max
        inst.run.watchdogMs = inst.spec.watchdogMs
        armWatchdog(inst)
        stopHealthTimers(candidate)
        inst.record("reload", "pid \(inst.pid ?? 0) online; stopping the old pid \(oldPID)")
        let done = candidate.reloadDone
        candidate.reloadDone = nil
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
