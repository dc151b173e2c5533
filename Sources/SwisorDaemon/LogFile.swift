#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorSystem

/// One log file on the writer thread, shared by every sink slot that names its path
/// (`LogWriter.acquireFile`): its descriptor, the rendered lines not written yet, and the
/// retry state of opening and rotating it. It does the file's system calls and says what
/// happened; the sink decides what that means for the app (counts, reports).
final class LogFile {
    let path: String
    /// /dev/null: nothing is rendered or written.
    let discards: Bool
    private(set) var fd: FileDescriptor?
    private(set) var isRegular = false
    /// Bytes in the file, as far as this writer knows (fstat at open, then its writes).
    private(set) var size: UInt64 = 0
    /// Rendered lines not written yet.
    var buffer: [UInt8] = []
    /// The failure being reported, until a write succeeds (the sink's to set and clear).
    var failure: String?
    private var retryAtMono: Int64 = 0
    private var backoffMs: Int64 = 0
    private var rotateRetryAtMono: Int64 = 0

    /// A failed rotation is not tried again for this long: the file keeps growing.
    static let rotateRetryMs: Int64 = 60_000

    init(path: String) {
        self.path = path
        discards = path == "/dev/null"
    }

    var isOpen: Bool { fd != nil }

    func close() {
        fd?.close()
        fd = nil
    }

    /// `reloadLogs`: closed, and opened again at the next `open` whatever the backoff.
    func closeForReopen() {
        close()
        retryAtMono = 0
    }

    // MARK: Opening

    /// Opens the file in append mode (created 0640, its directory 0750 as needed), unless
    /// it is open, discards, or an earlier attempt failed less than its backoff ago (1 s,
    /// doubling up to a minute). The error when this attempt failed.
    func open() -> SystemError? {
        guard fd == nil, !discards else { return nil }
        let now = monotonicMilliseconds()
        guard now >= retryAtMono else { return nil }
        do throws(SystemError) {
            let directory = Directory.parent(of: path)
            if directory.count > 1 { try Home.makeDirectory(String(directory.dropLast()), mode: 0o750) }
            let fd = try FileSystem.openForAppend(path, mode: 0o640)
            if let status = try? fd.status(subject: path) {
                size = UInt64(max(0, status.size))
                isRegular = status.isRegular
            }
            self.fd = fd
            backoffMs = 0
            retryAtMono = 0
            return nil
        } catch {
            backoffMs = min(max(1000, backoffMs * 2), 60_000)
            retryAtMono = now + backoffMs
            return error
        }
    }

    // MARK: Writing

    enum WriteOutcome {
        case written
        /// The file is not open: nothing was written.
        case notOpen
        /// `error` stopped the write: `buffer` holds what was not written of it, and
        /// `unwritten` is what was not written of `more`.
        case failed(SystemError, unwritten: UnsafeRawBufferPointer)
    }

    /// Writes the buffer, then `more` (lines written from where they were read), blocking:
    /// this is the writer thread. A failure leaves what was not written for the caller
    /// to drop and count.
    func write(then more: UnsafeRawBufferPointer) -> WriteOutcome {
        guard let fd else { return .notOpen }
        var written = 0
        let error: SystemError? = buffer.withUnsafeBytes { bytes in
            do throws(SystemError) {
                try fd.writeAll(bytes, subject: path, written: &written)
                return nil
            } catch {
                return error
            }
        }
        size += UInt64(written)
        if let error {
            buffer.removeFirst(written)
            return .failed(error, unwritten: more)
        }
        buffer.removeAll(keepingCapacity: buffer.capacity <= 4 * LogSink.writeThreshold)
        var writtenMore = 0
        do throws(SystemError) {
            try fd.writeAll(more, subject: path, written: &writtenMore)
        } catch {
            size += UInt64(writtenMore)
            return .failed(error, unwritten: UnsafeRawBufferPointer(rebasing: more[writtenMore...]))
        }
        size += UInt64(writtenMore)
        return .written
    }

    /// `flush`: empties a regular file in place (O_APPEND puts the next line at its
    /// start). Its buffer is written first, by the caller.
    func truncate() {
        guard let fd, isRegular, (try? fd.truncate(to: 0, subject: path)) != nil else { return }
        size = 0
    }

    // MARK: Rotation

    /// Whether a rotation may be tried now: none failed less than `rotateRetryMs` ago.
    func mayRotate(now: Int64) -> Bool {
        rotateRetryAtMono <= now
    }

    enum RotateOutcome {
        /// Nothing to do now (see `rotate`).
        case skipped
        /// The old lines are in `RotatedFile.path`; the file at `path` is new and empty.
        case rotated(RotationPlan.RotatedFile)
        case failed(SystemError)
    }

    /// Renames the file to its rotated name and opens a new one at its path; the writer is
    /// the only writer, so every line is in exactly one of the two. Nothing happens to an
    /// empty file, to one that is not a regular file (/dev/full, a FIFO), to one whose
    /// buffer is not written, or within `rotateRetryMs` of a failed rotation. A failed
    /// open renames the file back: one growing file is better than lines with nowhere
    /// to go.
    func rotate(zone: TimeZoneRules, compress: Bool) -> RotateOutcome {
        guard let old = fd, isRegular, size > 0, buffer.isEmpty else { return .skipped }
        let now = monotonicMilliseconds()
        guard mayRotate(now: now) else { return .skipped }
        let directory = Directory.parent(of: path)
        let rotated = RotationPlan.rotatedFile(
            forLog: path, at: wallClockMilliseconds(), zone: zone, compress: compress,
            existing: Directory.names(directory.isEmpty ? "." : directory) ?? [])
        do throws(SystemError) {
            try FileSystem.rename(path, to: rotated.path)
        } catch {
            rotateRetryAtMono = now + LogFile.rotateRetryMs
            return .failed(error)
        }
        let fresh: FileDescriptor
        do throws(SystemError) {
            fresh = try FileSystem.openForAppend(path, mode: 0o640)
        } catch {
            try? FileSystem.rename(rotated.path, to: path)
            rotateRetryAtMono = now + LogFile.rotateRetryMs
            return .failed(error)
        }
        old.close()
        fd = fresh
        size = 0
        return .rotated(rotated)
    }
}
