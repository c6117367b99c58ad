import Foundation

/// The `[solver]` section of a job file: values that replace fields of the
/// physics' default solver settings.
///
/// The engine does not hard-code the settings' fields: `apply(to:)` reflects
/// the defaults (any struct of `Double`, `Int`, `Bool` and `String` stored
/// properties with synthesised `Codable`), maps each property `maxIterations`
/// to the job key `max_iterations`, checks the types and decodes the result.
/// Range checks belong to the physics (`DiodeSolver.init` validates its
/// settings and names the field).
public struct SolverOverrides: Sendable, Hashable {
    public struct Value: Sendable, Hashable {
        public var key: String
        /// The value as TOML text (a number, a boolean or a quoted string).
        public var text: String
        public var line: Int
        fileprivate var kind: Kind
    }
    fileprivate enum Kind: Sendable, Hashable { case real(Double), integer(Int), boolean(Bool), string(String) }

    public private(set) var values: [Value] = []

    public init() {}

    init(parsing table: TOMLTable) throws(JobError) {
        for key in table.keys {
            let entry = table[key]!
            let kind: Kind
            switch entry.value {
            case .float(let x): kind = .real(x)
            case .integer(let i): kind = .integer(i)
            case .boolean(let b): kind = .boolean(b)
            case .string(let s): kind = .string(s)
            default:
                throw JobError(line: entry.line, key: "solver.\(key)",
                               message: "solver.\(key) = \(entry.value.tomlText) is a \(entry.value.typeName); expected a number, boolean or string")
            }
            values.append(Value(key: key, text: entry.value.tomlText, line: entry.line, kind: kind))
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

    /// The defaults with every override applied.
    public func apply<Settings: Codable>(to defaults: Settings) throws(JobError) -> Settings {
        let properties = Mirror(reflecting: defaults).children.compactMap { child -> (String, Any)? in
            child.label.map { ($0, child.value) }
        }
        let allowed = properties.map { SolverOverrides.jobKey(forProperty: $0.0) }
        var fields: [String: String] = [:]   // property name → JSON text
        for (name, value) in properties {
            switch value {
            case let x as Double: fields[name] = SolverOverrides.json(x)
            case let i as Int: fields[name] = String(i)
            case let b as Bool: fields[name] = String(b)
            case let s as String: fields[name] = SolverOverrides.json(s)
            default: continue   // not settable from a job file; decoded from the defaults below
            }
        }
        for override in values {
            guard let (name, defaultValue) = properties.first(where: { SolverOverrides.jobKey(forProperty: $0.0) == override.key }) else {
                throw JobError(line: override.line, key: "solver.\(override.key)",
                               message: "unknown key 'solver.\(override.key)' in [solver]; allowed keys: \(allowed.joined(separator: ", "))")
            }
            let key = "solver.\(override.key)"
            func mismatch(_ expected: String) -> JobError {
                JobError(line: override.line, key: key, message: "\(key) = \(override.text) has the wrong type; expected \(expected)")
            }
            switch (defaultValue, override.kind) {
            case (is Double, .real(let x)):
                guard x.isFinite else {
                    throw JobError(line: override.line, key: key, message: "\(key) = \(override.text) is out of range; allowed: a finite number")
                }
                fields[name] = SolverOverrides.json(x)
            case (is Double, .integer(let i)): fields[name] = SolverOverrides.json(Double(i))
            case (is Double, _): throw mismatch("a number")
            case (is Int, .integer(let i)): fields[name] = String(i)
            case (is Int, _): throw mismatch("an integer")
            case (is Bool, .boolean(let b)): fields[name] = String(b)
            case (is Bool, _): throw mismatch("true or false")
            case (is String, .string(let s)): fields[name] = SolverOverrides.json(s)
            case (is String, _): throw mismatch("a quoted string")
            default:
                throw JobError(line: override.line, key: key, message: "\(key) cannot be set from a job file")
            }
        }
        // Start from the defaults' own encoding so that fields the job cannot set survive unchanged.
        do {
            let encoded = try JSONEncoder().encode(defaults)
            guard var object = try JSONSerialization.jsonObject(with: encoded) as? [String: Any] else {
                throw JobError(line: nil, key: "solver", message: "solver settings are not a keyed structure")
            }
            for name in fields.keys { object.removeValue(forKey: name) }
            let untouched = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            var json = fields.map { "\(SolverOverrides.json($0.key)):\($0.value)" }.joined(separator: ",")
            let rest = untouched.dropFirst().dropLast()   // strip { }
            if !rest.isEmpty { json += (json.isEmpty ? "" : ",") + rest }
            return try JSONDecoder().decode(Settings.self, from: Data("{\(json)}".utf8))
        } catch let error as JobError {
            throw error
        } catch {
            throw JobError(line: nil, key: "solver", message: "cannot apply the [solver] settings: \(error)")
        }
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
