import CHDF5

/// An open HDF5 object (file, group or dataset): it can carry attributes and
/// is closed when released. The identifier stays inside `DiodeHDF5`.
public class HDF5Object {
    let handle: HDF5Handle
    /// The file path for a file, the path inside the file for other objects.
    public let name: String
    /// The file an object lives in, kept alive as long as the object.
    let owningFile: HDF5File?

    init(name: String, handle: HDF5Handle, owningFile: HDF5File?) {
        self.name = name
        self.handle = handle
        self.owningFile = owningFile
        handle.file = owningFile?.handle
    }

    var id: hid_t { handle.id }
}

/// An object that can hold datasets and groups: a file (its root group) or
/// a group.
public class HDF5Container: HDF5Object {
    /// The file this container belongs to.
    public var file: HDF5File { owningFile ?? (self as! HDF5File) }
}

/// An open HDF5 file. Closed by `close()` or, failing that, when released.
///
/// All calls on a file and its objects must come from one thread (Debian's
/// high-level HDF5 library is not thread-safe); `HDF5File` is therefore not
/// `Sendable`.
public final class HDF5File: HDF5Container {
    /// How `create` treats an existing file at the path.
    public enum CreationMode: Sendable {
        /// Replace an existing file (`H5F_ACC_TRUNC`).
        case truncate
        /// Fail if the file exists (`H5F_ACC_EXCL`).
        case exclusive
    }

    /// How `open` accesses the file.
    public enum AccessMode: Sendable {
        /// `H5F_ACC_RDONLY`.
        case readOnly
        /// `H5F_ACC_RDWR`.
        case readWrite
        /// Read-only as a single-writer/multiple-reader (SWMR) reader
        /// (`H5F_ACC_RDONLY | H5F_ACC_SWMR_READ`): can open a file that a SWMR
        /// writer has open, or left behind when it died.
        case swmrRead
        /// Read-write as a SWMR writer (`H5F_ACC_RDWR | H5F_ACC_SWMR_WRITE`).
        case swmrWrite
    }

    /// The on-disk format versions a new file may use.
    public enum FormatVersion: Sendable {
        /// The library's default: the oldest format that can hold the data,
        /// readable by every HDF5 ≥ 1.8 tool.
        case compatible
        /// `H5Pset_libver_bounds(LATEST, LATEST)`: required for SWMR; readers
        /// need HDF5 ≥ 1.10.
        case latest
    }

    /// The path the file was created or opened with.
    public var path: String { name }
    private var isOpen = true

    private init(path: String, id: hid_t) {
        super.init(name: path, handle: HDF5Handle(id) { H5Fclose($0) }, owningFile: nil)
    }

    /// Creates a file at `path`.
    public static func create(
        _ path: String, mode: CreationMode, format: FormatVersion = .compatible
    ) throws(HDF5Error) -> HDF5File {
        HDF5Library.silenceAutomaticErrorPrinting()
        let flags = mode == .truncate ? chdf5_f_acc_trunc() : chdf5_f_acc_excl()
        let id = try withFileAccessList(format: format, path: path) { fapl throws(HDF5Error) in
            try checkID(H5Fcreate(path, flags, chdf5_p_default(), fapl), "H5Fcreate", object: path)
        }
        return HDF5File(path: path, id: id)
    }

    /// Opens an existing file at `path`.
    public static func open(_ path: String, mode: AccessMode) throws(HDF5Error) -> HDF5File {
        HDF5Library.silenceAutomaticErrorPrinting()
        let flags: UInt32
        let format: FormatVersion
        switch mode {
        case .readOnly: flags = chdf5_f_acc_rdonly(); format = .compatible
        case .readWrite: flags = chdf5_f_acc_rdwr(); format = .compatible
        case .swmrRead: flags = chdf5_f_acc_rdonly() | chdf5_f_acc_swmr_read(); format = .compatible
        case .swmrWrite: flags = chdf5_f_acc_rdwr() | chdf5_f_acc_swmr_write(); format = .latest
        }
        let id = try withFileAccessList(format: format, path: path) { fapl throws(HDF5Error) in
            try checkID(H5Fopen(path, flags, fapl), "H5Fopen", object: path)
        }
        return HDF5File(path: path, id: id)
    }

    /// Switches a file opened read-write (created with `.latest` format) to
    /// SWMR writing (`H5Fstart_swmr_write`). Afterwards objects and
    /// attributes may only be written, not created or deleted.
    public func startSWMRWrite() throws(HDF5Error) {
        try checkStatus(H5Fstart_swmr_write(handle.id), "H5Fstart_swmr_write", object: path)
    }

    /// Writes every buffer of the file to the operating system (`H5Fflush`).
    public func flush() throws(HDF5Error) {
        try checkStatus(H5Fflush(handle.id, H5F_SCOPE_GLOBAL), "H5Fflush", object: path)
    }

    /// Closes the file and every object still open in it (the file is opened
    /// with `H5F_CLOSE_STRONG`); using its objects afterwards throws.
    ///
    /// A failed close is not repeated (not even when the file is released):
    /// the identifier is given up either way.
    public func close() throws(HDF5Error) {
        guard isOpen else { return }
        isOpen = false
        try checkStatus(handle.close(), "H5Fclose", object: path)
    }

    /// The size of HDF5's data sieve buffer for this file, bytes (0: none;
    /// every file is opened without one).
    public var sieveBufferSize: Int {
        get throws(HDF5Error) {
            let fapl = try checkID(H5Fget_access_plist(handle.id), "H5Fget_access_plist", object: path)
            defer { H5Pclose(fapl) }
            var size = 0
            try checkStatus(H5Pget_sieve_buf_size(fapl, &size), "H5Pget_sieve_buf_size", object: path)
            return size
        }
    }

    /// Whether the file is in SWMR write mode.
    public var isSWMRWriting: Bool {
        get throws(HDF5Error) {
            var intent: UInt32 = 0
            try checkStatus(H5Fget_intent(handle.id, &intent), "H5Fget_intent", object: path)
            return intent & chdf5_f_acc_swmr_write() != 0
        }
    }

    private static func withFileAccessList<R>(
        format: FormatVersion, path: String, _ body: (hid_t) throws(HDF5Error) -> R
    ) throws(HDF5Error) -> R {
        let fapl = try checkID(H5Pcreate(chdf5_p_file_access()), "H5Pcreate", object: path)
        return try withTemporary(fapl, closer: { H5Pclose($0) }) { fapl throws(HDF5Error) in
            try checkStatus(H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG), "H5Pset_fclose_degree", object: path)
            // Lock the file against concurrent writers, but do not fail on
            // file systems without flock (some parallel file systems).
            try checkStatus(H5Pset_file_locking(fapl, true, true), "H5Pset_file_locking", object: path)
            // No data sieve buffer: HDF5 would read the 64 KiB around every
            // small write from the file before writing it back (for a scan,
            // a read of each result byte before its write), and keep raw
            // data in memory where the file's own readers cannot see it.
            // Without it every write goes straight to the file.
            try checkStatus(H5Pset_sieve_buf_size(fapl, 0), "H5Pset_sieve_buf_size", object: path)
            if format == .latest {
                try checkStatus(
                    H5Pset_libver_bounds(fapl, chdf5_f_libver_latest(), chdf5_f_libver_latest()),
                    "H5Pset_libver_bounds", object: path)
            }
            return try body(fapl)
        }
    }
}

/// A group inside a file.
public final class HDF5Group: HDF5Container {
    init(file: HDF5File, name: String, id: hid_t) {
        super.init(name: name, handle: HDF5Handle(id) { H5Gclose($0) }, owningFile: file)
    }
}

extension HDF5Container {
    /// Creates a group `name` here.
    public func createGroup(_ name: String) throws(HDF5Error) -> HDF5Group {
        let id = try checkID(
            H5Gcreate2(id, name, chdf5_p_default(), chdf5_p_default(), chdf5_p_default()),
            "H5Gcreate2", object: name)
        return HDF5Group(file: file, name: name, id: id)
    }

    /// Opens the existing group `name` here.
    public func openGroup(_ name: String) throws(HDF5Error) -> HDF5Group {
        let id = try checkID(H5Gopen2(id, name, chdf5_p_default()), "H5Gopen2", object: name)
        return HDF5Group(file: file, name: name, id: id)
    }

    /// Whether a link `name` (dataset or group) exists here.
    public func contains(_ name: String) throws(HDF5Error) -> Bool {
        try checkTri(H5Lexists(id, name, chdf5_p_default()), "H5Lexists", object: name)
    }
}
