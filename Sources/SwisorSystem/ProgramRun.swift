#if canImport(Glibc)
import Glibc
#endif

/// A helper program run to completion, its stdout and stderr kept together.
public struct ProgramRun: Sendable {
    public var status: Int32
    public var output: String
    public var succeeded: Bool { status == 0 }

    /// Runs `argv` (argv[0] an absolute path) with `environment`, stdin /dev/null, and
    /// waits for it. A program that cannot be started is a SpawnError.
    public static func run(_ argv: [String], environment: [String: String]) throws(SpawnError) -> ProgramRun {
        let captured = try capture(argv, environment: environment, cwd: "/", timeoutMs: nil, limit: 1 << 20, merged: true)
        return ProgramRun(status: captured.status, output: String(decoding: captured.stdout, as: UTF8.self))
    }

    /// Runs `argv` with `environment` in `cwd`, stdin /dev/null, and collects its stdout
    /// and stderr apart (or together, `merged`), each cut at `limit` bytes so that a chatty
    /// program cannot fill memory. After `timeoutMs` the program and everything it
    /// started (its own session: the spawn path calls setsid) get SIGKILL.
    public static func capture(
        _ argv: [String], environment: [String: String], cwd: String,
        timeoutMs: Int64?, limit: Int, merged: Bool = false
    ) throws(SpawnError) -> CapturedRun {
        let out: Pipe
        let err: Pipe
        do throws(SystemError) {
            out = try Pipe.make()
        } catch {
            throw SpawnError(stage: .pipe, errno: error.errno, subject: argv.first ?? "")
        }
        do throws(SystemError) {
            err = merged ? out : try Pipe.make()
        } catch {
            out.readEnd.close()
            out.writeEnd.close()
            throw SpawnError(stage: .pipe, errno: error.errno, subject: argv.first ?? "")
        }
        func closeAll() {
            for fd in Set([out.readEnd, out.writeEnd, err.readEnd, err.writeEnd]) { fd.close() }
        }
        let pid: pid_t
        do throws(SpawnError) {
            pid = try Spawner.spawn(SpawnRequest(
                argv: argv, environment: environment, cwd: cwd, stdout: out.writeEnd, stderr: err.writeEnd))
        } catch {
            closeAll()
            throw error
        }
        out.writeEnd.close()
        if !merged { err.writeEnd.close() }

        var result = CapturedRun()
        var open: [(fd: FileDescriptor, isOut: Bool)] = [(out.readEnd, true)]
        if !merged { open.append((err.readEnd, false)) }
        let deadline = timeoutMs.map { monotonicMilliseconds() + max(0, $0) }
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while !open.isEmpty {
            var wait: Int32 = -1
            if let deadline {
                let left = deadline - monotonicMilliseconds()
                if left <= 0 {
                    // The whole session: a shell or a loader may have started children.
                    _ = kill(-pid, SIGKILL)
                    _ = kill(pid, SIGKILL)
                    result.timedOut = true
                    break
                }
                wait = Int32(clamping: left)
            }
            var fds = open.map { pollfd(fd: $0.fd.rawValue, events: Int16(POLLIN), revents: 0) }
            guard (try? FileDescriptor.poll(&fds, timeoutMs: wait)) != nil else { break }
            var still: [(fd: FileDescriptor, isOut: Bool)] = []
            for (i, entry) in open.enumerated() {
                guard fds[i].revents != 0 else {
                    still.append(entry)
                    continue
                }
                let n = chunk.withUnsafeMutableBytes { (try? entry.fd.read(into: $0)) ?? 0 }
                if n == 0 { continue }  // end of file (or an error: nothing more comes)
                still.append(entry)
                if entry.isOut {
                    if result.stdout.count + n > limit { result.truncated = true }
                    result.stdout.append(contentsOf: chunk[0..<min(n, max(0, limit - result.stdout.count))])
                } else {
                    result.stderr.append(contentsOf: chunk[0..<min(n, max(0, limit - result.stderr.count))])
                }
            }
            open = still
        }
        out.readEnd.close()
        if !merged { err.readEnd.close() }
        result.status = ProcessControl.waitForExit(pid)
        return result
    }
}

/// What `ProgramRun.capture` collected.
public struct CapturedRun: Sendable {
    /// The exit code, or 128 + the signal that ended the program.
    public var status: Int32 = 0
    public var stdout: [UInt8] = []
    public var stderr: [UInt8] = []
    /// The time limit passed: the program was killed.
    public var timedOut = false
    /// stdout was longer than the limit and was cut.
    public var truncated = false
}
