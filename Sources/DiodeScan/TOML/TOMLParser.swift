/// A strict parser for the subset of TOML 1.0 that job files need.
///
/// Supported: comments, `[table]` and `[a.b]` headers, `key = value` with bare
/// or quoted keys, basic strings (`"..."` with escapes) and literal strings
/// (`'...'`), decimal integers, floats (including exponents, `inf` and `nan`,
/// which are parsed so that validation can reject them by name), booleans,
/// arrays (which may span lines) and inline tables.
///
/// Not supported, and rejected with a line number: dotted keys, arrays of
/// tables, multi-line strings, dates and times, hexadecimal/octal/binary
/// integers.
public enum TOMLParser {
    /// Parses a whole document into its root table.
    public static func parse(_ text: String) throws(TOMLError) -> TOMLTable {
        var parser = Parser(text)
        return try parser.parseDocument()
    }
}

private struct Parser {
    let scalars: [Unicode.Scalar]
    var position = 0
    var line = 1
    /// Arrays and inline tables open around the current position. The
    /// parser recurses into them, so without a limit a file of `[[[[…`
    /// would overflow the stack.
    var nesting = 0
    /// The deepest nesting of arrays and inline tables, and the most parts
    /// of a table header (`[a.b.c]`), that a document may have.
    static let maximumNesting = 32

    init(_ text: String) { scalars = Array(text.unicodeScalars) }

    // MARK: Character helpers

    var current: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }
    func peek(_ offset: Int) -> Unicode.Scalar? {
        position + offset < scalars.count ? scalars[position + offset] : nil
    }

    mutating func advance() {
        if scalars[position] == "\n" { line += 1 }
        position += 1
    }

    func error(_ message: String) -> TOMLError { TOMLError(line: line, message: message) }

    /// Skips spaces and tabs (not newlines).
    mutating func skipBlanks() {
        while let c = current, c == " " || c == "\t" { advance() }
    }

    /// Skips a comment if one starts here (up to, not including, the newline).
    mutating func skipComment() throws(TOMLError) {
        guard current == "#" else { return }
        while let c = current, c != "\n" {
            if c == "\r" && peek(1) == "\n" { break }
            if isForbiddenControl(c) {
                throw error("control character U+\(String(c.value, radix: 16, uppercase: true)) in a comment")
            }
            advance()
        }
    }

    /// Skips blanks, comments and newlines (inside arrays).
    mutating func skipBlanksCommentsAndNewlines() throws(TOMLError) {
        while true {
            skipBlanks()
            try skipComment()
            if current == "\n" {
                advance()
            } else if current == "\r" && peek(1) == "\n" {
                advance(); advance()
            } else {
                return
            }
        }
    }

    /// Requires the rest of the line to be blank or a comment, and consumes the newline.
    mutating func expectEndOfLine() throws(TOMLError) {
        skipBlanks()
        try skipComment()
        if current == nil { return }
        if current == "\n" { advance(); return }
        if current == "\r" && peek(1) == "\n" { advance(); advance(); return }
        throw error("unexpected '\(describe(current!))' after a value; expected the end of the line")
    }

    func describe(_ c: Unicode.Scalar) -> String {
        c.properties.generalCategory == .control ? "U+\(String(c.value, radix: 16, uppercase: true))" : String(c)
    }

    func isForbiddenControl(_ c: Unicode.Scalar) -> Bool {
        (c.value < 0x20 && c != "\t") || c.value == 0x7F
    }

    // MARK: Document

    mutating func parseDocument() throws(TOMLError) -> TOMLTable {
        var root = TOMLTable(line: 1)
        var currentPath: [String] = []
        var explicitlyDefined: Set<[String]> = []

        while true {
            try skipBlanksCommentsAndNewlines()
            guard let c = current else { break }
            if c == "[" {
                let headerLine = line
                advance()
                if current == "[" { throw error("arrays of tables ([[...]]) are not supported") }
                skipBlanks()
                var path = [try parseKey()]
                skipBlanks()
                while current == "." {
                    advance()
                    skipBlanks()
                    guard path.count < Parser.maximumNesting else {
                        throw error("a table header has more than \(Parser.maximumNesting) parts")
                    }
                    path.append(try parseKey())
                    skipBlanks()
                }
                guard current == "]" else { throw error("expected ']' to close the table header") }
                advance()
                guard explicitlyDefined.insert(path).inserted else {
                    throw TOMLError(line: headerLine, message: "table [\(path.joined(separator: "."))] is defined twice")
                }
                try Parser.ensureTable(path[...], in: &root, line: headerLine)
                currentPath = path
                try expectEndOfLine()
            } else {
                let keyLine = line
                let key = try parseKey()
                skipBlanks()
                if current == "." {
                    throw error("dotted keys such as '\(TOMLValue.shorten(key)).…' are not supported; use a [table] header")
                }
                guard current == "=" else { throw error("expected '=' after the key '\(TOMLValue.shorten(key))'") }
                advance()
                skipBlanks()
                let value = try parseValue()
                try Parser.insert(key, TOMLTable.Entry(value: value, line: keyLine), at: currentPath[...], in: &root)
                try expectEndOfLine()
            }
        }
        return root
    }

    /// Creates (or walks into) the tables along `path`.
    static func ensureTable(_ path: ArraySlice<String>, in table: inout TOMLTable, line: Int) throws(TOMLError) {
        guard let first = path.first else { return }
        if let existing = table[first] {
            guard case .table(var child) = existing.value else {
                throw TOMLError(line: line, message: "'\(first)' is already a \(existing.value.typeName) (line \(existing.line)), not a table")
            }
            if child.isInline {
                throw TOMLError(line: line, message: "'\(first)' is an inline table (line \(existing.line)) and cannot be extended by a header")
            }
            try ensureTable(path.dropFirst(), in: &child, line: line)
            table.replace(first, with: .table(child))
        } else {
            var child = TOMLTable(line: line)
            try ensureTable(path.dropFirst(), in: &child, line: line)
            _ = table.insert(first, TOMLTable.Entry(value: .table(child), line: line))
        }
    }

    /// Inserts `key` into the table at `path` (which exists: its header created it).
    static func insert(_ key: String, _ entry: TOMLTable.Entry, at path: ArraySlice<String>, in table: inout TOMLTable) throws(TOMLError) {
        guard let first = path.first else {
            if let existing = table[key] {
                throw TOMLError(line: entry.line, message: "key '\(key)' is defined twice (first on line \(existing.line))")
            }
            _ = table.insert(key, entry)
            return
        }
        guard case .table(var child) = table[first]!.value else { return }
        try insert(key, entry, at: path.dropFirst(), in: &child)
        table.replace(first, with: .table(child))
    }

    // MARK: Keys

    mutating func parseKey() throws(TOMLError) -> String {
        guard let c = current else { throw error("expected a key, found the end of the file") }
        if c == "\"" { return try parseBasicString() }
        if c == "'" { return try parseLiteralString() }
        var key = ""
        while let c = current, isBareKeyCharacter(c) {
            key.unicodeScalars.append(c)
            advance()
        }
        if key.isEmpty { throw error("expected a key, found '\(describe(c))'") }
        return key
    }

    func isBareKeyCharacter(_ c: Unicode.Scalar) -> Bool {
        ("A"..."Z").contains(c) || ("a"..."z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-"
    }

    // MARK: Values

    mutating func parseValue() throws(TOMLError) -> TOMLValue {
        guard let c = current else { throw error("expected a value, found the end of the file") }
        switch c {
        case "\"": return .string(try parseBasicString())
        case "'": return .string(try parseLiteralString())
        case "[": return try parseArray()
        case "{": return try parseInlineTable()
        case "\n", "\r", "#": throw error("expected a value after '='")
        default: return try parseBareValue()
        }
    }

    mutating func parseBasicString() throws(TOMLError) -> String {
        if peek(1) == "\"" && peek(2) == "\"" { throw error("multi-line strings (\"\"\") are not supported") }
        advance()
        var result = ""
        while true {
            guard let c = current, c != "\n" else { throw error("unterminated string") }
            advance()
            if c == "\"" { return result }
            if c == "\\" {
                guard let e = current else { throw error("unterminated string") }
                advance()
                switch e {
                case "b": result.unicodeScalars.append("\u{08}")
                case "t": result.unicodeScalars.append("\t")
                case "n": result.unicodeScalars.append("\n")
                case "f": result.unicodeScalars.append("\u{0C}")
                case "r": result.unicodeScalars.append("\r")
                case "\"": result.unicodeScalars.append("\"")
                case "\\": result.unicodeScalars.append("\\")
                case "u": result.unicodeScalars.append(try parseUnicodeEscape(digits: 4))
                case "U": result.unicodeScalars.append(try parseUnicodeEscape(digits: 8))
                default: throw error("invalid escape '\\\(describe(e))' in a string")
                }
            } else if isForbiddenControl(c) {
                throw error("control character U+\(String(c.value, radix: 16, uppercase: true)) in a string; use an escape")
            } else {
                result.unicodeScalars.append(c)
            }
        }
    }

    mutating func parseUnicodeEscape(digits: Int) throws(TOMLError) -> Unicode.Scalar {
        var hex = ""
        for _ in 0..<digits {
            guard let c = current, c.properties.isASCIIHexDigit else {
                throw error("a \\\(digits == 4 ? "u" : "U") escape needs \(digits) hexadecimal digits")
            }
            hex.unicodeScalars.append(c)
            advance()
        }
        guard let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else {
            throw error("\\\(digits == 4 ? "u" : "U")\(hex) is not a Unicode scalar value")
        }
        return scalar
    }

    mutating func parseLiteralString() throws(TOMLError) -> String {
        if peek(1) == "'" && peek(2) == "'" { throw error("multi-line strings (''') are not supported") }
        advance()
        var result = ""
        while true {
            guard let c = current, c != "\n" else { throw error("unterminated string") }
            advance()
            if c == "'" { return result }
            if isForbiddenControl(c) {
                throw error("control character U+\(String(c.value, radix: 16, uppercase: true)) in a string")
            }
            result.unicodeScalars.append(c)
        }
    }

    mutating func parseArray() throws(TOMLError) -> TOMLValue {
        let openLine = line
        try enterNesting()
        defer { nesting -= 1 }
        advance()
        var items: [TOMLValue] = []
        while true {
            try skipBlanksCommentsAndNewlines()
            guard let c = current else { throw TOMLError(line: openLine, message: "unterminated array") }
            if c == "]" { advance(); return .array(items) }
            items.append(try parseValue())
            try skipBlanksCommentsAndNewlines()
            guard let d = current else { throw TOMLError(line: openLine, message: "unterminated array") }
            if d == "," { advance(); continue }
            if d == "]" { advance(); return .array(items) }
            throw error("expected ',' or ']' in an array, found '\(describe(d))'")
        }
    }

    /// Counts an array or inline table opening here; throws beyond the limit.
    mutating func enterNesting() throws(TOMLError) {
        nesting += 1
        if nesting > Parser.maximumNesting {
            throw error("arrays and inline tables nest more than \(Parser.maximumNesting) deep")
        }
    }

    mutating func parseInlineTable() throws(TOMLError) -> TOMLValue {
        try enterNesting()
        defer { nesting -= 1 }
        var table = TOMLTable(line: line, isInline: true)
        advance()
        skipBlanks()
        if current == "}" { advance(); return .table(table) }
        while true {
            skipBlanks()
            guard let c = current, c != "\n", c != "\r" else {
                throw error("an inline table must be closed with '}' on the same line")
            }
            let keyLine = line
            let key = try parseKey()
            skipBlanks()
            if current == "." { throw error("dotted keys such as '\(TOMLValue.shorten(key)).…' are not supported") }
            guard current == "=" else { throw error("expected '=' after the key '\(TOMLValue.shorten(key))'") }
            advance()
            skipBlanks()
            let value = try parseValue()
            if let existing = table[key] {
                throw TOMLError(line: keyLine, message: "key '\(key)' is defined twice (first on line \(existing.line))")
            }
            _ = table.insert(key, TOMLTable.Entry(value: value, line: keyLine))
            skipBlanks()
            if current == "," { advance(); continue }
            if current == "}" { advance(); return .table(table) }
            throw error("expected ',' or '}' in an inline table")
        }
    }

    /// Booleans, integers and floats: a run of characters up to a delimiter.
    mutating func parseBareValue() throws(TOMLError) -> TOMLValue {
        var token = ""
        while let c = current, isBareValueCharacter(c) {
            token.unicodeScalars.append(c)
            advance()
        }
        if token.isEmpty { throw error("expected a value, found '\(describe(current!))'") }
        switch token {
        case "true": return .boolean(true)
        case "false": return .boolean(false)
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        if let value = Parser.number(token) { return value }
        if token.contains(":") || Parser.looksLikeDate(token) {
            throw error("dates and times are not supported ('\(TOMLValue.shorten(token))')")
        }
        if token.hasPrefix("0x") || token.hasPrefix("0o") || token.hasPrefix("0b") {
            throw error("only decimal integers are supported ('\(TOMLValue.shorten(token))')")
        }
        throw error("'\(TOMLValue.shorten(token))' is not a valid value (strings need quotes)")
    }

    func isBareValueCharacter(_ c: Unicode.Scalar) -> Bool {
        isBareKeyCharacter(c) || c == "+" || c == "." || c == ":"
    }

    static func looksLikeDate(_ token: String) -> Bool {
        let s = Array(token.unicodeScalars)
        return s.count >= 10 && s[4] == "-" && s[7] == "-"
    }

    /// Parses a decimal integer or float token following TOML's rules
    /// (underscores only between digits, no leading zeros, digits around the point).
    static func number(_ token: String) -> TOMLValue? {
        var s = Array(token.unicodeScalars)
        var sign = ""
        if let first = s.first, first == "+" || first == "-" {
            sign = first == "-" ? "-" : ""
            s.removeFirst()
        }
        func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
        // Validates a run of digits with single underscores between digits, returning it without underscores.
        func digits(_ part: ArraySlice<Unicode.Scalar>) -> String? {
            guard let first = part.first, let last = part.last, isDigit(first), isDigit(last) else { return nil }
            var out = ""
            var previousUnderscore = false
            for c in part {
                if c == "_" {
                    if previousUnderscore { return nil }
                    previousUnderscore = true
                } else if isDigit(c) {
                    previousUnderscore = false
                    out.unicodeScalars.append(c)
                } else {
                    return nil
                }
            }
            return out
        }
        let exponentIndex = s.firstIndex(where: { $0 == "e" || $0 == "E" })
        let mantissa = s[..<(exponentIndex ?? s.endIndex)]
        let pointIndex = mantissa.firstIndex(of: ".")
        guard let integerPart = digits(mantissa[..<(pointIndex ?? mantissa.endIndex)]) else { return nil }
        if integerPart.count > 1 && integerPart.hasPrefix("0") { return nil }
        var text = sign + integerPart
        var isFloat = false
        if let pointIndex {
            guard let fraction = digits(mantissa[(pointIndex + 1)...]) else { return nil }
            text += "." + fraction
            isFloat = true
        }
        if let exponentIndex {
            var exponent = s[(exponentIndex + 1)...]
            var exponentSign = ""
            if let first = exponent.first, first == "+" || first == "-" {
                exponentSign = first == "-" ? "-" : ""
                exponent = exponent.dropFirst()
            }
            guard let exponentDigits = digits(exponent) else { return nil }
            text += "e" + exponentSign + exponentDigits
            isFloat = true
        }
        if isFloat {
            return Double(text).map(TOMLValue.float)
        }
        return Int(text).map(TOMLValue.integer)
    }
}
