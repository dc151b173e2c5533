/// What the loader needs to know about where and how `swisor start` runs. Everything that
/// would be a system call (the environment, the CPU count, whether a file exists) is passed
/// in, so the loader stays pure and testable.
public struct EcosystemOptions: Sendable {
    /// The file as the user wrote it ("ecosystem.json"), or "command line"; starts every message.
    public var source: String
    /// Absolute: the base of a relative `cwd`, and the default `cwd` (the file's directory;
    /// for the command line, the CLI's working directory).
    public var directory: String
    /// `--env NAME`: selects each app's `env_NAME`.
    public var envName: String?
    /// `--only a,b`: keep just these apps. Every name must match an app.
    public var only: [String]?
    /// The environment of the `swisor start` command: the base of every app's environment.
    public var baseEnv: [String: String]
    /// For `instances` "max", 0 and negative counts.
    public var cpuCount: Int
    /// The folder of default log files (the home's logs/), for PM2's `log_file: true`, which
    /// asks for a combined log there. `nil`: such a request is ignored with a warning.
    public var logDirectory: String?
    /// Whether a file exists at an absolute path: decides if a bare script name is a file in
    /// the app's cwd or a program to look up in PATH.
    public var fileExists: @Sendable (String) -> Bool

    public init(
        source: String,
        directory: String,
        envName: String? = nil,
        only: [String]? = nil,
        baseEnv: [String: String],
        cpuCount: Int,
        logDirectory: String? = nil,
        fileExists: @escaping @Sendable (String) -> Bool
    ) {
        self.source = source
        self.directory = directory
        self.envName = envName
        self.only = only
        self.baseEnv = baseEnv
        self.cpuCount = cpuCount
        self.logDirectory = logDirectory
        self.fileExists = fileExists
    }
}

/// The apps of a PM2-style ecosystem file, validated and resolved (docs/semantics.md, "Ecosystem
/// file"). Loading either returns every app or throws: nothing is started from a file with
/// an error.
public struct Ecosystem: Sendable, Equatable {
    public var apps: [AppSpec]
    /// Each a line "FILE: PATH: message": unknown keys, ignored PM2 options, options not
    /// supported yet.
    public var warnings: [String]

    public init(apps: [AppSpec], warnings: [String]) {
        self.apps = apps
        self.warnings = warnings
    }

    /// Parses the file's bytes as JSON (or YAML), then loads it. A JavaScript file is
    /// evaluated by the CLI first (node prints its exports as JSON): pass `.json` then.
    ///
    /// A `.json` file that is not strict JSON is read as PM2 reads every `.json` file, as a
    /// JavaScript object literal (`ObjectLiteral`), with one warning naming the first
    /// construct strict JSON lacks. Strict JSON is tried first, so a strict file is read as
    /// it always was, and an error before anything JavaScript-only is the strict error.
    public static func load(bytes: [UInt8], format: EcosystemFormat = .json, options: EcosystemOptions) throws(ConfigError) -> Ecosystem {
        let json: JSON
        var relaxation: ObjectLiteral.Relaxation? = nil
        do throws(JSONSyntaxError) {
            if format == .yaml {
                json = try YAML.parse(bytes)
            } else {
                (json, relaxation) = try readJSON(bytes)
            }
        } catch {
            throw ConfigError(file: options.source, path: "", message: error.description)
        }
        var ecosystem = try load(json: json, options: options)
        if let relaxation {
            ecosystem.warnings.insert(
                "\(options.source): \(relaxation): not strict JSON; read as a JavaScript object literal, as PM2 "
                    + "reads a .json file", at: 0)
        }
        return ecosystem
    }

    /// Strict JSON, else PM2's object literal. When the literal reader fails too, its error
    /// is shown only if the text had already left strict JSON (the strict error would point
    /// at the comment, not at the mistake); otherwise the strict error, unchanged.
    static func readJSON(_ bytes: [UInt8]) throws(JSONSyntaxError) -> (JSON, ObjectLiteral.Relaxation?) {
        let strictError: JSONSyntaxError
        do throws(JSONSyntaxError) {
            return (try JSON.parse(bytes), nil)
        } catch {
            strictError = error
        }
        do throws(ObjectLiteral.Failure) {
            let (value, relaxation) = try ObjectLiteral.parse(bytes)
            // Whatever made the strict parser fail is a relaxation; should the reader not
            // have named it, the strict error's place still goes into the warning.
            return (value, relaxation ?? ObjectLiteral.Relaxation(
                line: strictError.line, column: strictError.column, what: strictError.message))
        } catch {
            throw error.relaxation == nil ? strictError : error.error
        }
    }

    /// Loads parsed JSON: a file, or the object the CLI builds from `swisor start <script>
    /// --name x ...`, so both go through the same validation.
    ///
    /// The top level is `{"apps": [...]}` (paths `apps[3].name`), a bare array of apps
    /// (`[3].name`), or one app object (`name`).
    public static func load(json: JSON, options: EcosystemOptions) throws(ConfigError) -> Ecosystem {
        let source = options.source
        var fileWarnings: [String] = []
        var entries: [(path: String, value: JSON)] = []

        switch json {
        case .object(let top) where top["apps"] != nil || top["pm2"] != nil:
            // PM2 (lib/API.js, _startJson) takes the apps from `apps`, else from `pm2`, the
            // key of its first file format.
            let appsKey = top["apps"] != nil ? "apps" : "pm2"
            for key in top.keys where key != appsKey {
                let path = EcosystemPaths.member("", key)
                switch key {
                case "deploy":
                    // PM2's deployment recipes (`pm2 deploy`) share the file; swisor does not deploy.
                    fileWarnings.append("\(source): \(path): ignored (PM2-only)")
                case "static":
                    // PM2 adds an app of its own file server (lib/API/Serve.js) per entry.
                    fileWarnings.append(
                        "\(source): \(path): ignored (PM2-only: PM2's built-in static file server; run a server of your own as an app)")
                case "pm2":
                    fileWarnings.append("\(source): \(path): ignored, as by PM2, which reads `pm2` only when there is no `apps`")
                default:
                    var message = "unknown top-level key, ignored"
                    if let guess = EcosystemKeys.suggestion(for: key, among: ["apps", "deploy", "static"]) {
                        message += " (did you mean `\(guess)`?)"
                    }
                    fileWarnings.append("\(source): \(path): \(message)")
                }
            }
            for key in top.duplicateKeys {
                fileWarnings.append("\(source): \(EcosystemPaths.member("", key)): given more than once, the last value is used")
            }
            switch top[appsKey]! {
            case .array(let list):
                guard !list.isEmpty else {
                    throw ConfigError(file: source, path: appsKey, message: "expected at least one app, found an empty array")
                }
                for (i, app) in list.enumerated() { entries.append((EcosystemPaths.element(appsKey, i), app)) }
            case .object:
                // PM2 takes a lone object here as one app; so do we.
                entries.append((appsKey, top[appsKey]!))
            case let other:
                throw ConfigError(file: source, path: appsKey, message: "expected an array of apps, found \(other.brief)")
            }
        case .object:
            entries.append(("", json))
        case .array(let list):
            guard !list.isEmpty else {
                throw ConfigError(file: source, path: "", message: "expected at least one app, found an empty array")
            }
            for (i, app) in list.enumerated() { entries.append((EcosystemPaths.element("", i), app)) }
        default:
            throw ConfigError(
                file: source, path: "",
                message: "expected an object with \"apps\", an array of apps, or one app object; found \(json.brief)")
        }

        var apps: [(spec: AppSpec, warnings: [String])] = []
        var pathOfName: [String: String] = [:]
        for (path, value) in entries {
            guard case .object(let object) = value else {
                throw ConfigError(file: source, path: path, message: "expected an app object, found \(value.brief)")
            }
            var reader = EcosystemAppReader(object: object, path: path, options: options)
            let spec = try reader.read()
            if let first = pathOfName[spec.name] {
                throw ConfigError(
                    file: source, path: reader.namePath,
                    message: "app name \(JSON.string(spec.name).brief) is already used by \(first.isEmpty ? "the first app" : first)")
            }
            pathOfName[spec.name] = path
            apps.append((spec, reader.warnings))
        }

        // PM2 ignores an --env that matches nothing; a typo then silently runs with the
        // development settings, so say so.
        if let envName = options.envName,
           !entries.contains(where: { $0.value.objectValue?["env_" + envName] != nil }) {
            fileWarnings.append("\(source): --env \(envName): no app has an env_\(envName) block; only `env` applies")
        }

        // After validation, so that an error anywhere in the file is reported whatever is selected.
        if let only = options.only {
            let missing = only.filter { pathOfName[$0] == nil }
            if !missing.isEmpty {
                let names = missing.map { JSON.string($0).brief }.joined(separator: ", ")
                throw ConfigError(file: "--only", path: "", message: "no app named \(names) in \(source)")
            }
            let wanted = Set(only)
            apps = apps.filter { wanted.contains($0.spec.name) }
        }
        return Ecosystem(apps: apps.map(\.spec), warnings: fileWarnings + apps.flatMap(\.warnings))
    }
}
