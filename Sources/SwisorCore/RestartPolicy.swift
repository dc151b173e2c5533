/// What happens when an app's main process exits on its own (docs/semantics.md, "How an
/// exit is judged"). Pure: the caller passes the run's length and what the policy
/// remembered from earlier runs, and gets a decision and the new memory back.
public enum RestartPolicy {
    public enum Decision: Equatable, Sendable {
        /// Start it again after this many milliseconds (0: at once).
        case restart(afterMs: Int)
        /// Leave it stopped: it exited by itself and that is what it asked for.
        case stop(reason: String)
        /// Give up: `errored`.
        case giveUp(reason: String)
    }

    /// What the policy carries from one run to the next. A manual start or restart
    /// begins again from `RestartHistory()`.
    public struct History: Equatable, Sendable {
        /// Unstable runs (shorter than min_uptime) in a row, including the last one.
        public var unstableRuns: Int
        /// The last exponential-backoff wait; nil before the first or after a reset.
        public var backoffMs: Int?

        public init(unstableRuns: Int = 0, backoffMs: Int? = nil) {
            self.unstableRuns = unstableRuns
            self.backoffMs = backoffMs
        }
    }

    public struct Outcome: Equatable, Sendable {
        public var decision: Decision
        public var history: History
    }

    /// A run this long resets the backoff to its first value (PM2 checks every 30 s;
    /// swisor measures the run exactly).
    public static let backoffResetRunMs: Int64 = 30_000
    public static let backoffFactor = 1.5

    public static func decide(spec: AppSpec, exit: ExitInfo, history: History) -> Outcome {
        // A run shorter than min_uptime is unstable; a stable run resets the count.
        // There is no time window (unlike PM2): a crash loop always ends in errored,
        // whatever the delays between its runs.
        let unstable = exit.runMs < Int64(spec.minUptimeMs)
        let unstableRuns = unstable ? history.unstableRuns + 1 : 0

        // The count is about restarts: an exit that is not restarted leaves it at 0.
        // A death by a signal swisor did not send is never a clean exit.
        if let code = exit.code, spec.stopExitCodes.contains(code) {
            return Outcome(decision: .stop(reason: "exited with code \(code), listed in stop_exit_codes"), history: History())
        }
        if !spec.autorestart {
            return Outcome(decision: .stop(reason: "\(exit.summary), autorestart is off"), history: History())
        }
        if unstable && unstableRuns >= spec.maxRestarts {
            let reason = "\(exit.summary) after \(exit.runMs) ms; \(unstableRuns) unstable runs in a row (max_restarts \(spec.maxRestarts), min_uptime \(spec.minUptimeMs) ms)"
            return Outcome(decision: .giveUp(reason: reason), history: History(unstableRuns: unstableRuns))
        }
        guard let first = spec.expBackoffRestartDelayMs, first > 0 else {
            return Outcome(decision: .restart(afterMs: spec.restartDelayMs), history: History(unstableRuns: unstableRuns))
        }
        // Exponential backoff: the first wait, then 1.5x the previous one, capped.
        let cap = max(1, spec.expBackoffMaxDelayMs)
        let previous = exit.runMs >= backoffResetRunMs ? nil : history.backoffMs
        let wait = previous.map { min(cap, Int(Double($0) * backoffFactor)) } ?? min(cap, first)
        return Outcome(decision: .restart(afterMs: wait), history: History(unstableRuns: unstableRuns, backoffMs: wait))
    }
}
