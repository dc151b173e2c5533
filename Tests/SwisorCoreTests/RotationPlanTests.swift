import Testing

@testable import SwisorCore

@Suite("Log rotation plan")
struct RotationPlanTests {
    static let berlin = TimeZoneFixtures.zones("Europe/Berlin")
    /// 2026-11-22 10:00:00.123 in Berlin, 09:00:00.123 UTC.
    static let t: Int64 = 1_795_338_000_123
    static let logs = "/home/u/.swisor/logs/"

    @Test(
        "a log path's directory, base and extension",
        arguments: [
            ("/home/u/.swisor/logs/web-out.log", "/home/u/.swisor/logs/", "web-out", ".log"),
            ("web-out.log", "", "web-out", ".log"),
            ("/var/log/my.app.log", "/var/log/", "my.app", ".log"),
            ("/var/log/app.txt", "/var/log/", "app", ".txt"),
            ("/var/log/app", "/var/log/", "app", ""),
            ("/srv/x.d/app", "/srv/x.d/", "app", ""),
            ("/srv/.hidden", "/srv/", ".hidden", ""),
            ("/srv/.hidden.log", "/srv/", ".hidden", ".log"),
            ("/srv/trailing.", "/srv/", "trailing", "."),
            ("/café/日本-out.log", "/café/", "日本-out", ".log"),
        ])
    func logName(path: String, directory: String, base: String, ext: String) {
        let name = RotationPlan.LogName(path: path)
        #expect(name.directory == directory)
        #expect(name.base == base)
        #expect(name.ext == ext)
    }

    @Test("the rotated name carries the local time of the rotation")
    func rotatedName() {
        for zone in Self.berlin {
            let file = RotationPlan.rotatedFile(
                forLog: Self.logs + "web-out.log", at: Self.t, zone: zone, compress: false, existing: [])
            #expect(file.path == Self.logs + "web-out__2026-11-22_10-00-00.log")
            #expect(file.finalPath == file.path)
        }
        let utc = RotationPlan.rotatedFile(
            forLog: Self.logs + "web-out.log", at: Self.t, zone: .utc, compress: false, existing: [])
        #expect(utc.path == Self.logs + "web-out__2026-11-22_09-00-00.log")
        // In summer, Berlin is two hours ahead; the hour repeated in October shows twice.
        let summer = RotationPlan.rotatedFile(
            forLog: "/l/api-error-2.log", at: 1_782_122_096_789, zone: Self.berlin[0], compress: false,
            existing: [])
        #expect(summer.path == "/l/api-error-2__2026-06-22_11-54-56.log")
        let first = RotationPlan.rotatedFile(
            forLog: "/l/a.log", at: 1_792_888_200_000, zone: Self.berlin[0], compress: false, existing: [])
        let second = RotationPlan.rotatedFile(
            forLog: "/l/a.log", at: 1_792_891_800_000, zone: Self.berlin[0], compress: false, existing: [])
        #expect(first.path == "/l/a__2026-10-25_02-30-00.log")
        #expect(second.path == "/l/a__2026-10-25_02-30-00.log")
    }

    @Test("compression adds .gz to the final name only")
    func compressed() {
        let file = RotationPlan.rotatedFile(
            forLog: Self.logs + "web-out.log", at: Self.t, zone: Self.berlin[0], compress: true,
            existing: [])
        #expect(file.path == Self.logs + "web-out__2026-11-22_10-00-00.log")
        #expect(file.finalPath == Self.logs + "web-out__2026-11-22_10-00-00.log.gz")
    }

    @Test("a name already taken within the same second gets .1, .2, ... before the extension")
    func collisions() {
        let stem = "web-out__2026-11-22_10-00-00"
        func rotate(_ taken: Set<String>, compress: Bool = false, log: String = "web-out.log")
            -> RotationPlan.RotatedFile
        {
            RotationPlan.rotatedFile(
                forLog: Self.logs + log, at: Self.t, zone: Self.berlin[0], compress: compress, existing: Array(taken))
        }
        #expect(rotate(["\(stem).log"]).path == Self.logs + "\(stem).1.log")
        #expect(rotate(["\(stem).log", "\(stem).1.log"]).path == Self.logs + "\(stem).2.log")
        // A compressed file from the same second counts as taken too.
        #expect(rotate(["\(stem).log.gz"]).path == Self.logs + "\(stem).1.log")
        #expect(
            rotate(["\(stem).log.gz", "\(stem).1.log.gz"], compress: true).finalPath == Self.logs + "\(stem).2.log.gz")
        // Other files do not matter.
        #expect(rotate(["web-out.log", "web-api-out__2026-11-22_10-00-00.log"]).path == Self.logs + "\(stem).log")
        // Without an extension the counter goes at the end.
        #expect(rotate(["app__2026-11-22_10-00-00"], log: "app").path == Self.logs + "app__2026-11-22_10-00-00.1")
        var many: Set<String> = ["\(stem).log"]
        for n in 1...11 { many.insert("\(stem).\(n).log") }
        #expect(rotate(many).path == Self.logs + "\(stem).12.log")
        // After the highest, never in a gap: retention deleted the older ones, and a new
        // `.1` would sort before `.5` and be deleted next (found by the integration test).
        #expect(rotate(["\(stem).5.log", "\(stem).6.log.gz"]).path == Self.logs + "\(stem).7.log")
        #expect(rotate(["\(stem).3.log"]).path == Self.logs + "\(stem).4.log")
        // Another second's files do not count.
        #expect(rotate(["web-out__2026-11-22_09-59-59.4.log"]).path == Self.logs + "\(stem).log")
    }

    static let listing = [
        "web-out.log",
        "web-error.log",
        "web-out__2026-11-20_10-00-00.log.gz",
        "web-out__2026-11-22_10-00-00.log",
        "web-out__2026-11-21_10-00-00.log.gz",
        "web-out__2026-11-22_10-00-00.2.log",
        "web-out__2026-11-22_10-00-00.10.log",
        "web-out__2026-11-22_10-00-00.1.log.gz",
        "web-out__2025-12-31_23-59-59.log",
        // Not web-out's rotated files:
        "web-api-out__2026-01-01_00-00-00.log",
        "web-api-out.log",
        "web-error__2026-01-01_00-00-00.log",
        "web-out__2026-01-01_00-00-00.txt",
        "web-out__2026-01-01_00-00-00.log.bak",
        "web-out__2026-01-01_00-00-00.01.log",
        "web-out__2026-01-01_00-00-00.x.log",
        "web-out__2026-01-01_00-00-00..log",
        "web-out__2026-01-01_00-00.log",
        "web-out__2026-01-01T00-00-00.log",
        "web-out__2026-01-01_00-00-0a.log",
        "web-out__2026-01-01_00-00-00.-1.log",
        "web-out__2026-01-01_00-00-00.log.gz.gz",
        "xweb-out__2026-01-01_00-00-00.log",
        "web-out_2026-01-01_00-00-00.log",
        "web-out__2026-01-01_00-00-00__2026-01-02_00-00-00.log",
    ]

    @Test("retention deletes the oldest rotated files of that log only")
    func retention() {
        let log = Self.logs + "web-out.log"
        let oldestFirst = [
            "web-out__2025-12-31_23-59-59.log",
            "web-out__2026-11-20_10-00-00.log.gz",
            "web-out__2026-11-21_10-00-00.log.gz",
            "web-out__2026-11-22_10-00-00.log",
            "web-out__2026-11-22_10-00-00.1.log.gz",
            "web-out__2026-11-22_10-00-00.2.log",
            "web-out__2026-11-22_10-00-00.10.log",
        ]
        #expect(RotationPlan.filesToDelete(forLog: log, in: Self.listing, retain: 0) == oldestFirst)
        for retain in 0...9 {
            let expected = Array(oldestFirst.prefix(max(0, oldestFirst.count - retain)))
            #expect(RotationPlan.filesToDelete(forLog: log, in: Self.listing, retain: retain) == expected)
            #expect(RotationPlan.filesToDelete(forLog: log, in: Self.listing.reversed(), retain: retain) == expected)
        }
        #expect(RotationPlan.filesToDelete(forLog: log, in: Self.listing, retain: -1) == oldestFirst)
        #expect(RotationPlan.filesToDelete(forLog: log, in: [], retain: 0) == [])
    }

    @Test("another app whose name extends this one's is never touched")
    func otherApps() {
        #expect(
            RotationPlan.filesToDelete(forLog: Self.logs + "web-api-out.log", in: Self.listing, retain: 0)
                == ["web-api-out__2026-01-01_00-00-00.log"])
        #expect(
            RotationPlan.filesToDelete(forLog: Self.logs + "web-error.log", in: Self.listing, retain: 0)
                == ["web-error__2026-01-01_00-00-00.log"])
        #expect(RotationPlan.filesToDelete(forLog: Self.logs + "web.log", in: Self.listing, retain: 0) == [])
        #expect(RotationPlan.filesToDelete(forLog: Self.logs + "api-out.log", in: Self.listing, retain: 0) == [])
    }

    @Test("logs without .log: their own extension, or none")
    func otherExtensions() {
        let listing = [
            "app", "app__2026-01-01_00-00-00", "app__2026-01-02_00-00-00.gz", "app__2026-01-02_00-00-00.1",
            "app__2026-01-01_00-00-00.log", "app.txt", "app__2026-01-01_00-00-00.txt",
        ]
        #expect(
            RotationPlan.filesToDelete(forLog: "/l/app", in: listing, retain: 1)
                == ["app__2026-01-01_00-00-00", "app__2026-01-02_00-00-00.gz"])
        #expect(
            RotationPlan.filesToDelete(forLog: "/l/app.txt", in: listing, retain: 0)
                == ["app__2026-01-01_00-00-00.txt"])
    }

    @Test("every name rotation makes is recognized as that log's")
    func roundTrip() {
        var taken: Set<String> = []
        var made: [String] = []
        for (i, log) in ["/l/web-out.log", "/l/app", "/l/日本.txt"].enumerated() {
            for n in 0..<4 {
                let file = RotationPlan.rotatedFile(
                    forLog: log, at: Self.t + Int64(n / 2) * 1000, zone: Self.berlin[0], compress: n % 2 == 1,
                    existing: Array(taken))
                let name = String(file.finalPath.dropFirst(3))
                taken.insert(name)
                made.append(name)
            }
            let own = RotationPlan.filesToDelete(forLog: log, in: Array(taken), retain: 0)
            #expect(own == Array(made[(i * 4)...]), "\(log)")
        }
    }
}
