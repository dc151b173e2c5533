/// How a CLI target resolves (docs/semantics.md, "Names, ids, namespaces, all"): `all`, then
/// an exact name, then a namespace, then a numeric id. Resolution happens in the
/// daemon, which is the only one that knows the current apps.
public enum TargetResolver {
    public struct Candidate: Sendable {
        public var id: Int
        public var name: String
        public var namespace: String
        public init(id: Int, name: String, namespace: String) {
            self.id = id
            self.name = name
            self.namespace = namespace
        }
    }

    /// The ids the target names, in id order; empty when it names nothing.
    public static func resolve(_ target: String, in apps: [Candidate]) -> [Int] {
        let sorted = apps.sorted { $0.id < $1.id }
        if target == "all" { return sorted.map(\.id) }
        let byName = sorted.filter { $0.name == target }
        if !byName.isEmpty { return byName.map(\.id) }
        let byNamespace = sorted.filter { $0.namespace == target }
        if !byNamespace.isEmpty { return byNamespace.map(\.id) }
        if let id = Int(target), sorted.contains(where: { $0.id == id }) { return [id] }
        return []
    }
}
