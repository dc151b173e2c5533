#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorSystem

/// A failure to report as one line on stderr, with exit status 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    /// The daemon's code when the daemon refused the request (docs/protocol.md); nil for
    /// a failure of the CLI itself. What the CLI does about a refusal is decided on this,
    /// never on the message, whose words may change.
    var code: ErrorBody.Code?

    init(_ message: String, code: ErrorBody.Code? = nil) {
        description = message
        self.code = code
    }

    /// The daemon's refusal, as it said it.
    init(refusal error: ErrorBody?) {
        self.init(error?.message ?? "the daemon refused the request", code: error?.code)
    }
}

/// The CLI's side of the control protocol: one connection, one request, one response.
enum Client {
    /// Sends `request` to the daemon of `home`. With `autostart`, a daemon that is not
    /// running is started first (every command but kill, ping and list).
    static func send(_ request: Request, home: Home = .fromEnvironment(), autostart: Bool) throws -> Response {
        let line = try exchange(request, home: home, autostart: autostart)
        let response: Response
        do {
            response = try Wire.decode(Response.self, from: line)
        } catch {
            throw CLIError("unreadable answer from the daemon: \(Wire.describe(error))")
        }
        if !response.ok {
            throw CLIError(refusal: response.error)
        }
        return response
    }

    /// The raw response line, for the hot path of `list`, which reads it with the
    /// core's JSON parser instead of Codable.
    static func exchange(_ request: Request, home: Home = .fromEnvironment(), autostart: Bool) throws -> ArraySlice<UInt8> {
        let fd: FileDescriptor
        do {
            fd = try UnixSocket.connect(path: home.socket)
        } catch where error.errno == ENOENT || error.errno == ECONNREFUSED {
            guard autostart else { throw NotRunning(home: home, stale: error.errno == ECONNREFUSED) }
            try startDaemon(home: home)
            fd = try waitForDaemon(home: home)
        } catch {
            throw CLIError("cannot reach the swisor daemon: \(error)")
        }
        defer { fd.close() }

        var line = try request.simpleWireForm?.serializedBytes() ?? Wire.encode(request)
        line.append(UInt8(ascii: "\n"))
        // The daemon may answer and close before reading (a refused uid): the write
        // then fails with EPIPE, but its answer is waiting to be read, so read it.
        signal(SIGPIPE, SIG_IGN)
        var sendError: SystemError?
        do {
            try fd.writeAll(line)
        } catch {
            sendError = error
        }
        var input: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while !input.contains(UInt8(ascii: "\n")) {
            let n: Int
            switch chunk.withUnsafeMutableBytes({ fd.readNonBlocking(into: $0) }) {
            case .done(let count): n = count
            case .endOfFile, .wouldBlock: n = 0
            case .failed(let error):
                if error.errno == ECONNRESET && !input.isEmpty { n = 0; break }
                throw CLIError("lost the connection to the daemon: \(error)")
            }
            if n == 0 { break }
            input.append(contentsOf: chunk[0..<n])
        }
        guard let newline = input.firstIndex(of: UInt8(ascii: "\n")) else {
            if let sendError { throw CLIError("cannot send the request to the daemon: \(sendError)") }
            throw CLIError("the daemon closed the connection without an answer (see \(home.daemonLog))")
        }
        return input[..<newline]
    }

    /// No daemon answers at the home's socket: none runs, or one left a stale socket
    /// file, or one runs whose socket was removed from under it (said apart: the last
    /// needs the user, the others a start).
    struct NotRunning: Error, CustomStringConvertible {
        var home: Home
        /// A socket file is there, and nobody listens on it.
        var stale = false
        var description: String {
            if let pid = runningDaemon {
                return "a swisor daemon runs (pid \(pid), from \(home.pidFile)) but its socket \(home.socket) is gone, so it cannot be reached; `kill \(pid)` stops it and its apps, then any command starts a new one"
            }
            if stale {
                return "the swisor daemon is not running (a stale socket at \(home.socket), left by a daemon that did not exit cleanly; the next start replaces it)"
            }
            return "the swisor daemon is not running (no socket at \(home.socket))"
        }

        /// The pid in the home's pid file, if it is a live swisor daemon.
        private var runningDaemon: pid_t? {
            guard let bytes = try? FileSystem.contents(home.pidFile, limit: 64),
                  let pid = pid_t(String(decoding: bytes.filter { $0 != UInt8(ascii: "\n") }, as: UTF8.self).trimmingSpaces), pid > 0,
                  let cmdline = FileDescriptor.readSmallFile("/proc/\(pid)/cmdline", limit: 8192),
                  Release.isDaemonCommandLine(cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) })
            else { return nil }
            return pid
        }
    }

    /// Starts the daemon (`swisord`, beside this binary) detached: its own session,
    /// output to daemon.log. The daemon takes a lock, so two CLIs racing here still end
    /// up with one daemon.
    private static func startDaemon(home: Home) throws {
        do {
            try home.prepare()
        } catch {
            throw CLIError("cannot prepare the swisor home: \(error)")
        }
        let logFD: FileDescriptor
        do {
            logFD = try FileDescriptor.open(home.daemonLog, O_WRONLY | O_APPEND | O_CREAT, mode: 0o600)
        } catch {
            throw CLIError("cannot open \(home.daemonLog): \(error)")
        }
        defer { logFD.close() }
        var env = currentEnvironment()
        env["SWISOR_HOME"] = home.root
        // A daemon started on the side is not the unit's service: it must not speak to the
        // NOTIFY_SOCKET (or take the sockets) of whatever unit runs this CLI.
        for name in ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            env[name] = nil
        }
        do {
            _ = try Spawner.spawn(SpawnRequest(
                argv: [daemonExecutable()], environment: env, cwd: "/",
                stdout: logFD, stderr: logFD
            ))
        } catch {
            throw CLIError("cannot start the swisor daemon: \(error) (swisord is installed beside swisor)")
        }
    }

    /// Waits (up to 10 s, a slow first start included) for the socket to accept.
    private static func waitForDaemon(home: Home) throws -> FileDescriptor {
        let deadline = monotonicMilliseconds() + 10_000
        var pause: UInt32 = 1_000
        while true {
            if let fd = try? UnixSocket.connect(path: home.socket) { return fd }
            if monotonicMilliseconds() > deadline {
                throw CLIError("the swisor daemon did not start within 10 s (see \(home.daemonLog))")
            }
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
    }

    static func selfExecutable() -> String {
        if let path = try? FileSystem.readLink("/proc/self/exe"), !path.isEmpty { return path }
        return CommandLine.arguments[0]
    }

    /// The daemon of this build: `swisord` in this binary's folder.
    static func daemonExecutable() -> String {
        Release.daemonPath(besideCLI: selfExecutable())
    }
}

func currentEnvironment() -> [String: String] {
    var env: [String: String] = [:]
    var p = environ
    while let entry = p.pointee {
        let s = String(cString: entry)
        if let eq = s.firstIndex(of: "=") {
            env[String(s[..<eq])] = String(s[s.index(after: eq)...])
        }
        p += 1
    }
    return env
}

func printErr(_ line: String) {
    try? FileDescriptor.standardError.writeAll((line + "\n").utf8)
}

func printOut(_ text: String) {
    try? FileDescriptor.standardOutput.writeAll(text.utf8)
}
