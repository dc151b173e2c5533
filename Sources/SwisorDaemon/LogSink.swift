import DequeModule
import SwisorCore
import SwisorSystem
import SwisorSystemd

/// One instance's logs on the writer thread: its line framers (one per pipe), its
/// renderer, its files or its journal fields. Only `queue`, `queuedBytes`, `scheduled` and
/// `stats` are shared (under the writer's lock); everything else is the writer thread's.
final class LogSink: @unchecked Sendable {
    let id: Int

    // Under LogWriter.lock:
    var queue = Deque<LogEntry>()
    var queuedBytes = 0
    var scheduled = false
    var stats = LogStats()

    // Writer thread only (the rendering, LogRendering.swift, uses these too):
    private(set) var config: LogSinkConfig?
    private(set) var out: LogFile?
    private(set) var err: LogFile?
    private(set) var combined: LogFile?
    /// Per pipe: a restart's new pipes must not join lines with the old run's tail.
    private var framers: [Int: (stream: LogStream, framer: LineFramer)] = [:]
    /// Taken out (nil) while lines are rendered, so that it is not copied on write.
    var renderer: LogRecordRenderer?
    /// Rendered lines on their way to two files, reused from batch to batch.
    var scratch: [UInt8] = []
    /// Lines go to the journal while it works; nil: to the files.
    var journal: JournalFields?
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
    var files: [LogFile] {
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
                    f.truncate()
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
                    f.closeForReopen()
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
            for f in files where !f.isOpen { open(f, writer) }
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

    // MARK: Files

    /// Writes the file's buffer, then `more` (lines written from where they were read),
    /// blocking: this is the writer thread. What cannot be written is dropped and counted;
    /// the file is retried at the next write.
    func write(_ f: LogFile, _ writer: LogWriter, then more: UnsafeRawBufferPointer? = nil) {
        let more = more ?? UnsafeRawBufferPointer(start: nil, count: 0)
        guard !f.buffer.isEmpty || !more.isEmpty else { return }
        if !f.isOpen { open(f, writer) }
        switch f.write(then: more) {
        case .written:
            recovered(f, writer)
        case .notOpen:
            drop(f, also: more, writer)
        case .failed(let error, let unwritten):
            drop(f, also: unwritten, writer)
            failed(f, "cannot write the log file: \(error)", writer)
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

    /// Opens the file (see `LogFile.open` for its backoff); a failure is reported.
    func open(_ f: LogFile, _ writer: LogWriter) {
        if let error = f.open() {
            failed(f, "cannot open the log file: \(error)", writer)
        }
    }

    // MARK: Reports

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
    func report(_ message: String, _ writer: LogWriter, limited: Bool = false) -> Bool {
        let now = monotonicMilliseconds()
        if limited {
            if let last = lastReportMono, now - last < LogSink.reportIntervalMs { return false }
            lastReportMono = now
        }
        writer.post(.problem(sink: id, message: message))
        return true
    }

    // MARK: Rotation

    /// Rotates the file (`LogFile.rotate`), then hands the rotated file to the compressor,
    /// or applies `log_retain` at once without compression.
    func rotate(_ f: LogFile, _ writer: LogWriter) {
        guard let config else { return }
        switch f.rotate(zone: writer.zone, compress: config.settings.compress) {
        case .skipped:
            return
        case .failed(let error):
            report("cannot rotate the log file: \(error); it keeps growing", writer, limited: true)
        case .rotated(let rotated):
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
}
