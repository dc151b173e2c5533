/// The life of one app instance as one explicit state machine (docs/design.md, "The
/// instance machine"; docs/semantics.md for the behaviour). Pure, as `RestartPolicy` is:
/// the daemon feeds it events with the time they happened and carries out the actions it
/// returns (spawn, signal, timers, history, replies); it makes no system call and keeps no
/// process handle. The model is systemd's service.c: explicit states, one place that
/// changes them, and timers that belong to states. Entering a state arms the timers it
/// owns and leaving it cancels them (`ownedTimers`, compared before and after every
/// event), so a timer that fires is always meant for the state the instance is in.
///
/// The table, in one picture (an event not listed for a state is ignored):
///
/// | state            | event                     | next state / actions                              |
/// |------------------|---------------------------|---------------------------------------------------|
/// | idle, waiting    | any request               | as at the end of a stop (the unit is empty): idle  |
/// |                  |                           | stopped, deleted or starting                      |
/// | starting         | spawned                   | launching (wait_ready) or online; answer          |
/// | starting         | spawn failed              | idle errored; answer                              |
/// | launching        | ready, readiness timer    | online                                            |
/// | launching/online | main exited               | stopping(judge exit): the leftovers, then policy  |
/// | online           | watchdog timer/trigger    | stopping(judge, failure watchdog)                 |
/// | online           | memory over               | stopping(relaunch memory)                         |
/// | launching/online | stop/delete/restart       | stopping(then stop / delete / relaunch)           |
/// | stopping         | kill timer                | stopping(killing): SIGKILL every round            |
/// | stopping         | main exited               | stopping (main gone; exit kept for the policy)    |
/// | stopping         | any request               | stopping, its `then` replaced (requests join)     |
/// | stopping         | tree empty                | by `then`: idle stopped, deleted, starting, or the |
/// |                  |                           | restart policy: starting, waiting, idle, errored  |
/// | waiting restart  | restart timer             | starting                                          |
/// | online           | reload                    | reloading(old serving, new starting)              |
/// | reloading        | new run ready / survived  | online on the new run; old run → side stop        |
/// | reloading        | new run died / failed     | back to the old run's state; new run → side stop  |
/// | reloading        | old run exited            | reloading(old cleaning, then ended)               |
/// | reloading        | any request               | new run → side stop; the request on the old state |
/// | (side stop)      | kill timer, tree empty    | SIGKILL; released, the reload answered            |
public struct InstanceMachine: Sendable, Equatable {
    // MARK: Types

    /// The two clocks an event happened at: monotonic for lengths (a run's uptime, judged
    /// against min_uptime), wall for what users read (the next restart's time).
    public struct Instant: Sendable, Equatable {
        public var mono: Int64
        public var wall: Int64
        public init(mono: Int64, wall: Int64) {
            self.mono = mono
            self.wall = wall
        }
    }

    /// Why an instance is launched again once its processes are gone.
    public enum Relaunch: String, Sendable, Equatable {
        /// `start` of an instance that is not running: a start, not counted.
        case start
        /// `restart`, or `start` of a file naming a known app: counted, a fresh start for
        /// the crash-loop count and the backoff.
        case manual
        /// max_memory_restart: counted, but the crash-loop count and backoff carry on.
        case memory
        /// A cron tick (or `trigger`) of a running app: a counted restart.
        case cron
        /// A cron tick (or `trigger`) of a stopped, exited or errored app: a start.
        case cronStart = "cron start"
    }

    /// How the main process ended, as reaped.
    public struct MainExit: Sendable, Equatable {
        public var code: Int32?
        public var signal: String?
        public var oom: Bool
        public init(code: Int32? = nil, signal: String? = nil, oom: Bool = false) {
            self.code = code
            self.signal = signal
            self.oom = oom
        }
    }

    /// What a stopped instance shows.
    public enum Idle: Sendable, Equatable {
        case stopped(reason: String?)
        case errored(reason: String)
    }

    /// A run whose main process runs.
    public struct Run: Sendable, Equatable {
        public var unit: Int
        public var pid: Int32
        public var startedMono: Int64
        /// The watchdog interval in force: watchdog_sec, or what WATCHDOG_USEC= set.
        public var watchdogMs: Int?
    }

    /// A spawn asked of the daemon, whose result comes back as `spawned`/`spawnFailed`.
    public struct Launch: Sendable, Equatable {
        public var unit: Int
        /// The history event and reason recorded once the process runs.
        public var event: String
        public var reason: String?
    }

    /// What happens once every process of a stopping run is gone.
    public enum AfterStop: Sendable, Equatable {
        case stop
        case delete
        case relaunch(Relaunch)
        /// The main process exited by itself (or swisor ended it for its health, with
        /// `failure`): the restart policy judges the exit. The exit is nil until reaped.
        case judge(exit: ExitInfo?, failure: String?)
        /// A run beside the instance's (a reload's old or failed new one): released, and
        /// the reload whose new run is `report` answered with `failure`.
        case retire(report: Int?, failure: String?)

        /// A stop someone asked for, as opposed to the clean-up after an exit.
        var requested: Bool {
            if case .judge = self { return false }
            return true
        }
    }

    /// Every process of a run is being signalled until none is left.
    public struct Stopping: Sendable, Equatable {
        public var unit: Int
        /// The main process has not been reaped yet.
        public var mainAlive: Bool
        /// kill_timeout passed: SIGKILL whatever is left, on every round.
        public var killing = false
        public var then: AfterStop
        /// The run's start, for the length of a run whose exit is still to come.
        public var startedMono: Int64?
        /// A side run that was a reload's new run (history lines say "new process").
        public var newRun = false
    }

    public struct WaitingRestart: Sendable, Equatable {
        public var atWall: Int64
        public var delayMs: Int
        public var reason: String
    }

    /// A reload: the new run beside the old one.
    public struct Reloading: Sendable, Equatable {
        public enum Old: Sendable, Equatable {
            /// Still serving, watched by its watchdog.
            case serving(Run)
            /// Its main process exited during the reload: what it left is being stopped.
            case cleaning(Stopping)
            /// Exited and cleaned up: the new run will serve, or the policy judges the exit.
            case ended(exit: ExitInfo, failure: String?)
        }
        public enum New: Sendable, Equatable {
            case starting(Launch)
            case launching(Run)
        }
        public var old: Old
        public var new: New
        public var newUnit: Int {
            switch new {
            case .starting(let l): return l.unit
            case .launching(let r): return r.unit
            }
        }
    }

    public enum Phase: Sendable, Equatable {
        case idle(Idle)
        case starting(Launch)
        case launching(Run)
        case online(Run)
        case stopping(Stopping)
        case waitingRestart(WaitingRestart)
        case reloading(Reloading)
        case deleted
    }

    public enum TimerKind: String, Sendable, Hashable {
        /// listen_timeout while launching with wait_ready; min_uptime for a reload's new
        /// run that cannot say it is ready.
        case readiness
        case watchdog
        /// kill_timeout of a stop.
        case kill
        /// restart_delay or the backoff.
        case restart
    }

    public struct Timer: Sendable, Hashable, CustomStringConvertible {
        public var kind: TimerKind
        public var unit: Int
        public init(_ kind: TimerKind, unit: Int) {
            self.kind = kind
            self.unit = unit
        }
        public var description: String { "\(kind.rawValue)(\(unit))" }
    }

    public enum Event: Sendable, Equatable {
        /// A new instance: launched if autostart, else waits.
        case added
        /// `start` of a file naming a known app: its new options, for what comes next (an
        /// event like any other, so that timers the new options no longer own are cancelled).
        /// Indirect: an AppSpec inline would make every event as large as it (hundreds of
        /// bytes copied per event, and events are copied on their way to the machine).
        indirect case configure(AppSpec, scheduled: Bool)
        case start(Relaunch)
        case stop
        case delete
        /// `reload`, its new run in containment unit `unit`.
        case reload(unit: Int)
        case reset
        case cronTick(trigger: Bool)
        case memoryOver(String)
        /// A second SIGTERM at shutdown: SIGKILL every stop now.
        case killNow
        case spawned(unit: Int, pid: Int32)
        case spawnFailed(unit: Int, reason: String)
        case mainExited(unit: Int, MainExit)
        /// No process of the unit is left and its main process was reaped.
        case treeEmpty(unit: Int)
        case timer(Timer)
        case ready(unit: Int, how: String)
        case watchdogPing(unit: Int)
        case watchdogTrigger(unit: Int)
        case watchdogInterval(unit: Int, ms: Int?)
    }

    public enum Action: Sendable, Equatable {
        /// Spawn the main process in `unit`; the result comes back at once as
        /// `spawned`/`spawnFailed`, before any other event.
        case spawn(unit: Int)
        /// Signal every process of the unit until none is left, then report `treeEmpty`.
        case terminate(unit: Int)
        /// SIGKILL what is left of the unit, every round; `note` goes to the history when
        /// anything was left.
        case killAll(unit: Int, note: String)
        case arm(Timer, afterMs: Int64)
        case cancel(Timer)
        case record(event: String, reason: String?)
        /// A line for the daemon's log, about this instance.
        case warn(String)
        /// The requests waiting for this instance (stop, restart, delete, start) are done.
        case answerRequests
        /// The reload whose new run is `unit` is over: nil when the new run serves.
        case reloadFinished(unit: Int, failure: String?)
        /// A side run's unit is over: its cgroup may go.
        case release(unit: Int)
        case scheduleCron
        case cancelCron
        /// Deleted, with nothing left beside it: forget the instance.
        case remove
        /// What `display` shows changed (the daemon keeps systemd's STATUS= line from it,
        /// and stops showing an instance that is deleted). Always the last action.
        case statusChanged
    }

    /// What users see: `list`'s status and its reason.
    public struct Display: Sendable, Equatable {
        public var status: AppStatus
        public var reason: String?
        public init(_ status: AppStatus, _ reason: String? = nil) {
            self.status = status
            self.reason = reason
        }
    }

    // MARK: State

    public let id: Int
    /// The app's options. Held in a box: the daemon keeps the machine in a class, and every
    /// read of it there copies the machine; boxed, the spec is one retain of that copy,
    /// not one per string and array in it (`list` of 100 apps read the machine ~700
    /// times: 8% of its cost, bench/results/ab.md).
    public var spec: AppSpec { specBox.value }
    private var specBox: SpecBox
    /// Whether the app has a cron schedule (a parsed cron_restart).
    public private(set) var scheduled: Bool
    /// The containment unit of the instance's own run. Its id at first; a reload's new
    /// run brings its own.
    public private(set) var unit: Int
    public private(set) var phase: Phase
    /// Runs beside the instance's own being stopped: old runs of reloads, failed new ones.
    public private(set) var sides: [Int: Stopping] = [:]
    public private(set) var restarts = 0
    public private(set) var policy = RestartPolicy.History()
    public private(set) var lastExit: ExitInfo?
    /// `stop` pauses the cron schedule until the next start or restart.
    public private(set) var cronPaused = false
    /// Counts the requests that changed what is wanted of the instance: a queued reload
    /// step leaves alone an instance someone stopped, restarted or deleted since.
    public private(set) var generation = 0
    private var removed = false
    /// When the event being handled happened.
    private var clock = Instant(mono: 0, wall: 0)

    public init(id: Int, spec: AppSpec, scheduled: Bool) {
        self.id = id
        self.specBox = SpecBox(spec)
        self.scheduled = scheduled
        self.unit = id
        self.phase = .idle(.stopped(reason: nil))
    }

    /// Immutable, compared by value (the machine is Equatable for its tests).
    private final class SpecBox: Sendable, Equatable {
        let value: AppSpec
        init(_ value: AppSpec) { self.value = value }
        static func == (a: SpecBox, b: SpecBox) -> Bool { a === b || a.value == b.value }
    }

    // MARK: Derived views
    //
    // @inlinable: the daemon reads these on machines it holds in a class, where a call
    // into this module takes a copy of the machine; inlined, a read loads what it needs.

    @inlinable public var display: Display {
        switch phase {
        case .idle(.stopped(let r)): return Display(.stopped, r)
        case .idle(.errored(let r)): return Display(.errored, r)
        case .starting, .launching: return Display(.launching)
        case .online: return Display(.online)
        case .stopping: return Display(.stopping)
        case .waitingRestart: return Display(.waitingRestart)
        case .reloading(let r):
            switch r.old {
            case .serving: return Display(.online)
            case .cleaning: return Display(.stopping)
            case .ended: return Display(.launching, "reloading: the old process exited")
            }
        case .deleted: return Display(.stopped, "deleted")
        }
    }

    /// The wall time of the next automatic restart.
    @inlinable public var nextRestartAt: Int64? {
        if case .waitingRestart(let w) = phase { return w.atWall }
        return nil
    }

    /// The run that serves (pid, since when), if any.
    @inlinable public var currentRun: Run? {
        switch phase {
        case .launching(let r), .online(let r): return r
        case .reloading(let r):
            if case .serving(let run) = r.old { return run }
            return nil
        default: return nil
        }
    }

    /// Online and not being changed: what `reload` can keep serving while it starts a
    /// new run, and what max_memory_restart watches.
    @inlinable public var isServing: Bool {
        if case .online = phase { return true }
        return false
    }

    @inlinable public var isOnline: Bool { display.status == .online }

    /// The reload's new run, while there is one.
    @inlinable public var reloadingUnit: Int? {
        if case .reloading(let r) = phase { return r.newUnit }
        return nil
    }

    /// The unit of a run waiting to say it is ready (a sender that already exited may
    /// only report that): the reload's new run, or the instance's own.
    @inlinable public var launchingUnit: Int? {
        switch phase {
        case .launching(let r): return r.unit
        case .reloading(let r):
            if case .launching(let run) = r.new { return run.unit }
            return nil
        default: return nil
        }
    }

    /// Another run may follow the stop in progress: a restart, or the policy's judgement
    /// of an exit. Not a `stop` or a `delete`, whose answer must find the run's cgroup
    /// gone (the executor keeps an empty cgroup only for a run that may follow).
    @inlinable public var mayRunAfterStop: Bool {
        guard case .stopping(let s) = phase else { return false }
        switch s.then {
        case .relaunch, .judge: return true
        case .stop, .delete, .retire: return false
        }
    }

    @inlinable public var isDeleted: Bool {
        if case .deleted = phase { return true }
        return false
    }

    /// A cron tick restarts what runs (or is being stopped), and starts what does not.
    @inlinable public var isRunning: Bool {
        switch phase {
        case .starting, .launching, .online, .stopping, .reloading: return true
        case .idle, .waitingRestart, .deleted: return false
        }
    }

    /// `start <target>` acts on it: nothing runs, or what runs is being stopped for good
    /// (a running instance is left alone).
    @inlinable public var needsStart: Bool {
        switch phase {
        case .idle, .waitingRestart: return true
        case .stopping(let s):
            if case .relaunch = s.then { return !s.mainAlive }
            return true
        case .starting, .launching, .online, .reloading, .deleted: return false
        }
    }

    /// The schedule may fire: it has one, `stop` did not pause it, not deleted.
    @inlinable public var wantsSchedule: Bool { scheduled && !cronPaused && !isDeleted }

    /// Every unit with a stop in progress (the instance's own and side runs).
    public var stoppingUnits: [Int] {
        var units = sides.keys.sorted()
        switch phase {
        case .stopping(let s): units.insert(s.unit, at: 0)
        case .reloading(let r):
            if case .cleaning(let s) = r.old { units.insert(s.unit, at: 0) }
        default: break
        }
        return units
    }

    /// The timers the state owns, with their length, in `timerOrder`. The only source of
    /// arming and cancelling: `handle` compares this before and after each event. An
    /// array: it holds one or two timers, and is built twice per event.
    public var ownedTimers: [(timer: Timer, ms: Int64)] {
        var timers: [(timer: Timer, ms: Int64)] = []
        func stopTimer(_ s: Stopping) {
            if !s.killing { timers.append((Timer(.kill, unit: s.unit), Int64(max(0, spec.killTimeoutMs)))) }
        }
        func watchdog(_ r: Run) {
            if let ms = r.watchdogMs { timers.append((Timer(.watchdog, unit: r.unit), Int64(ms))) }
        }
        switch phase {
        case .idle, .starting, .deleted: break
        case .launching(let r):
            if spec.waitsForReady { timers.append((Timer(.readiness, unit: r.unit), Int64(spec.readyTimeoutMs))) }
        case .online(let r): watchdog(r)
        case .stopping(let s): stopTimer(s)
        case .waitingRestart(let w): timers.append((Timer(.restart, unit: unit), Int64(w.delayMs)))
        case .reloading(let r):
            switch r.old {
            case .serving(let run): watchdog(run)
            case .cleaning(let s): stopTimer(s)
            case .ended: break
            }
            if case .launching(let run) = r.new {
                timers.append((Timer(.readiness, unit: run.unit), candidateReadinessMs))
            }
        }
        for s in sides.values { stopTimer(s) }
        if timers.count > 1 { timers.sort { Self.timerOrder($0.timer, $1.timer) } }
        return timers
    }

    /// A reload's new run is online at READY=1 (or listen_timeout) with wait_ready;
    /// without, once it stayed up for min_uptime.
    private var candidateReadinessMs: Int64 {
        Int64(spec.waitsForReady ? spec.readyTimeoutMs : max(0, spec.minUptimeMs))
    }

    // MARK: Handling an event

    /// Applies `event`, which happened at `now`, and returns what the daemon must do, in
    /// order: history and log lines, timers, then at most one spawn, then replies.
    public mutating func handle(_ event: Event, now: Instant) -> [Action] {
        var out = Output()
        clock = now
        let shownBefore = display
        let timersBefore = ownedTimers
        step(event, now: now, &out)
        if isDeleted && sides.isEmpty && !removed {
            // Forgotten (logs closed, cgroup gone) before the delete is answered.
            removed = true
            out.late.insert(.remove, at: 0)
        }
        let timersAfter = ownedTimers
        func owned(_ t: Timer, in list: [(timer: Timer, ms: Int64)]) -> Bool {
            list.contains { $0.timer == t }
        }
        // Taken, not copied: the timers and the rest are appended to the same storage.
        var actions: [Action] = []
        swap(&actions, &out.effects)
        for (t, _) in timersBefore where !owned(t, in: timersAfter) {
            actions.append(.cancel(t))
        }
        for t in out.rearmed where owned(t, in: timersBefore) && owned(t, in: timersAfter) {
            actions.append(.cancel(t))
        }
        for (t, ms) in timersAfter where !owned(t, in: timersBefore) || out.rearmed.contains(t) {
            actions.append(.arm(t, afterMs: ms))
        }
        if !out.terminations.isEmpty { actions.append(contentsOf: out.terminations) }
        if let spawn = out.spawn { actions.append(.spawn(unit: spawn)) }
        if !out.late.isEmpty { actions.append(contentsOf: out.late) }
        if display != shownBefore { actions.append(.statusChanged) }
        return actions
    }

    private static func timerOrder(_ a: Timer, _ b: Timer) -> Bool {
        (a.unit, a.kind.rawValue) < (b.unit, b.kind.rawValue)
    }

    /// Actions collected while handling one event, assembled in a fixed order.
    private struct Output {
        /// Room for what an event usually brings (a record, a timer or two, a stop or a
        /// spawn, a reply, the status): one allocation per event.
        var effects: [Action] = {
            var effects: [Action] = []
            effects.reserveCapacity(8)
            return effects
        }()
        var terminations: [Action] = []
        /// Timers to arm afresh though the state keeps them (a watchdog ping), once each.
        var rearmed: [Timer] = []
        mutating func rearm(_ t: Timer) {
            if !rearmed.contains(t) { rearmed.append(t) }
        }
        var spawn: Int?
        var late: [Action] = []

        mutating func record(_ event: String, _ reason: String? = nil) {
            effects.append(.record(event: event, reason: reason))
        }
    }

    private mutating func step(_ event: Event, now: Instant, _ out: inout Output) {
        switch event {
        case .added:
            if spec.autostart {
                launch(event: "start", reason: nil, &out)
            } else {
                let reason = scheduled ? "autostart is off: waiting for its first cron run" : "autostart is off: waiting for a start"
                phase = .idle(.stopped(reason: reason))
                out.record("added", reason)
            }
        case .configure(let newSpec, let isScheduled):
            specBox = SpecBox(newSpec)
            scheduled = isScheduled
        case .start(let relaunch):
            request(.relaunch(relaunch), name: relaunch.rawValue, &out)
        case .stop:
            request(.stop, name: "stop", &out)
        case .delete:
            request(.delete, name: "delete", &out)
        case .reload(let newUnit):
            reload(newUnit: newUnit, &out)
        case .reset:
            restarts = 0
            policy = RestartPolicy.History()
            out.record("reset", "restart counters set to 0")
        case .cronTick(let trigger):
            guard !isDeleted else { return }
            let running = isRunning
            out.record(trigger ? "trigger" : "cron", running ? "restarting the running app" : "starting the app")
            let relaunch: Relaunch = running ? .cron : .cronStart
            request(.relaunch(relaunch), name: relaunch.rawValue, &out)
        case .memoryOver(let why):
            guard isServing || { if case .reloading(let r) = phase, case .serving = r.old { return true }; return false }() else { return }
            out.record("memory", why)
            out.effects.append(.warn("\(why): restarting"))
            request(.relaunch(.memory), name: Relaunch.memory.rawValue, &out)
        case .killNow:
            killEverything(&out)
        case .spawned(let u, let pid):
            spawned(unit: u, pid: pid, now: now, &out)
        case .spawnFailed(let u, let reason):
            spawnFailed(unit: u, reason: reason, &out)
        case .mainExited(let u, let how):
            mainExited(unit: u, how, now: now, &out)
        case .treeEmpty(let u):
            treeEmpty(unit: u, now: now, &out)
        case .timer(let t):
            guard ownedTimers.contains(where: { $0.timer == t }) else { return }  // cancelled in the same turn: stale
            timerFired(t, now: now, &out)
        case .ready(let u, let how):
            ready(unit: u, how: how, &out)
        case .watchdogPing(let u):
            switch phase {
            case .online(let r) where r.unit == u && r.watchdogMs != nil:
                out.rearm(Timer(.watchdog, unit: u))
            case .reloading(let rl):
                if case .serving(let r) = rl.old, r.unit == u, r.watchdogMs != nil { out.rearm(Timer(.watchdog, unit: u)) }
            default: break
            }
        case .watchdogTrigger(let u):
            if currentRun?.unit == u { watchdogFired("the app sent WATCHDOG=trigger", &out) }
        case .watchdogInterval(let u, let ms):
            setWatchdogInterval(unit: u, ms: ms, &out)
        }
    }

    // MARK: Requests

    /// Every user request (and a cron tick, a memory restart): what is wanted is recorded,
    /// a reload in progress yields, a scheduled restart is dropped, and the processes of
    /// the instance are stopped; what is wanted happens once none is left.
    private mutating func request(_ then: AfterStop, name: String, _ out: inout Output) {
        guard !isDeleted else {
            out.late.append(.answerRequests)
            return
        }
        generation += 1
        switch then {
        case .stop, .delete:
            cronPaused = true
            out.effects.append(.cancelCron)
        case .relaunch(.manual), .relaunch(.start):
            cronPaused = false
            out.effects.append(.scheduleCron)
        default: break
        }
        if case .reloading(let r) = phase {
            abandon(r, why: "interrupted by a \(name) request", &out)
        }
        switch phase {
        case .idle, .waitingRestart:
            // Idle and waiting are only entered once the unit was found empty (or before
            // anything ran in it): there is no stop to wait for.
            finish(Stopping(unit: unit, mainAlive: false, then: then), now: clock, &out)
        case .starting(let l):
            // Unreachable: a spawn's result is handled before any other event.
            phase = .stopping(Stopping(unit: l.unit, mainAlive: true, then: then))
            out.terminations.append(.terminate(unit: l.unit))
        case .launching(let r), .online(let r):
            phase = .stopping(Stopping(unit: r.unit, mainAlive: true, then: then, startedMono: r.startedMono))
            out.terminations.append(.terminate(unit: r.unit))
        case .stopping(var s):
            // A request during a stop joins it: what happens at its end is the last wish.
            s.then = then
            phase = .stopping(s)
        case .reloading, .deleted:
            break  // abandon() left another phase; deleted returned above
        }
    }

    // MARK: Launching

    private mutating func launch(event: String, reason: String?, _ out: inout Output) {
        phase = .starting(Launch(unit: unit, event: event, reason: reason))
        out.spawn = unit
    }

    /// What a finished stop with `relaunch` does, or a request on an instance whose unit
    /// is known to be empty.
    private mutating func relaunchNow(_ relaunch: Relaunch, _ out: inout Output) {
        // A manual restart (or a cron run) is a fresh start for the crash-loop count and
        // the backoff (docs/semantics.md, "How an exit is judged"); a memory restart is not.
        if relaunch != .memory { policy = RestartPolicy.History() }
        switch relaunch {
        case .start: launch(event: "start", reason: nil, &out)
        case .cronStart: launch(event: "start", reason: "cron", &out)
        case .manual, .memory, .cron:
            restarts += 1
            launch(event: "restart", reason: relaunch.rawValue, &out)
        }
    }

    private mutating func spawned(unit u: Int, pid: Int32, now: Instant, _ out: inout Output) {
        let run = Run(unit: u, pid: pid, startedMono: now.mono, watchdogMs: spec.watchdogMs)
        switch phase {
        case .starting(let l) where l.unit == u:
            out.record(l.event, l.reason)
            phase = spec.waitsForReady ? .launching(run) : .online(run)
            out.late.append(.answerRequests)
        case .reloading(var r):
            guard case .starting(let l) = r.new, l.unit == u else { return }
            out.record(l.event, Self.side("new", l.reason))
            r.new = .launching(run)
            phase = .reloading(r)
        default: break
        }
    }

    private mutating func spawnFailed(unit u: Int, reason: String, _ out: inout Output) {
        switch phase {
        case .starting(let l) where l.unit == u:
            phase = .idle(.errored(reason: reason))
            out.record("errored", reason)
            out.effects.append(.warn("could not start: \(reason)"))
            out.late.append(.answerRequests)
        case .reloading(let r):
            guard case .starting(let l) = r.new, l.unit == u else { return }
            newRunFailed(r, why: "could not start: \(reason)", &out)
        default: break
        }
    }

    private mutating func ready(unit u: Int, how: String, _ out: inout Output) {
        switch phase {
        case .launching(let r) where r.unit == u:
            out.record("ready", how)
            phase = .online(r)
        case .reloading(let r):
            guard case .launching(let run) = r.new, run.unit == u else { return }
            newRunOnline(r, run, how: how, &out)
        default: break
        }
    }

    private mutating func setWatchdogInterval(unit u: Int, ms: Int?, _ out: inout Output) {
        // The app may change its own interval (sd_notify "WATCHDOG_USEC=…"), as with
        // systemd; nil (0) turns the watchdog off.
        switch phase {
        case .launching(var r) where r.unit == u:
            r.watchdogMs = ms
            phase = .launching(r)
        case .online(var r) where r.unit == u:
            r.watchdogMs = ms
            phase = .online(r)
            out.rearm(Timer(.watchdog, unit: u))
        case .reloading(var rl):
            if case .serving(var r) = rl.old, r.unit == u {
                r.watchdogMs = ms
                rl.old = .serving(r)
                out.rearm(Timer(.watchdog, unit: u))
            } else if case .launching(var r) = rl.new, r.unit == u {
                r.watchdogMs = ms
                rl.new = .launching(r)
            }
            phase = .reloading(rl)
        default: break
        }
    }

    /// The run is ended as a crash would end it, and the restart policy decides (a hung
    /// app in a loop becomes errored after max_restarts, as a crashing one).
    private mutating func watchdogFired(_ why: String, _ out: inout Output) {
        guard let run = currentRun else { return }
        out.record("watchdog", why)
        out.effects.append(.warn("\(why): stopping it"))
        let stopping = Stopping(unit: run.unit, mainAlive: true,
                                then: .judge(exit: nil, failure: "watchdog"), startedMono: run.startedMono)
        if case .reloading(var r) = phase {
            r.old = .cleaning(stopping)
            phase = .reloading(r)
        } else {
            phase = .stopping(stopping)
        }
        out.terminations.append(.terminate(unit: run.unit))
    }

    // MARK: Exits and ends of stops

    private func exitInfo(_ how: MainExit, startedMono: Int64?, requested: Bool, now: Instant) -> ExitInfo {
        ExitInfo(code: how.code, signal: how.signal, at: now.wall,
                 runMs: startedMono.map { now.mono - $0 } ?? 0, requested: requested,
                 oom: how.oom ? true : nil)
    }

    private mutating func mainExited(unit u: Int, _ how: MainExit, now: Instant, _ out: inout Output) {
        switch phase {
        case .launching(let r) where r.unit == u, .online(let r) where r.unit == u:
            // Exited by itself: stop whatever it left behind, then apply the policy, so a
            // new main process never meets its predecessor's workers.
            let exit = exitInfo(how, startedMono: r.startedMono, requested: false, now: now)
            lastExit = exit
            out.record("exit", exit.summary)
            phase = .stopping(Stopping(unit: u, mainAlive: false, then: .judge(exit: exit, failure: nil), startedMono: r.startedMono))
            out.terminations.append(.terminate(unit: u))
        case .stopping(var s) where s.unit == u:
            let exit = exitInfo(how, startedMono: s.startedMono, requested: s.then.requested, now: now)
            lastExit = exit
            out.record("exit", exit.summary + (exit.requested ? " (stop requested)" : ""))
            s.mainAlive = false
            if case .judge(nil, let failure) = s.then { s.then = .judge(exit: exit, failure: failure) }
            phase = .stopping(s)
        case .reloading(var r):
            if case .serving(let run) = r.old, run.unit == u {
                let exit = exitInfo(how, startedMono: run.startedMono, requested: false, now: now)
                lastExit = exit
                out.record("exit", exit.summary)
                r.old = .cleaning(Stopping(unit: u, mainAlive: false, then: .judge(exit: exit, failure: nil), startedMono: run.startedMono))
                phase = .reloading(r)
                out.terminations.append(.terminate(unit: u))
            } else if case .cleaning(var s) = r.old, s.unit == u {
                let exit = exitInfo(how, startedMono: s.startedMono, requested: false, now: now)
                lastExit = exit
                out.record("exit", exit.summary)
                s.mainAlive = false
                if case .judge(nil, let failure) = s.then { s.then = .judge(exit: exit, failure: failure) }
                r.old = .cleaning(s)
                phase = .reloading(r)
            } else if case .launching(let run) = r.new, run.unit == u {
                let exit = exitInfo(how, startedMono: run.startedMono, requested: false, now: now)
                out.record("exit", Self.side("new", exit.summary))
                newRunFailed(r, why: "the new process exited (\(exit.summary)) before it was online", &out)
                sides[u]?.mainAlive = false
            } else {
                sideExited(unit: u, how, now: now, &out)
            }
        default:
            sideExited(unit: u, how, now: now, &out)
        }
    }

    private mutating func sideExited(unit u: Int, _ how: MainExit, now: Instant, _ out: inout Output) {
        guard var s = sides[u], s.mainAlive else { return }
        let exit = exitInfo(how, startedMono: s.startedMono, requested: true, now: now)
        out.record("exit", Self.side(s.newRun ? "new" : "old", exit.summary + " (stop requested)"))
        s.mainAlive = false
        sides[u] = s
    }

    private mutating func treeEmpty(unit u: Int, now: Instant, _ out: inout Output) {
        if let s = sides.removeValue(forKey: u) {
            out.effects.append(.release(unit: u))
            if case .retire(let report?, let failure) = s.then {
                out.late.append(.reloadFinished(unit: report, failure: failure))
            }
            return
        }
        switch phase {
        case .stopping(let s) where s.unit == u && !s.mainAlive:
            finish(s, now: now, &out)
        case .reloading(var r):
            guard case .cleaning(let s) = r.old, s.unit == u, !s.mainAlive else { return }
            guard case .judge(let exit?, let failure) = s.then else { return }
            r.old = .ended(exit: exit, failure: failure)
            phase = .reloading(r)
        default: break
        }
    }

    /// Every process of the instance's own run is gone: do what was asked.
    private mutating func finish(_ s: Stopping, now: Instant, _ out: inout Output) {
        switch s.then {
        case .stop:
            phase = .idle(.stopped(reason: "stopped by request"))
            out.record("stopped", "by request")
            out.late.append(.answerRequests)
        case .delete:
            phase = .deleted
            out.late.append(.answerRequests)
        case .relaunch(let relaunch):
            relaunchNow(relaunch, &out)  // answered once the spawn's result is in
        case .judge(let exit, let failure):
            if let exit {
                judge(exit, failure: failure, now: now, &out)
            } else {
                phase = .idle(.stopped(reason: nil))
            }
            out.late.append(.answerRequests)
        case .retire:
            break  // side runs only
        }
    }

    private mutating func judge(_ exit: ExitInfo, failure: String?, now: Instant, _ out: inout Output) {
        let outcome = RestartPolicy.decide(spec: spec, exit: exit, history: policy)
        policy = outcome.history
        let reason = failure ?? (exit.oom == true ? "oom" : exit.signal.map { "signal \($0)" } ?? "exit code \(exit.code ?? -1)")
        switch outcome.decision {
        case .restart(let delay):
            restarts += 1
            if delay <= 0 {
                launch(event: "restart", reason: reason, &out)
            } else {
                phase = .waitingRestart(WaitingRestart(atWall: now.wall + Int64(delay), delayMs: delay, reason: reason))
                out.record("waiting restart", "\(reason); restart in \(delay) ms")
            }
        case .stop(let why):
            let shown = "exited by itself: \(why)"
            phase = .idle(.stopped(reason: shown))
            out.record("stopped", shown)
        case .giveUp(let why):
            phase = .idle(.errored(reason: why))
            out.record("errored", why)
            out.effects.append(.warn("errored: \(why)"))
        }
    }

    private mutating func timerFired(_ t: Timer, now: Instant, _ out: inout Output) {
        switch t.kind {
        case .kill:
            killUnit(t.unit, &out)
        case .restart:
            guard case .waitingRestart(let w) = phase else { return }
            launch(event: "restart", reason: w.reason, &out)
        case .readiness:
            if case .launching(let r) = phase, r.unit == t.unit {
                // PM2's rule: an app that never says it is ready still goes online.
                out.record("ready", "no READY=1 within listen_timeout \(spec.readyTimeoutMs) ms: online anyway")
                phase = .online(r)
            } else if case .reloading(let rl) = phase, case .launching(let run) = rl.new, run.unit == t.unit {
                let how = spec.waitsForReady
                    ? "no READY=1 within listen_timeout \(spec.readyTimeoutMs) ms: online anyway"
                    : "up for min_uptime \(max(0, spec.minUptimeMs)) ms"
                newRunOnline(rl, run, how: how, &out)
            }
        case .watchdog:
            watchdogFired("no WATCHDOG=1 within watchdog_sec \(currentRun?.watchdogMs ?? 0) ms", &out)
        }
    }

    private func killNote() -> String {
        "still running after kill_timeout \(spec.killTimeoutMs) ms: SIGKILL"
    }

    private mutating func killUnit(_ u: Int, _ out: inout Output) {
        if var s = sides[u], !s.killing {
            s.killing = true
            sides[u] = s
            out.terminations.append(.killAll(unit: u, note: Self.side(s.newRun ? "new" : "old", killNote()) ?? killNote()))
            return
        }
        switch phase {
        case .stopping(var s) where s.unit == u && !s.killing:
            s.killing = true
            phase = .stopping(s)
            out.terminations.append(.killAll(unit: u, note: killNote()))
        case .reloading(var r):
            guard case .cleaning(var s) = r.old, s.unit == u, !s.killing else { return }
            s.killing = true
            r.old = .cleaning(s)
            phase = .reloading(r)
            out.terminations.append(.killAll(unit: u, note: killNote()))
        default: break
        }
    }

    private mutating func killEverything(_ out: inout Output) {
        for u in stoppingUnits { killUnit(u, &out) }
    }

    // MARK: Reload

    private mutating func reload(newUnit: Int, _ out: inout Output) {
        switch phase {
        case .reloading:
            out.late.append(.reloadFinished(unit: newUnit, failure: "a reload of it is already in progress"))
        case .online(let run):
            phase = .reloading(Reloading(old: .serving(run), new: .starting(Launch(unit: newUnit, event: "reload", reason: "started beside pid \(run.pid)"))))
            out.spawn = newUnit
        default:
            out.late.append(.reloadFinished(unit: newUnit, failure: "it is not online"))
        }
    }

    /// The new run is online: it becomes the instance's run, and the old one is stopped.
    private mutating func newRunOnline(_ r: Reloading, _ run: Run, how: String, _ out: inout Output) {
        out.record("ready", Self.side("new", how))
        let oldUnit = unit
        unit = run.unit
        phase = .online(run)
        restarts += 1
        policy = RestartPolicy.History()
        switch r.old {
        case .serving(let old):
            out.record("reload", "pid \(run.pid) online; stopping the old pid \(old.pid)")
            sides[old.unit] = Stopping(unit: old.unit, mainAlive: true,
                                       then: .retire(report: run.unit, failure: nil), startedMono: old.startedMono)
            out.terminations.append(.terminate(unit: old.unit))
        case .cleaning(var s):
            // The old run exited (or its watchdog ended it) meanwhile: the new one serves
            // instead, and what is left of the old one goes on being stopped beside it;
            // the reload is answered once that is gone, as when the old run served.
            out.record("reload", "pid \(run.pid) online; the old run had exited: stopping what is left of it")
            s.then = .retire(report: run.unit, failure: nil)
            sides[s.unit] = s
        case .ended:
            out.record("reload", "pid \(run.pid) online; the old run had already ended")
            out.effects.append(.release(unit: oldUnit))
            out.late.append(.reloadFinished(unit: run.unit, failure: nil))
        }
    }

    /// The new run of a reload will not serve: whatever it started is stopped beside the
    /// instance, the old run's state comes back, and the reload is answered with why once
    /// nothing of the new run is left.
    private mutating func newRunFailed(_ r: Reloading, why: String, _ out: inout Output) {
        retireNewRun(r, why: why, &out)
        switch r.old {
        case .serving(let run): phase = .online(run)
        case .cleaning(let s): phase = .stopping(s)
        case .ended(let exit, let failure):
            // An old run that ended during the failed reload is judged as any exit.
            judge(exit, failure: failure, now: clock, &out)
        }
    }

    /// A request during a reload: the new run is stopped, the request acts on the old.
    private mutating func abandon(_ r: Reloading, why: String, _ out: inout Output) {
        retireNewRun(r, why: why, &out)
        switch r.old {
        case .serving(let run): phase = .online(run)
        case .cleaning(let s): phase = .stopping(s)
        case .ended: phase = .idle(.stopped(reason: nil))
        }
    }

    /// The new run becomes a side run being stopped, answering its reload with `why`.
    private mutating func retireNewRun(_ r: Reloading, why: String, _ out: inout Output) {
        out.record("reload failed", Self.side("new", why))
        out.effects.append(.warn("reload failed: \(why)"))
        let u = r.newUnit
        var side = Stopping(unit: u, mainAlive: false, then: .retire(report: u, failure: why))
        side.newRun = true
        if case .launching(let run) = r.new {
            side.mainAlive = true
            side.startedMono = run.startedMono
        }
        sides[u] = side
        out.terminations.append(.terminate(unit: u))
    }

    /// History lines about a reload's runs say which one.
    static func side(_ which: String, _ reason: String?) -> String? {
        reason.map { "\(which) process: \($0)" } ?? "\(which) process"
    }
}

