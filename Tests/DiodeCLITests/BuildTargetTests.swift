import DiodeScan
import Foundation
import XCTest

/// The build target of the tested binary (scripts/build-flags.sh) and the
/// start-up guard of a tuned build (Sources/CBuildTarget/build_target.c).
final class BuildTargetTests: XCTestCase {
    /// `diodescan --version` names the target; a tuned binary on a CPU that
    /// lacks its features (simulated) refuses in one line with exit 1 before
    /// doing anything; a portable one ignores the simulation.
    func testTunedBinaryRefusesAnOlderCPUInOneLine() throws {
        let version = try DiodescanProcess.run(["--version"])
        XCTAssertEqual(version.status, 0, version.stderr)
        let line = version.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(line.hasPrefix("diodescan \(BuildInfo.version), built for "), line)
        let target = String(line.split(separator: " ").last ?? "")
        XCTAssertTrue(["haswell", "x86-64", "aarch64", "baseline"].contains(target), line)

        var environment = ProcessInfo.processInfo.environment
        environment["DIODESCAN_SIMULATE_OLD_CPU"] = "1"
        let point = try DiodescanProcess.run(
            ["point", "--eps1", "45", "--eps3", "44.8", "--gamma", "3", "--lambda", "1", "--json"],
            environment: environment)
        if target == "haswell" {
            XCTAssertEqual(point.status, 1, point.stderr)
            XCTAssertEqual(point.stdout, "")
            let lines = point.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, point.stderr)
            XCTAssertTrue(point.stderr.hasPrefix("diodescan: this binary was built for Haswell-class x86-64 CPUs"),
                          point.stderr)
            XCTAssertTrue(point.stderr.contains("DIODESCAN_CPU=portable"), point.stderr)
        } else {
            XCTAssertEqual(point.status, 0, point.stderr)
            XCTAssertTrue(point.stdout.contains("\"forward\""), point.stdout)
        }
    }

    /// scripts/build-flags.sh: no flags for a portable build, the tuned
    /// flags (with the guard's define) for haswell, one line and exit 2 for
    /// anything else.
    func testBuildFlagsScript() throws {
        func flags(_ cpu: String) throws -> DiodescanProcess.Output {
            var environment = ProcessInfo.processInfo.environment
            environment["DIODESCAN_CPU"] = cpu
            let script = DiodescanBinary.repository.appendingPathComponent("scripts/build-flags.sh").path
            return try DiodescanProcess.run([script], program: URL(fileURLWithPath: "/bin/bash"),
                                            environment: environment)
        }
        let portable = try flags("portable")
        XCTAssertEqual(portable.status, 0, portable.stderr)
        XCTAssertEqual(portable.stdout, "")
        let wrong = try flags("native")
        XCTAssertEqual(wrong.status, 2)
        XCTAssertEqual(wrong.stderr, "build-flags.sh: DIODESCAN_CPU=native is not allowed; allowed: auto, haswell, portable\n")
        #if arch(x86_64)
        let tuned = try flags("haswell")
        XCTAssertEqual(tuned.status, 0, tuned.stderr)
        XCTAssertEqual(tuned.stdout.split(separator: "\n"),
                       ["-Xswiftc", "-target-cpu", "-Xswiftc", "haswell", "-Xcc", "-DDIODESCAN_TARGET_HASWELL"])
        #endif
        let auto = try flags("auto")
        XCTAssertEqual(auto.status, 0, auto.stderr)
        XCTAssertTrue(auto.stdout.isEmpty || auto.stdout.contains("haswell"), auto.stdout)
    }
}
