/// Reads the keys of one TOML table against a schema, turning every mismatch
/// into a `JobError` that names the key, the value and what is allowed.
///
/// Each accessor marks its key as known; `finish()` then rejects any key the
/// schema did not ask for.
struct TableReader {
    let table: TOMLTable
    /// Dotted path of the table ("model", "grid"); empty for the root.
    let path: String
    private var known: [String] = []

    init(_ table: TOMLTable, path: String) {
        self.table = table
        self.path = path
    }

    func qualified(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func error(_ key: String, _ message: String) -> JobError {
        JobError(line: table[key]?.line ?? table.line, key: qualified(key), message: message)
    }

    /// Fails with "missing required key" unless `key` is present.
    func missing(_ key: String, _ explanation: String) -> JobError {
        let header = path.isEmpty ? "at the top of the file" : "in [\(path)]"
        return JobError(line: table.line, key: qualified(key),
                        message: "missing required key '\(qualified(key))' \(header): \(explanation)")
    }

    func has(_ key: String) -> Bool { table[key] != nil }

    mutating func value(_ key: String) -> TOMLTable.Entry? {
        known.append(key)
        return table[key]
    }

    /// A finite real number (integers are accepted and converted), checked by `isAllowed`.
    mutating func real(_ key: String, allowed: String, _ isAllowed: (Double) -> Bool = { _ in true }) throws(JobError) -> Double? {
        guard let entry = value(key) else { return nil }
        return try TableReader.real(entry.value, key: qualified(key), line: entry.line, allowed: allowed, isAllowed)
    }

    static func real(_ value: TOMLValue, key: String, line: Int, allowed: String,
                     _ isAllowed: (Double) -> Bool = { _ in true }) throws(JobError) -> Double {
        let x: Double
        switch value {
        case .float(let f): x = f
        case .integer(let i): x = Double(i)
        default:
            throw JobError(line: line, key: key, message: "\(key) = \(value.shortText()) is a \(value.typeName); expected a number (\(allowed))")
        }
        guard x.isFinite, isAllowed(x) else {
            throw JobError(line: line, key: key, message: "\(key) = \(value.shortText()) is out of range; allowed: \(allowed)")
        }
        return x
    }

    mutating func integer(_ key: String, allowed: String, _ isAllowed: (Int) -> Bool) throws(JobError) -> Int? {
        guard let entry = value(key) else { return nil }
        guard case .integer(let i) = entry.value else {
            throw error(key, "\(qualified(key)) = \(entry.value.shortText()) is a \(entry.value.typeName); expected an integer (\(allowed))")
        }
        guard isAllowed(i) else {
            throw error(key, "\(qualified(key)) = \(i) is out of range; allowed: \(allowed)")
        }
        return i
    }

    mutating func boolean(_ key: String) throws(JobError) -> Bool? {
        guard let entry = value(key) else { return nil }
        guard case .boolean(let b) = entry.value else {
            throw error(key, "\(qualified(key)) = \(entry.value.shortText()) is a \(entry.value.typeName); expected true or false")
        }
        return b
    }

    mutating func string(_ key: String, allowEmpty: Bool = false) throws(JobError) -> String? {
        guard let entry = value(key) else { return nil }
        guard case .string(let s) = entry.value else {
            throw error(key, "\(qualified(key)) = \(entry.value.shortText()) is a \(entry.value.typeName); expected a quoted string")
        }
        guard allowEmpty || !s.isEmpty else { throw error(key, "\(qualified(key)) is empty; expected a non-empty string") }
        return s
    }

    /// A sub-table (`[path.key]` header or inline table).
    mutating func subtable(_ key: String) throws(JobError) -> TOMLTable? {
        guard let entry = value(key) else { return nil }
        guard case .table(let t) = entry.value else {
            throw error(key, "\(qualified(key)) = \(entry.value.shortText()) is a \(entry.value.typeName); expected a table ([\(qualified(key))])")
        }
        return t
    }

    /// Rejects keys that the schema did not read.
    func finish() throws(JobError) {
        for key in table.keys where !known.contains(key) {
            let where_ = path.isEmpty ? "at the top level" : "in [\(path)]"
            throw error(key, "unknown key '\(qualified(key))' \(where_); allowed keys: \(known.joined(separator: ", "))")
        }
    }
}
