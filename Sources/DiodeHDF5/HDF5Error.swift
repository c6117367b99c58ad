import CHDF5

/// A failed HDF5 call, thrown by every throwing API of `DiodeHDF5`.
///
/// HDF5 normally prints its whole error stack to stderr; `DiodeHDF5` turns that
/// off on the calling thread and instead captures the stack when a call fails,
/// keeping the innermost (most specific) message. `description` is one line,
/// e.g. `H5Fopen failed for 'out.h5': unable to open file: ... No such file`.
public struct HDF5Error: Error, CustomStringConvertible, Sendable, Equatable {
    /// The HDF5 function that failed, e.g. `"H5Dwrite"`.
    public let call: String
    /// The file, dataset or attribute involved, if known.
    public let object: String?
    /// HDF5's explanation (innermost message of its error stack), or ours.
    public let message: String

    public init(call: String, object: String? = nil, message: String) {
        self.call = call
        self.object = object
        self.message = message
    }

    public var description: String {
        let subject = object.map { " for '\($0)'" } ?? ""
        // One line: HDF5's own messages may hold line breaks.
        let text = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        return text.isEmpty ? "\(call) failed\(subject)" : "\(call) failed\(subject): \(text)"
    }
}

/// Library-wide setup and checks shared by the wrappers.
enum HDF5Library {
    /// Turns off HDF5's automatic printing of error stacks. The setting is per
    /// thread in Debian's thread-safe build, so every entry point (file
    /// create/open) calls it; DiodeHDF5 is used from one thread only.
    static func silenceAutomaticErrorPrinting() {
        _ = skipLibraryCleanupAtExit
        _ = H5Eset_auto2(chdf5_e_default(), nil, nil)
    }

    /// `H5dont_atexit()`, once, before the first call that initialises the
    /// library: HDF5's exit handler closes every file still open, and one
    /// whose close already failed (a full disk) crashes it. diodescan never
    /// relies on it: files are closed explicitly or when released, and a
    /// scanning file survives even a SIGKILL.
    nonisolated(unsafe) static let skipLibraryCleanupAtExit: Void = {
        _ = H5dont_atexit()
    }()

    /// The innermost message of the current thread's error stack, or "".
    static func currentErrorMessage() -> String {
        final class Collector { var messages: [String] = [] }
        let collector = Collector()
        let unmanaged = Unmanaged.passRetained(collector)
        defer { unmanaged.release() }
        _ = H5Ewalk2(chdf5_e_default(), H5E_WALK_DOWNWARD, { _, error, context in
            guard let error, let context, let description = error.pointee.desc else { return 0 }
            let collector = Unmanaged<AnyObject>.fromOpaque(context).takeUnretainedValue() as! Collector
            collector.messages.append(String(cString: description))
            return 0
        }, unmanaged.toOpaque())
        _ = H5Eclear2(chdf5_e_default())
        return collector.messages.last ?? ""
    }
}

/// Throws an `HDF5Error` for `call` if `status` (an `herr_t`) is negative.
@inline(__always)
func checkStatus(_ status: herr_t, _ call: @autoclosure () -> String, object: @autoclosure () -> String? = nil) throws(HDF5Error) {
    if status < 0 {
        throw HDF5Error(call: call(), object: object(), message: HDF5Library.currentErrorMessage())
    }
}

/// Returns `id` or throws an `HDF5Error` for `call` if it is negative.
@inline(__always)
func checkID(_ id: hid_t, _ call: @autoclosure () -> String, object: @autoclosure () -> String? = nil) throws(HDF5Error) -> hid_t {
    if id < 0 {
        throw HDF5Error(call: call(), object: object(), message: HDF5Library.currentErrorMessage())
    }
    return id
}

/// Returns `value` (an `htri_t`) as a Bool or throws if it is negative.
@inline(__always)
func checkTri(_ value: htri_t, _ call: @autoclosure () -> String, object: @autoclosure () -> String? = nil) throws(HDF5Error) -> Bool {
    if value < 0 {
        throw HDF5Error(call: call(), object: object(), message: HDF5Library.currentErrorMessage())
    }
    return value > 0
}

/// An HDF5 identifier that is closed at most once: by `close()` or, failing
/// that, when the owner goes away.
///
/// A failed close (say, a full disk while HDF5 flushes the file) still
/// counts as the close: HDF5 has torn the object down as far as it got, and
/// closing it again (as a `deinit` used to) crashed inside the library. The
/// same holds for the objects of a file that was closed: with
/// `H5F_CLOSE_STRONG` the file's close closed them, successfully or not, so
/// they are not closed again.
final class HDF5Handle {
    let id: hid_t
    private let closer: (hid_t) -> herr_t
    /// Whether `close()` ran (whatever its result).
    private(set) var isClosed = false
    /// The handle of the file this object lives in (nil for a file).
    var file: HDF5Handle?

    init(_ id: hid_t, closer: @escaping (hid_t) -> herr_t) {
        self.id = id
        self.closer = closer
    }

    /// Closes the identifier once; later calls return success and do nothing.
    func close() -> herr_t {
        guard !isClosed else { return 0 }
        isClosed = true
        if let file, file.isClosed { return 0 }
        return closer(id)
    }

    deinit {
        // Closing an identifier that the library already invalidated (for
        // example by closing its file) fails harmlessly; nothing to report.
        guard !isClosed, !(file?.isClosed ?? false) else { return }
        if H5Iis_valid(id) > 0 { _ = closer(id) }
    }
}

/// Runs `body` with a temporary identifier closed afterwards.
func withTemporary<R>(
    _ id: hid_t, closer: (hid_t) -> herr_t, _ body: (hid_t) throws(HDF5Error) -> R
) throws(HDF5Error) -> R {
    defer { _ = closer(id) }
    return try body(id)
}
