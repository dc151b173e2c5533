#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorSystem

/// CPU and memory of apps, read when someone asks (`list`, `describe`, `ps`), and the
/// two watches that cannot wait to be asked: max_memory_restart and OOM kills inside a
/// memory_max. An app with neither costs nothing while it runs: no timer, no file
/// opened (issue 15). The watches tick once a second, only while an app that has one
/// runs, and read through descriptors kept open (one pread each).
final class Sampler {
    private let containment: Containment
    private let loop: EventLoop
    private unowned let supervisor: Supervisor
    private var timer: EventLoop.TimerID?

    static let intervalMs: Int64 = 1000

    init(containment: Containment, loop: EventLoop, supervisor: Supervisor) {
        self.containment = containment
        self.loop = loop
        self.supervisor = supervisor
    }

    /// Readings of `targets` at most `maxAgeMs` old: the older ones are taken now (one
    /// pass for all of them). `list` accepts a second, `describe` 200 ms.
    func freshen(_ targets: [Instance], maxAgeMs: Int64) {
        let now = monotonicMilliseconds()
        var stale: [Instance] = []
        for inst in targets {
            // One lookup of the run per instance: `list` runs this for every app.
            let unit = inst.unit
            guard let run = inst.runs[unit] else { continue }
            if run.pid != nil || supervisor.terminator.isStopping(unit) {
                if now - run.lastSampleMono > maxAgeMs { stale.append(inst) }
            } else if run.lastSampleMono != 0 {
                inst.runs[unit]?.clearUsage()
            }
        }
        guard !stale.isEmpty else { return }
        let usage = containment.sample(units: stale.map(\.unit))
        for inst in stale {
            guard let u = usage[inst.unit] else {
                inst.runs[inst.unit]?.clearUsage()
                continue
            }
            var run = inst.run
            run.memory = u.memoryBytes
            run.processCount = u.processes
            // The share of one CPU since the previous reading, or since the run began:
            // there is no reading in between to take a shorter window from.
            let since = run.lastSampleMono > 0 ? run.lastSampleMono : run.startedMono
            let base = run.lastSampleMono > 0 ? run.lastCPUMicros : run.cpuBaseMicros
            if now > since && u.cpuMicroseconds >= base {
                let cpuMs = Double(u.cpuMicroseconds - base) / 1000
                run.cpu = (cpuMs / Double(now - since) * 1000).rounded() / 10
            } else {
                run.cpu = 0
            }
            run.lastCPUMicros = u.cpuMicroseconds
            run.lastSampleMono = now
            inst.run = run
        }
    }

    /// Whether `inst`'s current run needs the once-a-second watch.
    private func isWatched(_ inst: Instance) -> Bool {
        inst.pid != nil && (inst.spec.maxMemoryRestartBytes != nil || inst.spec.memoryMaxBytes != nil)
    }

    /// `inst` began a run: the watch ticks while any watched app runs (one look at the
    /// new run, not at every app: `start all` of 1,000 apps).
    func runStarted(_ inst: Instance) {
        if timer == nil && isWatched(inst) { schedule() }
    }

    /// Runs ended: once no watched run is left, the pending tick goes too (it would wake
    /// the daemon for nothing).
    func runsEnded() {
        guard timer != nil, !supervisor.instances.values.contains(where: isWatched) else { return }
        loop.cancel(timer)
        timer = nil
    }

    private func schedule() {
        timer = loop.schedule(afterMilliseconds: Sampler.intervalMs) { [unowned self] in
            self.timer = nil
            let watched = self.supervisor.instances.values.filter(self.isWatched).sorted { $0.id < $1.id }
            guard !watched.isEmpty else { return }
            self.checkOOMKills(watched)
            self.checkMemoryLimits(watched)
            if self.timer == nil { self.schedule() }
        }
    }

    /// max_memory_restart over the whole app: the cgroup's working set (usage minus
    /// inactive file cache), not the main pid's RSS as PM2 reads it. The usage, one
    /// pread, bounds it from above: only over the limit is memory.stat read, fresh.
    /// Without a memory controller, the processes' resident sets (one /proc walk for
    /// all the apps that need it).
    private func checkMemoryLimits(_ watched: [Instance]) {
        var unbounded: [Instance] = []
        var over: [(inst: Instance, memory: Int64)] = []
        for inst in watched {
            guard let limit = inst.spec.maxMemoryRestartBytes, inst.machine.isOnline else { continue }
            guard let ceiling = containment.memoryCeiling(of: inst.unit) else {
                unbounded.append(inst)
                continue
            }
            guard ceiling > Int64(clamping: limit), let fresh = containment.freshMemory(of: inst.unit),
                  fresh > Int64(clamping: limit) else { continue }
            over.append((inst, fresh))
        }
        if !unbounded.isEmpty {
            freshen(unbounded, maxAgeMs: 0)
            for inst in unbounded where inst.run.memory > Int64(clamping: inst.spec.maxMemoryRestartBytes ?? .max) {
                over.append((inst, inst.run.memory))
            }
        }
        guard !over.isEmpty else { return }
        // The process count the message gives, and what `list` shows meanwhile.
        freshen(over.map(\.inst), maxAgeMs: 200)
        for (inst, memory) in over.sorted(by: { $0.inst.id < $1.inst.id }) {
            inst.run.memory = memory
            let limit = Int64(clamping: inst.spec.maxMemoryRestartBytes ?? 0)
            let why = "\(Sampler.mebibytes(memory)) in \(inst.run.processCount) process(es) exceeds max_memory_restart \(Sampler.mebibytes(limit))"
            supervisor.post(.memoryOver(why), to: inst)
        }
    }

    /// A process of the app killed by the kernel inside the app's memory limit, while
    /// the app goes on (a worker, not the main process): recorded as reason `oom`.
    private func checkOOMKills(_ watched: [Instance]) {
        for inst in watched where inst.spec.memoryMaxBytes != nil && !supervisor.terminator.isStopping(inst.unit) {
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
        lastSampleMono = 0
    }
}
