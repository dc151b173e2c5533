/// Who gets which signal in one round of a stop (docs/semantics.md, "Stopping"): the
/// decision apart from the signalling, so that kill_mode's rules have unit tests.
public struct TerminationRound: Sendable, Equatable {
    /// SIGKILL to every process of the unit.
    public var killEveryone: Bool
    /// kill_signal to the main process alone; the rest wait.
    public var mainOnly: Bool

    /// - killing: kill_timeout passed (or a second SIGTERM at shutdown).
    /// - mainAlive: the main process has not been reaped yet.
    public init(killMode: KillMode, killing: Bool, mainAlive: Bool) {
        // kill_mode mixed: the main process alone gets kill_signal; the rest get SIGKILL
        // once it is gone (or at the timeout). group: everyone gets kill_signal.
        let mixed = killMode == .mixed
        self.killEveryone = killing || (mixed && !mainAlive)
        self.mainOnly = !killEveryone && mixed && mainAlive
    }
}
