import CMPI

/// A failed MPI call, thrown by every throwing API of `DiodeMPI`.
///
/// `description` names the MPI function and carries Open MPI's own message
/// (from `MPI_Error_string`), so the command line can print it as one line.
public struct MPIError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The MPI function that failed, e.g. `"MPI_Recv"`.
    public let call: String
    /// The MPI error code (`MPI_SUCCESS` never appears here).
    public let code: Int32
    /// A human-readable explanation.
    public let message: String

    public init(call: String, code: Int32, message: String) {
        self.call = call
        self.code = code
        self.message = message
    }

    public var description: String { "\(call) failed: \(message)" }
}

/// Throws an `MPIError` for `call` unless `code` is `MPI_SUCCESS`.
@inline(__always)
func checkMPI(_ code: Int32, _ call: @autoclosure () -> String) throws(MPIError) {
    guard code != cmpi_success() else { return }
    throw MPIError(call: call(), code: code, message: mpiErrorString(code))
}

/// Open MPI's explanation of an error code.
func mpiErrorString(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
    var length: Int32 = 0
    guard MPI_Error_string(code, &buffer, &length) == cmpi_success() else {
        return "MPI error code \(code)"
    }
    return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
