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

    public var description: String {
        if let line { return "line \(line): \(message)" }
        return message
    }
}
