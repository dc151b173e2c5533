/// Which reader an ecosystem file needs, by its name (docs/semantics.md, "Ecosystem
/// file"). PM2's rule (lib/Common.js, isConfigFile): `.json`, `.yml`, `.yaml`, and
/// `.config.js`, `.config.cjs`, `.config.mjs`. Beyond it, any `.js`/`.cjs`/`.mjs` whose
/// base name starts with "ecosystem" (PM2 would run `ecosystem.js` as an app, which
/// exports an object and exits at once, in a crash loop).
public enum EcosystemFormat: Sendable, Equatable {
    case json
    case yaml
    /// Evaluated by node, which prints its exports as JSON; `module`: an ES module (.mjs).
    case javascript(module: Bool)

    public static func of(_ path: String) -> EcosystemFormat? {
        let base = path.split(separator: "/").last.map(String.init) ?? path
        if base.hasSuffix(".json") { return .json }
        if base.hasSuffix(".yml") || base.hasSuffix(".yaml") { return .yaml }
        for ext in [".js", ".cjs", ".mjs"] where base.hasSuffix(ext) {
            let stem = base.dropLast(ext.count)
            if stem.hasSuffix(".config") || stem.hasPrefix("ecosystem") {
                return .javascript(module: ext == ".mjs")
            }
        }
        return nil
    }

    /// What `swisor start` with no target looks for in the current directory, in order:
    /// PM2's default file first (`pm2 start` alone reads ecosystem.config.js).
    public static let defaultFiles = [
        "ecosystem.config.js", "ecosystem.config.cjs", "ecosystem.config.mjs",
        "ecosystem.json", "ecosystem.yml", "ecosystem.yaml",
    ]
}
