#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorSystem

/// Carries out a machine's `spawn`: pipes for the output, the app's NOTIFY_SOCKET, the
/// run's cgroup, and the fork/exec (Spawner, in C). A failure at any step is the spawn's
/// result, with the reason, and leaves nothing open behind.
enum Launcher {
    enum Outcome {
        case success(pid_t)
        case failure(String)
    }

    static func spawn(_ inst: Instance, unit: Int, supervisor: Supervisor) -> Outcome {
        guard inst.runs[unit]?.pid == nil else {
            // Unreachable by construction; never worth taking every app down for.
            return .failure("a process of this run is still running")
        }
        inst.logs.configure(spec: inst.spec, index: inst.index)
        let out: Pipe, err: Pipe
        do {
            out = try Pipe.make()
            do { err = try Pipe.make() } catch {
                out.readEnd.close(); out.writeEnd.close()
                throw error
            }
        } catch {
            return .failure("cannot create pipes: \(error)")
        }
        let containment = supervisor.containment
        let cgroups: [FileDescriptor]
        do {
            try supervisor.openNotifySocket(inst)
            cgroups = try containment.prepare(unit: unit, id: inst.id, name: inst.spec.name, limits: inst.spec.limits)
        } catch {
            for fd in [out.readEnd, out.writeEnd, err.readEnd, err.writeEnd] { fd.close() }
            return .failure(error.message)
        }
        // A reused cgroup has counted the runs before: the new run starts from here.
        let baseline = containment.baseline(of: unit)
        let request = SpawnRequest(argv: inst.spec.argv, environment: inst.environment(unit: unit), cwd: inst.spec.cwd,
                                   stdout: out.writeEnd, stderr: err.writeEnd, cgroupProcs: cgroups,
                                   fileLimit: supervisor.appFileLimit)
        let result: Result<pid_t, SpawnError>
        do { result = .success(try Spawner.spawn(request)) } catch { result = .failure(error) }
        out.writeEnd.close()
        err.writeEnd.close()
        for fd in cgroups { fd.close() }

        switch result {
        case .failure(let error):
            out.readEnd.close()
            err.readEnd.close()
            _ = containment.finished(unit: unit)
            return .failure(error.description)
        case .success(let pid):
            var run = Instance.Run(unit: unit)
            run.pid = pid
            run.cpuBaseMicros = baseline?.cpuMicroseconds ?? 0
            run.oomSeen = baseline?.oomKills ?? 0
            run.startedMono = monotonicMilliseconds()
            inst.runs[unit] = run
            supervisor.snapshot.invalidate()
            containment.started(unit: unit, pid: pid)
            do {
                try inst.logs.attach(out.readEnd, stream: .out, loop: supervisor.loop)
                try inst.logs.attach(err.readEnd, stream: .err, loop: supervisor.loop)
            } catch {
                supervisor.log.warning("app \(inst.spec.name) (id \(inst.id)): cannot watch its output: \(error)")
            }
            return .success(pid)
        }
    }
}
