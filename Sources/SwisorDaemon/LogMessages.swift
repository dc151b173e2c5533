import SwisorCore

// What the event loop and the log writer tell each other: the entries the loop queues
// for an instance's sink, the chunks of pipe output they carry, and the events the
// writer threads post back.

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
