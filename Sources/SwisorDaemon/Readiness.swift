#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorSystem

/// systemd's notify protocol for apps (docs/semantics.md, "Readiness"): each app with
/// `wait_ready` or `watchdog_sec` gets a NOTIFY_SOCKET of its own; `READY=1` makes it
/// online, `STATUS=` shows in describe, `WATCHDOG=1` keeps it alive. A datagram counts
/// only when its sender (SCM_CREDENTIALS) is a process of the app; what it means for the
/// instance is the machine's decision (`ready`, `watchdogPing`, ...).
extension Supervisor {
    // MARK: The socket

    /// Binds the instance's socket before its first spawn that needs one; kept across
    /// runs, closed on delete.
    func openNotifySocket(_ inst: Instance) throws(ContainmentError) {
        guard inst.spec.speaksNotify, inst.notifySocket == nil else { return }
        var path = home.notifyDirectory + "/\(inst.id).sock"
        if path.utf8.count > UnixSocket.maxPathLength {
            // A long home: an abstract socket (the sender's pid is checked anyway).
            path = "@swisor/\(getpid())/\(inst.id)"
        }
        do {
            if !path.hasPrefix("@") { try Home.makeDirectory(home.notifyDirectory, mode: 0o700) }
            let fd = try NotifySocket.bind(path: path)
            try loop.register(fd) { [unowned self, weak inst] _ in
                guard let inst else { return }
                self.receiveNotifications(inst)
            }
            inst.notifySocket = fd
            inst.notifyPath = path
        } catch {
            throw ContainmentError("cannot create its NOTIFY_SOCKET: \(error)")
        }
    }

    func closeNotifySocket(_ inst: Instance) {
        guard let fd = inst.notifySocket else { return }
        loop.unregister(fd)
        fd.close()
        if let path = inst.notifyPath, !path.hasPrefix("@") { FileSystem.removeIgnoringErrors(path) }
        inst.notifySocket = nil
        inst.notifyPath = nil
    }

    private func receiveNotifications(_ inst: Instance) {
        guard let fd = inst.notifySocket else { return }
        var buffer = [UInt8](repeating: 0, count: NotifySocket.maxDatagram)
        var refreshed = false
        // A bounded number per wake-up: a flood from one app cannot hold the loop.
        for _ in 0..<64 {
            guard inst.notifySocket != nil, let datagram = NotifySocket.receive(fd, buffer: &buffer) else { return }
            let message = NotifyMessage.parse(datagram.bytes)
            // Nothing swisor acts on (BARRIER=1 from sd_notify_barrier, whose fd is closed
            // on receipt, which is all a barrier asks): no sender to check.
            guard message.ready || message.status != nil || message.watchdogPing || message.watchdogTrigger
                    || message.watchdogUsec != nil else { continue }
            if !refreshed && !containment.knowsEmptinessExactly {
                // Without cgroups, membership is the /proc snapshot: one per wake-up.
                snapshot.refreshOncePerTurn()
                refreshed = true
            }
            guard let (unit, alive) = sender(of: datagram, for: inst) else {
                inst.foreignNotifications += 1
                if inst.foreignNotifications == 1 {
                    let why = "a notify message from pid \(datagram.pid) (uid \(datagram.uid)), which is no process of the app, was ignored (and any more are counted)"
                    inst.record("notify", why)
                    log.warning("app \(inst.spec.name) (id \(inst.id)): \(why)")
                }
                continue
            }
            apply(message, to: inst, unit: unit, fromLiveMember: alive)
        }
    }

    /// Which run of the app sent it (the instance's own, or the new run of a reload), and
    /// whether the sender is a live member of it. A sender of the daemon's user (or root)
    /// already gone (a short-lived `systemd-notify`) is taken for the run waiting to be
    /// ready, but only READY=1 and STATUS= count from it (see `apply`).
    private func sender(of datagram: NotifySocket.Datagram, for inst: Instance) -> (Int, Bool)? {
        let pid = datagram.pid
        guard pid > 0, datagram.uid == geteuid() || datagram.uid == 0 else { return nil }
        let units = [inst.unit] + (inst.machine.reloadingUnit.map { [$0] } ?? [])
        for unit in units where inst.runs[unit]?.pid != nil {
            if inst.runs[unit]?.pid == pid || containment.contains(pid: pid, unit: unit) { return (unit, true) }
        }
        // Gone, or a zombie (no longer in any cgroup): it sent while it lived.
        if ProcFS.entry(pid: pid)?.isZombie ?? true, let waiting = inst.machine.launchingUnit,
           inst.runs[waiting]?.pid != nil {
            return (waiting, false)
        }
        return nil
    }

    private func apply(_ message: NotifyMessage, to inst: Instance, unit: Int, fromLiveMember: Bool) {
        guard fromLiveMember else {
            // A sender that cannot be checked any more may only report a start.
            if let status = message.status { inst.runs[unit]?.notifyStatus = status.isEmpty ? nil : status }
            if message.ready { post(.ready(unit: unit, how: "READY=1"), to: inst) }
            return
        }
        if let status = message.status {
            inst.runs[unit]?.notifyStatus = status.isEmpty ? nil : status
        }
        if let usec = message.watchdogUsec {
            let ms = usec == 0 ? nil : max(AppSpec.minimumWatchdogMs, Int(min(usec / 1000, UInt64(Int32.max))))
            post(.watchdogInterval(unit: unit, ms: ms), to: inst)
        }
        if message.ready { post(.ready(unit: unit, how: "READY=1"), to: inst) }
        if message.watchdogTrigger {
            post(.watchdogTrigger(unit: unit), to: inst)
        } else if message.watchdogPing {
            post(.watchdogPing(unit: unit), to: inst)
        }
    }
}

extension Home {
    /// The apps' NOTIFY_SOCKETs.
    var notifyDirectory: String { root + "/notify" }
}
