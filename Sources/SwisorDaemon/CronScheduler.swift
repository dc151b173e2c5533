import SwisorCore
import SwisorSystem

/// cron_restart: the wall-clock schedule of each instance (docs/semantics.md, "Cron").
/// When it fires is decided here (the next time in the daemon's zone, the wall clock
/// checked again at least every minute); what a tick does is the machine's.
extension Supervisor {
    /// Longest single wait: the wall clock is checked again at least this often, so a
    /// clock set forward or back (NTP, an operator) moves the next run with it.
    static let cronRecheckMs: Int64 = 60_000

    func scheduleCron(_ inst: Instance, after floorSeconds: Int64? = nil) {
        cancelCron(inst)
        guard let cron = inst.cron, inst.machine.wantsSchedule else { return }
        let nowMs = wallClockMilliseconds()
        let from = max(nowMs / 1000, floorSeconds ?? Int64.min)
        guard let next = cron.nextFire(after: from, in: zone) else { return }
        inst.nextCronAt = next * 1000
        armCron(inst, at: next)
    }

    private func armCron(_ inst: Instance, at next: Int64) {
        let wait = next * 1000 - wallClockMilliseconds()
        inst.cronTimer = loop.schedule(afterMilliseconds: min(max(0, wait), Supervisor.cronRecheckMs)) { [weak self, weak inst] in
            guard let self, let inst else { return }
            inst.cronTimer = nil
            if wallClockMilliseconds() < next * 1000 {
                // Woken early to look at the clock again (or it was set back): wait on.
                self.armCron(inst, at: next)
                return
            }
            self.post(.cronTick(trigger: false), to: inst)
            self.scheduleCron(inst, after: next)
        }
    }

    func cancelCron(_ inst: Instance) {
        loop.cancel(inst.cronTimer)
        inst.cronTimer = nil
        inst.nextCronAt = nil
    }
}
