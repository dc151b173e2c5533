import Foundation
import SwisorCore
import SwisorSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A restart reuses the empty cgroup of the run before (issue 15: no rmdir and mkdir in
/// a respawn), unless the app has a memory option; a stop removes it; the counters of a
/// reused cgroup are taken from where the new run began.
@Suite struct CgroupReuseTests {
    /// A script that appends its cgroup directory's inode (a new directory gets a new
    /// one) to `runs-<name>`, crashes twice, then stays up.
    static let recorder = """
    cg=$(sed -n 's/^0:://p' /proc/self/cgroup)
    for root in /sys/fs/cgroup/unified /sys/fs/cgroup; do
        if [ -d "$root$cg" ]; then stat -c %i "$root$cg" >> "runs-$SWISOR_APP_NAME"; break; fi
    done
    [ "$(wc -l < "runs-$SWISOR_APP_NAME")" -ge 3 ] || { sleep 0.2; exit 1; }
    while :; do sleep 3600; done

    """

    @Test func restartsReuseTheCgroupUnlessTheAppWatchesMemory() throws {
        let h = try Harness()
        defer { h.shutdown() }
        guard try CgroupTests.cgroupDaemon(h) != nil else { return }
        try h.script("recorder.sh", Self.recorder)
        let eco = try h.file("eco.json", #"""
        {"apps": [{"name": "plain", "script": "./recorder.sh"},
                  {"name": "watched", "script": "./recorder.sh", "max_memory_restart": "1G"}]}
        """#)
        try h.must(["start", eco], cwd: h.home)
        func runs(_ name: String) -> [String] { h.read("runs-" + name).split(separator: "\n").map(String.init) }
        try h.waitUntil("both apps ran three times", timeout: 30) {
            try runs("plain").count >= 3 && runs("watched").count >= 3 && h.list().allSatisfy { $0.status == .online }
        }
        #expect(Set(runs("plain")).count == 1, "plain's runs were in cgroups \(runs("plain"))")
        #expect(Set(runs("watched").prefix(3)).count == 3, "watched's runs were in cgroups \(runs("watched"))")

        let plain = try #require(try h.describe("plain").first)
        let cgroup = try #require(plain.cgroup)
        if let pid = plain.pid { h.track(pid) }
        #expect(FileManager.default.fileExists(atPath: cgroup))
        try h.must(["stop", "plain"])
        #expect(!FileManager.default.fileExists(atPath: cgroup), "the stop left \(cgroup)")
        #expect(try h.app("plain")?.status == .stopped)
    }

    @Test func aReusedCgroupCountsTheCPUOfTheNewRunOnly() throws {
        let h = try Harness()
        defer { h.shutdown() }
        guard try CgroupTests.cgroupDaemon(h) != nil else { return }
        // The first run burns 0.6 s of CPU and crashes; the second notes when it began
        // and sleeps.
        try h.script("burst.sh", """
        if [ ! -e burned ]; then
            end=$(( $(date +%s%N) + 600000000 ))
            while [ "$(date +%s%N)" -lt "$end" ]; do :; done
            touch burned
            exit 1
        fi
        touch second
        while :; do sleep 3600; done

        """)
        let eco = try h.file("eco.json", #"{"apps": [{"name": "burst", "script": "./burst.sh"}]}"#)
        try h.must(["start", eco], cwd: h.home)
        // Nothing asks the daemon until the second run is a second old: its first reading
        // then covers that second (over a few milliseconds, a shell and its sleep starting
        // on two CPUs may read above 100% whatever the baseline).
        let marker = h.home + "/second"
        try h.waitUntil("the second run began", timeout: 20) { FileManager.default.fileExists(atPath: marker) }
        try h.waitUntil("the second run is a second old", timeout: 10) {
            let began = (try FileManager.default.attributesOfItem(atPath: marker)[.modificationDate] as? Date) ?? Date()
            return Date().timeIntervalSince(began) >= 1.2
        }
        let first = try #require(try h.app("burst"))
        #expect(first.restarts == 1 && first.status == .online, "\(first.restarts) restarts, \(first.status)")
        if let pid = first.pid { h.track(pid) }
        // Counted from 0 in the reused cgroup, the first run's 600 ms over the second
        // run's 1.2 s would read as about 50%.
        #expect(first.cpu < 15, "the second run's first reading: \(first.cpu)% CPU")
    }
}
