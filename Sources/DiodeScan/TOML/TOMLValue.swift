/// A value of the TOML subset that job files use.
///
/// Dates, multi-line strings and arrays of tables are not part of the subset:
/// the parser rejects them with a line number instead of guessing.
public enum TOMLValue: Sendable {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    case array([TOMLValue])
    case table(TOMLTable)

    /// The TOML type name, for error messages ("expected a float, found a string").
    public var typeName: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .float: "float"
        case .boolean: "boolean"
        case .array: "array"
        case .table: "table"
        }
    }

    /// `tomlText` cut to at most `limit` characters (with "…"), for error
    /// messages: a rejected value is quoted, not echoed whole.
    public func shortText(limit: Int = 60) -> String {
        TOMLValue.shorten(tomlText, limit: limit)
    }

    /// `text` cut to at most `limit` characters, the cut marked by "…".
    public static func shorten(_ text: String, limit: Int = 60) -> String {
        text.count <= limit ? text : String(text.prefix(max(1, limit - 1))) + "…"
    }

    /// The value written back as TOML, for error messages that quote what the user wrote.
    public var tomlText: String {
        switch self {
        case .string(let s):
            var escaped = ""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": escaped += "\\\""
                case "\\": escaped += "\\\\"
                case "\n": escaped += "\\n"
                case "\t": escaped += "\\t"
                case "\r": escaped += "\\r"
                default: escaped.unicodeScalars.append(scalar)
                }
            }
            return "\"" + escaped + "\""
        case .integer(let i): return String(i)
        case .float(let x):
            if x.isNaN { return "nan" }
            if x.isInfinite { return x > 0 ? "inf" : "-inf" }
            return String(x)
        case .boolean(let b): return b ? "true" : "false"
        case .array(let items): return "[" + items.map(\.tomlText).joined(separator: ", ") + "]"
        case .table(let table):
            return "{ " + table.keys.map { "\($0) = \(table[$0]!.value.tomlText)" }.joined(separator: ", ") + " }"
        }
    }
}

/// A TOML table: keys in the order they were written, each with the value and
/// the line where it was defined (so that validation errors can point at it).
public struct TOMLTable: Sendable {
    public struct Entry: Sendable {
        public var value: TOMLValue
        /// 1-based line of the key in the source text.
        public var line: Int
    }

    private var entries: [String: Entry] = [:]
    /// Keys in definition order.
    public private(set) var keys: [String] = []
    /// 1-based line where the table was opened (its header, or the line of an inline table).
    public var line: Int
    /// Whether the table was written inline (`{ ... }`); TOML forbids adding to it later.
    public var isInline = false

    public init(line: Int, isInline: Bool = false) {
        self.line = line
        self.isInline = isInline
    }

    public subscript(key: String) -> Entry? {
        get { entries[key] }
    }

    /// Inserts a new key; returns false when the key already exists.
    mutating func insert(_ key: String, _ entry: Entry) -> Bool {
        guard entries[key] == nil else { return false }
        entries[key] = entry
        keys.append(key)
        return true
    }

    /// Replaces the value of an existing key (used to fill sub-tables in place).
    mutating func replace(_ key: String, with value: TOMLValue) {
        entries[key]?.value = value
    }
}

/// A syntax error in a TOML document.
public struct TOMLError: Error, Equatable, CustomStringConvertible {
    /// 1-based line of the error.
    public var line: Int
    public var message: String
    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }
    public var description: String { "line \(line): \(message)" }
}
