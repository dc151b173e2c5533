import Foundation
import SwisorCore
import SwisorSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// log_type journal, checked by capturing what sd_journal_sendv sends. No journald runs
/// here, and the host's /run is never touched: the daemon runs in a private mount
/// namespace (unshare) whose /run/systemd/journal/socket is a bind mount of a datagram
/// socket this test binds in the home. The test reads the native protocol's datagrams.
@Suite(.serialized)
struct JournalTests {
    /// One journal entry: its fields (a field given twice keeps its last value).
    typealias Entry = [String: [UInt8]]

    /// The native protocol (systemd's JOURNAL_NATIVE_PROTOCOL): `NAME=value\n`, or for a
    /// value with a newline `NAME\n`, a 64-bit little-endian length, the value, `\n`.
    static func parse(_ datagram: [UInt8]) -> Entry? {
        var entry: Entry = [:]
        var i = 0
        while i < datagram.count {
            guard let end = datagram[i...].firstIndex(where: { $0 == 0x0A || $0 == UInt8(ascii: "=") }) else { return nil }
            let name = String(decoding: datagram[i..<end], as: UTF8.self)
            if datagram[end] == UInt8(ascii: "=") {
                guard let newline = datagram[end...].firstIndex(of: 0x0A) else { return nil }
                entry[name] = Array(datagram[(end + 1)..<newline])
                i = newline + 1
            } else {
                guard end + 9 <= datagram.count else { return nil }
                var length = 0
                for k in 0..<8 { length |= Int(datagram[end + 1 + k]) << (8 * k) }
                let start = end + 9
                guard start + length < datagram.count, datagram[start + length] == 0x0A else { return nil }
                entry[name] = Array(datagram[start..<(start + length)])
                i = start + length + 1
            }
        }
        return entry
    }

    @Test func parserReadsBothFieldForms() {
        var datagram = Array("MESSAGE=hi\nPRIORITY=6\nBIN\n".utf8)
        datagram += [3, 0, 0, 0, 0, 0, 0, 0] + Array("a\nb".utf8) + [0x0A]
        let entry = Self.parse(datagram)
        #expect(entry?["MESSAGE"] == Array("hi".utf8))
        #expect(entry?["PRIORITY"] == Array("6".utf8))
        #expect(entry?["BIN"] == Array("a\nb".utf8))
        #expect(Self.parse(Array("BROKEN".utf8)) == nil)
    }

    @Test func eachLineIsAJournalEntryWithSwisorsFields() throws {
        let h = try Harness(startDaemon: false)
        let socketPath = h.home + "/journal.sock"
        let sock = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #expect(sock >= 0)
        defer { close(sock) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(socketPath.utf8)
            raw.copyBytes(from: bytes.prefix(raw.count - 1))
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0, "bind \(socketPath): \(String(cString: strerror(errno)))")

        // The daemon, in its own mount namespace with a /run of its own.
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        daemon.arguments = [
            "--mount", "--propagation", "private", "/bin/sh", "-c",
            """
            mount -t tmpfs -o mode=0755 swisor-test-run /run && mkdir -p /run/systemd/journal \
            && touch /run/systemd/journal/socket && mount --bind "$0" /run/systemd/journal/socket \
            && exec "$1"
            """,
            socketPath, h.daemonBin,
        ]
        daemon.environment = h.environment
        daemon.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        daemon.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try daemon.run()
        defer {
            _ = h.run(["kill"])
            let deadline = Date().addingTimeInterval(30)
            while daemon.isRunning && Date() < deadline { usleep(5_000) }
            if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL); daemon.waitUntilExit() }
            h.shutdown()
        }
        try h.waitUntil("the daemon answers ping", timeout: 20) { h.run(["ping"]).ok }

        try h.script("talk.sh", "echo 'hello journal'; printf 'tab\\there = sign\\n'; echo oops >&2; sleep 100\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "jr-app", "script": "./talk.sh", "log_type": "journal"}]}"#)
        try h.must(["start", eco])
        let app = try #require(try h.app("jr-app"))
        h.track(try #require(app.pid))

        // Datagrams until the three lines arrived (poll with a deadline, never a sleep).
        var entries: [Entry] = []
        let deadline = Date().addingTimeInterval(20)
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while entries.count < 3 && Date() < deadline {
            var pfd = pollfd(fd: sock, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 200) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(sock, $0.baseAddress, $0.count, 0) }
            guard n > 0, let entry = Self.parse(Array(buffer[0..<n])) else { continue }
            if entry["SYSLOG_IDENTIFIER"] == Array("jr-app".utf8) { entries.append(entry) }
        }
        #expect(entries.count == 3)
        func text(_ e: Entry, _ field: String) -> String? { e[field].map { String(decoding: $0, as: UTF8.self) } }
        let byMessage = Dictionary(entries.map { (text($0, "MESSAGE") ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        #expect(Set(byMessage.keys) == ["hello journal", "tab\there = sign", "oops"])
        for (message, e) in byMessage {
            let isErr = message == "oops"
            #expect(text(e, "PRIORITY") == (isErr ? "3" : "6"), "\(message)")
            #expect(text(e, "SWISOR_STREAM") == (isErr ? "err" : "out"))
            #expect(text(e, "SWISOR_APP_ID") == String(app.id))
            #expect(text(e, "SWISOR_APP_NAME") == "jr-app")
            #expect(text(e, "SWISOR_INSTANCE") == "0")
        }
        let info = try #require(try h.describe("jr-app").first)
        #expect(info.logJournal == true)
        #expect(!(info.history ?? []).contains { $0.event == "log" }, "\(info.history ?? [])")
        // Nothing went to the files.
        #expect(h.read(h.home + "/logs/jr-app-out.log").isEmpty)
    }
}
