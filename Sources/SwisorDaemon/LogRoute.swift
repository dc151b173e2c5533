#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorSystem

/// Where one instance's output goes: its out file, error file and optional combined
/// file, opened O_APPEND once and kept open across runs (the daemon owns them, so a
/// rotation can later rename and reopen without losing a line).
final class LogRoute {
    enum Stream { case out, err }

    let paths: LogPaths
    private var out: FileDescriptor?
    private var err: FileDescriptor?
    private var combined: FileDescriptor?
    private(set) var failures: [String] = []
    private(set) var droppedBytes = 0

    init(paths: LogPaths) {
        self.paths = paths
    }

    /// Opens the files; a file that cannot be opened is reported (once) and its output
    /// discarded, so the app still runs and its pipe never fills up.
    func open() -> [String] {
        var problems: [String] = []
        func openOne(_ path: String?) -> FileDescriptor? {
            guard let path else { return nil }
            if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
                try? Home.makeDirectory(String(path[..<slash]), mode: 0o750)
            }
            do {
                return try FileDescriptor.open(path, O_WRONLY | O_APPEND | O_CREAT, mode: 0o640)
            } catch {
                problems.append("cannot open log file: \(error)")
                return nil
            }
        }
        if out == nil { out = openOne(paths.out) }
        if err == nil { err = openOne(paths.err) }
        if combined == nil { combined = openOne(paths.combined) }
        failures.append(contentsOf: problems)
        return problems
    }

    func write(_ stream: Stream, _ bytes: UnsafeRawBufferPointer) {
        let target = stream == .out ? out : err
        if let target { writeAll(target, bytes) } else { droppedBytes += bytes.count }
        if let combined { writeAll(combined, bytes) }
    }

    private func writeAll(_ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        while !rest.isEmpty {
            switch fd.writeNonBlocking(rest) {
            case .done(let n):
                rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            case .failed(let error):
                // A full disk must not stop the app or the daemon: count what was lost.
                droppedBytes += rest.count
                if failures.count < 16 { failures.append("write failed: \(error)") }
                return
            case .wouldBlock, .endOfFile:
                droppedBytes += rest.count
                return
            }
        }
    }

    func close() {
        out?.close()
        err?.close()
        combined?.close()
        out = nil
        err = nil
        combined = nil
    }
}

/// Reads one pipe of a running instance on the event loop. A bounded read per
/// wake-up keeps a chatty app from starving the others (epoll is level-triggered:
/// what is left is read on the next turn). EOF only closes the pipe; an exit is
/// learned from waitpid, never from here.
final class PipeReader {
    private let loop: EventLoop
    private let fd: FileDescriptor
    private let stream: LogRoute.Stream
    private weak var route: LogRoute?
    private let buffer: ReadBuffer
    private(set) var isOpen = true

    init(loop: EventLoop, fd: FileDescriptor, stream: LogRoute.Stream, route: LogRoute, buffer: ReadBuffer) throws(SystemError) {
        self.loop = loop
        self.buffer = buffer
        self.fd = fd
        self.stream = stream
        self.route = route
        try fd.setNonBlocking()
        // The loop owns a registered reader (a strong capture, released by unregister
        // in close()): a pipe of a previous run keeps draining after a restart even
        // though the instance already holds the new run's readers.
        try loop.register(fd) { _ in self.readable() }
    }

    private func readable() {
        let done: Bool = buffer.bytes.withUnsafeMutableBytes { raw in
            switch fd.readNonBlocking(into: raw) {
            case .done(let n):
                route?.write(stream, UnsafeRawBufferPointer(rebasing: raw[0..<n]))
                return false
            case .wouldBlock: return false
            case .endOfFile, .failed: return true
            }
        }
        if done { close() }
    }

    func close() {
        guard isOpen else { return }
        isOpen = false
        loop.unregister(fd)
        fd.close()
    }
}

/// One read buffer shared by every pipe: reads happen one at a time on the loop
/// thread, so 64 KiB serves them all instead of 64 KiB per app.
final class ReadBuffer {
    var bytes = [UInt8](repeating: 0, count: 64 * 1024)
}
