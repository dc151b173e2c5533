#if canImport(Glibc)
import Glibc
#endif
import CSwisor

/// What a spawn needs; the daemon fills it from an AppSpec.
public struct SpawnRequest {
    public var argv: [String]
    public var environment: [String: String]
    public var cwd: String
    public var stdout: FileDescriptor
    public var stderr: FileDescriptor
    /// Open `cgroup.procs` files the child writes itself into before exec.
    public var cgroupProcs: [FileDescriptor]
    /// RLIMIT_NOFILE for the program, when it is not the caller's (the daemon raises
    /// its own: FileLimits).
    public var fileLimit: rlimit?

    public init(argv: [String], environment: [String: String], cwd: String,
                stdout: FileDescriptor, stderr: FileDescriptor, cgroupProcs: [FileDescriptor] = [],
                fileLimit: rlimit? = nil) {
        self.argv = argv
        self.environment = environment
        self.cwd = cwd
        self.stdout = stdout
        self.stderr = stderr
        self.cgroupProcs = cgroupProcs
        self.fileLimit = fileLimit
    }
}

/// Why a child never reached its program, with the errno the child saw.
public struct SpawnError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Stage: String, Sendable {
        case resolve, fork, setsid, cgroup, stdio, chdir, exec, pipe, rlimit
    }
    public var stage: Stage
    public var errno: Int32
    public var subject: String

    public var description: String {
        let reason = SystemError.describe(errno: errno)
        switch stage {
        case .resolve, .exec: return "cannot execute \(subject): \(reason)"
        case .chdir: return "cannot change directory to \(subject): \(reason)"
        case .cgroup: return "cannot join cgroup: \(reason)"
        default: return "\(stage.rawValue) failed: \(reason)"
        }
    }
}

public enum Spawner {
    /// Forks and execs through the C spawn path. The program is looked up in the app's
    /// own PATH here, in the parent, because a PATH search in the child would not be
    /// async-signal-safe.
    public static func spawn(_ request: SpawnRequest) throws(SpawnError) -> pid_t {
        guard let program = request.argv.first else {
            throw SpawnError(stage: .resolve, errno: ENOENT, subject: "(empty command)")
        }
        let path = try resolve(program, cwd: request.cwd, path: request.environment["PATH"])

        let nullFD = Glibc.open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { if nullFD >= 0 { Glibc.close(nullFD) } }

        var errnoOut: Int32 = 0
        var stageOut: Int32 = 0
        let envStrings = request.environment.map { "\($0.key)=\($0.value)" }
        let cgroupFDs = request.cgroupProcs.map(\.rawValue)
        var limit = request.fileLimit ?? rlimit()
        let hasLimit = request.fileLimit != nil
        let pid = withCStrings(request.argv) { argv in
            withCStrings(envStrings) { envp in
                cgroupFDs.withUnsafeBufferPointer { cg in
                    withUnsafePointer(to: &limit) { nofile in
                        cswisor_spawn(path, argv, envp, request.cwd, nullFD,
                                      request.stdout.rawValue, request.stderr.rawValue,
                                      cg.baseAddress, Int32(cg.count), hasLimit ? nofile : nil,
                                      &errnoOut, &stageOut)
                    }
                }
            }
        }
        if pid < 0 {
            let stage: SpawnError.Stage
            switch UInt32(stageOut) {
            case CSWISOR_STAGE_FORK.rawValue: stage = .fork
            case CSWISOR_STAGE_SETSID.rawValue: stage = .setsid
            case CSWISOR_STAGE_CGROUP.rawValue: stage = .cgroup
            case CSWISOR_STAGE_STDIO.rawValue: stage = .stdio
            case CSWISOR_STAGE_CHDIR.rawValue: stage = .chdir
            case CSWISOR_STAGE_PIPE.rawValue: stage = .pipe
            case CSWISOR_STAGE_RLIMIT.rawValue: stage = .rlimit
            default: stage = .exec
            }
            throw SpawnError(stage: stage, errno: errnoOut, subject: stage == .chdir ? request.cwd : path)
        }
        return pid
    }

    /// execvp's rules: a name with a slash is used as is (relative to the app's cwd);
    /// otherwise the first executable match in PATH. The errno is the one execvp would
    /// report: EACCES if some match was not executable, else ENOENT.
    public static func resolveProgram(_ program: String, cwd: String, path: String?) throws(SpawnError) -> String {
        try resolve(program, cwd: cwd, path: path)
    }

    static func resolve(_ program: String, cwd: String, path: String?) throws(SpawnError) -> String {
        if program.contains("/") {
            return program.hasPrefix("/") ? program : cwd + "/" + program
        }
        var sawEACCES = false
        let dirs = (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":", omittingEmptySubsequences: false)
        for dir in dirs {
            let base = dir.isEmpty ? "." : String(dir)
            let absBase = base.hasPrefix("/") ? base : cwd + "/" + base
            let candidate = absBase + "/" + program
            if access(candidate, X_OK) == 0 {
                var st = stat()
                if stat(candidate, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG {
                    return candidate
                }
            } else if errno == EACCES {
                sawEACCES = true
            }
        }
        throw SpawnError(stage: .resolve, errno: sawEACCES ? EACCES : ENOENT, subject: program)
    }
}

/// Builds a NULL-terminated char*[] that lives for the duration of `body`.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

public enum ProcessControl {
    /// Makes this process a child subreaper, so that every orphan of an app is
    /// re-parented to the daemon (and reaped by it) instead of init.
    public static func becomeSubreaper() throws(SystemError) {
        _ = try syscallRetrying("prctl(PR_SET_CHILD_SUBREAPER)") { cswisor_set_child_subreaper() }
    }

    /// Runs `argv` (argv[0] is the program's path) in place of this process: the same
    /// pid, environment and descriptors, which is what a systemd unit's main process
    /// needs (its MAINPID, LISTEN_PID and the sockets it passed at fd 3). Returns only
    /// when execv failed, with why.
    public static func replace(with argv: [String]) -> SystemError {
        guard let program = argv.first else { return SystemError("execv", errno: ENOENT) }
        let code = withCStrings(argv) { execv(program, $0) < 0 ? errno : ENOEXEC }
        return SystemError("execv", subject: program, errno: code)
    }

    public enum Reaped {
        case exited(pid: pid_t, code: Int32)
        case signaled(pid: pid_t, signal: Int32)
    }

    /// Waits for the child `pid` to end and returns its exit code, or 128 + the signal
    /// that ended it (-1 when it cannot be waited for: not a child, already reaped).
    public static func waitForExit(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        guard (try? syscallRetrying("waitpid", { waitpid(pid, &status, 0) })) != nil else { return -1 }
        // WIFEXITED / WEXITSTATUS are macros Swift cannot import.
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    /// Reaps every child that has exited, of any kind (apps, and orphans adopted as
    /// subreaper), without blocking.
    public static func reapAll() -> [Reaped] {
        var out: [Reaped] = []
        var pid: pid_t = 0
        var code: Int32 = 0
        var sig: Int32 = 0
        while cswisor_wait_any(&pid, &code, &sig) == 1 {
            out.append(sig > 0 ? .signaled(pid: pid, signal: sig) : .exited(pid: pid, code: code))
        }
        return out
    }
}
