#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorSystem
import SwisorSystemd

/// The daemon (`swisord`): sets up the home, the lock, the subreaper, the signals and the
/// control socket, then runs the event loop until `swisor kill` or SIGTERM.
public final class Daemon {
    public static var version: String { Release.version }

    private let home: Home
    private let log = DaemonLog()
    private let loop: EventLoop
    private let supervisor: Supervisor
    private var appResourcesReleased = false
    private var server: ControlServer?
    private let startedMono = monotonicMilliseconds()
    private var shuttingDown = false
    /// The control socket came from systemd (socket activation): it is systemd's to
    /// remove, and it must stay bound for the next activation.
    private var socketActivated = false
    /// The socket file as bound, to tell it from another one at the same path.
    private var socketIdentity: FileStatus?
    private var homeWatch: DirectoryWatch?
    private var stoppedListening = false
    private var lastStatusLine = ""
    private var statusUpdatePending = false

    private let zoneName: String

    private init(home: Home, loop: EventLoop, containment: Containment) throws(SystemError) {
        self.home = home
        self.loop = loop
        let zone = LocalTimeZone.load()
        if let warning = zone.warning { log.warning(warning) }
        self.zoneName = zone.name
        let (logDefaults, problems) = LogService.environmentDefaults()
        for problem in problems { log.warning(problem) }
        let logs = try LogService(loop: loop, logsDirectory: home.logs, zone: zone.rules, defaults: logDefaults)
        self.supervisor = Supervisor(loop: loop, home: home, containment: containment, log: log, logs: logs, zone: zone.rules)
    }

    /// Runs the daemon in the foreground; returns its exit status.
    public static func run(home: Home, resurrect: Bool = false) -> Int32 {
        let log = DaemonLog()
        do {
            try home.prepare()
        } catch {
            log.error("cannot prepare home \(home.root): \(error)")
            return 1
        }
        let lock: DaemonLock.Held
        do {
            // Another daemon owns this home: the CLI raced with another CLI (not an error),
            // or the home was removed under a daemon that still runs; or one is exiting
            // (it stops listening before it answers `kill`): then its lock is free within
            // moments, and this one takes over.
            var held = try DaemonLock.acquire(path: home.lockFile, home: home.root)
            let deadline = monotonicMilliseconds() + 3000
            while held == nil, monotonicMilliseconds() < deadline, (try? UnixSocket.connect(path: home.socket).close()) == nil {
                usleep(20_000)
                held = try DaemonLock.acquire(path: home.lockFile, home: home.root)
            }
            guard let held else {
                log.info("a swisor daemon already runs for \(home.root)")
                return 0
            }
            lock = held
        } catch {
            log.error("cannot lock \(home.lockFile): \(error)")
            return 1
        }
        defer { lock.release() }

        signal(SIGPIPE, SIG_IGN)
        let appFileLimit = FileLimits.raiseForDaemon()
        let containment = selectContainment(home: home, log: log)
        do {
            let loop = try EventLoop()
            let daemon = try Daemon(home: home, loop: loop, containment: containment)
            daemon.supervisor.appFileLimit = appFileLimit
            return try daemon.serve(resurrect: resurrect)
        } catch {
            log.error("cannot start: \(error)")
            return 1
        }
    }

    /// A cgroup per app where a cgroup2 directory is writable, else process groups,
    /// the subreaper and /proc. `SWISOR_CONTAINMENT=process-tree` forces the fallback
    /// (for comparison, or a host whose cgroups misbehave); `cgroup` makes a failure to
    /// set cgroups up fatal instead of falling back.
    static func selectContainment(home: Home, log: DaemonLog) -> Containment {
        var subreaperNote = ""
        do {
            try ProcessControl.becomeSubreaper()
        } catch {
            subreaperNote = " (warning: \(error); escaped processes will be re-parented to init)"
            log.warning("cannot become a child subreaper: \(error)")
        }
        let wanted = getenv("SWISOR_CONTAINMENT").map { String(cString: $0) } ?? "auto"
        if wanted == "process-tree" {
            return ProcessTreeContainment(reason: "SWISOR_CONTAINMENT=process-tree: process groups, the subreaper and /proc" + subreaperNote)
        }
        switch CgroupHost.setUp(fs: RealCgroupFileSystem(), home: home.root, pid: getpid()) {
        case .success(let host):
            for path in host.stale {
                log.warning("\(path) still has processes of an earlier daemon of this home; see swisor doctor")
            }
            return CgroupContainment(host: host)
        case .failure(let error):
            if wanted == "cgroup" {
                log.error("SWISOR_CONTAINMENT=cgroup, but no cgroup is usable: \(error)")
                exit(1)
            }
            log.warning("no cgroup containment: \(error)")
            return ProcessTreeContainment(reason: "no usable cgroup (\(error)); using process groups, the subreaper and /proc" + subreaperNote)
        }
    }

    private func serve(resurrect: Bool) throws(SystemError) -> Int32 {
        try loop.handleSignals([
            SIGCHLD: { [unowned self] in self.supervisor.reap() },
            SIGTERM: { [unowned self] in self.shutdown(reason: "SIGTERM") },
            SIGINT: { [unowned self] in self.shutdown(reason: "SIGINT") },
            // As `swisor reloadLogs`: logrotate's postrotate sends it.
            SIGHUP: { [unowned self] in
                self.supervisor.logs.reopenAll { self.log.info("SIGHUP: log files reopened") }
            },
        ])
        // Children may have exited before the signalfd existed.
        supervisor.reap()

        let listener: FileDescriptor
        if let passed = SystemdSockets.take() {
            for fd in passed.ignored { log.warning("socket activation: \(fd) is not a listening Unix stream socket; closed") }
            guard let sock = passed.listener else {
                log.error("socket activation: LISTEN_FDS passed no listening Unix stream socket")
                return 1
            }
            let bound = UnixSocket.boundPath(sock)
            if bound != home.socket {
                // Clients look for the home's socket: one elsewhere is served, but say so.
                log.warning("socket activation: the passed socket is bound to \"\(bound)\", not \(home.socket); clients of this home will not find it")
            }
            listener = sock
            socketActivated = true
        } else {
            listener = try UnixSocket.listen(path: home.socket)
        }
        server = try ControlServer(loop: loop, listener: listener, log: log) { [unowned self] request, peer, reply in
            self.dispatch(request, reply: reply)
        }
        try writePIDFile()
        if !socketActivated { guardSocket() }
        log.info("swisor \(Daemon.version) listening on \(home.socket)\(socketActivated ? " (socket activation)" : "") (pid \(getpid()), containment \(supervisor.containment.mode), time zone \(zoneName))")
        if resurrect { self.resurrect() }
        lastStatusLine = statusLine()
        SystemdNotify.send("READY=1\nSTATUS=\(lastStatusLine)\nMAINPID=\(getpid())")
        if SystemdNotify.isExpected {
            supervisor.onStatusChange = { [unowned self] in self.statusChanged() }
        }
        startWatchdog()

        loop.run()

        releaseAppResources()
        stopListening()
        server?.close()
        FileSystem.removeIgnoringErrors(home.pidFile)
        log.info("swisor daemon stopped")
        return 0
    }

    /// `--resurrect`: the saved apps are launched before READY=1. A missing dump
    /// is a first boot; a broken one is logged and starts nothing, never the daemon's end.
    private func resurrect() {
        let dump: Dump
        do {
            dump = try DumpFile.load(home.dumpFile)
        } catch {
            if case .missing = error.reason {
                log.info("no saved dump at \(home.dumpFile): nothing to resurrect")
            } else {
                log.error("resurrect: \(error)")
            }
            return
        }
        supervisor.start(specs: dump.apps) { [log] response in
            if let e = response.error {
                log.error("resurrect: \(e.message)")
            } else {
                log.info("resurrected \(dump.apps.count) app(s) from \(self.home.dumpFile)")
            }
        }
    }

    // MARK: systemd

    private func statusLine() -> String {
        AppStatus.summary(supervisor.visible.map(\.status))
    }

    /// Statuses change in bursts (`start` of 100 apps): one STATUS= per loop turn at most,
    /// and only when the line changed.
    private func statusChanged() {
        guard !statusUpdatePending else { return }
        statusUpdatePending = true
        _ = loop.schedule(afterMilliseconds: 0) { [unowned self] in
            self.statusUpdatePending = false
            let line = self.statusLine()
            guard line != self.lastStatusLine else { return }
            self.lastStatusLine = line
            SystemdNotify.send("STATUS=\(line)")
        }
    }

    /// WatchdogSec= on the unit: WATCHDOG=1 at half the interval, from the event loop, so
    /// a loop that hangs is what systemd notices.
    private func startWatchdog() {
        guard let usec = SystemdNotify.watchdogUsec() else { return }
        let interval = max(1, Int64(usec / 2000))
        log.info("systemd watchdog every \(usec / 1000) ms: pinging every \(interval) ms")
        func ping() {
            _ = loop.schedule(afterMilliseconds: interval) {
                SystemdNotify.send("WATCHDOG=1")
                ping()
            }
        }
        SystemdNotify.send("WATCHDOG=1")
        ping()
    }

    /// Closes the listening socket (and its watch) and removes its path: the daemon
    /// takes no new clients. Once.
    private func stopListening() {
        if let watch = homeWatch {
            loop.unregister(watch.fd)
            watch.close()
            homeWatch = nil
        }
        guard !stoppedListening else { return }
        stoppedListening = true
        server?.stopListening()
        if !socketActivated { FileSystem.removeIgnoringErrors(home.socket) }
    }

    // MARK: The socket removed under the daemon

    /// docs/semantics.md, "The daemon": a home's socket removed (`rm -rf ~/.swisor`, a
    /// cleaner of /tmp) leaves a daemon nobody can reach, not even `swisor kill`. The
    /// daemon watches its home for that (inotify: no cost while nothing is removed) and
    /// makes the home, its socket and its pid file again.
    private func guardSocket() {
        socketIdentity = try? FileSystem.status(home.socket)
        do throws(SystemError) {
            let watch = try DirectoryWatch(path: home.root)
            try loop.register(watch.fd) { [unowned self] _ in self.homeChanged() }
            homeWatch = watch
        } catch {
            log.warning("cannot watch \(home.root) for the removal of its socket: \(error)")
        }
    }

    private func homeChanged() {
        guard let watch = homeWatch else { return }
        let homeLost = watch.drain()
        if let now = try? FileSystem.status(home.socket), let was = socketIdentity, now.isSameFile(as: was), !homeLost {
            return
        }
        guard !shuttingDown else { return }
        do throws(SystemError) {
            // The socket is gone or is not ours any more: the lock (held outside the
            // home too) says no other daemon serves this home, so the path is ours.
            try home.prepare()
            let fresh = try UnixSocket.listen(path: home.socket)
            try server?.replaceListener(with: fresh)
            try writePIDFile()
            try watch.rewatch()
            socketIdentity = try? FileSystem.status(home.socket)
            log.warning("the control socket \(home.socket) was removed\(homeLost ? " with its home" : ""): listening there again")
        } catch {
            log.error("the control socket \(home.socket) was removed, and cannot be made again: \(error)")
        }
    }

    private func writePIDFile() throws(SystemError) {
        // Write then rename: a reader never sees a half-written pid.
        let tmp = home.pidFile + ".tmp"
        let fd = try FileDescriptor.open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644)
        defer { fd.close() }
        try fd.writeAll("\(getpid())\n".utf8, subject: tmp)
        try FileSystem.rename(tmp, to: home.pidFile)
    }

    /// The apps are stopped: what their pipes still hold reaches the files, and the
    /// cgroups the daemon made go. Once, whichever of `kill` and the loop's end comes first.
    private func releaseAppResources() {
        guard !appResourcesReleased else { return }
        appResourcesReleased = true
        supervisor.logs.shutdown()
        supervisor.containment.shutdown()
    }

    private func shutdown(reason: String, then done: (() -> Void)? = nil) {
        if shuttingDown {
            // Asked again while apps are still stopping: do not wait for their
            // kill_timeout any longer.
            log.warning("\(reason) again during shutdown: SIGKILL to every process left")
            supervisor.killRemaining()
            return
        }
        shuttingDown = true
        log.info("shutting down (\(reason)): stopping \(supervisor.count) app instance(s)")
        SystemdNotify.send("STOPPING=1")
        supervisor.stopAll { [unowned self] in
            if let done { done() } else { self.loop.stop() }
        }
    }

    // MARK: Requests

    private func dispatch(_ request: Request, reply: @escaping ControlServer.Reply) {
        if shuttingDown && request.command != .ping && request.command != .list {
            return reply(.failure(.shuttingDown, "the daemon is shutting down"), nil)
        }
        func noMatch(_ target: String) -> Response {
            .failure(.noMatch, "no app matches \"\(target)\" (not a name, namespace or id)")
        }
        func targets() -> (String, [Instance])? {
            guard let target = request.target, !target.isEmpty else { return nil }
            return (target, supervisor.resolve(target))
        }

        switch request.command {
        case .ping:
            let info = PingInfo(
                pid: getpid(), version: Daemon.version,
                uptimeMs: monotonicMilliseconds() - startedMono, home: home.root,
                containment: supervisor.containment.mode,
                containmentReason: supervisor.containment.reason,
                apps: supervisor.count
            )
            reply(Response(ping: info), nil)

        case .list:
            reply(Response(apps: supervisor.list()), nil)

        case .describe, .logs:
            let target = request.target ?? "all"
            let found = supervisor.resolve(target)
            if found.isEmpty && target != "all" { return reply(noMatch(target), nil) }
            if request.command == .logs {
                // Only what a log reader needs: no environment, no /proc walk.
                reply(Response(apps: found.map {
                    var info = $0.info(detailed: false, snapshot: [])
                    info.logs = $0.logs.paths
                    info.logJournal = $0.logs.stats.journal
                    // How the reader parses the files: the lines as written, or none at all when
                    // they go to the journal (a journal that is missing falls back to files).
                    info.logs?.format = ($0.logs.stats.journal ? LogFileFormat.journal : LogFileFormat.lines($0.spec.logLineFormat)).wire
                    return info
                }), nil)
            } else {
                reply(Response(apps: supervisor.describe(found)), nil)
            }

        case .start:
            if let specs = request.resolvedApps {
                supervisor.start(specs: specs) { reply($0, nil) }
            } else if let (target, found) = targets() {
                if found.isEmpty { return reply(noMatch(target), nil) }
                supervisor.startExisting(found) {
                    // The new runs have no reading yet: `list` takes one when asked.
                    reply(Response(apps: found.map { $0.info(detailed: false, snapshot: []) }), nil)
                }
            } else {
                reply(.failure(.badRequest, "start needs apps or a target"), nil)
            }

        case .trigger:
            guard let (target, found) = targets() else {
                return reply(.failure(.badRequest, "trigger needs a target"), nil)
            }
            if found.isEmpty { return reply(noMatch(target), nil) }
            supervisor.trigger(found) {
                reply(Response(apps: found.map { $0.info(detailed: false, snapshot: []) }), nil)
            }

        case .restart, .stop, .delete:
            guard let (target, found) = targets() else {
                return reply(.failure(.badRequest, "\(request.command.rawValue) needs a target"), nil)
            }
            if found.isEmpty { return reply(noMatch(target), nil) }
            let done: () -> Void = {
                if request.command == .delete {
                    // The deleted apps as they were last (stopped), for --json readers.
                    reply(Response(apps: found.map { $0.info(detailed: false, snapshot: []) },
                                   messages: found.map { "deleted \($0.spec.name) (id \($0.id))" }), nil)
                } else {
                    reply(Response(apps: found.map { $0.info(detailed: false, snapshot: []) }), nil)
                }
            }
            switch request.command {
            case .restart: supervisor.restart(found, completion: done)
            case .stop: supervisor.stop(found, completion: done)
            default: supervisor.delete(found, completion: done)
            }

        case .reset:
            guard let (target, found) = targets() else {
                return reply(.failure(.badRequest, "reset needs a target"), nil)
            }
            if found.isEmpty { return reply(noMatch(target), nil) }
            supervisor.reset(found)
            reply(Response(apps: found.map { $0.info(detailed: false, snapshot: []) }), nil)

        case .doctor:
            reply(Response(doctor: supervisor.doctor()), nil)

        case .reload:
            guard let (target, found) = targets() else {
                return reply(.failure(.badRequest, "reload needs a target"), nil)
            }
            if found.isEmpty { return reply(noMatch(target), nil) }
            supervisor.reload(found) { failures in
                if failures.isEmpty {
                    reply(Response(apps: found.map { $0.info(detailed: false, snapshot: []) }), nil)
                } else {
                    reply(.failure(.reloadFailed, failures.joined(separator: "; ")), nil)
                }
            }

        case .flush:
            let target = request.target ?? "all"
            let found = supervisor.resolve(target)
            if found.isEmpty && target != "all" { return reply(noMatch(target), nil) }
            supervisor.flushLogs(found) {
                reply(Response(apps: found.map { $0.info(detailed: false, snapshot: []) },
                               messages: found.map { "flushed the logs of \($0.spec.name) (id \($0.id))" }), nil)
            }

        case .reloadLogs:
            supervisor.logs.reopenAll { [unowned self] in
                reply(Response(messages: ["reopened the log files of \(self.supervisor.count) app instance(s)"]), nil)
            }

        case .kill:
            let count = supervisor.count
            shutdown(reason: "swisor kill") { [unowned self] in
                // `kill` answers once nothing of the apps is left: their last lines in
                // the files and their cgroups removed, not only their processes gone.
                self.releaseAppResources()
                // From here on a new CLI finds no socket and starts the next daemon,
                // which waits for this one's lock, instead of connecting to a daemon that
                // exits under it (the connection would be reset).
                self.stopListening()
                reply(Response(messages: ["stopped \(count) app instance(s); daemon exiting"])) {
                    self.loop.stop()
                }
            }
        }
    }
}

extension AppInfo {
    /// The list-sized view of a detailed record.
    var summary: AppInfo {
        var s = self
        s.spec = nil
        s.logs = nil
        s.history = nil
        s.processes = nil
        s.cgroup = nil
        s.logDroppedLines = nil
        s.logDroppedBytes = nil
        s.logError = nil
        s.logJournal = nil
        s.logRotations = nil
        return s
    }
}
