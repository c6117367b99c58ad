import DiodeScan
import Foundation
import XCTest

/// End-to-end tests of a scan with general axes (docs/jobs.md, "Axes"): four
/// axes, one of them a rotated coordinate, through the built binary alone,
/// with threads, under `mpirun`, interrupted and resumed.
final class ScanAxesIntegrationTests: XCTestCase {
    var directory: URL!

    /// λ = 1 without screening (cheap); the antisymmetric line against Γ,
    /// ΔT and d: 5 × 2 × 2 × 2 = 40 points in 8 tiles of 5.
    static let jobText = """
        title = "integration test: general axes"
        [model]
        mu = 40.0
        lambda = 1.0
        detuning = 0.0
        [grid]
        asymmetry = { from = -4.0, to = 4.0, count = 5 }
        gamma = [1.0, 3.0]
        dT = [0.5, 1.0]
        d = [1.0, 2.0]
        """

    override func setUpWithError() throws {
        directory = try makeScratchDirectory()
        try Self.jobText.write(to: directory.appendingPathComponent("axes.toml"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    var job: String { path("axes.toml") }
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func reference() throws -> ScanResults {
        let run = try ScanProcess([job, "--output", "reference.h5", "--quiet", "--threads", "1"], in: directory)
        XCTAssertEqual(run.wait(), 0, run.stderr)
        let results = try ScanResults(path: path("reference.h5"))
        XCTAssertEqual(results.axes.dimensions.map(\.key), ["d", "dT", "gamma", "asymmetry"])
        XCTAssertEqual(results.axes.values(of: "asymmetry"), [-4, -2, 0, 2, 4])
        XCTAssertEqual(results.completed.count, 8)
        XCTAssertTrue(results.tiles.values.allSatisfy { $0[.statusF].allSatisfy { $0 == 0 } && $0[.statusB].allSatisfy { $0 == 0 } },
                      "every reference point converged")
        return results
    }

    func testSameFileForAnyThreadsAndRanks() throws {
        let reference = try reference()
        let threaded = try ScanProcess([job, "--output", "threads2.h5", "--quiet", "--threads", "2"], in: directory)
        XCTAssertEqual(threaded.wait(), 0, threaded.stderr)
        try ScanResults(path: path("threads2.h5")).assertIdentical(to: reference, "2 threads")
        let mpi = try ScanProcess([job, "--output", "np2.h5", "--quiet", "--threads", "1"], in: directory, mpiRanks: 2)
        XCTAssertEqual(mpi.wait(), 0, mpi.stderr)
        try ScanResults(path: path("np2.h5")).assertIdentical(to: reference, "mpirun -np 2")
    }

    func testInterruptedAndKilledScansResumeIdentically() throws {
        let reference = try reference()
        let run = try ScanProcess([job, "--output", "interrupted.h5", "--threads", "1", "--progress-interval", "0"], in: directory,
                                  environment: ["DIODESCAN_TEST_POINT_DELAY": "0.05"])
        let deadline = Date(timeIntervalSinceNow: 60)
        while Date() < deadline && !run.stderr.split(separator: "\n").contains(where: { ($0.split(separator: "/").first.flatMap { Int($0) } ?? 0) > 0 }) {
            Thread.sleep(forTimeInterval: 0.02)
        }
        run.signal(SIGTERM)
        XCTAssertEqual(run.wait(), 143, run.stderr)
        let partial = try ScanResults(path: path("interrupted.h5"))
        XCTAssertLessThan(partial.completed.count, 8, "the scan was interrupted")
        let resumed = try ScanProcess([job, "--output", "interrupted.h5", "--resume", "--quiet"], in: directory)
        XCTAssertEqual(resumed.wait(), 0, resumed.stderr)
        try ScanResults(path: path("interrupted.h5")).assertIdentical(to: reference, "SIGTERM + resume")

        let killed = try ScanProcess([job, "--output", "killed.h5", "--threads", "2", "--quiet"], in: directory,
                                     environment: ["DIODESCAN_TEST_POINT_DELAY": "0.05"])
        // 40 points × 50 ms on two threads: about 1 s, killed halfway.
        Thread.sleep(forTimeInterval: 0.5)
        killed.signal(SIGKILL)
        killed.wait()
        let afterKill = try ScanProcess([job, "--output", "killed.h5", "--resume", "--quiet"], in: directory)
        XCTAssertEqual(afterKill.wait(), 0, afterKill.stderr)
        try ScanResults(path: path("killed.h5")).assertIdentical(to: reference, "SIGKILL + resume")

        // Resuming a finished file computes nothing and changes no value.
        let again = try ScanProcess([job, "--output", "killed.h5", "--resume", "--quiet"], in: directory)
        XCTAssertEqual(again.wait(), 0, again.stderr)
        try ScanResults(path: path("killed.h5")).assertIdentical(to: reference, "resume of a finished file")
    }

    func testDryRunDescribesEveryAxis() throws {
        let run = try ScanProcess(["--dry-run", job], in: directory)
        XCTAssertEqual(run.wait(), 0, run.stderr)
        for fragment in ["fixed: detuning = 0.0",
                         "grid: asymmetry [-4.0 … 4.0] (5) × gamma [1.0 … 3.0] (2) × dT [0.5 … 1.0] (2) × d [1.0 … 2.0] (2)",
                         "asymmetry: half-difference", "= 40 points in 8 tiles of 5 points (a tile is one asymmetry line",
                         "core-hours"] {
            XCTAssertTrue(run.stdout.contains(fragment), "lacks '\(fragment)': \(run.stdout)")
        }
    }

    func testAJobWithAParameterFixedAndAnAxisIsRejected() throws {
        try (Self.jobText.replacingOccurrences(of: "lambda = 1.0", with: "lambda = 1.0\nd = 1.0"))
            .write(toFile: path("bad.toml"), atomically: true, encoding: .utf8)
        let run = try ScanProcess([path("bad.toml"), "--output", "bad.h5"], in: directory)
        XCTAssertEqual(run.wait(), 2)
        XCTAssertTrue(run.stderr.contains("model.d and grid.d are both set"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("bad.h5")))
    }

    /// `[output] extras`: the reference currents of a tile's first point
    /// (solved cold, as `point` solves it) equal `point --reference --json`,
    /// and the file is the same for 1 and 2 threads.
    func testExtrasEqualPointReferenceAndAreReproducible() throws {
        try """
            [model]
            mu = 40.0
            gamma = 3.0
            lambda = 1.0
            dT = 1.0
            [grid]
            eps1 = [46.0, 47.0]
            eps3 = [44.8, 48.2]
            [output]
            file = "extras.h5"
            extras = ["I_lin", "J_lin", "I_eqT", "J_eqT"]
            """.write(toFile: path("extras.toml"), atomically: true, encoding: .utf8)
        for threads in ["1", "2"] {
            let run = try ScanProcess([path("extras.toml"), "--output", "extras\(threads).h5", "--quiet", "--threads", threads],
                                      in: directory)
            XCTAssertEqual(run.wait(), 0, run.stderr)
        }
        let results = try ScanResults(path: path("extras1.h5"))
        try ScanResults(path: path("extras2.h5")).assertIdentical(to: results, "extras, 2 threads")
        let point = try ScanProcess([], in: directory, replacingArguments: [
            "point", "--eps1", "46", "--eps3", "48.2", "--gamma", "3", "--lambda", "1", "--dT", "1", "--reference", "--json"])
        XCTAssertEqual(point.wait(), 0, point.stderr)
        // Numbers parsed with Double(String) (shortest round-trip text);
        // Foundation's JSON parser on Linux is not exact in the last bit.
        let halves = point.stdout.components(separatedBy: "\"backward\"")
        XCTAssertEqual(halves.count, 2, point.stdout)
        func number(_ key: String, in text: String) -> Double? {
            guard let range = text.range(of: "\"\(key)\": ") else { return nil }
            return Double(text[range.upperBound...].prefix { !",}] ".contains($0) })
        }
        let tile = try XCTUnwrap(results.tiles[TileIndex([1])], "the eps3 = 48.2 tile (axes eps3, eps1)")
        for (text, configuration, fields) in [(halves[0], "forward", [TileValues.DoubleField.iLinF, .jLinF, .iEqTF, .jEqTF]),
                                              (halves.last ?? "", "backward", [.iLinB, .jLinB, .iEqTB, .jEqTB])] {
            for (key, field) in zip(["I_lin", "J_lin", "I_eqT", "J_eqT"], fields) {
                let value = try XCTUnwrap(number(key, in: text), "\(configuration).\(key) in \(point.stdout)")
                XCTAssertEqual(tile[field, 0].bitPattern, value.bitPattern, "\(configuration).\(key): \(tile[field, 0]) vs \(value)")
            }
        }
    }
}
