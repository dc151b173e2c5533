#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorSystem

/// The control socket: accepts connections, checks the peer's uid, reads one request
/// line, hands it to the dispatcher and writes its response. Never blocks: a slow or
/// silent client only costs its own buffers, and is dropped after a timeout.
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
        /// A peer of another uid: answered `forbidden` once its request has arrived
        /// (answering before reading would reset the connection for some clients).
        var refused = false
        init(fd: FileDescriptor, peer: UnixSocket.Credentials) {
            self.fd = fd
            self.peer = peer
        }
    }

    private let loop: EventLoop
    private let listener: FileDescriptor
    private let log: DaemonLog
    private let dispatch: Dispatch
    private var connections: [Int32: Connection] = [:]
    private let ownUID = geteuid()

    static let maxConnections = 256
    /// A client that connects and says nothing is dropped after this.
    static let requestTimeoutMs: Int64 = 10_000

    init(loop: EventLoop, listener: FileDescriptor, log: DaemonLog, dispatch: @escaping Dispatch) throws(SystemError) {
        self.loop = loop
        self.listener = listener
        self.log = log
        self.dispatch = dispatch
        try loop.register(listener) { [unowned self] _ in self.acceptAll() }
    }

    func close() {
        loop.unregister(listener)
        listener.close()
        for c in connections.values { drop(c) }
    }

    private func acceptAll() {
        while let fd = UnixSocket.accept(listener) {
            guard connections.count < ControlServer.maxConnections else {
                fd.close()
                continue
            }
            guard let peer = try? UnixSocket.peerCredentials(fd) else {
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
            // Only the daemon's own user and root are served (SO_PEERCRED): the socket's
            // mode is the first fence, this is the second.
            if peer.uid != ownUID && peer.uid != 0 {
                log.warning("refused a connection from uid \(peer.uid) (pid \(peer.pid))")
                c.refused = true
            }
            c.idleTimer = loop.schedule(afterMilliseconds: ControlServer.requestTimeoutMs) { [unowned self, weak c] in
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
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n: Int
            switch chunk.withUnsafeMutableBytes({ c.fd.readNonBlocking(into: $0) }) {
            case .done(let count): n = count
            case .wouldBlock: return
            case .endOfFile, .failed:
                drop(c)
                return
            }
            c.input.append(contentsOf: chunk[0..<n])
            if let newline = c.input.firstIndex(of: UInt8(ascii: "\n")) {
                let line = c.input[..<newline]
                c.input = []
                c.answered = true
                loop.cancel(c.idleTimer)
                // Nothing more is read from this peer: watch only for it hanging up, so
                // stray bytes after the request cannot keep the loop awake.
                try? loop.modify(c.fd, events: EventLoop.peerClosed)
                process(c, line)
                return
            }
            // A refused peer gets no more than a small buffer of our memory.
            if c.input.count > (c.refused ? 64 * 1024 : ControlProtocol.maxMessageBytes) {
                c.answered = true
                respond(c, .failure(.badRequest, "request larger than \(ControlProtocol.maxMessageBytes) bytes"), nil)
                return
            }
        }
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
        flush(c)
    }

    private func flush(_ c: Connection) {
        while c.written < c.output.count {
            let result = c.output.withUnsafeBytes {
                c.fd.writeNonBlocking(UnsafeRawBufferPointer(rebasing: $0[c.written...]))
            }
            switch result {
            case .done(let n): c.written += n
            case .wouldBlock:
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
        loop.cancel(c.idleTimer)
        loop.unregister(c.fd)
        c.fd.close()
        let after = c.afterFlush
        c.afterFlush = nil
        after?()
    }
}
