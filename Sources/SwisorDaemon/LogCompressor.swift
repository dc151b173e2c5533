import DequeModule
import SwisorCore
import SwisorSystem

/// Compresses rotated files on its own thread, one at a time, then applies retention:
/// gzip of a 100 MB file takes seconds, which must not hold up the writer (and so every
/// app's output).
final class LogCompressor: @unchecked Sendable {
    struct Job: Sendable {
        var sink: Int
        /// The renamed log.
        var rotated: String
        /// Its `.gz`; nil: no compression, retention only.
        var compressed: String?
        /// The live log, whose rotated files retention counts.
        var log: String
        var retain: Int

        /// Deletes the oldest rotated files of `log` beyond `retain`.
        func applyRetention() {
            let directory = Directory.parent(of: log)
            guard let names = Directory.names(directory.isEmpty ? "." : directory) else { return }
            for name in RotationPlan.filesToDelete(forLog: log, in: names, retain: retain) {
                FileSystem.removeOwnFile(directory + name)
            }
        }
    }

    var report: (@Sendable (Int, String) -> Void)?
    private let lock = ConditionLock()
    private var jobs = Deque<Job>()
    private var stopping = false
    private let thread = WorkerThread(name: "swisor-gzip")

    func start() throws(SystemError) {
        try thread.start { [unowned self] in self.run() }
    }

    func enqueue(_ job: Job) {
        lock.withLock {
            jobs.append(job)
            lock.signal()
        }
    }

    /// Finishes the queued jobs, then ends the thread.
    func shutdown() {
        lock.withLock {
            stopping = true
            lock.signal()
        }
        thread.join()
    }

    private func run() {
        while true {
            lock.lock()
            while jobs.isEmpty && !stopping { lock.wait() }
            if jobs.isEmpty {
                lock.unlock()
                return
            }
            let job = jobs.removeFirst()
            lock.unlock()
            if let destination = job.compressed {
                do {
                    try Gzip.compress(job.rotated, to: destination)
                } catch {
                    report?(job.sink, "cannot compress \(job.rotated): \(error); kept uncompressed")
                }
            }
            job.applyRetention()
        }
    }
}
