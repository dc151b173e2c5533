#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorSystem

/// What the event loop asks of one instance's logs, handled in order on the writer thread.
enum LogEntry {
    /// A chunk read from a pipe (`source` names the pipe: each has its own partial line),
    /// received at `at` (ms since the epoch): every line completed in it gets that time.
    case data(source: Int, stream: LogStream, chunk: LogChunk, at: Int64)
    /// The pipe reached its end: a held partial line is written (with a newline).
    case end(source: Int, stream: LogStream, at: Int64)
    /// Files, format and rotation from the app's spec; sent at each launch when changed.
    case configure(LogSinkConfig)
    /// `log_rotate_interval` fired.
    case rotate
    /// `swisor flush`: empty the current files.
    case truncate(token: Int)
    /// `swisor reloadLogs`, SIGHUP: close and open the files again by path.
    case reopen(token: Int)
    /// The instance was deleted: write what is left, close the files.
    case close(token: Int)
}

extension LogEntry {
    /// A chunk holding a copy of `bytes`.
    static func data(source: Int, stream: LogStream, bytes: [UInt8], at: Int64) -> LogEntry {
        .data(source: source, stream: stream, chunk: bytes.withUnsafeBytes { LogChunk(copying: $0) }, at: at)
    }

    /// What the entry holds in memory, counted against the queue bounds.
    var queuedBytes: Int {
        if case .data(_, _, let chunk, _) = self { return chunk.capacity }
        return 0
    }
}

/// Bytes read from a pipe on their way to the writer thread: a fixed buffer, so that a
/// full read is handed over as it is (no copy) and its buffer comes back to the reader
/// once written (`LogWriter.spareChunk`), instead of a fresh allocation per read.
final class LogChunk: @unchecked Sendable {
    let storage: UnsafeMutableRawBufferPointer
    /// How many bytes of `storage` hold data.
    var count = 0

    init(capacity: Int) {
        storage = .allocate(byteCount: max(1, capacity), alignment: 16)
    }

    convenience init(copying bytes: UnsafeRawBufferPointer) {
        self.init(capacity: bytes.count)
        if let base = bytes.baseAddress, bytes.count > 0 {
            storage.baseAddress!.copyMemory(from: base, byteCount: bytes.count)
        }
        count = bytes.count
    }

    deinit { storage.deallocate() }

    var capacity: Int { storage.count }
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[0..<count]) }
}

/// What the writer threads tell the event loop.
enum LogEvent {
    /// A failure (or a recovery) worth one line in the app's history and the daemon log.
    case problem(sink: Int, message: String)
    /// The request with this token is done.
    case done(token: Int)
    /// The sink's queue went below the low-water mark: read its pipes again.
    case drained(sink: Int)
}

struct LogSinkConfig: Equatable {
    var paths: LogPaths
    var settings: LogSettings
    /// The app's name and instance index: the journal's SYSLOG_IDENTIFIER and fields.
    var app: String
    var index: Int
}

/// What `describe` shows about an instance's logs (shared, under the writer's lock).
struct LogStats {
    var droppedLines = 0
    var droppedBytes: Int64 = 0
    /// The last failure, kept after a recovery (describe shows it with the counts).
    var lastError: String?
    /// Lines go to the journal now.
    var journal = false
    var rotations = 0
}

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
    private var ready: [LogSink] = []
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
            var batch = Array(sink.queue[0..<taken])
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

/// One instance's logs on the writer thread: its line framers (one per pipe), its
/// renderer, its files or its journal fields. Only `queue`, `queuedBytes`, `scheduled` and
/// `stats` are shared (under the writer's lock); everything else is the writer thread's.
final class LogSink: @unchecked Sendable {
    let id: Int

    // Under LogWriter.lock:
    var queue: [LogEntry] = []
    var queuedBytes = 0
    var scheduled = false
    var stats = LogStats()

    // Writer thread only:
    private var config: LogSinkConfig?
    private var out: LogFile?
    private var err: LogFile?
    private var combined: LogFile?
    /// Per pipe: a restart's new pipes must not join lines with the old run's tail.
    private var framers: [Int: (stream: LogStream, framer: LineFramer)] = [:]
    private var renderer: LogRecordRenderer?
    private var scratch: [UInt8] = []
    private var journal: JournalFields?
    /// Some file fails: the next failure is not reported again.
    private var failing = false
    /// The current failure was reported (not held back by the interval): its end is too.
    private var failureReported = false
    private var lastReportMono: Int64?

    /// A file is written when this much is buffered, and at the end of every batch.
    static let writeThreshold = 64 << 10
    /// A run of plain lines this long is written without a copy into the buffer.
    static let directWriteBytes = 16 << 10
    /// Failure reports of one sink are at least this far apart (a disk that fills and
    /// empties must not flood the history).
    static let reportIntervalMs: Int64 = 60_000

    init(id: Int) {
        self.id = id
    }

    /// Each file once (out_file and error_file may name the same file).
    private var files: [LogFile] {
        var result: [LogFile] = []
        for f in [out, err, combined] {
            if let f, !result.contains(where: { $0 === f }) { result.append(f) }
        }
        return result
    }

    func process(_ batch: [LogEntry], writer: LogWriter) {
        for entry in batch {
            switch entry {
            case .configure(let c):
                apply(c, writer)
            case .data(let source, let stream, let chunk, let at):
                // Taken out while fed, so that its buffer is not copied on write.
                var framer = framers.removeValue(forKey: source)?.framer ?? LineFramer()
                if journal != nil {
                    framer.feed(chunk.bytes) { line in self.emit(line, stream, at, writer) }
                } else if case .plain = renderer?.format {
                    // Plain lines are written as the app wrote them: whole runs of lines
                    // are copied at once, not line by line.
                    framer.feedRuns(
                        chunk.bytes, run: { run in self.emitRun(run, stream, at, writer) },
                        line: { line in self.emit(line, stream, at, writer) })
                } else {
                    renderLines(stream, at, writer) { line in framer.feed(chunk.bytes, line) }
                }
                framers[source] = (stream, framer)
            case .end(let source, let stream, let at):
                if var framer = framers.removeValue(forKey: source)?.framer {
                    framer.flush { line in self.emit(line, stream, at, writer) }
                }
            case .rotate:
                for f in files {
                    write(f, writer)
                    rotate(f, writer)
                }
            case .truncate(let token):
                for f in files {
                    write(f, writer)
                    if let fd = f.fd, f.isRegular, (try? fd.truncate(to: 0, subject: f.path)) != nil { f.size = 0 }
                }
                writer.post(.done(token: token))
            case .reopen(let token):
                // A journal that was missing may run now.
                if let c = config, c.settings.journal, journal == nil, Journal.isAvailable() {
                    journal = JournalFields(c, id: id)
                    writer.updateStats(self) { $0.journal = true }
                }
                for f in files {
                    write(f, writer)
                    f.close()
                    f.retryAtMono = 0
                    if journal == nil { open(f, writer) }
                }
                writer.post(.done(token: token))
            case .close(let token):
                let now = wallClockMilliseconds()
                for source in framers.keys.sorted() {
                    guard var (stream, framer) = framers.removeValue(forKey: source) else { continue }
                    framer.flush { line in self.emit(line, stream, now, writer) }
                }
                for f in files { write(f, writer) }
                releaseFiles(writer)
                writer.post(.done(token: token))
            }
        }
        for f in files where !f.buffer.isEmpty { write(f, writer) }
    }

    // MARK: Configuration

    private func apply(_ c: LogSinkConfig, _ writer: LogWriter) {
        let old = config
        config = c
        if old?.settings.format != c.settings.format || old?.app != c.app || renderer == nil {
            renderer = LogRecordRenderer(app: c.app, instance: id, format: c.settings.format, zone: writer.zone)
        }
        if c.settings.journal {
            if Journal.isAvailable() {
                journal = JournalFields(c, id: id)
            } else {
                journal = nil
                if old?.settings.journal != true {
                    report("log_type journal: no journal runs here (no \(Journal.socketPath)); writing to the log files instead", writer)
                }
            }
        } else {
            journal = nil
        }
        writer.updateStats(self) { $0.journal = self.journal != nil }
        if old?.paths != c.paths {
            for f in files { write(f, writer) }
            releaseFiles(writer)
            out = c.paths.out.map(writer.acquireFile)
            err = c.paths.err.map(writer.acquireFile)
            combined = c.paths.combined.map(writer.acquireFile)
        }
        // Opened now, as the app starts: the files exist for readers, and an unwritable
        // directory is reported at once, not at the first line.
        if journal == nil {
            for f in files where f.fd == nil { open(f, writer) }
        }
    }

    /// Gives back the files: once per slot, as they were acquired once per slot (an
    /// out_file that is also the log_file is acquired twice, and open until both go).
    private func releaseFiles(_ writer: LogWriter) {
        for f in [out, err, combined] {
            if let f { writer.releaseFile(f) }
        }
        out = nil
        err = nil
        combined = nil
    }

    // MARK: Lines

    private func emit(_ line: LineFramer.Line, _ stream: LogStream, _ at: Int64, _ writer: LogWriter) {
        if let j = journal {
            if let error = j.send(line, stream) {
                journal = nil
                writer.updateStats(self) { $0.journal = false }
                report("cannot send to the journal: \(error); writing to the log files instead", writer)
                for f in files where f.fd == nil { open(f, writer) }
            } else {
                return
            }
        }
        // Per line, so nothing here allocates: at a million lines a second an array of
        // targets per line cost more than the rendering.
        let (primary, second) = targets(stream)
        guard primary != nil || second != nil, renderer != nil else { return }
        let complete = line.end != .cut
        if let only = primary ?? second, primary == nil || second == nil {
            // One file: rendered straight into its buffer.
            renderer!.append(line, stream: stream, at: at, to: &only.buffer)
            appended(only, complete: complete, writer)
            return
        }
        scratch.removeAll(keepingCapacity: true)
        renderer!.append(line, stream: stream, at: at, to: &scratch)
        primary!.buffer.append(contentsOf: scratch)
        appended(primary!, complete: complete, writer)
        second!.buffer.append(contentsOf: scratch)
        appended(second!, complete: complete, writer)
    }

    /// The lines that `feed` hands over, rendered (time stamps, JSON) into a local buffer
    /// that goes to the files when it is large, when a file reaches log_max_size (at the
    /// end of that line), and at the end: per line, nothing but the rendering touches the
    /// sink or its files.
    private func renderLines(
        _ stream: LogStream, _ at: Int64, _ writer: LogWriter, _ feed: ((LineFramer.Line) -> Void) -> Void
    ) {
        let (primary, second) = targets(stream)
        guard primary != nil || second != nil, var r = renderer else { return }
        // Taken out while used, so that neither is copied on write.
        renderer = nil
        var rendered: [UInt8] = []
        swap(&rendered, &scratch)
        rendered.removeAll(keepingCapacity: true)
        // Only a non-escaping closure captures these locals (no local function does), so
        // that their accesses are checked at compile time, not once per line.
        var left = room(primary, second)
        var complete = true
        feed { line in
            r.append(line, stream: stream, at: at, to: &rendered)
            complete = line.end != .cut
            if complete && (rendered.count >= left || rendered.count >= LogSink.writeThreshold) {
                left = self.deliver(&rendered, primary, second, complete: true, writer)
            }
        }
        if !rendered.isEmpty { _ = deliver(&rendered, primary, second, complete: complete, writer) }
        renderer = r
        swap(&rendered, &scratch)
    }

    /// The files a line of `stream` goes to: its own file and the combined one, without
    /// /dev/null, and once when the log_file is also the out_file (or error_file).
    private func targets(_ stream: LogStream) -> (LogFile?, LogFile?) {
        let primary = (stream == .out ? out : err).flatMap { $0.discards ? nil : $0 }
        return (primary, combined.flatMap { $0.discards || $0 === primary ? nil : $0 })
    }

    /// How many more bytes take one of the files to log_max_size.
    private func room(_ primary: LogFile?, _ second: LogFile?) -> Int {
        guard let maxSize = config?.settings.maxSizeBytes else { return .max }
        var room = Int.max
        for case let f? in [primary, second] where f.isRegular {
            room = min(room, Int(clamping: Int64(clamping: maxSize) - Int64(clamping: f.size)) - f.buffer.count)
        }
        return room
    }

    /// Appends rendered lines to the files (which may write or rotate them) and empties
    /// `rendered`; returns the new `room`.
    private func deliver(_ rendered: inout [UInt8], _ primary: LogFile?, _ second: LogFile?, complete: Bool,
                         _ writer: LogWriter) -> Int {
        for case let f? in [primary, second] {
            f.buffer.append(contentsOf: rendered)
            appended(f, complete: complete, writer)
        }
        rendered.removeAll(keepingCapacity: true)
        return room(primary, second)
    }

    /// Whole lines in the plain format (`LineFramer.feedRuns`): copied to the files as they
    /// are. A run that would take a file past `log_max_size` goes line by line instead, so
    /// that the rotation happens right after the line that reaches the size.
    private func emitRun(_ run: UnsafeRawBufferPointer, _ stream: LogStream, _ at: Int64, _ writer: LogWriter) {
        let (primary, second) = targets(stream)
        if run.count >= room(primary, second) {
            var start = 0
            while let newline = LineFramer.firstNewline(run, from: start, to: run.count) {
                let line = LineFramer.Line(
                    bytes: UnsafeRawBufferPointer(rebasing: run[start..<newline]), end: .newline, isContinuation: false)
                emit(line, stream, at, writer)
                start = newline + 1
            }
            return
        }
        for f in [primary, second] {
            guard let f else { continue }
            if run.count >= LogSink.directWriteBytes {
                // Written from the buffer it was read into: copying it first would cost as
                // much as the kernel's own copy into the file.
                write(f, writer, then: run)
            } else {
                f.buffer.append(contentsOf: run)
                if f.buffer.count >= LogSink.writeThreshold { write(f, writer) }
            }
        }
    }

    private func appended(_ f: LogFile, complete: Bool, _ writer: LogWriter) {
        if complete, let max = config?.settings.maxSizeBytes, f.isRegular, f.size + UInt64(f.buffer.count) >= max,
           f.rotateRetryAtMono <= monotonicMilliseconds() {
            // At a line boundary, with the line in the old file: rename and reopen.
            write(f, writer)
            rotate(f, writer)
        } else if f.buffer.count >= LogSink.writeThreshold {
            write(f, writer)
        }
    }

    // MARK: Files

    /// Writes the file's buffer, then `more` (lines written from where they were read),
    /// blocking: this is the writer thread. What cannot be written is dropped and counted;
    /// the file is retried at the next write.
    private func write(_ f: LogFile, _ writer: LogWriter, then more: UnsafeRawBufferPointer? = nil) {
        let more = more ?? UnsafeRawBufferPointer(start: nil, count: 0)
        guard !f.buffer.isEmpty || !more.isEmpty else { return }
        if f.fd == nil { open(f, writer) }
        guard let fd = f.fd else {
            drop(f, also: more, writer)
            return
        }
        let (written, error) = f.buffer.withUnsafeBytes { writeAll(fd, $0, f) }
        if let error {
            f.buffer.removeFirst(written)
            drop(f, also: more, writer)
            failed(f, "cannot write the log file: \(error)", writer)
            return
        }
        f.buffer.removeAll(keepingCapacity: f.buffer.capacity <= 4 * LogSink.writeThreshold)
        let (writtenMore, errorMore) = writeAll(fd, more, f)
        if let errorMore {
            drop(f, also: UnsafeRawBufferPointer(rebasing: more[writtenMore...]), writer)
            failed(f, "cannot write the log file: \(errorMore)", writer)
            return
        }
        recovered(f, writer)
    }

    /// How much of `bytes` was written, and the error that stopped it.
    private func writeAll(_ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer, _ f: LogFile) -> (Int, SystemError?) {
        var written = 0
        defer { f.size += UInt64(written) }
        do throws(SystemError) {
            try fd.writeAll(bytes, subject: f.path, written: &written)
            return (written, nil)
        } catch {
            return (written, error)
        }
    }

    /// Drops the file's buffer (and `also`), counting its lines by their newlines. In
    /// text a cut piece has no newline (the line's last piece has it); in JSON each piece
    /// is a record with its own, so the pieces marked cut are taken off: the marker
    /// cannot come from a message, whose quotes and newlines are escaped.
    private func drop(_ f: LogFile, also: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0), _ writer: LogWriter) {
        var lines = f.buffer.withUnsafeBytes { LineFramer.countNewlines($0) } + LineFramer.countNewlines(also)
        if case .json = config?.settings.format {
            lines -= LogSink.occurrences(of: LogSink.cutRecordEnd, in: f.buffer)
        }
        let bytes = f.buffer.count + also.count
        f.buffer.removeAll(keepingCapacity: false)
        writer.updateStats(self) {
            $0.droppedLines += lines
            $0.droppedBytes += Int64(bytes)
        }
    }

    static let cutRecordEnd = Array(#","cut":true}"#.utf8) + [0x0A]

    static func occurrences(of pattern: [UInt8], in bytes: [UInt8]) -> Int {
        guard !pattern.isEmpty, bytes.count >= pattern.count else { return 0 }
        var n = 0
        var i = 0
        while i <= bytes.count - pattern.count {
            if bytes[i] == pattern[0] && bytes[i..<(i + pattern.count)].elementsEqual(pattern) {
                n += 1
                i += pattern.count
            } else {
                i += 1
            }
        }
        return n
    }

    /// Opens the file, unless an earlier attempt failed less than its backoff ago
    /// (1 s, doubling up to a minute).
    private func open(_ f: LogFile, _ writer: LogWriter) {
        guard f.fd == nil, !f.discards else { return }
        let now = monotonicMilliseconds()
        guard now >= f.retryAtMono else { return }
        do {
            let directory = Directory.parent(of: f.path)
            if directory.count > 1 { try Home.makeDirectory(String(directory.dropLast()), mode: 0o750) }
            let fd = try FileDescriptor.open(f.path, O_WRONLY | O_APPEND | O_CREAT, mode: 0o640)
            if let status = try? fd.status(subject: f.path) {
                f.size = UInt64(max(0, status.size))
                f.isRegular = status.isRegular
            }
            f.fd = fd
            f.backoffMs = 0
            f.retryAtMono = 0
        } catch {
            f.backoffMs = min(max(1000, f.backoffMs * 2), 60_000)
            f.retryAtMono = now + f.backoffMs
            failed(f, "cannot open the log file: \(error)", writer)
        }
    }

    private func failed(_ f: LogFile, _ message: String, _ writer: LogWriter) {
        writer.updateStats(self) { $0.lastError = message }
        guard f.failure == nil else { return }
        f.failure = message
        if !failing {
            failing = true
            failureReported = report(
                message + "; its lines are dropped (counted in describe) and the file is retried", writer, limited: true)
        }
    }

    private func recovered(_ f: LogFile, _ writer: LogWriter) {
        guard f.failure != nil else { return }
        f.failure = nil
        if failing && files.allSatisfy({ $0.failure == nil }) {
            failing = false
            if failureReported {
                let dropped = writer.lock.withLock { stats.droppedLines }
                report("log files written again (\(dropped) line(s) dropped so far)", writer)
            }
        }
    }

    /// Posts `message` for the app's history and the daemon log; with `limited`, only when
    /// the last limited report is at least `reportIntervalMs` old. True when posted.
    @discardableResult
    private func report(_ message: String, _ writer: LogWriter, limited: Bool = false) -> Bool {
        let now = monotonicMilliseconds()
        if limited {
            if let last = lastReportMono, now - last < LogSink.reportIntervalMs { return false }
            lastReportMono = now
        }
        writer.post(.problem(sink: id, message: message))
        return true
    }

    // MARK: Rotation

    /// Renames the file to its rotated name and opens a new one at its path; the writer is
    /// the only writer, so every line is in exactly one of the two. Nothing happens to an
    /// empty file or to one that is not a regular file (/dev/full, a FIFO).
    private func rotate(_ f: LogFile, _ writer: LogWriter) {
        guard let config, let old = f.fd, f.isRegular, f.size > 0, f.buffer.isEmpty else { return }
        let now = monotonicMilliseconds()
        guard now >= f.rotateRetryAtMono else { return }
        let directory = Directory.parent(of: f.path)
        let rotated = RotationPlan.rotatedFile(
            forLog: f.path, at: wallClockMilliseconds(), zone: writer.zone, compress: config.settings.compress,
            existing: Directory.names(directory.isEmpty ? "." : directory) ?? [])
        do throws(SystemError) {
            try FileSystem.rename(f.path, to: rotated.path)
        } catch {
            f.rotateRetryAtMono = now + 60_000
            report("cannot rotate the log file: \(error); it keeps growing", writer, limited: true)
            return
        }
        let fresh: FileDescriptor
        do {
            fresh = try FileDescriptor.open(f.path, O_WRONLY | O_APPEND | O_CREAT, mode: 0o640)
        } catch {
            // Put it back: one growing file is better than lines with nowhere to go.
            try? FileSystem.rename(rotated.path, to: f.path)
            f.rotateRetryAtMono = now + 60_000
            report("cannot rotate the log file: \(error); it keeps growing", writer, limited: true)
            return
        }
        old.close()
        f.fd = fresh
        f.size = 0
        writer.updateStats(self) { $0.rotations += 1 }
        let job = LogCompressor.Job(
            sink: id, rotated: rotated.path, compressed: config.settings.compress ? rotated.finalPath : nil,
            log: f.path, retain: config.settings.retain)
        if config.settings.compress {
            writer.compressor.enqueue(job)
        } else {
            job.applyRetention()
        }
    }
}

/// One log file of a sink (writer thread only).
final class LogFile {
    let path: String
    /// /dev/null: nothing is rendered or written.
    let discards: Bool
    var fd: FileDescriptor?
    var isRegular = false
    /// Bytes in the file, as far as this writer knows (fstat at open, then its writes).
    var size: UInt64 = 0
    /// Rendered lines not written yet.
    var buffer: [UInt8] = []
    /// The failure being reported, until a write succeeds.
    var failure: String?
    var retryAtMono: Int64 = 0
    var backoffMs: Int64 = 0
    var rotateRetryAtMono: Int64 = 0

    init(path: String) {
        self.path = path
        discards = path == "/dev/null"
    }

    func close() {
        fd?.close()
        fd = nil
    }
}

/// The constant fields of an instance's journal entries.
struct JournalFields {
    let identifier: [UInt8]
    let extra: [[UInt8]]
    static let priorityOut = Array("PRIORITY=6".utf8)
    static let priorityErr = Array("PRIORITY=3".utf8)
    static let streamOut = Array("SWISOR_STREAM=out".utf8)
    static let streamErr = Array("SWISOR_STREAM=err".utf8)
    static let cut = Array("SWISOR_CUT=1".utf8)

    init(_ c: LogSinkConfig, id: Int) {
        identifier = Array("SYSLOG_IDENTIFIER=\(c.app)".utf8)
        extra = [
            Array("SWISOR_APP_NAME=\(c.app)".utf8), Array("SWISOR_APP_ID=\(id)".utf8),
            Array("SWISOR_INSTANCE=\(c.index)".utf8),
        ]
    }

    /// One entry per line (or piece of a cut line, marked SWISOR_CUT=1).
    func send(_ line: LineFramer.Line, _ stream: LogStream) -> SystemError? {
        var message = Array("MESSAGE=".utf8)
        message.append(contentsOf: line.bytes)
        var fields = [message, stream == .out ? JournalFields.priorityOut : JournalFields.priorityErr, identifier,
                      stream == .out ? JournalFields.streamOut : JournalFields.streamErr]
        fields.append(contentsOf: extra)
        if line.isCut { fields.append(JournalFields.cut) }
        return Journal.send(fields)
    }
}

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
                FileSystem.removeIgnoringErrors(directory + name)
            }
        }
    }

    var report: (@Sendable (Int, String) -> Void)?
    private let lock = ConditionLock()
    private var jobs: [Job] = []
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
