import DequeModule
import SwisorCore
import SwisorSystem

/// The daemon's log writer: one thread that frames, renders and writes the output of every
/// app, so that the event loop never waits for a disk (a slow or full disk, an NFS log
/// directory). The loop only reads pipes and appends the chunks to the instance's queue.
///
/// Queues are bounded: when an instance has more than `sinkLimit` bytes waiting (or all of
/// them together more than `totalLimit`), `enqueue` says so and the loop stops reading that
/// instance's pipes; the app then blocks in write(2) once its pipe is full, which is the
/// back-pressure: the chatty app waits for the disk, not the daemon or the other apps. The
/// writer reports `.drained` once the queue is below `lowWater`, and the loop reads again.
///
/// The writer takes at most `batchBytes` of one queue at a time, round robin, so one
/// chatty app cannot keep another's lines waiting long.
final class LogWriter: @unchecked Sendable {
    let zone: TimeZoneRules
    let compressor: LogCompressor

    static let sinkLimit = 1 << 20
    static let lowWater = 256 << 10
    static let totalLimit = 32 << 20
    static let totalLowWater = 16 << 20
    static let batchBytes = 256 << 10
    /// The size of one pipe read (`PipeReader`), and of the buffers it reads into.
    static let chunkCapacity = 64 << 10
    /// Buffers kept for reuse: enough for a few busy apps, 1 MiB at most.
    static let maxSpares = 16

    let lock = ConditionLock()
    // Under `lock`:
    private var ready = Deque<LogSink>()
    private var waiting: [Int: LogSink] = [:]
    private var totalQueued = 0
    private var stopping = false
    private var events: [LogEvent] = []
    private var loopWoken = false
    private var spares: [LogChunk] = []

    private let wake: Pipe
    private let thread = WorkerThread(name: "swisor-logs")

    /// Writer thread only: one `LogFile` per path, shared by every sink that writes to it
    /// (the instances of an app with merge_logs, an out_file that is also the error_file),
    /// so that one rotation renames and reopens it for all of them: a second descriptor
    /// would keep writing into the renamed file, even while it is being compressed.
    private var filesByPath: [String: (file: LogFile, users: Int)] = [:]

    func acquireFile(_ path: String) -> LogFile {
        if let entry = filesByPath[path] {
            filesByPath[path] = (entry.file, entry.users + 1)
            return entry.file
        }
        let file = LogFile(path: path)
        filesByPath[path] = (file, 1)
        return file
    }

    /// The caller has written the file's buffer.
    func releaseFile(_ file: LogFile) {
        guard let entry = filesByPath[file.path], entry.file === file else { return }
        if entry.users > 1 {
            filesByPath[file.path] = (file, entry.users - 1)
        } else {
            filesByPath[file.path] = nil
            file.close()
        }
    }

    init(zone: TimeZoneRules) throws(SystemError) {
        self.zone = zone
        wake = try Pipe.make()
        try wake.readEnd.setNonBlocking()
        try wake.writeEnd.setNonBlocking()
        compressor = LogCompressor()
        compressor.report = { [unowned self] sink, message in self.post(.problem(sink: sink, message: message)) }
        try compressor.start()
        try thread.start { [unowned self] in self.run() }
    }

    /// Readable when events wait for the loop.
    var wakeDescriptor: FileDescriptor { wake.readEnd }

    // MARK: Loop side

    /// Queues `entry` for `sink`; true when the sink (or the writer as a whole) is over its
    /// bound, and the loop should stop reading the sink's pipes until `.drained`.
    @discardableResult
    func enqueue(_ sink: LogSink, _ entry: LogEntry) -> Bool {
        let bytes = entry.queuedBytes
        return lock.withLock {
            sink.queue.append(entry)
            sink.queuedBytes += bytes
            totalQueued += bytes
            if !sink.scheduled {
                sink.scheduled = true
                ready.append(sink)
                lock.signal()
            }
            let over = sink.queuedBytes > LogWriter.sinkLimit || totalQueued > LogWriter.totalLimit
            if over { waiting[sink.id] = sink }
            return over
        }
    }

    /// A buffer of `chunkCapacity` bytes for the next read: one the writer is done with,
    /// or a new one.
    func spareChunk() -> LogChunk {
        let chunk = lock.withLock { spares.popLast() } ?? LogChunk(capacity: LogWriter.chunkCapacity)
        chunk.count = 0
        return chunk
    }

    /// The events posted since the last call; the loop calls it when `wakeDescriptor` is
    /// readable.
    func takeEvents() -> [LogEvent] {
        wake.readEnd.drainWakeUps()
        return lock.withLock {
            loopWoken = false
            defer { events = [] }
            return events
        }
    }

    func stats(of sink: LogSink) -> LogStats {
        lock.withLock { sink.stats }
    }

    /// Writes everything queued, closes the files and ends the threads (at daemon exit).
    func shutdown() {
        lock.withLock {
            stopping = true
            lock.signal()
        }
        thread.join()
        compressor.shutdown()
        wake.readEnd.close()
        wake.writeEnd.close()
    }

    // MARK: Writer side

    /// From either thread.
    func post(_ event: LogEvent) {
        lock.withLock { postLocked(event) }
    }

    func updateStats(_ sink: LogSink, _ change: (inout LogStats) -> Void) {
        lock.withLock { change(&sink.stats) }
    }

    private func postLocked(_ event: LogEvent) {
        events.append(event)
        if !loopWoken {
            loopWoken = true
            wake.writeEnd.signalWakeUp()
        }
    }

    private func run() {
        while true {
            lock.lock()
            while ready.isEmpty && !stopping { lock.wait() }
            if ready.isEmpty {
                lock.unlock()
                return
            }
            let sink = ready.removeFirst()
            var taken = 0
            var bytes = 0
            for entry in sink.queue {
                if taken > 0 && bytes >= LogWriter.batchBytes { break }
                bytes += entry.queuedBytes
                taken += 1
            }
            var batch = Array(sink.queue.prefix(taken))
            sink.queue.removeFirst(taken)
            if sink.queue.isEmpty {
                sink.scheduled = false
            } else {
                ready.append(sink)
            }
            lock.unlock()

            sink.process(batch, writer: self)
            // The full-size buffers go back to the reader, who would otherwise allocate
            // (and the kernel zero) a new one for every read.
            var returned: [LogChunk] = []
            for case .data(_, _, let chunk, _) in batch where chunk.capacity == LogWriter.chunkCapacity {
                returned.append(chunk)
            }
            batch = []

            lock.withLock {
                for chunk in returned where spares.count < LogWriter.maxSpares { spares.append(chunk) }
                sink.queuedBytes -= bytes
                totalQueued -= bytes
                if !waiting.isEmpty && totalQueued <= LogWriter.totalLowWater {
                    for (id, s) in waiting where s.queuedBytes <= LogWriter.lowWater {
                        waiting[id] = nil
                        postLocked(.drained(sink: id))
                    }
                }
            }
        }
    }
}
