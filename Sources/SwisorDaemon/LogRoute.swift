#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorSystem

/// The event loop's side of logging, one per daemon: owns the writer thread, makes a route
/// per instance, and turns the writer's events into history entries, completions and
/// resumed pipes. Runs on the loop thread; the writer never calls into it.
final class LogService {
    private let loop: EventLoop
    let writer: LogWriter
    let defaults: LogDefaults
    let logsDirectory: String
    var zone: TimeZoneRules { writer.zone }
    private var routes: [Int: LogRoute] = [:]
    private var completions: [Int: () -> Void] = [:]
    private var nextToken = 1
    private var nextSource = 1

    init(loop: EventLoop, logsDirectory: String, zone: TimeZoneRules, defaults: LogDefaults) throws(SystemError) {
        self.loop = loop
        self.logsDirectory = logsDirectory
        self.defaults = defaults
        writer = try LogWriter(zone: zone)
        try loop.register(writer.wakeDescriptor) { [unowned self] _ in self.handleEvents() }
    }

    /// The daemon-wide defaults from the daemon's environment (SWISOR_LOG_*).
    static func environmentDefaults() -> (defaults: LogDefaults, problems: [String]) {
        var environment: [String: String] = [:]
        for name in LogDefaults.variables {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        return LogDefaults.parse(environment: environment)
    }

    func makeRoute(id: Int, onProblem: @escaping (String) -> Void) -> LogRoute {
        let route = LogRoute(id: id, service: self, onProblem: onProblem)
        routes[id] = route
        return route
    }

    func newSource() -> Int {
        defer { nextSource += 1 }
        return nextSource
    }

    /// A token whose `.done` event calls `completion` on the loop.
    func token(_ completion: @escaping () -> Void) -> Int {
        let t = nextToken
        nextToken += 1
        completions[t] = completion
        return t
    }

    func forget(_ id: Int) {
        routes[id] = nil
    }

    /// `reloadLogs` and SIGHUP: every instance's files are opened again by path.
    func reopenAll(completion: @escaping () -> Void) {
        let group = Countdown(completion)
        for route in routes.values {
            group.enter()
            route.reopen { group.leave() }
        }
        group.arm()
    }

    private func handleEvents() {
        for event in writer.takeEvents() {
            switch event {
            case .problem(let sink, let message):
                routes[sink]?.onProblem(message)
            case .done(let token):
                completions.removeValue(forKey: token)?()
            case .drained(let sink):
                routes[sink]?.resume()
            }
        }
    }

    /// At daemon exit, after the apps stopped: reads what their pipes still hold, writes
    /// it, closes every file and ends the writer threads.
    func shutdown() {
        for id in routes.keys.sorted() {
            routes[id]?.drainAndClose()
        }
        writer.shutdown()
        routes = [:]
    }
}

/// Where one instance's output goes: the loop reads its pipes (`PipeReader`) and queues the
/// chunks to the writer thread, which owns the files. Also pauses the pipes while the
/// writer is behind (back-pressure), and fires `log_rotate_interval`.
final class LogRoute {
    let id: Int
    unowned let service: LogService
    let sink: LogSink
    let onProblem: (String) -> Void
    private(set) var paths = LogPaths(out: nil, err: nil, combined: nil)
    private(set) var settings: LogSettings?
    private var config: LogSinkConfig?
    private var readers: [PipeReader] = []
    private(set) var paused = false
    private var rotateTimer: EventLoop.TimerID?
    private var closed = false

    init(id: Int, service: LogService, onProblem: @escaping (String) -> Void) {
        self.id = id
        self.service = service
        self.sink = LogSink(id: id)
        self.onProblem = onProblem
    }

    /// At each launch: the files, format and rotation of the current spec (the writer
    /// hears of a change only).
    func configure(spec: AppSpec, index: Int) {
        let settings = spec.logSettings(defaults: service.defaults)
        let paths = LogPaths.forInstance(id: id, spec: spec, logsDirectory: service.logsDirectory)
        let config = LogSinkConfig(paths: paths, settings: settings, app: spec.name, index: index)
        self.paths = paths
        if config != self.config {
            self.config = config
            self.settings = settings
            service.writer.enqueue(sink, .configure(config))
            scheduleRotation()
        }
    }

    /// Reads a new pipe of the instance (each run has its own pair).
    func attach(_ fd: FileDescriptor, stream: LogStream, loop: EventLoop, buffer: ReadBuffer) throws(SystemError) {
        readers.removeAll { !$0.isOpen }
        let reader = try PipeReader(loop: loop, fd: fd, stream: stream, source: service.newSource(), route: self,
                                    buffer: buffer, paused: paused)
        readers.append(reader)
    }

    func received(source: Int, stream: LogStream, _ bytes: [UInt8]) {
        let over = service.writer.enqueue(
            sink, .data(source: source, stream: stream, bytes: bytes, at: wallClockMilliseconds()), bytes: bytes.count)
        if over && !paused {
            paused = true
            for r in readers { r.pause() }
        }
    }

    func ended(source: Int, stream: LogStream) {
        service.writer.enqueue(sink, .end(source: source, stream: stream, at: wallClockMilliseconds()))
    }

    /// The writer caught up: read the pipes again.
    func resume() {
        guard paused else { return }
        paused = false
        readers.removeAll { !$0.isOpen }
        for r in readers { r.resume() }
    }

    var stats: LogStats { service.writer.stats(of: sink) }

    func flush(completion: @escaping () -> Void) {
        service.writer.enqueue(sink, .truncate(token: service.token(completion)))
    }

    func reopen(completion: @escaping () -> Void) {
        service.writer.enqueue(sink, .reopen(token: service.token(completion)))
    }

    /// The instance is deleted (its processes are gone): what its pipes still hold is
    /// read and written, then the files are closed.
    func close() {
        drainAndClose()
        service.forget(id)
    }

    func drainAndClose() {
        guard !closed else { return }
        closed = true
        service.loopCancel(rotateTimer)
        rotateTimer = nil
        for r in readers { r.drain() }
        readers = []
        service.writer.enqueue(sink, .close(token: service.token {}))
    }

    // MARK: log_rotate_interval

    private func scheduleRotation() {
        service.loopCancel(rotateTimer)
        rotateTimer = nil
        guard let cron = settings?.rotateInterval, !closed else { return }
        guard let next = cron.nextFire(after: wallClockMilliseconds() / 1000, in: service.zone) else { return }
        arm(at: next)
    }

    private func arm(at next: Int64) {
        let wait = next * 1000 - wallClockMilliseconds()
        // Woken at least once a minute to look at the clock again, as cron_restart does,
        // so a clock that is set moves the rotation with it.
        rotateTimer = service.loopSchedule(afterMilliseconds: min(max(0, wait), Supervisor.cronRecheckMs)) { [weak self] in
            guard let self else { return }
            self.rotateTimer = nil
            if wallClockMilliseconds() < next * 1000 {
                self.arm(at: next)
                return
            }
            self.service.writer.enqueue(self.sink, .rotate)
            guard let cron = self.settings?.rotateInterval, let after = cron.nextFire(after: next, in: self.service.zone) else { return }
            self.arm(at: after)
        }
    }
}

extension LogService {
    fileprivate func loopCancel(_ timer: EventLoop.TimerID?) { loop.cancel(timer) }

    fileprivate func loopSchedule(afterMilliseconds ms: Int64, _ action: @escaping () -> Void) -> EventLoop.TimerID {
        loop.schedule(afterMilliseconds: ms, action)
    }
}

/// Reads one pipe of an instance on the event loop: one bounded read per wake-up, so a
/// chatty app cannot starve the others (epoll is level-triggered: the rest is read on the
/// next turn). The chunk is copied to the writer's queue; nothing here touches a disk.
/// EOF only closes the pipe; an exit is learned from waitpid, never from here.
final class PipeReader {
    private let loop: EventLoop
    private let fd: FileDescriptor
    private let stream: LogStream
    private let source: Int
    private weak var route: LogRoute?
    private let buffer: ReadBuffer
    private(set) var isOpen = true
    private var registered = false

    init(loop: EventLoop, fd: FileDescriptor, stream: LogStream, source: Int, route: LogRoute, buffer: ReadBuffer,
         paused: Bool) throws(SystemError) {
        self.loop = loop
        self.buffer = buffer
        self.fd = fd
        self.stream = stream
        self.source = source
        self.route = route
        try fd.setNonBlocking()
        if !paused { try register() }
    }

    private func register() throws(SystemError) {
        // The loop holds the reader while it is registered (a strong capture, released by
        // unregister): a pipe of a previous run keeps draining after a restart.
        try loop.register(fd) { _ in self.readable() }
        registered = true
    }

    /// Back-pressure: out of epoll (level-triggered, a paused pipe would wake the loop on
    /// every turn) until `resume`.
    func pause() {
        guard registered else { return }
        loop.unregister(fd)
        registered = false
    }

    func resume() {
        guard isOpen, !registered else { return }
        do {
            try register()
        } catch {
            // epoll_ctl fails only without memory: the pipe is given up, never the daemon.
            route?.onProblem("cannot watch the output pipe again: \(error)")
            close()
        }
    }

    private func readable() {
        _ = readOnce()
    }

    /// One read; false once the pipe is done (EOF or error) or has nothing now.
    private func readOnce() -> Bool {
        let result: FileDescriptor.IOResult = buffer.bytes.withUnsafeMutableBytes { raw in
            let r = fd.readNonBlocking(into: raw)
            if case .done(let n) = r {
                route?.received(source: source, stream: stream, Array(raw[0..<n]))
            }
            return r
        }
        switch result {
        case .done: return true
        case .wouldBlock: return false
        case .endOfFile, .failed:
            route?.ended(source: source, stream: stream)
            close()
            return false
        }
    }

    /// Reads what the pipe holds now, regardless of back-pressure (the app is gone: its
    /// pipe holds at most 64 KiB), then closes it.
    func drain() {
        while isOpen && readOnce() {}
        if isOpen {
            route?.ended(source: source, stream: stream)
            close()
        }
    }

    func close() {
        guard isOpen else { return }
        isOpen = false
        if registered { loop.unregister(fd) }
        registered = false
        fd.close()
    }
}

/// One read buffer shared by every pipe: reads happen one at a time on the loop
/// thread, so 64 KiB serves them all instead of 64 KiB per app.
final class ReadBuffer {
    var bytes = [UInt8](repeating: 0, count: 64 * 1024)
}

extension LogRoute {
    /// describe's view of the instance's logs.
    func annotate(_ info: inout AppInfo) {
        let s = stats
        info.logDroppedLines = s.droppedLines
        info.logDroppedBytes = s.droppedBytes
        info.logError = s.lastError
        info.logJournal = s.journal
        info.logRotations = s.rotations
    }
}
