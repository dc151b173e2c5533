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
    let readBuffer = ReadBuffer()
    let pipeBudget = PipeBudget(softLimitPages: ProcFS.pipeUserPagesSoft(), pageSize: Int(ProcFS.pageSize))

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
    func attach(_ fd: FileDescriptor, stream: LogStream, loop: EventLoop) throws(SystemError) {
        readers.removeAll { !$0.isOpen }
        let reader = try PipeReader(loop: loop, fd: fd, stream: stream, source: service.newSource(), route: self,
                                    service: service, paused: paused)
        readers.append(reader)
    }

    func received(source: Int, stream: LogStream, _ chunk: LogChunk) {
        let over = service.writer.enqueue(sink, .data(source: source, stream: stream, chunk: chunk, at: wallClockMilliseconds()))
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

/// Reads one pipe of an instance on the event loop and hands the chunks to the writer's
/// queue; nothing here touches a disk. EOF only closes the pipe; an exit is learned from
/// waitpid, never from here.
///
/// Costs are per read, not per byte, so the reader makes its reads large:
/// - a busy pipe is enlarged to `pipeSize` (1 MiB, the most an unprivileged process may
///   ask for; 64 KiB is Linux's default), so that a busy app writes ahead while the daemon
///   is elsewhere, and one wake-up finds more. Only busy pipes, and within `PipeBudget`:
///   the kernel charges a pipe's whole capacity to its user's quota, full or empty;
/// - a wake-up reads up to `readsPerWakeup` buffers of 64 KiB, and no more, so a chatty app
///   cannot starve the others (epoll is level-triggered: the rest is read on the next
///   turn);
/// - a busy pipe that yields only a little (an app writing a line per write(2), which
///   would otherwise wake the daemon for every line) is left alone for `lingerMs` before
///   the next read, which then takes everything written meanwhile. A quiet app's line is
///   read at once: the pause starts only when a pipe was read less than `busyWithinMs` ago.
///   The cost is at most a few milliseconds of delay on a busy app's lines. An app fast
///   enough to fill the pipe during the pause would be slowed down by it (it blocks in
///   write(2) until the next read): when a pause left the pipe half full or more, it is
///   read without pauses for `noLingerMs`, and tried again. (Half: writes that do not
///   fit in the last page start a new one, so a pipe can be full well before its
///   capacity in bytes.)
final class PipeReader {
    private let loop: EventLoop
    private let fd: FileDescriptor
    private let stream: LogStream
    private let source: Int
    private weak var route: LogRoute?
    private unowned let service: LogService
    private(set) var isOpen = true
    private var registered = false
    /// The writer is behind (back-pressure): not read until `resume`.
    private var paused: Bool
    /// Waiting before the next read of a busy pipe.
    private var lingerTimer: EventLoop.TimerID?
    private var lastReadMono: Int64?
    /// The pipe's capacity: the kernel's default until it is enlarged.
    private var capacity: Int
    /// What the enlargement took from the budget (given back at close).
    private var reserved = 0
    /// The kernel refused to enlarge the pipe: not asked again.
    private var enlargeRefused = false
    /// No pause before this time: the last one let the pipe fill up.
    private var noLingerUntilMono: Int64 = 0

    static let pipeSize = 1 << 20
    static let readsPerWakeup = 4
    static let lingerMs: Int64 = 1
    static let busyWithinMs: Int64 = 2
    /// Below this, a read of a busy pipe was small enough to wait for more.
    static let smallRead = LogWriter.chunkCapacity / 2
    static let noLingerMs: Int64 = 100

    init(loop: EventLoop, fd: FileDescriptor, stream: LogStream, source: Int, route: LogRoute, service: LogService,
         paused: Bool) throws(SystemError) {
        self.loop = loop
        self.service = service
        self.fd = fd
        self.stream = stream
        self.source = source
        self.route = route
        self.paused = paused
        try fd.setNonBlocking()
        capacity = fd.pipeSize ?? 64 << 10
        try updateRegistration()
    }

    /// In epoll exactly while the pipe is open, not paused and not lingering. The loop
    /// holds the reader while it is registered (a strong capture, released by
    /// unregister): a pipe of a previous run keeps draining after a restart.
    private func updateRegistration() throws(SystemError) {
        let wanted = isOpen && !paused && lingerTimer == nil
        if wanted && !registered {
            try loop.register(fd) { _ in self.readable() }
            registered = true
        } else if !wanted && registered {
            loop.unregister(fd)
            registered = false
        }
    }

    /// Registration failed (epoll_ctl fails only without memory): the pipe is given up,
    /// never the daemon.
    private func watchAgain() {
        do {
            try updateRegistration()
        } catch {
            route?.onProblem("cannot watch the output pipe again: \(error)")
            close()
        }
    }

    /// Back-pressure: out of epoll (level-triggered, a paused pipe would wake the loop on
    /// every turn) until `resume`.
    func pause() {
        paused = true
        watchAgain()
    }

    func resume() {
        paused = false
        watchAgain()
    }

    private func readable(afterLinger: Bool = false) {
        // The pipe filled (or nearly) while it waited: the app was (or was about to be)
        // blocked on the daemon.
        let filled = afterLinger && (fd.pendingBytes ?? 0) >= capacity / 2
        var got = 0
        reading: for _ in 0..<PipeReader.readsPerWakeup {
            switch readOnce() {
            case .data(let n):
                got += n
                // A pipe read returns what the pipe holds: less than asked for empties it.
                if n < LogWriter.chunkCapacity || paused { break reading }
            case .empty:
                break reading
            case .closed:
                return
            }
        }
        guard got > 0 else { return }
        let now = monotonicMilliseconds()
        if filled { noLingerUntilMono = now + PipeReader.noLingerMs }
        let busy = lastReadMono.map { now - $0 <= PipeReader.busyWithinMs } ?? false
        lastReadMono = now
        if busy && reserved == 0 && !enlargeRefused { enlarge() }
        guard busy, got < PipeReader.smallRead, !paused, now >= noLingerUntilMono else { return }
        lingerTimer = loop.schedule(afterMilliseconds: PipeReader.lingerMs) { [weak self] in
            guard let self, self.isOpen else { return }
            self.lingerTimer = nil
            self.watchAgain()
            if self.registered { self.readable(afterLinger: true) }
        }
        watchAgain()
    }

    /// Takes the pipe to `pipeSize`, if the budget allows. A refusal of the kernel (the
    /// user's quota is used up by other processes) is final for this pipe; an empty
    /// budget is tried again at the next busy read.
    private func enlarge() {
        let extra = PipeReader.pipeSize - capacity
        guard extra > 0 else {
            enlargeRefused = true
            return
        }
        guard service.pipeBudget.take(extra) else { return }
        let size = fd.setPipeSize(PipeReader.pipeSize) ?? capacity
        reserved = max(0, size - capacity)
        service.pipeBudget.give(extra - reserved)
        if size > capacity {
            capacity = size
        } else {
            enlargeRefused = true
        }
    }

    private enum ReadResult {
        case data(Int)
        case empty
        case closed
    }

    /// One read into the shared buffer. A read of at least half a buffer hands the buffer
    /// itself to the writer (the reader takes a spare one); a smaller one is copied into a
    /// chunk of its size, so that a queue of small reads holds only their bytes.
    private func readOnce() -> ReadResult {
        let buffer = service.readBuffer
        let chunk = buffer.chunk ?? service.writer.spareChunk()
        buffer.chunk = chunk
        switch fd.readNonBlocking(into: chunk.storage) {
        case .done(let n):
            if n >= LogWriter.chunkCapacity / 2 {
                chunk.count = n
                buffer.chunk = nil
                route?.received(source: source, stream: stream, chunk)
            } else {
                route?.received(
                    source: source, stream: stream,
                    LogChunk(copying: UnsafeRawBufferPointer(rebasing: chunk.storage[0..<n])))
            }
            return .data(n)
        case .wouldBlock:
            return .empty
        case .endOfFile, .failed:
            route?.ended(source: source, stream: stream)
            close()
            return .closed
        }
    }

    /// Reads what the pipe holds now, regardless of back-pressure (the app is gone: its
    /// pipe holds at most `pipeSize`), then closes it.
    func drain() {
        while isOpen, case .data = readOnce() {}
        if isOpen {
            route?.ended(source: source, stream: stream)
            close()
        }
    }

    func close() {
        guard isOpen else { return }
        isOpen = false
        loop.cancel(lingerTimer)
        lingerTimer = nil
        service.pipeBudget.give(reserved)
        reserved = 0
        if registered { loop.unregister(fd) }
        registered = false
        fd.close()
    }
}

/// How much the daemon may enlarge busy pipes, all apps together (`PipeReader`). The
/// kernel charges each pipe's whole capacity to the user who made it, full or empty, and
/// past /proc/sys/fs/pipe-user-pages-soft (64 MiB by default) every new pipe of that user,
/// made by any of its unprivileged processes, gets one page: so the daemon takes a quarter
/// of that quota at most (16 MiB: 17 busy apps at 1 MiB), and quiet apps nothing.
final class PipeBudget {
    let limit: Int
    private(set) var used = 0

    init(limit: Int) {
        self.limit = limit
    }

    /// From the soft quota in pages (0: no limit; unknown: the kernel's default).
    convenience init(softLimitPages: Int?, pageSize: Int) {
        let pages = softLimitPages ?? 16384
        self.init(limit: pages == 0 ? Int.max : pages * pageSize / 4)
    }

    func take(_ bytes: Int) -> Bool {
        guard bytes <= limit - used else { return false }
        used += bytes
        return true
    }

    func give(_ bytes: Int) {
        used = max(0, used - bytes)
    }
}

/// The buffer of the next pipe read, shared by every pipe: reads happen one at a time on
/// the loop thread. Taken by the writer when a read fills it (`PipeReader.readOnce`).
final class ReadBuffer {
    var chunk: LogChunk?
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
