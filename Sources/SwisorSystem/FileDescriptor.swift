#if canImport(Glibc)
import Glibc
#endif
import CSwisor

/// A raw file descriptor with the handful of operations swisor needs. A value type
/// that does not close itself: ownership is explicit at each call site, as in
/// swift-system.
public struct FileDescriptor: Hashable, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let standardInput = FileDescriptor(rawValue: 0)
    public static let standardOutput = FileDescriptor(rawValue: 1)
    public static let standardError = FileDescriptor(rawValue: 2)

    public static func open(
        _ path: String, _ flags: Int32, mode: mode_t = 0o644
    ) throws(SystemError) -> FileDescriptor {
        let fd = try syscallRetrying("open", subject: path) {
            Glibc.open(path, flags | O_CLOEXEC, mode)
        }
        return FileDescriptor(rawValue: fd)
    }

    public func close() {
        // Never retry close on EINTR: on Linux the descriptor is gone either way.
        _ = Glibc.close(rawValue)
    }

    // The wrappers below are the daemon's and the CLI's only way to read and write a
    // descriptor: each retries EINTR (a signal handler installed without SA_RESTART, a
    // stop and continue under a debugger) and throws a `SystemError` that names the call
    // and, when the caller passes it, the path. They take raw buffers and return counts,
    // so the log writer's hot path stays free of allocations.

    /// One read(2): the bytes read, 0 at end of file.
    @inline(__always)
    public func read(into buffer: UnsafeMutableRawBufferPointer, subject: String? = nil) throws(SystemError) -> Int {
        try syscallRetrying("read", subject: subject) { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// One pread(2) at `offset`: the descriptor's own offset does not move.
    @inline(__always)
    public func read(
        into buffer: UnsafeMutableRawBufferPointer, atOffset offset: Int64, subject: String? = nil
    ) throws(SystemError) -> Int {
        try syscallRetrying("pread", subject: subject) {
            Glibc.pread(rawValue, buffer.baseAddress, buffer.count, off_t(offset))
        }
    }

    /// One write(2): how much of `buffer` went out, which may be less than all of it (a
    /// signal after part of a blocking write, a pipe, a disk that filled in the middle).
    @inline(__always)
    public func write(_ buffer: UnsafeRawBufferPointer, subject: String? = nil) throws(SystemError) -> Int {
        try syscallRetrying("write", subject: subject) { Glibc.write(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Writes all of `buffer`, looping over short writes (blocking descriptors only).
    /// `written` grows with every write, so that after a failure it says how much went
    /// out before it.
    public func writeAll(
        _ buffer: UnsafeRawBufferPointer, subject: String? = nil, written: inout Int
    ) throws(SystemError) {
        var offset = 0
        defer { written += offset }
        while offset < buffer.count {
            offset += try write(UnsafeRawBufferPointer(rebasing: buffer[offset...]), subject: subject)
        }
    }

    /// Writes everything, looping over short writes (blocking descriptors only).
    public func writeAll(_ bytes: some Sequence<UInt8>, subject: String? = nil) throws(SystemError) {
        let array = Array(bytes)
        var written = 0
        let result = array.withUnsafeBytes { raw in
            Result { () throws(SystemError) in try writeAll(raw, subject: subject, written: &written) }
        }
        try result.get()
    }

    /// fstat(2), reduced to what swisor looks at.
    public func status(subject: String? = nil) throws(SystemError) -> FileStatus {
        var st = stat()
        _ = try syscallRetrying("fstat", subject: subject) { fstat(rawValue, &st) }
        return FileStatus(st)
    }

    /// ftruncate(2).
    public func truncate(to size: Int64 = 0, subject: String? = nil) throws(SystemError) {
        _ = try syscallRetrying("ftruncate", subject: subject) { ftruncate(rawValue, off_t(size)) }
    }

    /// The outcome of one read or write on a non-blocking descriptor, without throwing:
    /// "nothing now" is a normal answer there, not an error.
    public enum IOResult: Equatable {
        case done(Int)
        case endOfFile
        case wouldBlock
        case failed(SystemError)
    }

    public func readNonBlocking(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        do {
            let n = try read(into: buffer)
            return n > 0 ? .done(n) : .endOfFile
        } catch where error.errno == EAGAIN {
            return .wouldBlock
        } catch {
            return .failed(error)
        }
    }

    public func writeNonBlocking(_ buffer: UnsafeRawBufferPointer) -> IOResult {
        do {
            return .done(try write(buffer))
        } catch where error.errno == EAGAIN {
            return .wouldBlock
        } catch {
            return .failed(error)
        }
    }

    /// Writes one byte to wake a reader up (a self-pipe), ignoring errors: a full
    /// non-blocking pipe already holds a wake-up, and a closed one has no reader left.
    public func signalWakeUp() {
        var byte: UInt8 = 1
        _ = withUnsafeBytes(of: &byte) { writeNonBlocking($0) }
    }

    /// Reads and discards what a non-blocking self-pipe holds, up to the point where it
    /// would block (or ends, or fails: the caller learns what it wants from elsewhere).
    public func drainWakeUps() {
        var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        while case .done = withUnsafeMutableBytes(of: &bytes, { readNonBlocking(into: $0) }) {}
    }

    /// Asks for a pipe of `bytes` capacity and returns the capacity it has now: the old one
    /// when the kernel refuses (over /proc/sys/fs/pipe-max-size, or the user's pipe quota).
    @discardableResult
    public func setPipeSize(_ bytes: Int) -> Int? {
        let n = cswisor_set_pipe_size(rawValue, Int32(clamping: bytes))
        return n >= 0 ? Int(n) : nil
    }

    /// The pipe's capacity (F_GETPIPE_SZ); nil when it is not a pipe.
    public var pipeSize: Int? {
        let n = cswisor_get_pipe_size(rawValue)
        return n >= 0 ? Int(n) : nil
    }

    /// The bytes waiting to be read from a pipe (FIONREAD); nil when it cannot be told.
    public var pendingBytes: Int? {
        let n = cswisor_pending_bytes(rawValue)
        return n >= 0 ? Int(n) : nil
    }

    /// One poll(2) over `fds`, waiting at most `timeoutMs` (-1: no limit); the number of
    /// descriptors with events. An interrupted poll is asked again with the same limit:
    /// callers that keep a deadline recompute it on their next turn.
    @discardableResult
    public static func poll(_ fds: inout [pollfd], timeoutMs: Int32) throws(SystemError) -> Int {
        let count = nfds_t(fds.count)
        return Int(try fds.withUnsafeMutableBufferPointer { (buffer) throws(SystemError) -> Int32 in
            try syscallRetrying("poll") { Glibc.poll(buffer.baseAddress, count, timeoutMs) }
        })
    }

    public func setNonBlocking() throws(SystemError) {
        let flags = try syscallRetrying("fcntl") { fcntl(rawValue, F_GETFL) }
        _ = try syscallRetrying("fcntl") { fcntl(rawValue, F_SETFL, flags | O_NONBLOCK) }
    }

    /// Reads a whole (small) file such as /proc/<pid>/stat. Returns nil when the file
    /// cannot be opened: for /proc that means the process is gone, an expected race.
    public static func readSmallFile(_ path: String, limit: Int = 1 << 20) -> [UInt8]? {
        guard let fd = try? FileDescriptor.open(path, O_RDONLY) else { return nil }
        defer { fd.close() }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while out.count < limit {
            guard let n = chunk.withUnsafeMutableBytes({ try? fd.read(into: $0) }) else {
                return out.isEmpty ? nil : out
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }
}

/// A pipe whose both ends are close-on-exec; the spawn path installs the child's end
/// as stdout/stderr, which clears the flag on the copy.
public struct Pipe: Sendable {
    public let readEnd: FileDescriptor
    public let writeEnd: FileDescriptor

    public static func make() throws(SystemError) -> Pipe {
        var fds: [Int32] = [-1, -1]
        _ = try syscallRetrying("pipe2") { cswisor_pipe_cloexec(&fds) }
        return Pipe(readEnd: FileDescriptor(rawValue: fds[0]), writeEnd: FileDescriptor(rawValue: fds[1]))
    }
}

/// Milliseconds on CLOCK_MONOTONIC: what every timeout and uptime is measured in, so
/// that a wall clock step (NTP, DST) never fires or delays a timer.
public func monotonicMilliseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

/// Milliseconds since the Unix epoch, for timestamps shown to users.
public func wallClockMilliseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}
