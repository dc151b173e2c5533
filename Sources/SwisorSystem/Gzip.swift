#if canImport(Glibc)
import Glibc
#endif
import CZlib
import SwisorCore

/// gzip files through zlib, for rotated logs.
public enum Gzip {
    /// Compresses `source` into `destination` (a `.gz`), through `destination.tmp` renamed
    /// into place once complete and synced, then removes `source`. A reader (or a
    /// retention pass) never sees a partial `.gz` under its final name, and the data is
    /// in exactly one of the two names at every moment, both for an instant.
    public static func compress(_ source: String, to destination: String, level: Int = 6) throws(SystemError) {
        let input = try FileDescriptor.open(source, O_RDONLY)
        defer { input.close() }
        let temporary = destination + ".tmp"
        // Never through a name someone planted (a symlink to a file only root may write).
        let output = try FileSystem.createExclusive(temporary, mode: 0o640)
        guard let gz = gzdopen(output.rawValue, "wb\(max(1, min(9, level)))") else {
            output.close()
            FileSystem.removeIgnoringErrors(temporary)
            throw SystemError("gzdopen", subject: temporary, errno: ENOMEM)
        }
        // gzclose closes `output` from here on, on every path.
        var buffer = [UInt8](repeating: 0, count: 128 * 1024)
        var failure: SystemError?
        while failure == nil {
            let read = buffer.withUnsafeMutableBytes { chunk in
                Result { () throws(SystemError) in try input.read(into: chunk, subject: source) }
            }
            guard case .success(let n) = read else {
                if case .failure(let error) = read { failure = error }
                break
            }
            if n == 0 { break }
            let written = buffer.withUnsafeBytes { gzwrite(gz, $0.baseAddress, UInt32(n)) }
            if written != Int32(n) {
                // zlib keeps errno of the failed write(2) (ENOSPC, EIO).
                failure = SystemError("write", subject: temporary, errno: errno == 0 ? EIO : errno)
            }
        }
        if failure == nil {
            _ = gzflush(gz, Z_FINISH)
            if fsync(output.rawValue) != 0 { failure = SystemError("fsync", subject: temporary, errno: errno) }
        }
        let closed = gzclose(gz)
        if failure == nil && closed != Z_OK {
            failure = SystemError("write", subject: temporary, errno: errno == 0 ? EIO : errno)
        }
        if let failure {
            FileSystem.removeIgnoringErrors(temporary)
            throw failure
        }
        try FileSystem.rename(temporary, to: destination)
        _ = try syscallRetrying("unlink", subject: source) { unlink(source) }
    }

    /// Calls `body` with the decompressed content of a `.gz` file, a buffer at a time
    /// (several members are read one after the other). False when the file cannot be
    /// opened or is corrupt (what came before the damage was handed over).
    @discardableResult
    public static func forEachChunk(_ path: String, _ body: (UnsafeRawBufferPointer) -> Void) -> Bool {
        guard let fd = try? FileDescriptor.open(path, O_RDONLY) else { return false }
        guard let gz = gzdopen(fd.rawValue, "rb") else {
            fd.close()
            return false
        }
        var buffer = [UInt8](repeating: 0, count: 128 * 1024)
        var ok = true
        while true {
            let n = Int(buffer.withUnsafeMutableBytes { gzread(gz, $0.baseAddress, UInt32($0.count)) })
            if n < 0 { ok = false }
            if n <= 0 { break }
            buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return gzclose(gz) == Z_OK && ok
    }

    /// `forEachChunk`, a line (without its `\n`) at a time: memory stays at one buffer
    /// and the longest line. Bytes after the last `\n` are a line too.
    @discardableResult
    public static func forEachLine(_ path: String, _ body: (UnsafeRawBufferPointer) -> Void) -> Bool {
        var lines = LineSplitter()
        let ok = forEachChunk(path) { lines.feed($0, body) }
        lines.finish(body)
        return ok
    }

    /// The decompressed content of a `.gz` file (several members are read one after the
    /// other), or nil when it cannot be read or is corrupt.
    public static func decompress(_ path: String) -> [UInt8]? {
        guard let fd = try? FileDescriptor.open(path, O_RDONLY) else { return nil }
        guard let gz = gzdopen(fd.rawValue, "rb") else {
            fd.close()
            return nil
        }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 128 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { gzread(gz, $0.baseAddress, UInt32($0.count)) }
            if n < 0 {
                gzclose(gz)
                return nil
            }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<Int(n)])
        }
        return gzclose(gz) == Z_OK ? out : nil
    }
}
