import DiodePhysics

/// The `[solver]` section of a job file: values that replace fields of the
/// physics' default solver settings.
///
/// The keys are those of `SolverParameter.all` (a property `maxIterations`
/// is the key `max_iterations`, a nested struct `newton` the table
/// `[solver.newton]`); `apply(to:)` checks each value's key and type and
/// writes it through the entry's key path. Range checks belong to the
/// physics (`DiodeSolver.init` validates its settings and names the field).
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

    /// The defaults with every override applied, each checked against its
    /// entry in `SolverParameter.all` (key and type; ranges are the
    /// physics' own, checked by `DiodeSolver.init`, see `ResolvedJob`).
    public func apply(to defaults: SolverSettings) throws(JobError) -> SolverSettings {
        var settings = defaults
        for override in values {
            let key = override.dottedKey
            guard let parameter = SolverParameter.all.first(where: { $0.path == override.path }) else {
                let allowed = SolverParameter.all.map(\.key).joined(separator: ", ")
                throw JobError(line: override.line, key: key,
                               message: "unknown key '\(key)'; allowed keys in [solver]: \(allowed)")
            }
            let valueText = TOMLValue.shorten(override.text)
            switch (parameter.kind, override.kind) {
            case (.real(let keyPath), .real(let x)):
                guard x.isFinite else {
                    throw JobError(line: override.line, key: key,
                                   message: "\(key) = \(valueText) is out of range; allowed: a finite number")
                }
                settings[keyPath: keyPath] = x
            case (.real(let keyPath), .integer(let i)): settings[keyPath: keyPath] = Double(i)
            case (.integer(let keyPath), .integer(let i)): settings[keyPath: keyPath] = i
            case (.boolean(let keyPath), .boolean(let b)): settings[keyPath: keyPath] = b
            default:
                throw JobError(line: override.line, key: key,
                               message: "\(key) = \(valueText) has the wrong type; expected \(parameter.expected)")
            }
        }
        return settings
    }
}
