import Foundation
@testable import SwisorSystem
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The syscall wrappers of SwisorSystem (FileDescriptor, FileSystem), which the daemon and
/// the CLI go through for every read, write, open, stat, rename and unlink: typed errors
/// that name the call and the path, EINTR retried, short writes completed.
@Suite struct SyscallErrorTests {
    @Test func aMissingFileIsAnErrorNamingTheCallAndThePath() throws {
        let dir = try TemporaryDirectory()
        let missing = dir.file("nope/x.log")
        #expect(throws: SystemError("open", subject: missing, errno: ENOENT)) {
            try FileDescriptor.open(missing, O_RDONLY)
        }
        #expect(throws: SystemError("stat", subject: missing, errno: ENOENT)) { try FileSystem.status(missing) }
        let other = dir.file("y.log")
        do {
            try FileSystem.rename(missing, to: other)
            Issue.record("rename of a missing file succeeded")
        } catch {
            #expect(error == SystemError("rename", subject: "\(missing) to \(other)", errno: ENOENT))
            #expect(error.description == "rename \(missing) to \(other): No such file or directory (ENOENT)")
        }
        #expect(!FileSystem.exists(missing))
        // Removing what is not there is not an error; a symlink target of a plain file is.
        try FileSystem.remove(missing)
        try dir.write("plain", "x")
        #expect(throws: SystemError("readlink", subject: dir.file("plain"), errno: EINVAL)) {
            try FileSystem.readLink(dir.file("plain"))
        }
    }

    @Test func positionalReadsStatusTruncateAndRenameKeepTheFile() throws {
        let dir = try TemporaryDirectory()
        try dir.write("a.log", "hello world")
        let fd = try FileDescriptor.open(dir.file("a.log"), O_RDWR)
        defer { fd.close() }
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = try buffer.withUnsafeMutableBytes { raw in
            Result { () throws(SystemError) in try fd.read(into: raw, atOffset: 6) }
        }.get()
        #expect(String(decoding: buffer[0..<n], as: UTF8.self) == "world")
        let before = try fd.status()
        #expect(before.size == 11 && before.isRegular)
        try FileSystem.rename(dir.file("a.log"), to: dir.file("b.log"))
        #expect(try FileSystem.status(dir.file("b.log")).isSameFile(as: before))
        try fd.truncate(to: 0)
        #expect(try fd.status().size == 0)
        #expect(FileSystem.exists(dir.file("b.log")) && !FileSystem.exists(dir.file("a.log")))
    }

    @Test func aFailedWriteSaysHowMuchWentOutAndNamesThePath() throws {
        // /dev/full refuses every write with ENOSPC, as a full disk would.
        let fd = try FileDescriptor.open("/dev/full", O_WRONLY)
        defer { fd.close() }
        var written = 0
        let bytes = [UInt8](repeating: 0x41, count: 100)
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(SystemError) in try fd.writeAll(raw, subject: "/dev/full", written: &written) }
        }
        #expect(throws: SystemError("write", subject: "/dev/full", errno: ENOSPC)) { try result.get() }
        #expect(written == 0)
    }
}

/// Signals delivered by the tests below, counted by their SIGUSR2 handler.
private let interruptions = Atomic<Int>(0)

/// A blocking call on its own thread, interrupted by SIGUSR2 from a handler installed
/// without SA_RESTART: the kernel then ends the call with EINTR (or, for a write that
/// moved some bytes, a short count) instead of restarting it. Serialized: one handler and
/// one counter for the process.
@Suite(.serialized) struct SyscallInterruptionTests {
    /// What the blocked thread shares with the test, under `lock`.
    final class Blocked<Outcome>: @unchecked Sendable {
        let lock = ConditionLock()
        var task: String?
        var thread: pthread_t?
        var outcome: Outcome?
        var done = false

        var finished: Bool { lock.withLock { done } }
        var result: Outcome? { lock.withLock { outcome } }
    }

    static func installHandler() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in interruptions.wrappingAdd(1, ordering: .relaxed) }
        action.sa_flags = 0
        sigemptyset(&action.sa_mask)
        sigaction(SIGUSR2, &action, nil)
    }

    /// Runs `body` on a new thread that can receive SIGUSR2 (WorkerThread blocks every
    /// signal).
    static func start<Outcome>(_ blocked: Blocked<Outcome>, _ body: @escaping @Sendable () -> Outcome) throws -> WorkerThread {
        let thread = WorkerThread(name: "swisor-eintr")
        try thread.start {
            var usr2 = sigset_t()
            sigemptyset(&usr2)
            sigaddset(&usr2, SIGUSR2)
            pthread_sigmask(SIG_UNBLOCK, &usr2, nil)
            // "<pid>/task/<tid>": its state tells when it sleeps in the call.
            let task = try? FileSystem.readLink("/proc/thread-self")
            blocked.lock.withLock {
                blocked.task = task
                blocked.thread = pthread_self()
            }
            let outcome = body()
            blocked.lock.withLock {
                blocked.outcome = outcome
                blocked.done = true
            }
        }
        return thread
    }

    static func waitFor(_ what: String, _ condition: () -> Bool) throws {
        let deadline = monotonicMilliseconds() + 20_000
        while !condition() {
            guard monotonicMilliseconds() < deadline else { throw SystemError("wait for \(what)", errno: ETIMEDOUT) }
            usleep(1_000)
        }
    }

    /// Asleep in the kernel (state S): nothing else the thread does after publishing its
    /// task blocks, so that is the call under test. Or finished.
    static func sleepsOrIsDone<Outcome>(_ blocked: Blocked<Outcome>) -> Bool {
        let (task, done) = blocked.lock.withLock { (blocked.task, blocked.done) }
        if done { return true }
        guard let task, let bytes = FileDescriptor.readSmallFile("/proc/\(task)/stat"),
              let entry = ProcFS.parseStat(bytes) else { return false }
        return entry.state == UInt8(ascii: "S")
    }

    /// Waits until the thread sleeps in its call, signals it, and waits for the handler.
    /// The caller makes sure the call cannot end meanwhile (a finished thread would never
    /// run the handler).
    static func interrupt<Outcome>(_ blocked: Blocked<Outcome>) throws {
        try waitFor("the thread to block") { sleepsOrIsDone(blocked) }
        let thread = try #require(blocked.lock.withLock { blocked.done ? nil : blocked.thread })
        let before = interruptions.load(ordering: .relaxed)
        pthread_kill(thread, SIGUSR2)
        try waitFor("the signal handler") { interruptions.load(ordering: .relaxed) > before }
    }

    @Test func theSignalInterruptsABareRead() throws {
        // The control: without the wrapper, the same signal ends read(2) with EINTR.
        Self.installHandler()
        let pipe = try Pipe.make()
        defer { pipe.readEnd.close(); pipe.writeEnd.close() }
        let blocked = Blocked<(Int, Int32)>()
        let thread = try Self.start(blocked) { () -> (Int, Int32) in
            var byte: UInt8 = 0
            let n = Glibc.read(pipe.readEnd.rawValue, &byte, 1)
            return (n, errno)
        }
        try Self.interrupt(blocked)
        try Self.waitFor("the bare read to return") { blocked.finished }
        thread.join()
        let (n, e) = try #require(blocked.result)
        #expect(n == -1 && e == EINTR)
    }

    @Test func anInterruptedReadIsRetried() throws {
        Self.installHandler()
        let pipe = try Pipe.make()
        defer { pipe.readEnd.close(); pipe.writeEnd.close() }
        let blocked = Blocked<Result<UInt8, SystemError>>()
        let thread = try Self.start(blocked) { () -> Result<UInt8, SystemError> in
            var byte: UInt8 = 0
            let result = withUnsafeMutableBytes(of: &byte) { raw in
                Result { () throws(SystemError) in try pipe.readEnd.read(into: raw) }
            }
            return result.map { _ in byte }
        }
        for _ in 0..<3 {
            try Self.interrupt(blocked)
            // Each EINTR is retried: the thread goes back to sleep in read(2) instead of
            // returning.
            try Self.waitFor("the read to block again") { Self.sleepsOrIsDone(blocked) }
            #expect(!blocked.finished)
        }
        var byte: UInt8 = 42
        _ = withUnsafeBytes(of: &byte) { pipe.writeEnd.writeNonBlocking($0) }
        thread.join()
        #expect(blocked.result == .success(42))
    }

    @Test func anInterruptedWriteIsCompletedAfterShortWrites() throws {
        // A blocking write into a full pipe, interrupted: a call that moved some bytes
        // returns that short count, one that moved none fails with EINTR. writeAll goes
        // on after both, and every byte arrives once, in order.
        Self.installHandler()
        let pipe = try Pipe.make()
        defer { pipe.readEnd.close() }
        let capacity = pipe.writeEnd.pipeSize ?? 64 << 10
        let total = 4 * capacity + 123
        let data = (0..<total).map { UInt8(truncatingIfNeeded: $0 % 251) }
        let blocked = Blocked<(Int, SystemError?)>()
        let thread = try Self.start(blocked) { () -> (Int, SystemError?) in
            var written = 0
            let result = data.withUnsafeBytes { raw in
                Result { () throws(SystemError) in try pipe.writeEnd.writeAll(raw, written: &written) }
            }
            pipe.writeEnd.close()
            if case .failure(let error) = result { return (written, error) }
            return (written, nil)
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: capacity / 2)
        while true {
            // While more is left than the pipe holds, the writer cannot have finished: it
            // is (or will be) blocked in write(2). The first signal ends a call that moved
            // bytes (a short write), the second the next call, which moved none (EINTR).
            if total - received.count > capacity {
                try Self.interrupt(blocked)
                try Self.interrupt(blocked)
            }
            // Half a pipe at a time, so the next write moves some bytes and blocks again.
            let n = try chunk.withUnsafeMutableBytes { raw in
                Result { () throws(SystemError) in try pipe.readEnd.read(into: raw) }
            }.get()
            if n == 0 { break }
            received += chunk[0..<n]
        }
        thread.join()
        let (written, error) = try #require(blocked.result)
        #expect(error == nil)
        #expect(written == total)
        #expect(received == data)
    }
}
