/// What happens when an app's main process exits on its own (SEMANTICS.md, "How an
/// exit is judged"). Pure: the caller passes the run's length and the count of
/// unstable runs so far, and gets a decision back.
public enum RestartPolicy {
    public enum Decision: Equatable, Sendable {
        /// Start it again after this many milliseconds (0: at once).
        case restart(afterMs: Int)
        /// Leave it stopped: it exited by itself and that is what it asked for.
        case stop(reason: String)
        /// Give up: `errored`.
        case giveUp(reason: String)
    }

    public struct Outcome: Equatable, Sendable {
        public var decision: Decision
        /// Unstable runs in a row, including this one.
        public var unstableRuns: Int
    }

    public static func decide(spec: AppSpec, exit: ExitInfo, unstableRunsBefore: Int) -> Outcome {
        // A run shorter than min_uptime is unstable; a stable run resets the count.
        // There is no time window (unlike PM2): a crash loop always ends in errored.
        let unstable = exit.runMs < Int64(spec.minUptimeMs)
        let unstableRuns = unstable ? unstableRunsBefore + 1 : 0

        // A death by a signal swisor did not send is never a clean exit.
        // The count is about restarts: an exit that is not restarted leaves it at 0.
        if let code = exit.code, spec.stopExitCodes.contains(code) {
            return Outcome(decision: .stop(reason: "exited with code \(code), listed in stop_exit_codes"), unstableRuns: 0)
        }
        if !spec.autorestart {
            return Outcome(decision: .stop(reason: "\(exit.summary), autorestart is off"), unstableRuns: 0)
        }
        if unstable && unstableRuns >= spec.maxRestarts {
            let reason = "\(exit.summary) after \(exit.runMs) ms; \(unstableRuns) unstable runs in a row (max_restarts \(spec.maxRestarts), min_uptime \(spec.minUptimeMs) ms)"
            return Outcome(decision: .giveUp(reason: reason), unstableRuns: unstableRuns)
        }
        return Outcome(decision: .restart(afterMs: spec.restartDelayMs), unstableRuns: unstableRuns)
    }
}
