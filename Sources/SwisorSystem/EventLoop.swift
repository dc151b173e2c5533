#if canImport(Glibc)
import Glibc
#endif
import CSwisor
import HeapModule

/// The daemon's single event loop: epoll over descriptors, a signalfd for signals and
/// a timer heap whose earliest deadline becomes epoll_wait's timeout.
///
/// Why not SwiftNIO: a supervisor's inputs are signals (SIGCHLD drives reaping with
/// waitpid(-1)), pidfds, pipes and one Unix socket; NIO has no signalfd or pidfd
/// channel and would add threads and memory the daemon does not need. Everything
/// here runs on the thread that calls `run()`; nothing is Sendable on purpose.
public final class EventLoop {
    public typealias IOHandler = (_ events: UInt32) -> Void

    public struct TimerID: Hashable, Sendable {
        fileprivate let raw: UInt64
    }

    public static let readable = CSWISOR_EPOLLIN | CSWISOR_EPOLLRDHUP
    public static let writable = CSWISOR_EPOLLOUT
    /// kernfs files (cgroup.events) raise it when their content changes.
    public static let priority = CSWISOR_EPOLLPRI
    public static let hangup = CSWISOR_EPOLLHUP | CSWISOR_EPOLLERR
    /// The peer closed or shut down its side; watched alone once a request was read.
    public static let peerClosed = CSWISOR_EPOLLRDHUP

    private let epfd: Int32
    private var handlers: [UInt64: IOHandler] = [:]
    private var tokenByFD: [Int32: UInt64] = [:]
    private var nextToken: UInt64 = 1
    /// Pending deadlines, cancelled ones included until they pop. Internal for the tests.
    private(set) var timers = Heap<TimerEntry>()
    private var timerActions: [UInt64: () -> Void] = [:]
    private var signalHandlers: [Int32: () -> Void] = [:]
    private var signalFD: FileDescriptor?
    private var running = false
    /// Counts passes of the loop: lets callers do a costly thing once per pass.
    public private(set) var turn: UInt64 = 0

    public init() throws(SystemError) {
        epfd = try syscallRetrying("epoll_create1") { cswisor_epoll_create() }
    }

    deinit {
        Glibc.close(epfd)
        signalFD?.close()
    }

    // MARK: Descriptors

    /// Watches `fd` (level-triggered) until `unregister(fd)`.
    public func register(_ fd: FileDescriptor, events: UInt32 = EventLoop.readable, _ handler: @escaping IOHandler) throws(SystemError) {
        let token = nextToken
        nextToken += 1
        _ = try syscallRetrying("epoll_ctl") {
            cswisor_epoll_ctl(epfd, CSWISOR_EPOLL_CTL_ADD, fd.rawValue, events, token)
        }
        handlers[token] = handler
        tokenByFD[fd.rawValue] = token
    }

    public func modify(_ fd: FileDescriptor, events: UInt32) throws(SystemError) {
        guard let token = tokenByFD[fd.rawValue] else { return }
        _ = try syscallRetrying("epoll_ctl") {
            cswisor_epoll_ctl(epfd, CSWISOR_EPOLL_CTL_MOD, fd.rawValue, events, token)
        }
    }

    /// Stops watching `fd`. Call before closing it: a closed descriptor number may be
    /// reused at once, and its stale handler must never run for the new one.
    public func unregister(_ fd: FileDescriptor) {
        guard let token = tokenByFD.removeValue(forKey: fd.rawValue) else { return }
        handlers[token] = nil
        _ = cswisor_epoll_ctl(epfd, CSWISOR_EPOLL_CTL_DEL, fd.rawValue, 0, 0)
    }

    // MARK: Timers

    @discardableResult
    public func schedule(afterMilliseconds delay: Int64, _ action: @escaping () -> Void) -> TimerID {
        let token = nextToken
        nextToken += 1
        // Saturating: a deadline past the end of the clock is "never", not a trap. The
        // options are bounded (366 days); this keeps any other caller safe too.
        let (deadline, overflow) = monotonicMilliseconds().addingReportingOverflow(max(0, delay))
        timers.insert(TimerEntry(deadline: overflow ? .max : deadline, token: token))
        timerActions[token] = action
        return TimerID(raw: token)
    }

    public func cancel(_ timer: TimerID?) {
        guard let timer else { return }
        // The heap entry stays until it reaches the top, where it is dropped without
        // waiting for its deadline (fireDueTimers): a cancelled timer never wakes the
        // loop. Entries far down (a cancelled cron timer) are swept out once they are
        // most of the heap, so it never grows without bound.
        timerActions[timer.raw] = nil
        if timers.count > 1024 && timers.count > 4 * timerActions.count {
            timers = Heap(timers.unordered.filter { timerActions[$0.token] != nil })
        }
    }

    // MARK: Signals

    /// Routes `signal` to `handler` on the loop. Must be called before `run()` for all
    /// signals at once: the set is blocked and read through one signalfd.
    public func handleSignals(_ table: [Int32: () -> Void]) throws(SystemError) {
        signalHandlers = table
        let signals = Array(table.keys)
        let fd = try syscallRetrying("signalfd") {
            signals.withUnsafeBufferPointer { cswisor_signalfd($0.baseAddress, Int32($0.count)) }
        }
        let sfd = FileDescriptor(rawValue: fd)
        signalFD = sfd
        try register(sfd) { [unowned self] _ in self.drainSignals(sfd) }
    }

    private func drainSignals(_ fd: FileDescriptor) {
        var pending = Set<Int32>()
        var signo: Int32 = 0
        while cswisor_signalfd_read(fd.rawValue, &signo) == 1 {
            pending.insert(signo)
        }
        // Several SIGCHLDs coalesce into one handler call: it reaps in a loop anyway.
        for s in pending.sorted() {
            signalHandlers[s]?()
        }
    }

    // MARK: Running

    public func stop() { running = false }

    public func run() {
        running = true
        var tokens = [UInt64](repeating: 0, count: 64)
        var events = [UInt32](repeating: 0, count: 64)
        while running {
            turn &+= 1
            let timeout = fireDueTimers()
            if !running { break }
            let n = tokens.withUnsafeMutableBufferPointer { t in
                events.withUnsafeMutableBufferPointer { e in
                    cswisor_epoll_wait(epfd, t.baseAddress, e.baseAddress, 64, timeout)
                }
            }
            if n < 0 {
                if errno == EINTR { continue }
                // epoll_wait fails only on programming errors (EBADF, EINVAL); spinning
                // would hide them, crashing would take every app down. Back off.
                usleep(10_000)
                continue
            }
            for i in 0..<Int(n) {
                // A handler earlier in this batch may have unregistered this one.
                guard let handler = handlers[tokens[i]] else { continue }
                handler(events[i])
            }
        }
    }

    /// Runs every due timer and returns the epoll timeout until the next one (-1: none).
    private func fireDueTimers() -> Int32 {
        // Only the timers due when the pass began: a timer that its action (or another
        // one) schedules for the next millisecond waits for the next pass, so timers that
        // keep re-arming can never keep epoll_wait (signals, the socket, pipes) from running.
        let start = monotonicMilliseconds()
        while let top = timers.min {
            if timerActions[top.token] == nil {
                // Cancelled: dropped now, not at its deadline (a stop's kill_timeout,
                // cancelled when the app went quietly, would wake an idle daemon).
                _ = timers.removeMin()
                continue
            }
            if top.deadline > start {
                return Int32(clamping: max(0, top.deadline - monotonicMilliseconds()))
            }
            _ = timers.removeMin()
            if let action = timerActions.removeValue(forKey: top.token) {
                action()
            }
        }
        return -1
    }
}

/// One timer in the loop's heap: earliest deadline first; ties fire in scheduling order
/// (tokens only grow), which also makes the order total, as `Heap` (not stable) needs.
struct TimerEntry: Comparable {
    var deadline: Int64
    var token: UInt64

    static func < (a: TimerEntry, b: TimerEntry) -> Bool {
        (a.deadline, a.token) < (b.deadline, b.token)
    }
}
