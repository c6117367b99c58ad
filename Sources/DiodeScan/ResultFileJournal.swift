import Foundation

/// An undo journal that makes changing an uncompressed result file's root
/// attributes in place (finishing it, or taking a finished file back to the
/// scanning stage) as crash-safe as copying the whole file would be.
///
/// ## Why it is safe
/// The result datasets are contiguous and allocated when the file is created;
/// HDF5 writes their blocks only when their elements are written, which an
/// attribute change never does. So an attribute change touches only the
/// bytes *outside* those blocks (object headers, heaps, free space, the
/// superblock) and may extend the file. Before the change,
/// `begin(for:keeping:)` saves every byte outside the blocks (a few hundred
/// KB, whatever the grid size) and the file's size in `<path>.journal`, with a
/// checksum, and makes the journal durable (fsync of it and its directory).
/// Then the file is changed and synced, and `commit()` removes the journal
/// (the commit point). At any moment, therefore:
/// - no journal, or an incomplete one (bad length or checksum: killed while
///   writing it, so the file was not touched yet): the file is complete,
///   of the new stage or the old one; an incomplete journal is deleted;
/// - a complete journal: the change may be partly on disk; writing the saved
///   bytes back and truncating to the saved size gives the old file again,
///   byte for byte (the dataset blocks were never written). Restoring again
///   after a kill during the restore gives the same result.
///
/// `recover(path:)` does this; every `ResultFile` open path calls it first.
///
/// ## Concurrency
/// The journal's writer holds an exclusive `flock` on the journal from
/// before its first byte until after its removal; `recover` takes the same
/// lock without waiting, so it never restores under a live writer (it throws
/// `ResultFileError.inUse`), and both re-check after locking that the path
/// still names the journal they locked (the other side may have removed it).
///
/// ## Format (little-endian)
/// `"DSJRNL01"`, file size (UInt64), range count n (UInt64), n × (offset,
/// length) (UInt64 each), the ranges' bytes in order, FNV-1a 64 of
/// everything before it (UInt64).
///
/// A class so that the journal's descriptor is closed exactly once.
final class ResultFileJournal {
    /// The saved state of the file.
    struct Contents: Equatable {
        var fileSize: Int
        var ranges: [(offset: Int, bytes: [UInt8])]

        static func == (lhs: Contents, rhs: Contents) -> Bool {
            lhs.fileSize == rhs.fileSize && lhs.ranges.elementsEqual(rhs.ranges) { $0 == $1 }
        }
    }

    /// The journal's path for the result file at `path`.
    static func path(for path: String) -> String { path + ".journal" }

    let filePath: String
    let contents: Contents
    /// The journal, open and locked until `commit` or `rollBack` (-1 after).
    private var descriptor: Int32

    private static let magic = Array("DSJRNL01".utf8)
    /// The first bytes of an HDF5 file whose base address is 0 (no user
    /// block), where `H5Dget_offset`'s addresses are file offsets.
    private static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Saves every byte of the file at `path` outside `untouched` (byte
    /// ranges HDF5 will not write, sorted or not) in a durable journal and
    /// returns it, locked. Returns nil, without a journal, when the ranges
    /// cannot be trusted as file offsets (the file does not start with the
    /// HDF5 signature, or a range overlaps another or the end of the file):
    /// the caller then copies the file instead.
    static func begin(for path: String, keeping untouched: [Range<Int>]) throws -> ResultFileJournal? {
        let file = try ResultFileJournal.open(path, O_RDONLY)
        defer { Foundation.close(file) }
        let size = try fileSize(of: file, path: path)
        guard try read(file, at: 0, count: hdf5Signature.count, path: path) == hdf5Signature else { return nil }
        var saved: [(offset: Int, bytes: [UInt8])] = []
        var position = 0
        for block in untouched.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            guard block.lowerBound >= position, block.upperBound <= size else { return nil }
            if block.lowerBound > position {
                saved.append((position, try read(file, at: position, count: block.lowerBound - position, path: path)))
            }
            position = block.upperBound
        }
        if position < size { saved.append((position, try read(file, at: position, count: size - position, path: path))) }
        let contents = Contents(fileSize: size, ranges: saved)

        let journalPath = Self.path(for: path)
        let descriptor = Foundation.open(journalPath, O_RDWR | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else {
            if errno == EEXIST { throw ResultFileError.inUse(path: path) }
            throw systemError("open", journalPath)
        }
        do {
            // A recoverer may have deleted the empty journal between our
            // open and our lock: then it is not ours any more.
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0, try namesSameFile(descriptor, journalPath) else {
                throw ResultFileError.inUse(path: path)
            }
            try write(encode(contents), to: descriptor, path: journalPath)
            guard fsync(descriptor) == 0 else { throw systemError("fsync", journalPath) }
            synchronizeDirectory(of: path)
        } catch {
            if (try? namesSameFile(descriptor, journalPath)) == true { unlink(journalPath) }
            Foundation.close(descriptor)
            throw error
        }
        return ResultFileJournal(filePath: path, contents: contents, descriptor: descriptor)
    }

    /// Removes the journal (the change it guarded is on disk: the commit
    /// point) and releases it.
    func commit() throws {
        guard descriptor >= 0 else { return }
        defer { release() }
        guard unlink(Self.path(for: filePath)) == 0 else { throw Self.systemError("unlink", Self.path(for: filePath)) }
        Self.synchronizeDirectory(of: filePath)
    }

    /// Restores the file from the journal (after a failed change), then
    /// removes the journal and releases it. If this fails, the journal
    /// stays, and the next open restores the file.
    func rollBack() throws {
        guard descriptor >= 0 else { return }  // already committed or rolled back
        defer { release() }
        try Self.restore(filePath, from: contents)
        guard unlink(Self.path(for: filePath)) == 0 else { throw Self.systemError("unlink", Self.path(for: filePath)) }
        Self.synchronizeDirectory(of: filePath)
    }

    /// What `recover(path:)` found.
    enum Recovery: Equatable {
        /// No journal.
        case none
        /// An incomplete journal (the file was never touched), deleted.
        case discardedIncomplete
        /// A complete journal, written back into the file, then deleted.
        case restored
    }

    /// Undoes an interrupted in-place change of the file at `path`, if a
    /// journal says there was one (see the type's documentation).
    ///
    /// - Throws: `ResultFileError.inUse` if another process holds the
    ///   journal (it is changing the file right now);
    ///   `ResultFileError.interruptedFinish` if the journal is complete but
    ///   cannot be applied (for example, no write access).
    @discardableResult
    static func recover(path: String) throws -> Recovery {
        let journalPath = Self.path(for: path)
        let descriptor = Foundation.open(journalPath, O_RDWR)
        guard descriptor >= 0 else {
            // No journal, or none can exist at that name.
            if errno == ENOENT || errno == ENOTDIR || errno == ENAMETOOLONG { return .none }
            throw ResultFileError.interruptedFinish(path: path, reason: "open: \(posixMessage())")
        }
        defer { Foundation.close(descriptor) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { throw ResultFileError.inUse(path: path) }
        // Committed or recovered by its owner while we waited to lock it.
        guard try namesSameFile(descriptor, journalPath) else { return .none }
        let bytes = try readAll(descriptor, path: journalPath)
        guard let contents = decode(bytes), FileManager.default.fileExists(atPath: path) else {
            // Incomplete: killed while writing the journal, before the file
            // was touched. (A journal without its file guards nothing.)
            guard unlink(journalPath) == 0 else { throw systemError("unlink", journalPath) }
            synchronizeDirectory(of: path)
            return .discardedIncomplete
        }
        do {
            try restore(path, from: contents)
        } catch let error as ResultFileError {
            throw ResultFileError.interruptedFinish(path: path, reason: error.description)
        }
        guard unlink(journalPath) == 0 else { throw systemError("unlink", journalPath) }
        synchronizeDirectory(of: path)
        return .restored
    }

    // MARK: Private

    private init(filePath: String, contents: Contents, descriptor: Int32) {
        self.filePath = filePath
        self.contents = contents
        self.descriptor = descriptor
    }

    deinit { release() }

    /// Closes the journal (releasing its lock), once.
    private func release() {
        if descriptor >= 0 { Foundation.close(descriptor) }
        descriptor = -1
    }

    /// Writes the saved bytes back, truncates to the saved size, syncs.
    private static func restore(_ path: String, from contents: Contents) throws {
        let file = try open(path, O_WRONLY)
        defer { Foundation.close(file) }
        for range in contents.ranges {
            do {
                try FileDescriptorIO.writeAll(file, range.bytes, at: range.offset)
            } catch {
                throw systemError(error, path)
            }
        }
        guard ftruncate(file, off_t(contents.fileSize)) == 0 else { throw systemError("ftruncate", path) }
        guard fsync(file) == 0 else { throw systemError("fsync", path) }
    }

    static func encode(_ contents: Contents) -> [UInt8] {
        var bytes = magic
        func append(_ value: Int) { withUnsafeBytes(of: UInt64(value).littleEndian) { bytes += $0 } }
        append(contents.fileSize)
        append(contents.ranges.count)
        for range in contents.ranges {
            append(range.offset)
            append(range.bytes.count)
        }
        for range in contents.ranges { bytes += range.bytes }
        withUnsafeBytes(of: checksum(bytes[...]).littleEndian) { bytes += $0 }
        return bytes
    }

    /// The journal's contents, or nil unless it is complete (exact length,
    /// checksum).
    static func decode(_ bytes: [UInt8]) -> Contents? {
        var position = 0
        func nextWord() -> UInt64? {
            guard position + 8 <= bytes.count else { return nil }
            var value: UInt64 = 0
            for index in (0..<8).reversed() { value = value << 8 | UInt64(bytes[position + index]) }
            position += 8
            return value
        }
        func next() -> Int? { nextWord().flatMap { $0 <= UInt64(Int.max) ? Int($0) : nil } }
        guard bytes.count >= magic.count + 24, Array(bytes[0..<magic.count]) == magic else { return nil }
        position = magic.count
        guard let fileSize = next(), let count = next(), count <= bytes.count / 16 else { return nil }
        var extents: [(offset: Int, length: Int)] = []
        for _ in 0..<count {
            guard let offset = next(), let length = next() else { return nil }
            extents.append((offset, length))
        }
        var ranges: [(offset: Int, bytes: [UInt8])] = []
        for extent in extents {
            guard extent.length <= bytes.count - position else { return nil }
            ranges.append((extent.offset, Array(bytes[position..<(position + extent.length)])))
            position += extent.length
        }
        let body = position
        guard position + 8 == bytes.count, let stored = nextWord(), stored == checksum(bytes[..<body])
        else { return nil }
        return Contents(fileSize: fileSize, ranges: ranges)
    }

    /// FNV-1a, 64 bit: detects a torn or truncated journal.
    private static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }

    private static func open(_ path: String, _ flags: Int32) throws -> Int32 {
        let descriptor = Foundation.open(path, flags)
        guard descriptor >= 0 else { throw systemError("open", path) }
        return descriptor
    }

    private static func fileSize(of descriptor: Int32, path: String) throws -> Int {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw systemError("fstat", path) }
        return Int(status.st_size)
    }

    /// Whether `path` still names the file open as `descriptor`.
    private static func namesSameFile(_ descriptor: Int32, _ path: String) throws -> Bool {
        var opened = stat(), named = stat()
        guard fstat(descriptor, &opened) == 0 else { throw systemError("fstat", path) }
        guard stat(path, &named) == 0 else { return false }
        return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino
    }

    private static func read(_ descriptor: Int32, at offset: Int, count: Int, path: String) throws -> [UInt8] {
        do {
            return try FileDescriptorIO.read(descriptor, count: count, at: offset)
        } catch {
            throw systemError(error, path)
        }
    }

    private static func readAll(_ descriptor: Int32, path: String) throws -> [UInt8] {
        try read(descriptor, at: 0, count: fileSize(of: descriptor, path: path), path: path)
    }

    private static func write(_ bytes: [UInt8], to descriptor: Int32, path: String) throws {
        do {
            try FileDescriptorIO.writeAll(descriptor, bytes)
        } catch {
            throw systemError(error, path)
        }
    }

    /// Makes directory entries under `path`'s directory durable (best
    /// effort: some file systems refuse fsync on directories).
    static func synchronizeDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let descriptor = Foundation.open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY)
        if descriptor >= 0 {
            _ = fsync(descriptor)
            Foundation.close(descriptor)
        }
    }

    /// The failure of `call` on `path`, with the current `errno`.
    private static func systemError(_ call: String, _ path: String) -> ResultFileError {
        ResultFileError.system(call: call, path: path, message: posixMessage())
    }

    private static func systemError(_ error: SystemCallError, _ path: String) -> ResultFileError {
        ResultFileError.system(call: error.call, path: path, message: error.message)
    }
}
