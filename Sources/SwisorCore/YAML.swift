import CLibYAML

/// YAML ecosystem files, read as PM2 reads them (js-yaml's `load` with its default
/// schema, YAML 1.2 core): one document; plain scalars resolve to null, booleans
/// (true/false only: `yes` and `on` stay strings), integers, floats or strings; quoted
/// scalars are strings; anchors, aliases and merge keys (`<<`) work; a key given twice is
/// an error, as in js-yaml. The result is the same JSON value a .json file gives, so the
/// loader and its JSON-path messages are the same for both.
///
/// libyaml's event parser does the YAML syntax; this type only builds the values.
public enum YAML {
    /// Values an anchor may expand to, in total: aliases to aliases grow exponentially
    /// ("a billion laughs"), and an ecosystem file never needs this many.
    public static let maxValues = 1_000_000

    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSON {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw JSONSyntaxError(line: 1, column: 1, message: "YAML: out of memory")
        }
        defer { yaml_parser_delete(&parser) }
        return try bytes.withUnsafeBufferPointer { (buffer) throws(JSONSyntaxError) -> JSON in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = Builder()
            return try builder.run(&parser)
        }
    }

    /// A container being filled.
    /// A container being filled; `size` counts the values in it, aliases expanded.
    private enum Frame {
        case sequence(anchor: String?, items: [JSON], mark: yaml_mark_t, size: Int)
        case mapping(anchor: String?, members: [(key: String, value: JSON)], pendingKey: (String, yaml_mark_t)?,
                     merges: [JSONObject], mark: yaml_mark_t, expectingKey: Bool, size: Int)
    }

    private struct Builder {
        var stack: [Frame] = []
        var anchors: [String: (value: JSON, size: Int)] = [:]
        var root: JSON?
        var documents = 0

        mutating func run(_ parser: inout yaml_parser_t) throws(JSONSyntaxError) -> JSON {
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else { throw Self.syntaxError(parser) }
                defer { yaml_event_delete(&event) }
                let mark = event.start_mark
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    guard let root else { throw Self.error(mark, "the file has no YAML document (it is empty)") }
                    return root
                case YAML_DOCUMENT_START_EVENT:
                    documents += 1
                    if documents > 1 {
                        throw Self.error(mark, "expected one YAML document, found a second one (`---`)")
                    }
                case YAML_SEQUENCE_START_EVENT:
                    try checkDepth(mark)
                    stack.append(.sequence(anchor: Self.string(event.data.sequence_start.anchor), items: [], mark: mark, size: 1))
                case YAML_MAPPING_START_EVENT:
                    try checkDepth(mark)
                    stack.append(.mapping(anchor: Self.string(event.data.mapping_start.anchor), members: [],
                                          pendingKey: nil, merges: [], mark: mark, expectingKey: true, size: 1))
                case YAML_SEQUENCE_END_EVENT:
                    guard case .sequence(let anchor, let items, let start, let size) = stack.removeLast() else { continue }
                    try add(.array(items), anchor: anchor, size: size, mark: start)
                case YAML_MAPPING_END_EVENT:
                    guard case .mapping(let anchor, var members, _, let merges, let start, _, let size) = stack.removeLast() else { continue }
                    // Merged keys never override the mapping's own, whatever their order;
                    // of several merged mappings, the first that has a key wins (js-yaml).
                    var present = Set(members.map(\.key))
                    for source in merges {
                        for (k, v) in source.members where !present.contains(k) {
                            members.append((k, v))
                            present.insert(k)
                        }
                    }
                    try add(.object(JSONObject(members)), anchor: anchor, size: size, mark: start)
                case YAML_SCALAR_EVENT:
                    let scalar = event.data.scalar
                    let text = scalar.value.map { String(decoding: UnsafeBufferPointer(start: $0, count: scalar.length), as: UTF8.self) } ?? ""
                    let tag = Self.string(scalar.tag)
                    let plain = scalar.style == YAML_PLAIN_SCALAR_STYLE
                    if case .mapping(_, _, nil, _, _, true, _) = stack.last {
                        // A key: its text, as js-yaml turns scalar keys into property names.
                        if plain && tag == nil && text == "<<" {
                            setPendingKey(("<<", mark))
                        } else {
                            setPendingKey((text, mark))
                        }
                        continue
                    }
                    let value = try Self.resolve(text, tag: tag, plain: plain, mark: mark)
                    try add(value, anchor: Self.string(scalar.anchor), size: 1, mark: mark)
                case YAML_ALIAS_EVENT:
                    let name = Self.string(event.data.alias.anchor) ?? ""
                    guard let target = anchors[name] else { throw Self.error(mark, "unknown alias *\(name)") }
                    if case .mapping(_, _, nil, _, _, true, _) = stack.last {
                        throw Self.error(mark, "an alias as a mapping key is not supported")
                    }
                    try add(target.value, anchor: nil, size: target.size, mark: mark)
                default:
                    break
                }
            }
        }

        mutating func checkDepth(_ mark: yaml_mark_t) throws(JSONSyntaxError) {
            if stack.count >= JSON.maxDepth {
                throw Self.error(mark, "nested more than \(JSON.maxDepth) levels deep")
            }
        }

        mutating func setPendingKey(_ key: (String, yaml_mark_t)) {
            guard case .mapping(let anchor, let members, _, let merges, let mark, _, let size) = stack.removeLast() else { return }
            stack.append(.mapping(anchor: anchor, members: members, pendingKey: key, merges: merges, mark: mark,
                                  expectingKey: false, size: size))
        }

        /// A finished value: the root, an item of the sequence being filled, or the value
        /// of the mapping's pending key. `size`: the values it holds, aliases expanded;
        /// `mark`: where it starts.
        mutating func add(_ value: JSON, anchor: String?, size: Int, mark: yaml_mark_t) throws(JSONSyntaxError) {
            if size > YAML.maxValues {
                throw Self.error(mark, "more than \(YAML.maxValues) values once aliases are expanded")
            }
            if let anchor { anchors[anchor] = (value, size) }
            guard let top = stack.popLast() else {
                root = value
                return
            }
            switch top {
            case .sequence(let a, var items, let m, let total):
                items.append(value)
                stack.append(.sequence(anchor: a, items: items, mark: m, size: total + size))
            case .mapping(let a, var members, let pending, var merges, let m, _, let total):
                guard let (key, keyMark) = pending else {
                    throw Self.error(mark, "a mapping key must be a plain value, not a list or a mapping")
                }
                if key == "<<" {
                    switch value {
                    case .object(let o): merges.append(o)
                    case .array(let list):
                        for item in list {
                            guard case .object(let o) = item else {
                                throw Self.error(keyMark, "a merge key (<<) takes a mapping or a list of mappings")
                            }
                            merges.append(o)
                        }
                    default:
                        throw Self.error(keyMark, "a merge key (<<) takes a mapping or a list of mappings")
                    }
                } else {
                    if members.contains(where: { $0.key == key }) {
                        throw Self.error(keyMark, "key \(JSON.string(key).brief) is given twice in this mapping")
                    }
                    members.append((key, value))
                }
                stack.append(.mapping(anchor: a, members: members, pendingKey: nil, merges: merges, mark: m,
                                      expectingKey: true, size: total + size))
            }
        }

        /// js-yaml's default schema for a scalar: explicit tags first, then, for plain
        /// scalars only, null, bool, int and float by their exact spelling.
        static func resolve(_ text: String, tag: String?, plain: Bool, mark: yaml_mark_t) throws(JSONSyntaxError) -> JSON {
            let core = "tag:yaml.org,2002:"
            if let tag, tag != "!" {
                guard tag.hasPrefix(core) else { throw error(mark, "unsupported tag \(tag)") }
                switch tag.dropFirst(core.count) {
                case "str": return .string(text)
                case "null": return .null
                case "bool":
                    if let b = bool(text) { return .bool(b) }
                case "int":
                    if let i = int(text) { return .int(i) }
                case "float":
                    if let i = int(text) { return .double(Double(i)) }
                    if let d = float(text) { return .double(d) }
                default:
                    throw error(mark, "unsupported tag \(tag)")
                }
                throw error(mark, "\(JSON.string(text).brief) is not a valid \(tag.dropFirst(core.count))")
            }
            guard plain, tag == nil else { return .string(text) }
            if ["", "~", "null", "Null", "NULL"].contains(text) { return .null }
            if let b = bool(text) { return .bool(b) }
            if let i = int(text) { return .int(i) }
            if let d = float(text) { return .double(d) }
            return .string(text)
        }

        static func bool(_ t: String) -> Bool? {
            switch t {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: return nil
            }
        }

        /// Decimal (underscores allowed, as js-yaml), 0x, 0o and 0b; nil when it does not
        /// fit 64 bits (js-yaml would lose precision; the loader's ranges refuse it anyway
        /// as a float).
        static func int(_ t: String) -> Int64? {
            var s = Substring(t)
            var negative = false
            if let c = s.first, c == "-" || c == "+" {
                negative = c == "-"
                s = s.dropFirst()
            }
            var radix = 10
            if s.hasPrefix("0x") { radix = 16; s = s.dropFirst(2) }
            else if s.hasPrefix("0o") { radix = 8; s = s.dropFirst(2) }
            else if s.hasPrefix("0b") { radix = 2; s = s.dropFirst(2) }
            guard let first = s.first, first != "_" else { return nil }
            let digits = s.filter { $0 != "_" }
            // A leading zero is not an integer in YAML 1.2 (js-yaml reads "012" as 12.0).
            if radix == 10 && digits.count > 1 && digits.first == "0" { return nil }
            guard let magnitude = UInt64(digits, radix: radix) else { return nil }
            if negative {
                return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil
            }
            return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
        }

        static func float(_ t: String) -> Double? {
            switch t {
            case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
            case "-.inf", "-.Inf", "-.INF": return -.infinity
            case ".nan", ".NaN", ".NAN": return .nan
            default: break
            }
            // Digits with a point or an exponent: what js-yaml's float pattern takes.
            let s = t.filter { $0 != "_" }
            guard s.contains(where: { $0.isNumber }),
                  s.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }),
                  let d = Double(s) else { return nil }
            return d
        }

        static func string(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            p.map { String(cString: $0) }
        }

        static func error(_ mark: yaml_mark_t, _ message: String) -> JSONSyntaxError {
            JSONSyntaxError(line: Int(mark.line) + 1, column: Int(mark.column) + 1, message: message)
        }

        static func syntaxError(_ parser: yaml_parser_t) -> JSONSyntaxError {
            let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
            var message = problem
            if let context = parser.context.map({ String(cString: $0) }) { message = "\(problem) (\(context))" }
            return JSONSyntaxError(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1,
                                   message: message)
        }
    }
}
