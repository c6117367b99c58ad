import Foundation

/// The `[solver]` section of a job file: values that replace fields of the
/// physics' default solver settings.
///
/// The engine does not hard-code the settings' fields: `apply(to:)` reflects
/// the defaults (a struct whose stored properties are `Double`, `Int`, `Bool`,
/// `String` or nested structs of those, with synthesised `Codable`), maps
/// each property `maxIterations` to the job key `max_iterations` and each
/// nested struct `newton` to a table `[solver.newton]`, checks the types and
/// decodes the result. Range checks belong to the physics (`DiodeSolver.init`
/// validates its settings and names the field).
public struct SolverOverrides: Sendable, Hashable {
    public struct Value: Sendable, Hashable {
        /// Job keys from `[solver]` down, e.g. ["newton", "max_iterations"].
        public var path: [String]
        /// The value as TOML text (a number, a boolean or a quoted string).
        public var text: String
        public var line: Int
        fileprivate var kind: Kind

        public var dottedKey: String { (["solver"] + path).joined(separator: ".") }
    }
    fileprivate enum Kind: Sendable, Hashable { case real(Double), integer(Int), boolean(Bool), string(String) }

    public private(set) var values: [Value] = []

    public init() {}

    init(parsing table: TOMLTable) throws(JobError) {
        try collect(table, path: [])
    }

    private mutating func collect(_ table: TOMLTable, path: [String]) throws(JobError) {
        for key in table.keys {
            guard let entry = table[key] else { continue }  // every key has its entry
            let kind: Kind
            switch entry.value {
            case .float(let x): kind = .real(x)
            case .integer(let i): kind = .integer(i)
            case .boolean(let b): kind = .boolean(b)
            case .string(let s): kind = .string(s)
            case .table(let nested):
                try collect(nested, path: path + [key])
                continue
            case .array:
                let dotted = (["solver"] + path + [key]).joined(separator: ".")
                throw JobError(line: entry.line, key: dotted,
                               message: "\(dotted) = \(entry.value.shortText()) is an array; expected a number, boolean or string")
            }
            values.append(Value(path: path + [key], text: entry.value.tomlText, line: entry.line, kind: kind))
        }
    }

    /// The job-file name of a Swift property: `relativeTolerance` → `relative_tolerance`.
    public static func jobKey(forProperty name: String) -> String {
        var key = ""
        for c in name {
            if c.isUppercase {
                key += "_" + c.lowercased()
            } else {
                key.append(c)
            }
        }
        return key
    }

    /// The scalar fields of a settings value, depth first: property names
    /// from the top down, and the value.
    public static func leaves(of settings: Any) -> [(path: [String], value: Any)] {
        Mirror(reflecting: settings).children.flatMap { child -> [(path: [String], value: Any)] in
            guard let label = child.label else { return [] }
            switch child.value {
            case is Double, is Int, is Bool, is String:
                return [([label], child.value)]
            default:
                let nested = leaves(of: child.value)
                return nested.isEmpty ? [([label], child.value)] : nested.map { ([label] + $0.path, $0.value) }
            }
        }
    }

    /// The defaults with every override applied.
    public func apply<Settings: Codable>(to defaults: Settings) throws(JobError) -> Settings {
        let fields = SolverOverrides.leaves(of: defaults)
        let allowed = fields.map { $0.path.map(SolverOverrides.jobKey).joined(separator: ".") }
        var json: [[String]: String] = [:]   // property path → JSON text
        for (path, value) in fields {
            switch value {
            case let x as Double: json[path] = SolverOverrides.json(x)
            case let i as Int: json[path] = String(i)
            case let b as Bool: json[path] = String(b)
            case let s as String: json[path] = SolverOverrides.json(s)
            default:
                throw JobError(line: nil, key: "solver",
                               message: "solver setting \(path.joined(separator: ".")) has a type job files cannot express")
            }
        }
        for override in values {
            let key = override.dottedKey
            guard let (path, defaultValue) = fields.first(where: { $0.path.map(SolverOverrides.jobKey) == override.path }) else {
                throw JobError(line: override.line, key: key,
                               message: "unknown key '\(key)'; allowed keys in [solver]: \(allowed.joined(separator: ", "))")
            }
            func mismatch(_ expected: String) -> JobError {
                JobError(line: override.line, key: key, message: "\(key) = \(TOMLValue.shorten(override.text)) has the wrong type; expected \(expected)")
            }
            switch (defaultValue, override.kind) {
            case (is Double, .real(let x)):
                guard x.isFinite else {
                    throw JobError(line: override.line, key: key, message: "\(key) = \(TOMLValue.shorten(override.text)) is out of range; allowed: a finite number")
                }
                json[path] = SolverOverrides.json(x)
            case (is Double, .integer(let i)): json[path] = SolverOverrides.json(Double(i))
            case (is Double, _): throw mismatch("a number")
            case (is Int, .integer(let i)): json[path] = String(i)
            case (is Int, _): throw mismatch("an integer")
            case (is Bool, .boolean(let b)): json[path] = String(b)
            case (is Bool, _): throw mismatch("true or false")
            case (is String, .string(let s)): json[path] = SolverOverrides.json(s)
            default: throw mismatch("a quoted string")
            }
        }
        let text = SolverOverrides.object(fields.map(\.path), values: json, prefix: [])
        do {
            return try JSONDecoder().decode(Settings.self, from: Data(text.utf8))
        } catch {
            throw JobError(line: nil, key: "solver", message: "cannot apply the [solver] settings: \(error)")
        }
    }

    /// JSON object text for the leaves under `prefix`, nesting by path.
    private static func object(_ paths: [[String]], values: [[String]: String], prefix: [String]) -> String {
        var members: [String] = []
        var seen: Set<String> = []
        for path in paths where path.count > prefix.count && Array(path.prefix(prefix.count)) == prefix {
            let name = path[prefix.count]
            guard seen.insert(name).inserted else { continue }
            if path.count == prefix.count + 1 {
                members.append("\(json(name)):\(values[path]!)")
            } else {
                members.append("\(json(name)):\(object(paths, values: values, prefix: prefix + [name]))")
            }
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// Shortest text that reads back as exactly `x` (JSON has no inf/nan; callers reject them first).
    static func json(_ x: Double) -> String { "\(x)" }

    static func json(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
