import SwisorCore
import SwisorSystem

// Rendering: the lines a sink's framers cut are rendered (plain, time-stamped, JSON) into
// the buffers of the files they go to, or sent to the journal (one datagram a line). Per
// line nothing here allocates; the files are written (LogSink.write) when a buffer is
// large, when a file reaches log_max_size (at the end of that line), and at the end of
// every batch.

extension LogSink {
    func emit(_ line: LineFramer.Line, _ stream: LogStream, _ at: Int64, _ writer: LogWriter) {
        if let j = journal {
            if let error = j.send(line, stream) {
                journal = nil
                writer.updateStats(self) { $0.journal = false }
                report("cannot send to the journal: \(error); writing to the log files instead", writer)
                for f in files where !f.isOpen { open(f, writer) }
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
    func renderLines(
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
    func emitRun(_ run: UnsafeRawBufferPointer, _ stream: LogStream, _ at: Int64, _ writer: LogWriter) {
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
           f.mayRotate(now: monotonicMilliseconds()) {
            // At a line boundary, with the line in the old file: rename and reopen.
            write(f, writer)
            rotate(f, writer)
        } else if f.buffer.count >= LogSink.writeThreshold {
            write(f, writer)
        }
    }
}
