import Foundation

/// The words for an `errno` value, as `strerror` gives them ("No such file
/// or directory"): the one place that turns a system error code into text,
/// so every message about a failed system call reads the same.
///
/// The default reads `errno` at the call site: call it right after the
/// failing call, before anything else can change `errno`.
public func posixMessage(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}

/// A failed system call: which call and its `errno`. Callers that know the
/// path add it to their own error type (`ResultFileError.system`, ...).
public struct SystemCallError: Error, Equatable, CustomStringConvertible {
    /// The call that failed, e.g. "pwrite".
    public var call: String
    /// Its `errno`.
    public var code: Int32

    /// The failure of `call`, with the current `errno` unless `code` is given.
    public init(_ call: String, code: Int32 = errno) {
        self.call = call
        self.code = code
    }

    /// `strerror`'s text of `code`.
    public var message: String { posixMessage(code) }

    public var description: String { "\(call): \(message)" }
}

/// Whole reads and writes on a file descriptor: the system calls may
/// transfer fewer bytes than asked, or be interrupted by a signal (the scan
/// installs handlers for SIGTERM, SIGINT and SIGUSR1), so each loops until
/// every byte is done, retrying `EINTR`.
public enum FileDescriptorIO {
    /// Writes all of `bytes`: at the descriptor's position with `write`, or
    /// at `offset` with `pwrite` (the position is then left alone).
    public static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], at offset: Int? = nil) throws(SystemCallError) {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                if let offset {
                    return pwrite(descriptor, base + done, buffer.count - done, off_t(offset + done))
                }
                return Foundation.write(descriptor, base + done, buffer.count - done)
            }
            if written < 0 && errno == EINTR { continue }
            // 0 bytes for a non-empty write would loop for ever; report it.
            guard written > 0 else { throw SystemCallError(offset == nil ? "write" : "pwrite") }
            done += written
        }
    }

    /// Exactly `count` bytes from `offset` (`pread`); the file ending
    /// before them is an error (`EIO`), not a short result.
    public static func read(_ descriptor: Int32, count: Int, at offset: Int) throws(SystemCallError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return pread(descriptor, base + done, count - done, off_t(offset + done))
            }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { throw SystemCallError("pread", code: got == 0 ? EIO : errno) }
            done += got
        }
        return bytes
    }
}
