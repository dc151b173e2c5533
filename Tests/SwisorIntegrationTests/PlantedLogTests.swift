import Foundation
import SwisorCore
import SwisorSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The daemon (root) writing app logs into a folder others may write to (issue 13, item 5).
@Suite(.serialized)
struct PlantedLogTests {
    @Test func aPlantedSymlinkIsReportedNotWrittenThrough() throws {
        let h = try Harness()
        defer { h.shutdown() }
        guard getuid() == 0 else {
            print("skipped: needs root to plant a link as another user (uid \(getuid()))")
            return
        }
        let shared = h.home + "/shared"
        mkdir(shared, 0o777)
        chmod(shared, 0o777)
        let secret = try h.file("secret", "root only\n")
        chmod(secret, 0o600)
        symlink(secret, shared + "/app-out.log")
        lchown(shared + "/app-out.log", 65534, 65534)
        try h.script("talk.sh", "while :; do echo talk; sleep 0.05; done\n")
        let eco = try h.file("eco.json", "{\"apps\": [{\"name\": \"app\", \"script\": \"./talk.sh\", \"out_file\": \"\(shared)/app-out.log\"}]}")
        try h.must(["start", eco])
        h.track(try #require(try h.app("app")?.pid))
        try h.waitUntil("the refusal is reported") {
            (try h.describe("app").first?.logError ?? "").contains("not followed")
        }
        #expect(h.read(secret) == "root only\n")
        #expect(try h.app("app")?.isOnline == true, "the app runs on; its lines are counted as dropped")
    }
}
