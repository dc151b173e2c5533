#if canImport(Glibc)
import Glibc
#endif
import DequeModule
import SwisorCore
import SwisorSystem

/// One log file of one instance, as `swisor logs` prints it: first what is already
/// there (the last lines, reaching back into rotated files, or the lines since a time),
/// then, while following, every line appended to it, across rotations.
///
/// Following works on the path, not on one inode, and relies on what the daemon
/// promises: it rotates by renaming the file and opening a new one at the same path
/// (never copytruncate), and once the new file exists it no longer writes to the old
/// one; `flush` truncates in place. So on each poll the open descriptor is read to its
/// end first; when the path then names another inode, the old descriptor is read to its
/// end once more (lines written between the two reads) and only then does reading move
/// to the new file, from its start. No line is lost or shown twice. A file that shrank
/// below the read offset was truncated: reading restarts at 0. A missing file is opened
/// as soon as it appears, from its start.
final class LogSource {
    let path: String
    let stream: LogStream
    /// `web (id 0)`, for notes on stderr.
    let label: String
    private var reader: LogLineReader
    private let printer: LogPrinter

    private var fd: FileDescriptor?
    /// The file `fd` reads (device and inode), to tell when the path names another.
    private var current: FileStatus?
    /// The next byte of `fd` to read.
    private var offset: Int64 = 0
    /// Holds the start of a line whose `\n` has not been read yet.
    private var lines = LineSplitter()

    init(path: String, stream: LogStream, app: String, id: Int, format: LogLineFormat, options: LogsCommand.Printing) {
        self.path = path
        self.stream = stream
        self.label = "\(app) (id \(id))"
        reader = LogLineReader(format: format, zone: options.zone)
        printer = LogPrinter(app: app, id: id, json: options.json, timestamp: options.timestamp, zone: options.zone)
        _ = openCurrent()
        rememberRotated()
    }

    deinit {
        fd?.close()
    }

    // MARK: What is already there

    /// The end of the last complete line of the current file (the rest is a line being
    /// written, left to `poll`).
    private func completeEnd() -> Int64 {
        guard let fd else { return 0 }
        let size = Self.size(fd)
        return Self.lastNewlineEnd(fd, before: size)
    }

    /// The last `count` lines: from the rotated files, newest first, when the current
    /// file holds fewer (compressed ones decompressed on the fly).
    func history(lines count: Int, notes: inout Notes) -> [UInt8] {
        let end = completeEnd()
        offset = end
        guard count > 0 else { return [] }
        enum Part {
            case file(fd: FileDescriptor, start: Int64, end: Int64, owned: Bool)
            case lines([[UInt8]])
        }
        var parts: [Part] = []
        var found = 0
        if let fd {
            let (start, n) = Self.tailStart(fd, end: end, lines: count)
            parts.append(.file(fd: fd, start: start, end: end, owned: false))
            found = n
        }
        if found < count {
            for rotated in rotatedFiles().reversed() {
                let rpath = directory + rotated.name
                if rotated.compressed {
                    guard let lines = Self.lastLines(ofCompressed: rpath, count: count - found) else {
                        if FileSystem.exists(rpath) {
                            notes.add("\(label): \(rpath) cannot be decompressed; older lines are not shown")
                            break
                        }
                        continue
                    }
                    parts.insert(.lines(lines), at: 0)
                    found += lines.count
                } else {
                    guard let rfd = try? FileDescriptor.open(rpath, O_RDONLY) else { continue }
                    let size = Self.size(rfd)
                    let (start, n) = Self.tailStart(rfd, end: size, lines: count - found)
                    parts.insert(.file(fd: rfd, start: start, end: size, owned: true), at: 0)
                    found += n
                }
                if found >= count { break }
            }
        }
        var out: [UInt8] = []
        let now = wallClockMilliseconds()
        for part in parts {
            switch part {
            case .file(let fd, let start, let end, let owned):
                Self.forEachLine(fd, from: start, to: end) { line in
                    printer.append(reader.read(line), stream: stream, receivedMs: now, to: &out)
                }
                if owned { fd.close() }
            case .lines(let lines):
                for line in lines {
                    printer.append(reader.read(line), stream: stream, receivedMs: now, to: &out)
                }
            }
        }
        return out
    }

    /// The last `count` lines of a `.gz` (at least 1), or nil when it cannot be read.
    static func lastLines(ofCompressed path: String, count: Int) -> [[UInt8]]? {
        var ring = Deque<[UInt8]>()
        let ok = Gzip.forEachLine(path) { line in
            if ring.count == count { ring.removeFirst() }
            ring.append(Array(line))
        }
        guard ok else { return nil }
        return Array(ring)
    }

    /// The lines at or after `sinceMs` (the last `limit` of them when given): every
    /// rotated file (compressed ones decompressed on the fly) and the current one,
    /// skipping whole files last written before `sinceMs`.
    func history(since sinceMs: Int64, limit: Int?, notes: inout Notes) -> [UInt8] {
        let end = completeEnd()
        offset = end
        var filter = LogSinceFilter(sinceMs: sinceMs)
        // With a limit, only the last `limit` lines are kept.
        var kept = Deque<[UInt8]>()
        let now = wallClockMilliseconds()
        func take(_ line: UnsafeRawBufferPointer) {
            let entry = reader.read(line)
            guard filter.keep(entry) else { return }
            var out: [UInt8] = []
            printer.append(entry, stream: stream, receivedMs: now, to: &out)
            if let limit, kept.count == limit {
                guard limit > 0 else { return }
                kept.removeFirst()
            }
            kept.append(out)
        }
        for rotated in rotatedFiles() {
            let rpath = directory + rotated.name
            guard let mtime = Self.mtimeMs(rpath) else { continue }
            let bound = LogFiles.lastWriteBound(mtimeMs: mtime, rotatedStamp: rotated.stamp, zone: printer.zone)
            if bound < sinceMs { continue }
            if rotated.compressed {
                if !Gzip.forEachLine(rpath, take) && FileSystem.exists(rpath) {
                    notes.add("\(label): \(rpath) cannot be decompressed; its lines are not shown")
                }
                continue
            }
            guard let rfd = try? FileDescriptor.open(rpath, O_RDONLY) else { continue }
            Self.forEachLine(rfd, from: 0, to: Self.size(rfd), take)
            rfd.close()
        }
        if let fd, let mtime = Self.mtimeMs(fd: fd), mtime >= sinceMs {
            Self.forEachLine(fd, from: 0, to: end, take)
        }
        return Array(kept.joined())
    }

    // MARK: Following

    /// Appends to `out` the lines written since the last call; follows rotation and
    /// truncation (see the type's comment).
    func poll(into out: inout [UInt8]) {
        if fd == nil {
            // The file did not exist: when it appears, all of it is new.
            guard openCurrent() else { return }
            offset = 0
            lines.reset()
        }
        if let status = try? fd?.status(subject: path), status.size < offset {
            // Truncated in place (`swisor flush`): what is there now is new.
            offset = 0
            lines.reset()
        }
        drain(into: &out)
        guard let now = try? FileSystem.status(path), let current, !now.isSameFile(as: current) else { return }
        // Rotated (or replaced): whatever reached the old file before the new one
        // appeared is read first. A partial line stays: its rest is in the next file.
        drain(into: &out)
        readIntermediates(into: &out)
        fd?.close()
        fd = nil
        if openCurrent() {
            offset = 0
            drain(into: &out)
        }
    }

    /// Rotated names seen so far: after a rotation, the new ones besides the file that
    /// was being read are files rotated more than once between two polls (a busy app
    /// with a small `log_max_size`), read whole, oldest first, before the current file.
    private var knownRotated: Set<String> = []

    private func rememberRotated() {
        knownRotated = Set(rotatedFiles().map(\.name))
    }

    private func readIntermediates(into out: inout [UInt8]) {
        let all = rotatedFiles()
        var fresh = all.filter { !knownRotated.contains($0.name) }
        knownRotated = Set(all.map(\.name))
        // The file being read is among them, under its rotated name: by its inode, or,
        // when it is already compressed (a new inode), as the oldest new name.
        var foundReading = false
        fresh.removeAll { rotated in
            guard let current, let status = try? FileSystem.status(directory + rotated.name) else { return false }
            let same = status.isSameFile(as: current)
            if same { foundReading = true }
            return same
        }
        if !foundReading, let first = fresh.first, first.compressed { fresh.removeFirst() }
        for rotated in fresh {
            let rpath = directory + rotated.name
            // Compressed since it was listed: the same lines are in its `.gz`.
            let compressed = rotated.compressed || (!FileSystem.exists(rpath) && FileSystem.exists(rpath + ".gz"))
            if compressed {
                let gzPath = rotated.compressed ? rpath : rpath + ".gz"
                let now = wallClockMilliseconds()
                if !Gzip.forEachChunk(gzPath, { consume($0, receivedMs: now, into: &out) }) {
                    printErr("swisor: \(label): \(gzPath) cannot be decompressed; its lines are not shown")
                }
                continue
            }
            guard let rfd = try? FileDescriptor.open(rpath, O_RDONLY) else { continue }
            let saved = (fd, offset)
            fd = rfd
            offset = 0
            drain(into: &out)
            rfd.close()
            (fd, offset) = saved
        }
    }

    private func drain(into out: inout [UInt8]) {
        guard let fd else { return }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let now = wallClockMilliseconds()
        while true {
            // A read error ends this poll like the end of the file: the next poll tries again.
            guard let n = buffer.withUnsafeMutableBytes({ try? fd.read(into: $0, atOffset: offset) }), n > 0 else { break }
            offset += Int64(n)
            buffer.withUnsafeBytes { consume(UnsafeRawBufferPointer(rebasing: $0[0..<n]), receivedMs: now, into: &out) }
        }
    }

    /// Prints the lines that `bytes` completes; the start of an unfinished one is kept
    /// for the next bytes.
    private func consume(_ bytes: UnsafeRawBufferPointer, receivedMs now: Int64, into out: inout [UInt8]) {
        lines.feed(bytes) { line in
            printer.append(reader.read(line), stream: stream, receivedMs: now, to: &out)
        }
    }

    @discardableResult
    private func openCurrent() -> Bool {
        guard let opened = try? FileDescriptor.open(path, O_RDONLY) else { return false }
        guard let status = try? opened.status(subject: path) else {
            opened.close()
            return false
        }
        fd = opened
        current = status
        return true
    }

    // MARK: Files

    private var directory: String {
        RotationPlan.LogName(path: path).directory
    }

    private func rotatedFiles() -> [LogFiles.Rotated] {
        let names = Directory.names(directory.isEmpty ? "." : directory) ?? []
        return LogFiles.rotated(forLog: path, in: names)
    }

    static func size(_ fd: FileDescriptor) -> Int64 {
        (try? fd.status())?.size ?? 0
    }

    static func mtimeMs(_ path: String) -> Int64? {
        (try? FileSystem.status(path))?.modifiedMs
    }

    static func mtimeMs(fd: FileDescriptor) -> Int64? {
        (try? fd.status())?.modifiedMs
    }

    /// One pread of up to `count` bytes at `offset` into `block`; nil on an error.
    private static func read(_ fd: FileDescriptor, _ block: inout [UInt8], count: Int, at offset: Int64) -> Int? {
        block.withUnsafeMutableBytes { raw in
            try? fd.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<count]), atOffset: offset)
        }
    }

    /// The offset just after the last `\n` before `size` (0 when there is none).
    static func lastNewlineEnd(_ fd: FileDescriptor, before size: Int64) -> Int64 {
        var block = [UInt8](repeating: 0, count: 64 * 1024)
        var end = size
        while end > 0 {
            let len = min(Int64(block.count), end)
            guard let n = read(fd, &block, count: Int(len), at: end - len), n > 0 else { return 0 }
            if let i = block[0..<n].lastIndex(of: 0x0A) { return end - len + Int64(i) + 1 }
            end -= len
        }
        return 0
    }

    /// Where the last `lines` lines before `end` start, and how many there are (fewer
    /// when the file holds fewer). Bytes after the last `\n` count as a line.
    static func tailStart(_ fd: FileDescriptor, end: Int64, lines: Int) -> (start: Int64, count: Int) {
        guard end > 0, lines > 0 else { return (end, 0) }
        var block = [UInt8](repeating: 0, count: 64 * 1024)
        var position = end
        var newlines = 0
        // A last line that ends with `\n`: that `\n` ends it and starts nothing.
        var skipLast = true
        while position > 0 {
            let len = min(Int64(block.count), position)
            position -= len
            guard let n = read(fd, &block, count: Int(len), at: position), n > 0 else { break }
            for i in stride(from: n - 1, through: 0, by: -1) where block[i] == 0x0A {
                if skipLast && position + Int64(i) == end - 1 { continue }
                newlines += 1
                if newlines == lines { return (position + Int64(i) + 1, lines) }
            }
            skipLast = false
        }
        return (0, newlines + 1)
    }

    /// Calls `body` with each line (without its `\n`) between `start` and `end`; bytes
    /// after the last `\n` are a line too.
    static func forEachLine(_ fd: FileDescriptor, from start: Int64, to end: Int64, _ body: (UnsafeRawBufferPointer) -> Void) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var lines = LineSplitter()
        var position = start
        while position < end {
            let want = Int(min(Int64(buffer.count), end - position))
            guard let n = read(fd, &buffer, count: want, at: position), n > 0 else { break }
            position += Int64(n)
            buffer.withUnsafeBytes { lines.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n]), body) }
        }
        lines.finish(body)
    }
}

/// Lines for stderr, each said once.
struct Notes {
    private(set) var lines: [String] = []

    mutating func add(_ line: String) {
        if !lines.contains(line) { lines.append(line) }
    }
}
