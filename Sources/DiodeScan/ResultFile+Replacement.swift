import DiodeHDF5
import Foundation

/// How `ResultFile` changes a file without ever losing results: in place
/// under an undo journal, or by building a temporary copy that is synced and
/// renamed over the original (publish), with the kernel copying the bytes.
extension ResultFile {
    /// The steps of `amendInPlace`, where tests can act through an `AmendHook`
    /// (`.changed` with the open file, the others with nil).
    enum AmendStep: CaseIterable {
        /// The journal is durable; the file is untouched.
        case journalWritten
        /// `change` ran; the file is still open (not yet closed and synced).
        case changed
        /// The file is closed and synced; the journal is not yet removed.
        case synchronized
    }

    typealias AmendHook = (AmendStep, HDF5File?) throws -> Void

    /// Lets `change` edit the root attributes of the uncompressed file at
    /// `path` in place, guarded by an undo journal (`ResultFileJournal`):
    /// journal written and synced, file changed, closed and synced, journal
    /// removed. On an error the file is restored from the journal. Returns
    /// false, having changed nothing, if a result dataset's block cannot be
    /// located (not contiguous, or not allocated): the caller copies instead.
    ///
    /// A reader that holds the file open (with HDF5's file locking) makes
    /// the read-write open fail: then the journal is dropped and false
    /// returned, and the copy goes ahead beside the reader as before. Readers
    /// that skip locking (h5py's `locking=False`) and hold the file across
    /// the finish may see it change under them; they should reopen it.
    ///
    /// Safe because nothing but `change` writes the file meanwhile, and
    /// `change` only sets or removes attributes, which HDF5 stores outside the
    /// datasets' blocks: every byte it can write is in the journal, or lies
    /// past the saved end of the file (undone by truncation).
    static func amendInPlace(_ path: String, hook: AmendHook?, change: (HDF5File) throws -> Void) throws -> Bool {
        var blocks: [Range<Int>] = []
        do {
            let file = try openHDF5(path, mode: .readOnly)
            defer { try? file.close() }
            let doubles = ResultFileLayout.doubleVariables(extras: try extraNames(in: file))
            for name in doubles.map(\.name) + ResultFileLayout.int32Variables.map(\.name) {
                guard let block = try file.openDataset(name).contiguousStorage else { return false }
                blocks.append(block)
            }
        }
        guard let journal = try ResultFileJournal.begin(for: path, keeping: blocks) else { return false }
        do {
            try hook?(.journalWritten, nil)
            let file: HDF5File
            do {
                file = try openHDF5(path, mode: .readWrite)
            } catch ResultFileError.inUse {
                // A reader holds the file (shared lock): the copy, which
                // only reads it, can still go ahead.
                try journal.rollBack()
                return false
            }
            do {
                try change(file)
                try hook?(.changed, file)
                try file.close()
            } catch {
                try? file.close()
                throw error
            }
            try synchronize(path)
            try hook?(.synchronized, nil)
        } catch {
            // If the restore fails too, the journal stays for the next open.
            try? journal.rollBack()
            throw error
        }
        try journal.commit()
        return true
    }

    /// Opens the copy `temporary` for writing, lets `change` edit it (root
    /// attributes), then closes and syncs it. Removes it on failure.
    static func amend(_ temporary: String, for path: String, change: (HDF5File) throws -> Void) throws {
        let file: HDF5File
        do {
            file = try openHDF5(temporary, mode: .readWrite)
        } catch {
            unlink(temporary)
            throw error
        }
        do {
            try change(file)
        } catch {
            abandon(file, at: temporary)
            throw error
        }
        try seal(file, at: temporary)
    }

    /// Closes `file` (open at `temporary`) and syncs it to disk; on failure
    /// removes it.
    static func seal(_ file: HDF5File, at temporary: String) throws {
        do {
            try file.close()
            try synchronize(temporary)
        } catch {
            abandon(file, at: temporary)
            throw error
        }
    }

    /// Closes `file` as far as possible and removes `temporary`.
    static func abandon(_ file: HDF5File, at temporary: String) {
        try? file.close()
        unlink(temporary)
    }

    /// Copies the file `source` to `destination` (created or truncated, with
    /// `source`'s permissions): `copy_file_range`, which copies inside the
    /// kernel (or shares the blocks, on file systems that can), falling back
    /// to reads and writes where the kernel or file system refuses.
    static func copyFile(_ source: String, to destination: String) throws {
        let input = Foundation.open(source, O_RDONLY)
        guard input >= 0 else {
            throw ResultFileError.system(call: "open", path: source, message: posixMessage())
        }
        defer { Foundation.close(input) }
        var status = stat()
        guard fstat(input, &status) == 0 else {
            throw ResultFileError.system(call: "fstat", path: source, message: posixMessage())
        }
        let output = Foundation.open(destination, O_WRONLY | O_CREAT | O_TRUNC, status.st_mode & 0o777)
        guard output >= 0 else {
            throw ResultFileError.system(call: "open", path: destination, message: posixMessage())
        }
        var closed = false
        defer { if !closed { Foundation.close(output) } }
        func fail(_ call: String) -> ResultFileError {
            let error = ResultFileError.system(call: call, path: destination, message: posixMessage())
            Foundation.close(output)
            closed = true
            unlink(destination)
            return error
        }
        var remaining = Int(status.st_size)
        var kernelCopy = true
        while remaining > 0 && kernelCopy {
            guard let copyFileRange = kernelCopyFileRange else {
                kernelCopy = false
                break
            }
            let copied = copyFileRange(input, nil, output, nil, min(remaining, 1 << 30), 0)
            if copied > 0 {
                remaining -= copied
            } else if copied == 0 {
                break
            } else if [EXDEV, ENOSYS, EOPNOTSUPP, EINVAL].contains(errno) && remaining == Int(status.st_size) {
                kernelCopy = false
            } else if errno != EINTR {
                throw fail("copy_file_range")
            }
        }
        if !kernelCopy {
            let bufferSize = 1 << 22
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 4096)
            defer { buffer.deallocate() }
            while remaining > 0 {
                let count = Foundation.read(input, buffer, min(bufferSize, remaining))
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { throw fail("read") }
                var offset = 0
                while offset < count {
                    let written = Foundation.write(output, buffer + offset, count - offset)
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { throw fail("write") }
                    offset += written
                }
                remaining -= count
            }
        }
        guard remaining == 0 else {
            errno = EIO
            throw fail("copy_file_range (\(source) ended early)")
        }
        closed = true
        guard Foundation.close(output) == 0 else {
            unlink(destination)
            throw ResultFileError.system(call: "close", path: destination, message: posixMessage())
        }
    }

    /// Opens `path`, reporting a file locked by another process clearly.
    static func openHDF5(_ path: String, mode: HDF5File.AccessMode) throws -> HDF5File {
        do {
            return try HDF5File.open(path, mode: mode)
        } catch where error.message.contains("unable to lock file") {
            throw ResultFileError.inUse(path: path)
        }
    }

    /// Moves the complete file `temporary` to `path`. Without `replacing`,
    /// fails if `path` exists (hard link, which refuses to replace).
    static func publish(_ temporary: String, as path: String, replacing: Bool) throws {
        try movePublishing(temporary, as: path, replacing: replacing)
        // Make the new directory entry durable too.
        ResultFileJournal.synchronizeDirectory(of: path)
    }

    static func movePublishing(_ temporary: String, as path: String, replacing: Bool) throws {
        if replacing {
            guard rename(temporary, path) == 0 else {
                let message = posixMessage()
                unlink(temporary)
                throw ResultFileError.system(call: "rename", path: path, message: message)
            }
            return
        }
        defer { unlink(temporary) }
        if link(temporary, path) == 0 { return }
        let linkError = errno
        if linkError == EEXIST { throw ResultFileError.fileExists(path: path) }
        // File systems without hard links: check, then rename (not atomic,
        // but no other diodescan writes this path).
        if FileManager.default.fileExists(atPath: path) { throw ResultFileError.fileExists(path: path) }
        guard rename(temporary, path) == 0 else {
            throw ResultFileError.system(call: "rename", path: path, message: posixMessage())
        }
    }

    /// Forces the file's data to stable storage, so that a rename that
    /// publishes it cannot survive a power loss without its contents.
    static func synchronize(_ path: String) throws {
        let descriptor = Foundation.open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw ResultFileError.system(call: "open", path: path, message: posixMessage())
        }
        defer { Foundation.close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw ResultFileError.system(call: "fsync", path: path, message: posixMessage())
        }
    }}


/// glibc's `copy_file_range(2)` (declared only with `_GNU_SOURCE`, so Swift
/// does not see it), looked up once; nil on a C library without it.
private let kernelCopyFileRange: (@convention(c) (
    Int32, UnsafeMutablePointer<Int64>?, Int32, UnsafeMutablePointer<Int64>?, Int, UInt32
) -> Int)? = {
    guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "copy_file_range") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (
        Int32, UnsafeMutablePointer<Int64>?, Int32, UnsafeMutablePointer<Int64>?, Int, UInt32
    ) -> Int).self)
}()
