import Foundation
import XCTest
@testable import DiodeScan

/// The POSIX helpers (`posixMessage`, `SystemCallError`, `FileDescriptorIO`).
final class SystemErrorTests: XCTestCase {
    private func temporaryFile() throws -> (path: String, descriptor: Int32) {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("diodescan-system-error-\(UUID().uuidString)").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
        XCTAssertGreaterThanOrEqual(descriptor, 0, posixMessage())
        addTeardownBlock { close(descriptor); unlink(path) }
        return (path, descriptor)
    }

    func testMessagesAreStrerrorsText() {
        XCTAssertEqual(posixMessage(ENOENT), "No such file or directory")
        errno = EACCES
        XCTAssertEqual(posixMessage(), "Permission denied")
        XCTAssertEqual(SystemCallError("open", code: ENOENT).description, "open: No such file or directory")
    }

    func testWriteAllThenReadBack() throws {
        let file = try temporaryFile()
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try FileDescriptorIO.writeAll(file.descriptor, bytes)
        XCTAssertEqual(try FileDescriptorIO.read(file.descriptor, count: bytes.count, at: 0), bytes)
        // At an offset, without moving the position.
        try FileDescriptorIO.writeAll(file.descriptor, [1, 2, 3], at: 10)
        XCTAssertEqual(try FileDescriptorIO.read(file.descriptor, count: 5, at: 9), [bytes[9], 1, 2, 3, bytes[13]])
        XCTAssertEqual(lseek(file.descriptor, 0, SEEK_CUR), off_t(bytes.count))
        try FileDescriptorIO.writeAll(file.descriptor, [])
        XCTAssertEqual(try FileDescriptorIO.read(file.descriptor, count: 0, at: 0), [])
    }

    func testReadingPastTheEndIsAnError() throws {
        let file = try temporaryFile()
        try FileDescriptorIO.writeAll(file.descriptor, [1, 2, 3])
        XCTAssertThrowsError(try FileDescriptorIO.read(file.descriptor, count: 4, at: 0)) { error in
            XCTAssertEqual(error as? SystemCallError, SystemCallError("pread", code: EIO))
        }
    }

    func testFailuresNameTheCallAndErrno() {
        XCTAssertThrowsError(try FileDescriptorIO.writeAll(-1, [1])) { error in
            XCTAssertEqual(error as? SystemCallError, SystemCallError("write", code: EBADF))
        }
        XCTAssertThrowsError(try FileDescriptorIO.writeAll(-1, [1], at: 0)) { error in
            XCTAssertEqual(error as? SystemCallError, SystemCallError("pwrite", code: EBADF))
        }
        XCTAssertThrowsError(try FileDescriptorIO.read(-1, count: 1, at: 0)) { error in
            XCTAssertEqual(error as? SystemCallError, SystemCallError("pread", code: EBADF))
        }
    }
}
