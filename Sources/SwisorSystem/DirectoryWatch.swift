#if canImport(Glibc)
import Glibc
#endif

/// inotify on one directory, for names removed or moved out of it and for the directory
/// itself going away: what the daemon needs to notice its home's socket removed (it
/// listens again). The kernel wakes the loop only on those events, so a quiet home costs
/// nothing; writes to files (the daemon's log) are not in the mask.
public final class DirectoryWatch {
    public let fd: FileDescriptor
    public let path: String
    private var watch: Int32 = -1

    static let mask = UInt32(IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

    public init(path: String) throws(SystemError) {
        self.path = path
        let raw = try syscallRetrying("inotify_init1") { inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) }
        fd = FileDescriptor(rawValue: raw)
        do throws(SystemError) {
            try rewatch()
        } catch {
            fd.close()
            throw error
        }
    }

    /// Watches `path` (again: after it was removed and made anew, the old watch is gone).
    public func rewatch() throws(SystemError) {
        if watch >= 0 { _ = inotify_rm_watch(fd.rawValue, watch) }
        watch = try syscallRetrying("inotify_add_watch", subject: path) { inotify_add_watch(fd.rawValue, path, DirectoryWatch.mask) }
    }

    /// Reads and discards every pending event; true when the directory itself was
    /// removed or moved (its watch is then gone, and `rewatch` is needed).
    @discardableResult
    public func drain() -> Bool {
        var lost = false
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { (try? fd.read(into: $0)) ?? -1 }
            if n <= 0 { break }
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= n {
                let (mask, length) = buffer.withUnsafeBytes { raw -> (UInt32, Int) in
                    let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    return (mask, length)
                }
                if mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED) != 0 { lost = true }
                offset += MemoryLayout<inotify_event>.size + length
            }
        }
        if lost { watch = -1 }
        return lost
    }

    public func close() { fd.close() }
}
