/// Why a job file was rejected: a TOML syntax error or a schema violation.
///
/// The message names the key (as a dotted path such as `model.lambda`), the
/// value found and what is allowed. The CLI prints it and exits with status 2
/// before any work is done.
public struct JobError: Error, Equatable, CustomStringConvertible {
    /// 1-based line of the offending key in the job file, when known.
    public var line: Int?
    /// Dotted path of the offending key (`grid.eps1`), empty for syntax errors.
    public var key: String
    public var message: String

    public init(line: Int?, key: String, message: String) {
        self.line = line
        self.key = key
        self.message = message
    }

    init(_ syntax: TOMLError) {
        self.init(line: syntax.line, key: "", message: syntax.message)
    }

    /// One line: `line N: message`. Values are quoted short where the
    /// message is made; a message still longer than 500 characters (a huge
    /// key, say) is cut, and line breaks in it are shown as `\n`.
    public var description: String {
        var text = message.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
        text = TOMLValue.shorten(text, limit: 500)
        if let line { return "line \(line): \(text)" }
        return text
    }
}
