#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorSystem

/// The control socket: accepts connections, checks the peer's uid, reads one request
/// line, hands it to the dispatcher and writes its response. Never blocks: a slow or
/// silent client only costs its own buffers, and is dropped after a timeout. A large
/// request is read a slice per loop turn and scanned once; peers of another uid get a
/// few slots of their own and never the ones of the daemon's user and root; an answer
/// nobody reads is dropped after a deadline, and all answers waiting together are
/// bounded (docs/protocol.md, "Connections").
final class ControlServer {
    typealias Reply = (Response, _ afterFlush: (() -> Void)?) -> Void
    typealias Dispatch = (Request, UnixSocket.Credentials, @escaping Reply) -> Void

    private final class Connection {
        let fd: FileDescriptor
        let peer: UnixSocket.Credentials
        var input: [UInt8] = []
        var output: [UInt8] = []
        var written = 0
        var afterFlush: (() -> Void)?
        var idleTimer: EventLoop.TimerID?
        var answered = false
        /// How much of `input` has been searched for the newline already.
        var scanned = 0
        /// A peer of another uid: answered `forbidden` once its request has arrived
        /// (answering before reading would reset the connection for some clients).
        var refused = false
        init(fd: FileDescriptor, peer: UnixSocket.Credentials) {
            self.fd = fd
            self.peer = peer
        }
    }

    private let loop: EventLoop
    private var listener: FileDescriptor
    private var listening = true
    private let log: DaemonLog
    private let dispatch: Dispatch
    private var connections: [Int32: Connection] = [:]
    private let ownUID = geteuid()
    /// Connections of peers of another uid, counted apart: they never take a slot of
    /// the daemon's own user or root.
    private var refusedCount = 0
    /// Bytes of answers written but not yet taken by their clients, all together.
    private var pendingOutput = 0
    /// Bytes of requests read but not yet complete, all together.
    private var pendingInput = 0
    /// One read buffer for every connection: the loop serves one at a time.
    private var chunk = [UInt8](repeating: 0, count: 64 << 10)

    static let maxConnections = 256
    /// Peers of another uid at once; beyond, a new one is closed at once.
    static let maxRefusedConnections = 16
    /// What a refused peer may send before it is answered `forbidden` anyway.
    static let refusedRequestBytes = 64 << 10
    /// A client that connects and says nothing is dropped after this.
    static let requestTimeoutMs: Int64 = 10_000
    /// A refused peer is answered or dropped within this.
    static let refusedTimeoutMs: Int64 = 1_000
    /// An answer its client does not take within this is dropped, with the connection.
    static let writeTimeoutMs: Int64 = 10_000
    /// Answers waiting for slow clients, all together; a stalled answer beyond it is
    /// dropped at once (the client sees the connection close and may retry).
    static let maxPendingOutput = 64 << 20
    /// Requests being read, all together: one request may be as large as the protocol
    /// allows, a crowd of them may not.
    static let maxPendingInput = 128 << 20
    /// What one connection may read in one turn of the loop: a large request is read
    /// over many turns, between which the loop reaps, restarts and logs as usual.
    static let readBudgetPerTurn = 256 << 10

    init(loop: EventLoop, listener: FileDescriptor, log: DaemonLog, dispatch: @escaping Dispatch) throws(SystemError) {
        self.loop = loop
        self.listener = listener
        self.log = log
        self.dispatch = dispatch
        try loop.register(listener) { [unowned self] _ in self.acceptAll() }
    }

    /// Serves a new listening socket instead of the old one (the old one's path was
    /// removed: nobody could reach it any more). Connections in progress go on.
    func replaceListener(with new: FileDescriptor) throws(SystemError) {
        try loop.register(new) { [unowned self] _ in self.acceptAll() }
        if listening {
            loop.unregister(listener)
            listener.close()
        }
        listener = new
        listening = true
    }

    /// No new connections from now on (the daemon is about to exit): a client that
    /// connected now would be reset when the process ends. The ones open go on.
    func stopListening() {
        guard listening else { return }
        listening = false
        loop.unregister(listener)
        listener.close()
    }

    func close() {
        if listening {
            listening = false
            loop.unregister(listener)
            listener.close()
        }
        for c in connections.values { drop(c) }
    }

    private func acceptAll() {
        while let fd = UnixSocket.accept(listener) {
            guard let peer = try? UnixSocket.peerCredentials(fd) else {
                fd.close()
                continue
            }
            // Only the daemon's own user and root are served (SO_PEERCRED): the socket's
            // mode is the first fence, this is the second.
            let refused = peer.uid != ownUID && peer.uid != 0
            if refused ? refusedCount >= ControlServer.maxRefusedConnections
                       : connections.count - refusedCount >= ControlServer.maxConnections {
                fd.close()
                continue
            }
            let c = Connection(fd: fd, peer: peer)
            connections[fd.rawValue] = c
            do {
                try loop.register(fd) { [unowned self, unowned c] events in self.handle(c, events) }
            } catch {
                connections[fd.rawValue] = nil
                fd.close()
                continue
            }
            if refused {
                // Logged once per burst, not once per connection of a flood.
                if refusedCount == 0 { log.warning("refused a connection from uid \(peer.uid) (pid \(peer.pid))") }
                c.refused = true
                refusedCount += 1
            }
            let timeout = refused ? ControlServer.refusedTimeoutMs : ControlServer.requestTimeoutMs
            c.idleTimer = loop.schedule(afterMilliseconds: timeout) { [unowned self, weak c] in
                guard let c, !c.answered else { return }
                self.drop(c)
            }
        }
    }

    private func handle(_ c: Connection, _ events: UInt32) {
        if events & EventLoop.writable != 0 {
            flush(c)
            return
        }
        guard !c.answered else {
            // The peer went away while its request was being served (Ctrl-C on a long
            // stop): forget it; the work itself goes on.
            if events & (EventLoop.hangup | EventLoop.peerClosed) != 0 { drop(c) }
            return
        }
        var budget = ControlServer.readBudgetPerTurn
        while budget > 0 {
            let n: Int
            switch chunk.withUnsafeMutableBytes({ c.fd.readNonBlocking(into: $0) }) {
            case .done(let count): n = count
            case .wouldBlock: return
            case .endOfFile, .failed:
                drop(c)
                return
            }
            budget -= n
            c.input.append(contentsOf: chunk[0..<n])
            pendingInput += n
            // Only the new bytes are searched: the rest held no newline.
            if let newline = c.input[c.scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = c.input[..<newline]
                pendingInput -= c.input.count
                c.input = []
                c.answered = true
                loop.cancel(c.idleTimer)
                c.idleTimer = nil
                // Nothing more is read from this peer: watch only for it hanging up, so
                // stray bytes after the request cannot keep the loop awake.
                try? loop.modify(c.fd, events: EventLoop.peerClosed)
                process(c, line)
                return
            }
            c.scanned = c.input.count
            // A refused peer gets no more than a small buffer of our memory, and its
            // answer is the refusal, whatever it sent.
            if c.refused && c.input.count > ControlServer.refusedRequestBytes {
                c.answered = true
                loop.cancel(c.idleTimer)
                c.idleTimer = nil
                process(c, [])
                return
            }
            if c.input.count > ControlProtocol.maxMessageBytes || pendingInput > ControlServer.maxPendingInput {
                c.answered = true
                loop.cancel(c.idleTimer)
                c.idleTimer = nil
                let why = c.input.count > ControlProtocol.maxMessageBytes
                    ? "request larger than \(ControlProtocol.maxMessageBytes) bytes"
                    : "the daemon is reading \(pendingInput) bytes of requests at once (at most \(ControlServer.maxPendingInput)): retry"
                pendingInput -= c.input.count
                c.input = []
                respond(c, .failure(.badRequest, why), nil)
                return
            }
        }
        // The budget of this turn is spent: the loop serves the others, and reports this
        // descriptor readable again on its next turn (epoll is level-triggered).
    }

    private func process(_ c: Connection, _ line: ArraySlice<UInt8>) {
        if c.refused {
            respond(c, .failure(.forbidden, "uid \(c.peer.uid) may not control this swisor daemon (it serves uid \(ownUID) and root)"), nil)
            return
        }
        let request: Request
        do {
            request = try Wire.decode(Request.self, from: line)
        } catch {
            // An older or newer CLI is the usual cause: say which version we speak.
            if let probe = try? Wire.decode(VersionProbe.self, from: line), probe.v != ControlProtocol.version {
                respond(c, .failure(.versionMismatch, "this daemon speaks protocol \(ControlProtocol.version), the client \(probe.v): run `swisor kill` and retry with the new binary"), nil)
            } else {
                respond(c, .failure(.badRequest, Wire.describe(error)), nil)
            }
            return
        }
        guard request.version == ControlProtocol.version else {
            respond(c, .failure(.versionMismatch, "this daemon speaks protocol \(ControlProtocol.version), the client \(request.version): run `swisor kill` and retry with the new binary"), nil)
            return
        }
        dispatch(request, c.peer) { [weak self, weak c] response, afterFlush in
            guard let self, let c else {
                afterFlush?()
                return
            }
            self.respond(c, response, afterFlush)
        }
    }

    private struct VersionProbe: Decodable { var v: Int }

    private func respond(_ c: Connection, _ response: Response, _ afterFlush: (() -> Void)?) {
        c.answered = true
        var bytes = response.listWireForm?.serializedBytes()
            ?? (try? Wire.encode(response))
            ?? Array(#"{"v":1,"ok":false,"error":{"code":"internal","message":"cannot encode the response"}}"#.utf8)
        bytes.append(UInt8(ascii: "\n"))
        c.output = bytes
        c.written = 0
        c.afterFlush = afterFlush
        pendingOutput += bytes.count
        flush(c)
    }

    private func flush(_ c: Connection) {
        while c.written < c.output.count {
            let result = c.output.withUnsafeBytes {
                c.fd.writeNonBlocking(UnsafeRawBufferPointer(rebasing: $0[c.written...]))
            }
            switch result {
            case .done(let n):
                c.written += n
                pendingOutput -= n
            case .wouldBlock:
                // A client that does not take its answer: not for ever, and not beyond
                // what all stalled answers together may hold.
                if pendingOutput > ControlServer.maxPendingOutput {
                    log.warning("dropped an answer of \(c.output.count) bytes to pid \(c.peer.pid): clients hold \(pendingOutput) bytes of answers unread")
                    drop(c)
                    return
                }
                if c.idleTimer == nil {
                    c.idleTimer = loop.schedule(afterMilliseconds: ControlServer.writeTimeoutMs) { [unowned self, weak c] in
                        guard let c else { return }
                        c.idleTimer = nil
                        self.drop(c)
                    }
                }
                try? loop.modify(c.fd, events: EventLoop.writable)
                return
            case .endOfFile, .failed:
                drop(c)
                return
            }
        }
        drop(c)
    }

    private func drop(_ c: Connection) {
        guard connections.removeValue(forKey: c.fd.rawValue) != nil else { return }
        if c.refused { refusedCount -= 1 }
        pendingInput -= c.input.count
        c.input = []
        pendingOutput -= c.output.count - c.written
        c.output = []
        c.written = 0
        loop.cancel(c.idleTimer)
        c.idleTimer = nil
        loop.unregister(c.fd)
        c.fd.close()
        let after = c.afterFlush
        c.afterFlush = nil
        after?()
    }
}
