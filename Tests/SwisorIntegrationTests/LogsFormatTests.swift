import Foundation
import SwisorCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `swisor logs` on files the real daemon wrote with `time: true` and `log_type: "json"`:
/// the reader learns each file's format from the daemon and reads the time of each line.
@Suite(.serialized)
struct LogsFormatTests {
    private struct Entry: Decodable {
        var timestamp: String?
        var app: String
        var stream: String
        var message: String
    }

    private func entries(_ output: String) throws -> [Entry] {
        try output.split(separator: "\n").map { try JSONDecoder().decode(Entry.self, from: Data($0.utf8)) }
    }

    @Test(arguments: [["--time"], ["--log-type", "json"], ["--log-date-format", "YYYY-MM-DD HH:mm:ss.SSS Z"]])
    func linesWrittenByTheDaemonReadBackWithTheirTime(options: [String]) throws {
        let h = try Harness()
        defer { h.shutdown() }
        let s = try h.script("talk.sh", "echo 'first \"line\"'; echo oops >&2; echo last; exec sleep 1000\n")
        try h.must(["start", s, "--name", "talk"] + options)
        if let p = try h.app("talk")?.pid { h.track(p) }
        try h.waitUntil("the three lines are written") {
            let r = h.run(["logs", "talk", "--nostream", "--json"])
            return r.ok && r.stdout.split(separator: "\n").count == 3
        }
        let all = try entries(h.run(["logs", "talk", "--nostream", "--json"]).stdout)
        #expect(Set(all.map(\.message)) == ["first \"line\"", "oops", "last"], "\(all.map(\.message))")
        #expect(all.allSatisfy { $0.app == "talk" && $0.timestamp != nil }, "each line's own time is read back")
        #expect(all.first { $0.message == "oops" }?.stream == "err")

        // Every line is from the last minute; none is from the future.
        #expect(try entries(h.must(["logs", "talk", "--nostream", "--json", "--since", "1m"]).stdout).count == 3)
        let text = try h.must(["logs", "talk", "--nostream", "--out"]).stdout
        // Text output shows the line with its time stamp, as the file has it (JSON records too).
        let first = try #require(text.split(separator: "\n").first.map(String.init))
        #expect(first.hasPrefix("0|talk|out| 20"), "\(first)")
        #expect(first.hasSuffix(": first \"line\""), "\(first)")
    }
}
