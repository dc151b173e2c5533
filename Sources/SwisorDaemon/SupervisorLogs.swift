import SwisorCore

extension Supervisor {
    /// `flush`: the current log files of every target are emptied by the writer, after the
    /// lines queued before the request; `completion` once all are done.
    func flushLogs(_ targets: [Instance], completion: @escaping () -> Void) {
        let group = Countdown(completion)
        for inst in targets {
            group.enter()
            inst.logs.flush { group.leave() }
            inst.record("flush", "log files emptied")
        }
        group.arm()
    }
}
