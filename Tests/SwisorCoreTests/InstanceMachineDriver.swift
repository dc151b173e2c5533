@testable import SwisorCore

/// Drives an `InstanceMachine` as the daemon does, with a fake clock and no process:
/// spawns succeed (or fail) at once, timers fire when the clock passes them, and what the
/// machine asked for is kept for the test to look at.
struct MachineDriver {
    var machine: InstanceMachine
    var mono: Int64 = 1_000
    var wall: Int64 = 1_700_000_000_000
    /// Armed timers and when they are due.
    var timers: [InstanceMachine.Timer: Int64] = [:]
    var actions: [InstanceMachine.Action] = []
    /// What `display` showed after each event that announced `.statusChanged`, in order.
    var shown: [InstanceMachine.Display] = []
    /// Events whose `.statusChanged` was not their last action.
    var statusNotLast = 0
    var history: [(String, String?)] = []
    var answered = 0
    var reloads: [Int: String?] = [:]
    var released: [Int] = []
    var removed = false
    var terminating: [Int] = []
    var killed: [Int] = []
    var warnings: [String] = []
    var nextPID: Int32 = 100
    /// The next spawn fails with this reason.
    var failNextSpawn: String?
    /// Timers armed twice without a cancel between: a leak.
    var doubleArmed: [InstanceMachine.Timer] = []
    /// Timers that fired and that the machine ignored: armed and never cancelled when the
    /// state that owned them was left.
    var staleFires: [InstanceMachine.Timer] = []

    init(_ spec: AppSpec = MachineDriver.spec(), id: Int = 0, scheduled: Bool = false) {
        machine = InstanceMachine(id: id, spec: spec, scheduled: scheduled)
    }

    static func spec(_ edit: (inout AppSpec) -> Void = { _ in }) -> AppSpec {
        var s = AppSpec(name: "web", script: "/bin/true", cwd: "/")
        s.minUptimeMs = 1000
        s.maxRestarts = 3
        s.killTimeoutMs = 1600
        edit(&s)
        return s
    }

    var now: InstanceMachine.Instant { .init(mono: mono, wall: wall) }
    var status: AppStatus { machine.display.status }
    var events: [String] { history.map(\.0) }
    var unit: Int { machine.unit }
    var pid: Int32? { machine.currentRun?.pid }

    @discardableResult
    mutating func send(_ event: InstanceMachine.Event) -> [InstanceMachine.Action] {
        let out = machine.handle(event, now: now)
        actions += out
        if let i = out.firstIndex(of: .statusChanged) {
            if i != out.count - 1 { statusNotLast += 1 }
            shown.append(machine.display)
        }
        for a in out { perform(a) }
        return out
    }

    private mutating func perform(_ a: InstanceMachine.Action) {
        switch a {
        case .spawn(let unit):
            if let reason = failNextSpawn {
                failNextSpawn = nil
                send(.spawnFailed(unit: unit, reason: reason))
            } else {
                nextPID += 1
                send(.spawned(unit: unit, pid: nextPID))
            }
        case .terminate(let unit): terminating.append(unit)
        case .killAll(let unit, _): killed.append(unit)
        case .arm(let t, let ms):
            if timers[t] != nil { doubleArmed.append(t) }
            timers[t] = mono + ms
        case .cancel(let t): timers[t] = nil
        case .record(let e, let r): history.append((e, r))
        case .warn(let w): warnings.append(w)
        case .answerRequests: answered += 1
        case .reloadFinished(let unit, let failure): reloads[unit] = failure
        case .release(let unit): released.append(unit)
        case .scheduleCron, .cancelCron: break
        case .remove: removed = true
        case .statusChanged: break
        }
    }

    /// Moves the clocks on, firing every timer that falls due, in order.
    mutating func advance(_ ms: Int64) {
        let end = mono + ms
        while let (t, at) = timers.filter({ $0.value <= end }).min(by: { ($0.value, $0.key.unit) < ($1.value, $1.key.unit) }) {
            wall += at - mono
            mono = at
            timers[t] = nil
            // Every timer a state owns does something when it fires.
            if send(.timer(t)).isEmpty { staleFires.append(t) }
        }
        wall += end - mono
        mono = end
    }

    /// The main process of `unit` exits (code, or a signal name).
    mutating func exit(_ unit: Int, code: Int32? = nil, signal: String? = nil, oom: Bool = false) {
        send(.mainExited(unit: unit, .init(code: code, signal: signal, oom: oom)))
    }

    /// The last process of `unit` is gone.
    mutating func empty(_ unit: Int) {
        send(.treeEmpty(unit: unit))
    }

    /// A cooperating app: its main process ends on the stop signal and nothing is left.
    mutating func stopCleanly(_ unit: Int) {
        exit(unit, signal: "SIGTERM")
        empty(unit)
    }

    /// Brings a fresh instance online.
    mutating func online() {
        send(.added)
    }

    func has(_ timer: InstanceMachine.TimerKind, unit: Int) -> Bool {
        timers[InstanceMachine.Timer(timer, unit: unit)] != nil
    }
}
