#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorSystem

/// CPU and memory of every app, once a second while any app runs (and never while none
/// does, so an idle daemon wakes up for nothing); max_memory_restart and the kernel's OOM
/// kills are judged on each sample and reported to the instance's machine.
final class Sampler {
    private let containment: Containment
    private let loop: EventLoop
    private unowned let supervisor: Supervisor
    private var timer: EventLoop.TimerID?
    private var lastSampleMono: Int64 = 0

    static let intervalMs: Int64 = 1000

    init(containment: Containment, loop: EventLoop, supervisor: Supervisor) {
        self.containment = containment
        self.loop = loop
        self.supervisor = supervisor
    }

    /// What `describe` shows is at most 200 ms old.
    func freshen() {
        supervisor.snapshot.refreshIfStale(maxAgeMs: 200)
        if monotonicMilliseconds() - lastSampleMono > 200 { update() }
    }

    /// Samples once a second while any app runs.
    func ensureRunning() {
        guard timer == nil else { return }
        timer = loop.schedule(afterMilliseconds: Sampler.intervalMs) { [unowned self] in
            self.timer = nil
            let instances = self.supervisor.instances.values
            guard instances.contains(where: { $0.pid != nil }) else {
                for inst in instances { inst.runs[inst.unit]?.clearUsage() }
                return
            }
            if monotonicMilliseconds() - self.lastSampleMono > Sampler.intervalMs / 2 {
                self.update()
            }
            self.checkOOMKills()
            self.checkMemoryLimits()
            self.ensureRunning()
        }
    }

    private func update() {
        let now = monotonicMilliseconds()
        let instances = supervisor.instances.values
        let running = instances.filter { $0.pid != nil || supervisor.terminator.isStopping($0.unit) }
        let usage = containment.sample(units: running.map(\.unit))
        for inst in instances {
            guard let u = usage[inst.unit] else {
                inst.runs[inst.unit]?.clearUsage()
                continue
            }
            var run = inst.run
            run.memory = u.memoryBytes
            run.processCount = u.processes
            if run.lastSampleMono > 0 && now > run.lastSampleMono && u.cpuMicroseconds >= run.lastCPUMicros {
                let cpuMs = Double(u.cpuMicroseconds - run.lastCPUMicros) / 1000
                run.cpu = (cpuMs / Double(now - run.lastSampleMono) * 1000).rounded() / 10
            } else {
                run.cpu = 0
            }
            run.lastCPUMicros = u.cpuMicroseconds
            run.lastSampleMono = now
            inst.run = run
        }
        lastSampleMono = now
    }

    /// max_memory_restart over the whole app: the memory of every process of it in the
    /// last sample (at most a second old), not the main pid's RSS as PM2 reads it.
    private func checkMemoryLimits() {
        for inst in supervisor.instances.values.sorted(by: { $0.id < $1.id }) {
            guard let limit = inst.spec.maxMemoryRestartBytes, inst.machine.isOnline,
                  inst.pid != nil, inst.run.memory > Int64(clamping: limit) else { continue }
            // The sample may carry a page-cache figure up to ten seconds old: decide on
            // a fresh one.
            if let fresh = containment.freshMemory(of: inst.unit) {
                inst.run.memory = fresh
                guard fresh > Int64(clamping: limit) else { continue }
            }
            let why = "\(Sampler.mebibytes(inst.run.memory)) in \(inst.run.processCount) process(es) exceeds max_memory_restart \(Sampler.mebibytes(Int64(clamping: limit)))"
            supervisor.post(.memoryOver(why), to: inst)
        }
    }

    /// A process of the app killed by the kernel inside the app's memory limit, while
    /// the app goes on (a worker, not the main process): recorded as reason `oom`.
    private func checkOOMKills() {
        for inst in supervisor.instances.values where inst.pid != nil && inst.spec.memoryMaxBytes != nil
            && !supervisor.terminator.isStopping(inst.unit) {
            guard let kills = containment.oomKills(inst.unit), kills > inst.run.oomSeen else { continue }
            // The main process itself may be the one killed, not reaped yet (its SIGKILL
            // pending, or a zombie): the reap claims that kill as its exit's reason `oom`.
            // Counted here, the exit would read as a plain SIGKILL (found by make test-vm).
            if let pid = inst.pid, ProcFS.isDying(pid) { continue }
            let why = "the kernel's OOM killer ended \(kills - inst.run.oomSeen) process(es) of the app at memory_max \(Sampler.mebibytes(Int64(clamping: inst.spec.memoryMaxBytes ?? 0)))"
            inst.run.oomSeen = kills
            inst.record("oom", why)
            supervisor.log.warning("app \(inst.spec.name) (id \(inst.id)): \(why)")
        }
    }

    static func mebibytes(_ bytes: Int64) -> String {
        let tenths = bytes * 10 / (1024 * 1024)
        return "\(tenths / 10).\(tenths % 10) MiB"
    }
}

extension Instance.Run {
    mutating func clearUsage() {
        cpu = 0
        memory = 0
        processCount = 0
    }
}
