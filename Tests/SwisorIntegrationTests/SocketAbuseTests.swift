import Foundation
import SwisorCore
import SwisorSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Hostile and careless clients of the control socket (issue 13, items 3 and 4): a huge
/// request, a flood from another uid, clients that never read their answers. Through all
/// of it the daemon's own user keeps being served.
@Suite(.serialized)
struct SocketAbuseTests {
    /// A python3 client program, run as a child (under setpriv for another uid).
    final class Client {
        let process = Process()
        let out: String
        init(_ h: Harness, _ code: String, prefix: [String] = []) throws {
            out = h.home + "/.client-\(UUID().uuidString).out"
            FileManager.default.createFile(atPath: out, contents: nil)
            let argv = prefix + ["/usr/bin/python3", "-c", code, h.home + "/swisor.sock"]
            process.executableURL = URL(fileURLWithPath: argv[0])
            process.arguments = Array(argv.dropFirst())
            process.standardOutput = FileHandle(forWritingAtPath: out)
            process.standardError = FileHandle(forWritingAtPath: out)
            process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
            try process.run()
        }
        var output: String { (try? String(contentsOfFile: out, encoding: .utf8)) ?? "" }
        func end() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    static let python = "/usr/bin/python3"
    /// `make test-asan`: the sanitizer's shadow memory and quarantine raise the daemon's
    /// RSS by hundreds of MiB and slow it several times, so memory bounds are not asserted
    /// there and deadlines are longer; the behaviours still are.
    static let sanitized = ProcessInfo.processInfo.environment["SWISOR_SANITIZER"] != nil

    func requirePython() throws {
        // `make deps` installs python3: a machine without it did not run the Makefile.
        _ = try #require(FileManager.default.isExecutableFile(atPath: Self.python) ? true : nil,
                         "python3 is not installed: run `make deps`")
    }

    func daemonFDs(_ h: Harness) -> Int {
        guard let pid = h.daemonPID else { return -1 }
        return (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    func daemonRSSKiB(_ h: Harness) -> Int {
        guard let pid = h.daemonPID, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return -1 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }

    @Test func aHugeRequestIsReadASliceAtATimeWhileOthersAreServed() throws {
        try requirePython()
        let h = try Harness()
        defer { h.shutdown() }
        // 60 MiB in one line, then the client waits for its answer (6 MiB under a
        // sanitizer, which slows the daemon past the 10 s a whole request may take).
        let mib = Self.sanitized ? 6 : 60
        let big = try Client(h, """
            import socket, sys, json
            s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
            print('connected', flush=True)
            block = b'a' * (1 << 20)
            for i in range(\(mib)):
                s.sendall(block)
            s.sendall(b'\\n')
            data = b''
            while True:
                chunk = s.recv(65536)
                if not chunk: break
                data += chunk
            print('answer', json.loads(data)['error']['code'], flush=True)
            """)
        defer { big.end() }
        try h.waitUntil("the big client is connected") { big.output.contains("connected") }
        // While it is being read, the daemon answers others. Before, the reader rescanned
        // everything for a newline after every 16 KiB and kept the loop: minutes.
        var served = 0
        let t0 = monotonicMilliseconds()
        while !big.output.contains("answer") && monotonicMilliseconds() - t0 < (Self.sanitized ? 600_000 : 60_000) {
            #expect(h.run(["list"], timeout: 10).ok)
            served += 1
        }
        try h.waitUntil("the big request is answered", timeout: Self.sanitized ? 600 : 60) { big.output.contains("answer") }
        #expect(big.output.contains("answer bad_request"), "\(big.output)")
        #expect(served >= 1)
        #expect(h.run(["ping"]).ok)
    }

    @Test func aFloodFromAnotherUIDTakesNoSlotOfRoot() throws {
        try requirePython()
        let h = try Harness()
        defer { h.shutdown() }
        guard getuid() == 0 else {
            print("skipped: needs root to run a client as another uid (uid \(getuid()))")
            return
        }
        // nobody keeps CAP_DAC_OVERRIDE to get through the 0700 home and the 0600 socket:
        // what is tested is the daemon's own handling of peers it refuses.
        let flood = try Client(h, """
            import socket, sys, time
            held = []
            for i in range(500):
                s = socket.socket(socket.AF_UNIX)
                try:
                    s.connect(sys.argv[1]); held.append(s)
                except OSError:
                    pass
            print('holding', len(held), flush=True)
            # One of them says more than a refused peer may: the answer is still forbidden.
            t = socket.socket(socket.AF_UNIX); t.connect(sys.argv[1])
            try:
                t.sendall(b'x' * 200000)
            except OSError:
                pass
            data = b''
            while True:
                try:
                    chunk = t.recv(65536)
                except OSError:
                    break
                if not chunk: break
                data += chunk
            print('long request answer', data.decode(errors='replace').strip(), flush=True)
            time.sleep(120)
            """, prefix: [
                "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "--inh-caps=+dac_override", "--ambient-caps=+dac_override",
            ])
        defer { flood.end() }
        try h.waitUntil("the flood holds its connections", timeout: 30) { flood.output.contains("holding") }
        for _ in 0..<5 { #expect(h.run(["list"], timeout: 10).ok, "root is served while another uid floods") }
        try h.waitUntil("the long refused request is answered", timeout: 30) { flood.output.contains("long request answer") }
        #expect(flood.output.contains("\"code\":\"forbidden\"") || flood.output.contains("long request answer \n") || flood.output.contains("long request answer\n"),
                "forbidden, or closed: never another code: \(flood.output)")
        #expect(!flood.output.contains("bad_request"), "\(flood.output)")
    }

    @Test func clientsThatNeverReadTheirAnswersAreDroppedAndBounded() throws {
        try requirePython()
        let h = try Harness()
        defer { h.shutdown() }
        // Ten apps whose environment makes `describe all` about 2 MiB: far more than a
        // socket buffer holds, so each answer stalls.
        try h.script("s.sh", "exec sleep 1000\n")
        let env = (0..<200).map { "\"V\($0)\": \"\(String(repeating: "x", count: 1000))\"" }.joined(separator: ", ")
        let eco = try h.file("eco.json", "{\"apps\": [{\"name\": \"big\", \"script\": \"./s.sh\", \"instances\": 10, \"env\": {\(env)}}]}")
        try h.must(["start", eco])
        for a in try h.list() { h.track(try #require(a.pid)) }
        let baseFDs = daemonFDs(h)
        let baseRSS = daemonRSSKiB(h)
        let readers = try Client(h, """
            import socket, sys, time, json
            req = (json.dumps({"v": 1, "command": "describe", "target": "all"}) + "\\n").encode()
            held = []
            for i in range(300):
                s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(req); held.append(s)
            print('sent', len(held), flush=True)
            time.sleep(120)
            """)
        defer { readers.end() }
        try h.waitUntil("the requests are sent", timeout: 60) { readers.output.contains("sent 300") }
        // The flood's last connections may still fill the 256 slots until the daemon has
        // read their requests and dropped what does not fit in 64 MiB (a CLI arriving
        // then is closed at once): root is served within seconds, well before the 10 s
        // write deadline frees the stalled ones.
        try h.waitUntil("root is served while 300 answers wait", timeout: 5) { h.run(["list"], timeout: 5).ok }
        let rss = daemonRSSKiB(h)
        // 300 answers of ~2 MiB would be ~600 MiB; stalled answers are bounded to 64 MiB.
        if Self.sanitized {
            print("not asserted under a sanitizer (shadow memory and quarantine): RSS grew from \(baseRSS) to \(rss) KiB")
        } else {
            #expect(rss - baseRSS < 120 * 1024, "RSS grew from \(baseRSS) to \(rss) KiB")
        }
        try h.waitUntil("the stalled answers are dropped after the write deadline", timeout: 40) {
            self.daemonFDs(h) <= baseFDs + 2
        }
        #expect(h.run(["list"]).ok)
    }
}
