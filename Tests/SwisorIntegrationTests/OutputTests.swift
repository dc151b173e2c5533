import Foundation
import SwisorCore
import SwisorSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized)
struct OutputTests {
    /// An app writing as fast as it can must not stall the daemon or another app's
    /// logs. Its output goes to /dev/null so the test does not fill the disk; the
    /// daemon still reads every byte of its pipe.
    @Test func aChattyAppBlocksNeitherTheDaemonNorOtherApps() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("flood.sh", "exec yes 'a line of flood output that keeps coming'\n")
        try h.script("tick.sh", "i=0; while :; do i=$((i+1)); echo tick$i; sleep 0.05; done\n")
        let eco = try h.file("eco.json", """
        {"apps": [{"name": "flood", "script": "./flood.sh", "out_file": "/dev/null"},
                  {"name": "tick", "script": "./tick.sh"}]}
        """)
        try h.must(["start", eco])
        for a in try h.list() { h.track(a.pid!) }
        // The flood really runs: its process burns CPU writing into the pipe.
        try h.waitUntil("the flood uses CPU") { (try h.app("flood")?.cpu ?? 0) > 1 }
        for _ in 0..<20 {
            #expect(h.run(["ping"], timeout: 10).ok)
        }
        try h.waitUntil("the quiet app's lines keep arriving", timeout: 20) {
            h.read(h.home + "/logs/tick-out.log").contains("tick40")
        }
        try h.must(["stop", "flood"])
        #expect(try h.app("tick")?.isOnline == true)
    }

    /// Output written by an app that exits at once is not lost: the daemon learns
    /// of the exit through waitpid and keeps draining the pipe to its end.
    @Test func outputOfAShortLivedAppIsKept() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("burst.sh", "i=0; while [ $i -lt 5000 ]; do i=$((i+1)); echo line$i; done\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "burst", "script": "./burst.sh", "autorestart": false}]}"#)
        _ = h.run(["start", eco])
        try h.waitUntil("the app stopped and its output reached the log", timeout: 20) {
            try h.app("burst")?.status == .stopped && h.read(h.home + "/logs/burst-out.log").contains("line5000\n")
        }
        let lines = h.read(h.home + "/logs/burst-out.log").split(separator: "\n")
        #expect(lines.count == 5000)
        #expect(lines.first == "line1")
    }
}

@Suite(.serialized)
struct MemoryRestartTests {
    /// The main process stays small; a child grows past the limit. PM2 reads only the
    /// main pid and never restarts it; swisor counts the whole app.
    @Test func aChildOverTheLimitRestartsTheApp() throws {
        let h = try Harness()
        defer { h.shutdown() }
        // dd fills a 96 MiB buffer from /dev/zero, then blocks writing it into a pipe
        // nobody reads: a child holding ~96 MiB while the main shell holds ~1 MiB.
        try h.script("hog.sh", """
        echo $$ >> mains
        dd if=/dev/zero bs=96M count=1 2>/dev/null | sleep 100000 &
        while :; do sleep 1; done
        """)
        let eco = try h.file("eco.json", #"{"apps": [{"name": "hog", "script": "./hog.sh", "max_memory_restart": "48M", "kill_timeout": 500}]}"#)
        try h.must(["start", eco])
        let first = try #require(try h.app("hog"))
        h.track(first.pid!)
        try h.waitUntil("the app is restarted for memory", timeout: 30) {
            (try h.app("hog")?.restarts ?? 0) >= 1
        }
        let d = try #require(try h.describe("hog").first)
        let memoryEvent = try #require(d.history?.first { $0.event == "memory" })
        #expect(memoryEvent.reason?.contains("exceeds max_memory_restart 48.0 MiB") == true, "\(String(describing: memoryEvent.reason))")
        #expect(d.history?.contains { $0.event == "restart" && $0.reason == "memory" } == true)
        #expect(!Harness.alive(first.pid!))
        // The main process alone stayed far below the limit.
        #expect(d.lastExit?.requested == true)
        _ = h.pids(in: "mains")
    }
}
