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

    /// Writes everything, looping over short writes (blocking descriptors only).
    public func writeAll(_ bytes: some Sequence<UInt8>) throws(SystemError) {
        let array = Array(bytes)
        var offset = 0
        while offset < array.count {
            let n = array.withUnsafeBytes { raw in
                Glibc.write(rawValue, raw.baseAddress! + offset, raw.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("write", errno: errno)
            }
            offset += n
        }
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
        while true {
            let n = Glibc.read(rawValue, buffer.baseAddress, buffer.count)
            if n > 0 { return .done(n) }
            if n == 0 { return .endOfFile }
            if errno == EINTR { continue }
            if errno == EAGAIN { return .wouldBlock }
            return .failed(SystemError("read", errno: errno))
        }
    }

    public func writeNonBlocking(_ buffer: UnsafeRawBufferPointer) -> IOResult {
        while true {
            let n = Glibc.write(rawValue, buffer.baseAddress, buffer.count)
            if n >= 0 { return .done(n) }
            if errno == EINTR { continue }
            if errno == EAGAIN { return .wouldBlock }
            return .failed(SystemError("write", errno: errno))
        }
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

    public func setNonBlocking() throws(SystemError) {
        let flags = try syscallRetrying("fcntl") { fcntl(rawValue, F_GETFL) }
        _ = try syscallRetrying("fcntl") { fcntl(rawValue, F_SETFL, flags | O_NONBLOCK) }
    }

    /// Reads a whole (small) file such as /proc/<pid>/stat. Returns nil when the file
    /// cannot be opened: for /proc that means the process is gone, an expected race.
    public static func readSmallFile(_ path: String, limit: Int = 1 << 20) -> [UInt8]? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
        defer { _ = Glibc.close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while out.count < limit {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
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
