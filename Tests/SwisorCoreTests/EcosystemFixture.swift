@testable import SwisorCore

/// A fixed world for loader tests: the file is /srv/proj/eco.json, HOME is /home/u, four CPUs,
/// and only the files listed exist.
enum EcoFixture {
    static let source = "eco.json"
    static let directory = "/srv/proj"
    static let home = "/home/u"
    static let logDirectory = "/home/u/.swisor/logs"
    static let baseEnv = ["HOME": home, "PATH": "/usr/bin:/bin"]

    static func options(
        envName: String? = nil,
        only: [String]? = nil,
        baseEnv: [String: String] = EcoFixture.baseEnv,
        files: Set<String> = [],
        cpus: Int = 4,
        logDirectory: String? = EcoFixture.logDirectory
    ) -> EcosystemOptions {
        EcosystemOptions(
            source: source, directory: directory, envName: envName, only: only, baseEnv: baseEnv,
            cpuCount: cpus, logDirectory: logDirectory, fileExists: { files.contains($0) })
    }

    static func load(
        _ text: String,
        envName: String? = nil,
        only: [String]? = nil,
        baseEnv: [String: String] = EcoFixture.baseEnv,
        files: Set<String> = [],
        cpus: Int = 4,
        logDirectory: String? = EcoFixture.logDirectory
    ) throws(ConfigError) -> Ecosystem {
        try Ecosystem.load(
            bytes: Array(text.utf8),
            options: options(
                envName: envName, only: only, baseEnv: baseEnv, files: files, cpus: cpus,
                logDirectory: logDirectory))
    }

    /// The one app of a file that is a single app object, given as its members: `app(#""script": "a.js""#)`.
    static func app(
        _ members: String,
        envName: String? = nil,
        baseEnv: [String: String] = EcoFixture.baseEnv,
        files: Set<String> = [],
        cpus: Int = 4
    ) throws(ConfigError) -> AppSpec {
        let eco = try load("{\(members)}", envName: envName, baseEnv: baseEnv, files: files, cpus: cpus)
        return eco.apps[0]
    }

    /// The warnings of a file that is a single app object.
    static func warnings(_ members: String, envName: String? = nil) throws(ConfigError) -> [String] {
        try load("{\(members)}", envName: envName).warnings
    }

    /// The one-line message of the error that loading `text` throws, or nil if it loads.
    static func error(
        _ text: String,
        envName: String? = nil,
        only: [String]? = nil,
        baseEnv: [String: String] = EcoFixture.baseEnv,
        files: Set<String> = []
    ) -> String? {
        do {
            _ = try load(text, envName: envName, only: only, baseEnv: baseEnv, files: files)
            return nil
        } catch {
            return error.description
        }
    }

    /// The error of an app given as members of `apps[0]`, so messages carry `apps[0].…` paths.
    static func appError(_ members: String, envName: String? = nil, baseEnv: [String: String] = EcoFixture.baseEnv)
        -> String?
    {
        error("{\"apps\": [{\(members)}]}", envName: envName, baseEnv: baseEnv)
    }
}
