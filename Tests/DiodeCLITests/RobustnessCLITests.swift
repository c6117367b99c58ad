import DiodeScan
import Foundation
import XCTest

/// Issue 13 end to end: every bad command line, job, output path or full
/// disk gives one line on stderr and exit status 1 or 2 (never a crash, a
/// hang or a usage screen), and a file interrupted by an I/O failure resumes.
final class RobustnessCLITests: XCTestCase {
    var directory: URL!
    let job = DiodescanBinary.repository.appendingPathComponent("jobs/test-small.toml").path

    override func setUpWithError() throws {
        directory = try makeScratchDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Runs `diodescan arguments` in the scratch directory and returns its
    /// exit status and stderr (failing the test after `timeout` seconds).
    private func run(_ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 60,
                     file: StaticString = #filePath, line: UInt = #line) throws -> (status: Int32, stderr: String, stdout: String) {
        let process = try ScanProcess([], in: directory, environment: environment, replacingArguments: arguments)
        let status = process.wait(timeout: timeout, file: file, line: line)
        return (status, process.stderr, process.stdout)
    }

    /// Exit status 2 and exactly one line on stderr containing `fragments`.
    private func assertRejected(_ arguments: [String], mentioning fragments: [String], status: Int32 = 2,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try run(arguments, file: file, line: line)
        XCTAssertEqual(result.status, status, "\(arguments): \(result.stderr)", file: file, line: line)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "one line for \(arguments): \(result.stderr)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(result.stderr.contains(fragment), "\(arguments): '\(result.stderr)' lacks '\(fragment)'",
                          file: file, line: line)
        }
        XCTAssertFalse(result.stderr.contains("NSCocoaErrorDomain"), result.stderr, file: file, line: line)
    }

    private func writeJob(_ name: String, replacing old: String = "", with new: String = "") throws -> String {
        let text = try String(contentsOfFile: job, encoding: .utf8)
        if !old.isEmpty { XCTAssertTrue(text.contains(old), "test-small.toml lacks '\(old)'") }
        try (old.isEmpty ? text : text.replacingOccurrences(of: old, with: new)).write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    // MARK: Command lines (items 2 and 9)

    func testCommandLineErrorsAreOneLineAndStatus2() throws {
        let point = ["point", "--eps1", "45", "--eps3", "48"]
        try assertRejected(point + ["--gamma", "abc"], mentioning: ["'abc'", "--gamma"])
        try assertRejected(["point", "--eps1", "x1", "--eps3", "48", "--gamma", "1"], mentioning: ["--eps1"])
        try assertRejected(point + ["--gamma", "1", "--bogus"], mentioning: ["--bogus"])
        try assertRejected(point + ["--gamma", "3", "--gamma1", "1"], mentioning: ["--gamma and --gamma1 are both set"])
        try assertRejected(point + ["--gamma", "3", "--gamma3", "1"], mentioning: ["--gamma and --gamma3 are both set"])
        try assertRejected(["scan"], mentioning: ["job"])
        try assertRejected(["scan", job, "--threads", "two"], mentioning: ["--threads"])
        for threads in ["0", "1025", "1000000", "-3"] {
            try assertRejected(["scan", job, "--threads=\(threads)"], mentioning: ["--threads \(threads) is out of range", "1 … 1024"])
        }
        try assertRejected(["scan", job, "--threads", "-3"], mentioning: ["--threads"])
        try assertRejected(["bench", "--threads", "5000"], mentioning: ["--threads 5000 is out of range"])
        try assertRejected(["scan", job, "--output", ""], mentioning: ["--output is empty"])
        try assertRejected(["scan", job, "--resume", "--overwrite"], mentioning: ["exclude each other"])
        XCTAssertEqual(try run(["point", "--help"]).status, 0)
    }

    // MARK: Paths (items 5 and 9)

    func testUnreadableJobsAndBlockedOutputDirectoriesAreOneLine() throws {
        try assertRejected(["scan", directory.path], mentioning: ["cannot read job file", "it is a directory"])
        try assertRejected(["scan", "--dry-run", directory.path], mentioning: ["it is a directory"])
        try assertRejected(["scan", path("missing.toml")], mentioning: ["No such file or directory"])
        XCTAssertTrue(FileManager.default.createFile(atPath: path("plain"), contents: Data()))
        try assertRejected(["scan", job, "--output", "plain/out.h5"], mentioning: ["'plain' is not a directory"])
        try assertRejected(["scan", job, "--output", "new/"], mentioning: ["ends with '/'"])
        try assertRejected(["scan", job, "--output", String(repeating: "a", count: 300) + ".h5"],
                           mentioning: ["the file name is 303 bytes long"])
    }

    func testOverwriteRefusesTheJobFileAndWhatIsNotARegularFile() throws {
        let copy = try writeJob("job.toml")
        let before = try Data(contentsOf: URL(fileURLWithPath: copy))
        try assertRejected(["scan", copy, "--output", copy, "--overwrite"], mentioning: ["it is the job file"])
        try assertRejected(["scan", copy, "--output", "./job.toml", "--overwrite"], mentioning: ["it is the job file"])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: copy)), before)
        XCTAssertEqual(mkfifo(path("fifo"), 0o644), 0)
        try FileManager.default.createDirectory(atPath: path("folder"), withIntermediateDirectories: false)
        for target in ["fifo", "folder"] {
            try assertRejected(["scan", copy, "--output", target, "--overwrite"], mentioning: ["is not a regular file"])
            try assertRejected(["scan", copy, "--output", target], mentioning: ["is not a regular file"])
        }
        var status = stat()
        XCTAssertEqual(stat(path("fifo"), &status), 0)
        XCTAssertEqual(status.st_mode & S_IFMT, S_IFIFO)
    }

    // MARK: Grid sizes (item 4)

    func testAHugeCountIsRefusedBeforeAllocatingAlsoInADryRun() throws {
        let huge = try writeJob("huge.toml", replacing: "count = 6", with: "count = 1000000000000")
        for arguments in [["scan", huge, "--output", "huge.h5"], ["scan", "--dry-run", huge]] {
            let start = Date()
            try assertRejected(arguments, mentioning: ["grid.eps1.count = 1000000000000 is out of range"])
            XCTAssertLessThan(Date().timeIntervalSince(start), 20)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("huge.h5")))
    }

    func testAGridBiggerThanTheFreeSpaceIsRefusedBeforeTheFileIsCreated() throws {
        // 10^5 × 5·10^5 × 2 points: a 14.4 TB file.
        let big = try writeJob("big.toml", replacing: "count = 6", with: "count = 100000")
        let text = try String(contentsOfFile: big, encoding: .utf8)
        let eps3 = text.split(separator: "\n").first { $0.hasPrefix("eps3") }.map(String.init) ?? ""
        XCTAssertFalse(eps3.isEmpty)
        try text.replacingOccurrences(of: eps3, with: "eps3 = { from = 1.0, to = 2.0, count = 500000 }")
            .write(toFile: big, atomically: true, encoding: .utf8)
        try assertRejected(["scan", big, "--output", "big.h5", "--quiet"], mentioning: ["not enough free space", "14.4 TB"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") },
                       ["big.toml"])
    }

    // MARK: Threads that cannot be started (item 2)

    func testThreadsThatCannotStartAreAnErrorAndTheFileResumes() throws {
        // 1000 threads of 8 MiB stacks do not fit in 2 GB of address space.
        let launched = try ScanProcess([], in: directory, replacingArguments: [
            "-c", "ulimit -v 2000000 && exec \"$0\" scan \"$1\" --output limited.h5 --threads 1000 --quiet",
            DiodescanBinary.url.path, job,
        ], program: URL(fileURLWithPath: "/bin/sh"))
        XCTAssertEqual(launched.wait(timeout: 60), 1, launched.stderr)
        XCTAssertEqual(launched.stderr.split(separator: "\n").count, 1, launched.stderr)
        XCTAssertTrue(launched.stderr.contains("cannot start worker thread"), launched.stderr)
        let resumed = try run(["scan", job, "--output", "limited.h5", "--resume", "--quiet", "--threads", "2"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let reference = try run(["scan", job, "--output", "reference.h5", "--quiet", "--threads", "1"])
        XCTAssertEqual(reference.status, 0, reference.stderr)
        try ScanResults(path: path("limited.h5")).assertIdentical(to: ScanResults(path: path("reference.h5")), "resumed")
    }

    // MARK: Full disks (items 3 and 9)

    /// Mounts a tmpfs of `kilobytes` at `name` in the scratch directory
    /// (root only), unmounted at the end of the test.
    private func smallFileSystem(_ name: String, kilobytes: Int) throws -> String {
        guard geteuid() == 0 else { throw XCTSkip("mounting a small tmpfs needs root") }
        let mountPoint = path(name)
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", mountPoint]
        try mount.run()
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else { throw XCTSkip("cannot mount a tmpfs here") }
        addTeardownBlock {
            let unmount = Process()
            unmount.executableURL = URL(fileURLWithPath: "/bin/umount")
            unmount.arguments = ["-l", mountPoint]
            try? unmount.run()
            unmount.waitUntilExit()
        }
        return mountPoint
    }

    func testNoRoomForTheFileIsOneLine() throws {
        let tiny = try smallFileSystem("tiny", kilobytes: 16)
        try assertRejected(["scan", job, "--output", tiny + "/out.h5", "--quiet"], mentioning: ["not enough free space"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tiny), [])
    }

    func testADiskFullMidScanIsOneLineStatus1AndTheFileResumes() throws {
        let small = try smallFileSystem("small", kilobytes: 1400)
        // 90 × 98 cheap points, about 1.3 MB, slowed down so that the disk fills while it runs.
        let mid = try writeJob("mid.toml", replacing: "count = 6", with: "count = 90")
        var text = try String(contentsOfFile: mid, encoding: .utf8)
        let eps3 = text.split(separator: "\n").first { $0.hasPrefix("eps3") }.map(String.init) ?? ""
        text = text.replacingOccurrences(of: eps3, with: "eps3 = { from = 30.0, to = 50.0, count = 98 }")
            .replacingOccurrences(of: "dT = [0.5, 1.0]", with: "dT = [1.0]")
        try text.write(toFile: mid, atomically: true, encoding: .utf8)
        let output = small + "/out.h5"
        let scan = try ScanProcess([mid, "--output", output, "--progress-interval", "0", "--threads", "2"], in: directory,
                                   environment: ["DIODESCAN_TEST_POINT_DELAY": "0.002"])
        let deadline = Date(timeIntervalSinceNow: 60)
        while !scan.stderr.contains("points/s") && scan.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        XCTAssertTrue(scan.process.isRunning, "the scan ended before the disk was filled: \(scan.stderr)")
        // Fill the file system.
        let filler = FileHandle(forWritingAtPath: { FileManager.default.createFile(atPath: small + "/filler", contents: nil); return small + "/filler" }())!
        let block = Data(count: 4096)
        while (try? filler.write(contentsOf: block)) != nil {}
        try? filler.close()
        XCTAssertEqual(scan.wait(timeout: 120), 1, scan.stderr)
        let lines = scan.stderr.split(separator: "\n").filter { !$0.contains("points/s") && !$0.contains(" points (") }
        XCTAssertEqual(lines.count, 1, scan.stderr)
        XCTAssertTrue(lines.first?.contains("cannot write \(output): No space left on device") == true, scan.stderr)
        XCTAssertFalse(scan.stderr.contains("HDF5-DIAG") || scan.stderr.contains("MPI_ABORT"), scan.stderr)

        // Room again: the file resumes, and equals an uninterrupted scan.
        try FileManager.default.removeItem(atPath: small + "/filler")
        let resumed = try run(["scan", mid, "--output", output, "--resume", "--quiet"], timeout: 120)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let reference = try run(["scan", mid, "--output", "reference.h5", "--quiet"], timeout: 120)
        XCTAssertEqual(reference.status, 0, reference.stderr)
        try ScanResults(path: output).assertIdentical(to: ScanResults(path: path("reference.h5")), "resumed after a full disk")
    }

    func testADiskFullWhileFinishingIsOneLineStatus1AndTheFileResumesElsewhere() throws {
        let small = try smallFileSystem("finish", kilobytes: 1400)
        // 90 × 98 points: the scanning file fits (about 0.8 MB on disk), its
        // deflate-compressed rewrite beside it does not.
        let mid = try writeJob("deflate.toml", replacing: "count = 6", with: "count = 90")
        var text = try String(contentsOfFile: mid, encoding: .utf8)
        let eps3 = text.split(separator: "\n").first { $0.hasPrefix("eps3") }.map(String.init) ?? ""
        text = text.replacingOccurrences(of: eps3, with: "eps3 = { from = 30.0, to = 50.0, count = 98 }")
            .replacingOccurrences(of: "dT = [0.5, 1.0]", with: "dT = [1.0]")
            .replacingOccurrences(of: "[output]", with: "[output]\ncompression = \"deflate\"")
        try text.write(toFile: mid, atomically: true, encoding: .utf8)
        let output = small + "/out.h5"
        let failed = try run(["scan", mid, "--output", output, "--quiet"], timeout: 120)
        XCTAssertEqual(failed.status, 1, failed.stderr)
        XCTAssertEqual(failed.stderr.split(separator: "\n").count, 1, failed.stderr)
        XCTAssertTrue(failed.stderr.contains("cannot write \(output): No space left on device"), failed.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: small), ["out.h5"], "no temporary left")

        // Moved where there is room, the file resumes and equals an uninterrupted scan.
        try FileManager.default.copyItem(atPath: output, toPath: path("moved.h5"))
        let resumed = try run(["scan", mid, "--output", "moved.h5", "--resume", "--quiet"], timeout: 120)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let reference = try run(["scan", mid, "--output", "reference.h5", "--quiet"], timeout: 120)
        XCTAssertEqual(reference.status, 0, reference.stderr)
        try ScanResults(path: path("moved.h5")).assertIdentical(to: ScanResults(path: path("reference.h5")), "finished elsewhere")
    }

    // MARK: Two scans at once (item 9)

    func testTwoScansStartedTogetherOnANewOutputLeaveOneFileAndNoTemporary() throws {
        let first = try ScanProcess([job, "--output", "same.h5", "--quiet", "--threads", "1"], in: directory)
        let second = try ScanProcess([job, "--output", "same.h5", "--quiet", "--threads", "1"], in: directory)
        let statuses = [first.wait(), second.wait()]
        XCTAssertTrue(statuses.contains(0), "\(statuses): \(first.stderr) \(second.stderr)")
        XCTAssertTrue(statuses.allSatisfy { $0 == 0 || $0 == 2 }, "\(statuses): \(first.stderr) \(second.stderr)")
        if statuses.contains(2) {
            XCTAssertTrue((first.stderr + second.stderr).contains("already exists"), first.stderr + second.stderr)
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".creating") }
        XCTAssertEqual(left, [])
        let again = try run(["scan", job, "--output", "same.h5", "--resume", "--quiet"])
        XCTAssertEqual(again.status, 0, again.stderr)
    }
}
