import Foundation
import Testing

@testable import SwisorCore

@Suite("Log options: loader, line format, daemon defaults")
struct LogSettingsTests {
    typealias F = EcoFixture

    @Test func theLoaderReadsEveryLogOption() throws {
        let spec = try F.app(
            #""script": "a", "log_date_format": "YYYY-MM-DD HH:mm:ss Z", "time": true, "log_type": "json", "log_max_size": "10M", "log_retain": "5", "log_compress": true, "log_rotate_interval": "0 0 * * *""#
        )
        #expect(spec.logDateFormat == "YYYY-MM-DD HH:mm:ss Z")
        #expect(spec.time == true)
        #expect(spec.logType == .json)
        #expect(spec.logMaxSizeBytes == 10 << 20)
        #expect(spec.logRetain == 5)
        #expect(spec.logCompress == true)
        #expect(spec.logRotateInterval == "0 0 * * *")
        // camelCase spellings, as PM2 accepts them.
        let camel = try F.app(#""script": "a", "logDateFormat": "HH:mm", "logType": "journal", "logMaxSize": 4096"#)
        #expect(camel.logDateFormat == "HH:mm")
        #expect(camel.logType == .journal)
        #expect(camel.logMaxSizeBytes == 4096)
        // Nothing given: nothing set, so the daemon's defaults apply.
        let plain = try F.app(#""script": "a""#)
        #expect(plain.logDateFormat == nil && plain.time == nil && plain.logType == nil && plain.logMaxSizeBytes == nil)
        #expect(plain.logRetain == nil && plain.logCompress == nil && plain.logRotateInterval == nil)
        #expect(try F.warnings(#""script": "a", "time": true, "log_type": "json""#).isEmpty)
    }

    @Test func aBadCronIntervalNamesItsPath() {
        let message = F.appError(#""script": "a", "log_rotate_interval": "every day""#) ?? ""
        #expect(message.hasPrefix(#"eco.json: apps[0].log_rotate_interval: invalid cron expression "every day": "#), "\(message)")
    }

    @Test(
        "the line format follows log_type, log_date_format and time",
        arguments: [
            (#""script": "a""#, LogLineFormat.plain),
            (#""script": "a", "time": false"#, .plain),
            (#""script": "a", "time": true"#, .timestamped(.iso8601)),
            (#""script": "a", "log_date_format": "HH:mm""#, .timestamped(try! LogDateFormat("HH:mm"))),
            (#""script": "a", "time": true, "log_date_format": "HH:mm""#, .timestamped(try! LogDateFormat("HH:mm"))),
            (#""script": "a", "log_type": "json""#, .json(.iso8601)),
            (#""script": "a", "log_type": "json", "log_date_format": "X""#, .json(try! LogDateFormat("X"))),
            (#""script": "a", "log_type": "text", "time": true"#, .timestamped(.iso8601)),
            (#""script": "a", "log_type": "journal", "time": true"#, .timestamped(.iso8601)),
        ])
    func lineFormat(members: String, format: LogLineFormat) throws {
        #expect(try F.app(members).logLineFormat == format)
    }

    @Test func anAppsOwnOptionsWinOverTheDaemonsDefaults() throws {
        let defaults = LogDefaults(maxSizeBytes: 1 << 20, retain: 3, compress: true, rotateInterval: "0 * * * *", journal: true)
        let bare = try F.app(#""script": "a""#).logSettings(defaults: defaults)
        #expect(bare == LogSettings(format: .plain, journal: true, maxSizeBytes: 1 << 20, retain: 3, compress: true,
                                    rotateInterval: try CronExpression.parse("0 * * * *")))
        let own = try F.app(
            #""script": "a", "log_type": "json", "log_max_size": "2M", "log_retain": 9, "log_compress": false, "log_rotate_interval": "0 0 * * *""#
        ).logSettings(defaults: defaults)
        #expect(own == LogSettings(format: .json(.iso8601), journal: false, maxSizeBytes: 2 << 20, retain: 9, compress: false,
                                   rotateInterval: try CronExpression.parse("0 0 * * *")))
        // `text` opts out of a daemon-wide journal; no defaults at all: no rotation.
        #expect(try F.app(#""script": "a", "log_type": "text""#).logSettings(defaults: defaults).journal == false)
        let none = try F.app(#""script": "a""#).logSettings(defaults: LogDefaults())
        #expect(none == LogSettings(format: .plain, journal: false, maxSizeBytes: nil, retain: LogSettings.defaultRetain,
                                    compress: false, rotateInterval: nil))
    }

    @Test func daemonDefaultsComeFromTheEnvironment() throws {
        let (d, problems) = LogDefaults.parse(environment: [
            "SWISOR_LOG_MAX_SIZE": "100M", "SWISOR_LOG_RETAIN": "7", "SWISOR_LOG_COMPRESS": "yes",
            "SWISOR_LOG_ROTATE_INTERVAL": "0 0 * * *", "SWISOR_LOG_TYPE": "journal", "OTHER": "x",
        ])
        #expect(problems.isEmpty)
        #expect(d == LogDefaults(maxSizeBytes: 100 << 20, retain: 7, compress: true, rotateInterval: "0 0 * * *", journal: true))
        #expect(LogDefaults.parse(environment: [:]) == (LogDefaults(), []))
    }

    @Test func badDaemonDefaultsAreIgnoredWithOneLineEach() {
        let (d, problems) = LogDefaults.parse(environment: [
            "SWISOR_LOG_MAX_SIZE": "12", "SWISOR_LOG_RETAIN": "0", "SWISOR_LOG_COMPRESS": "maybe",
            "SWISOR_LOG_ROTATE_INTERVAL": "daily", "SWISOR_LOG_TYPE": "syslog",
        ])
        #expect(d == LogDefaults())
        #expect(problems.count == 5)
        #expect(problems[0] == "SWISOR_LOG_MAX_SIZE=12: expected a size of at least 1K (\(Units.memorySizeForms)); ignored")
        #expect(problems[1] == "SWISOR_LOG_RETAIN=0: expected a number of rotated files, 1 or more; ignored")
        #expect(problems[2] == "SWISOR_LOG_COMPRESS=maybe: expected true or false; ignored")
        #expect(problems[3].hasPrefix("SWISOR_LOG_ROTATE_INTERVAL=daily: invalid cron expression: "))
        #expect(problems[4] == "SWISOR_LOG_TYPE=syslog: expected journal or text; ignored")
    }

    /// A dump saved before the log options existed has none of their keys: it still loads.
    @Test func anOldDumpWithoutLogOptionsStillDecodes() throws {
        let spec = AppSpec(name: "web", script: "/bin/sleep", cwd: "/")
        var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(spec)) as? [String: Any])
        for key in ["log_date_format", "time", "log_type", "log_max_size_bytes", "log_retain", "log_compress", "log_rotate_interval"] {
            object[key] = nil
        }
        let decoded = try JSONDecoder().decode(AppSpec.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(decoded == spec)
        var full = spec
        full.logType = .json
        full.logMaxSizeBytes = 4096
        full.logRotateInterval = "0 0 * * *"
        let text = String(decoding: try JSONEncoder().encode(full), as: UTF8.self)
        #expect(text.contains(#""log_type":"json""#) && text.contains(#""log_max_size_bytes":4096"#))
        #expect(try JSONDecoder().decode(AppSpec.self, from: Data(text.utf8)) == full)
    }
}
