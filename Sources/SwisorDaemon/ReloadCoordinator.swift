import SwisorCore

/// `reload` of several instances: one at a time, each a new run beside the old one
/// (the machine's `reloading` state), so an app with several instances always has all
/// but one serving. Each instance is taken as it is when the request arrives: one that a
/// later request stops, restarts or deletes before its turn comes is left to that request.
final class ReloadCoordinator {
    private unowned let supervisor: Supervisor
    private var queue: [(Instance, Int)]
    private var failures: [String] = []
    private let completion: ([String]) -> Void

    init(supervisor: Supervisor, targets: [Instance], completion: @escaping ([String]) -> Void) {
        self.supervisor = supervisor
        self.queue = targets.sorted { $0.id < $1.id }.map { ($0, $0.machine.generation) }
        self.completion = completion
    }

    /// Reloads the next instance; `completion` gets one line per instance whose new run
    /// did not take over (its old one kept running).
    func next() {
        guard !queue.isEmpty else { return completion(failures) }
        let (inst, generation) = queue.removeFirst()
        guard !supervisor.stoppingAll, supervisor.instances[inst.id] === inst, !inst.machine.isDeleted,
              inst.machine.generation == generation else { return next() }
        // The coordinator keeps itself alive through this closure until the last step.
        supervisor.reloadOne(inst) { failure in
            if let failure { self.failures.append(failure) }
            self.next()
        }
    }
}
