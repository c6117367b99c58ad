import CHDF5
@testable import DiodeHDF5
import DiodeTestSupport
import Foundation
import XCTest

/// Issue 13 item 3: on a full disk the explicit close of a file fails, and
/// releasing the file and its datasets afterwards closed them again inside
/// HDF5 (a segfault in H5F close). A failed close must be the last one.
final class HDF5FullDiskTests: XCTestCase {
    func testReleasingAFileWhoseCloseFailedDoesNotCrash() throws {
        guard geteuid() == 0 else { throw XCTSkip("mounting a small tmpfs needs root") }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        guard Self.shell("/bin/mount", ["-t", "tmpfs", "-o", "size=16k", "tmpfs", directory.path]) == 0 else {
            throw XCTSkip("cannot mount a tmpfs here")
        }
        defer { _ = Self.shell("/bin/umount", ["-l", directory.path]) }

        // In a child process: HDF5's exit handler is part of what crashed.
        let helper = Process()
        helper.executableURL = URL(fileURLWithPath: try MPIProcessTests.helperPath())
        helper.arguments = ["close-on-full-disk", directory.path]
        let output = Pipe()
        helper.standardOutput = output
        try helper.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        helper.waitUntilExit()
        XCTAssertEqual(helper.terminationReason, .exit, "the helper crashed (signal \(helper.terminationStatus)): \(text)")
        XCTAssertEqual(helper.terminationStatus, 0, text)
        XCTAssertTrue(text.hasPrefix("failed: H5Fclose failed"), text)
        XCTAssertTrue(text.contains("No space left on device"), text)
        XCTAssertEqual(text.split(separator: "\n").count, 1, text)
    }

    private static func shell(_ program: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
