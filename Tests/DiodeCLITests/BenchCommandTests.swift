import Foundation
import XCTest

/// `diodescan bench --json`: the shape of the report that tracks performance
/// between versions (never the timings themselves).
final class BenchCommandTests: XCTestCase {
    /// Runs `diodescan bench` with an environment free of an enclosing MPI
    /// singleton's variables (they would make the bench believe it runs under mpirun).
    func bench(_ arguments: [String], mpiRanks: Int? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !["OMPI_", "PMIX_", "OPAL_", "ORTE_", "PRTE_"].contains { key.hasPrefix($0) }
        }
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        let output: DiodescanProcess.Output
        if let ranks = mpiRanks {
            guard let mpirun = DiodescanBinary.mpirun else { throw XCTSkip("mpirun is not installed") }
            output = try DiodescanProcess.run(
                ["-np", String(ranks), "--oversubscribe", DiodescanProcess.executable.path, "bench"] + arguments,
                program: mpirun, environment: environment)
        } else {
            output = try DiodescanProcess.run(["bench"] + arguments, environment: environment)
        }
        return (output.status, output.stdout, output.stderr)
    }

    func testQuickJSONHasEveryFigure() throws {
        let output = try bench(["--quick", "--json"])
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertEqual(output.stdout.split(separator: "\n").count, 1, "exactly one line of JSON")
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        for key in ["version", "sourceRevision", "targetCPU", "date", "command", "machine", "settings", "scan", "peakMemoryMiB"] {
            XCTAssertNotNil(object[key], "missing \(key)")
        }
        XCTAssertEqual(object["quick"] as? Bool, true)
        let machine = try XCTUnwrap(object["machine"] as? [String: Any])
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(machine["cores"] as? Int), 1)

        let settings = try XCTUnwrap(object["settings"] as? [[String: Any]])
        XCTAssertEqual(settings.compactMap { $0["setting"] as? String }, ["fig2", "fig3", "fig4"])
        for setting in settings {
            if let reason = setting["unavailable"] as? String {
                XCTAssertFalse(reason.isEmpty)
                XCTAssertNil(setting["cold"])
                continue
            }
            XCTAssertNotNil(setting["path"] as? String)
            for kind in ["cold", "warm"] {
                let cost = try XCTUnwrap(setting[kind] as? [String: Any], "\(setting["setting"]!) \(kind)")
                let times = try XCTUnwrap(cost["microseconds"] as? [String: Any])
                XCTAssertGreaterThan(try XCTUnwrap(times["median"] as? Double), 0)
                XCTAssertGreaterThanOrEqual(try XCTUnwrap(times["p90"] as? Double), try XCTUnwrap(times["median"] as? Double))
                XCTAssertGreaterThan(try XCTUnwrap(cost["solves"] as? Int), 0)
                XCTAssertGreaterThan(try XCTUnwrap(cost["iterations"] as? Double), 0)
                XCTAssertGreaterThan(try XCTUnwrap(cost["integrandEvaluations"] as? Double), 0)
                XCTAssertEqual(cost["notConverged"] as? Int, 0)
            }
        }
        // Fig. 2 needs no screening: always measured.
        XCTAssertNil(settings[0]["unavailable"])

        let scan = try XCTUnwrap(object["scan"] as? [String: Any])
        let runs = try XCTUnwrap(scan["runs"] as? [[String: Any]])
        let skipped = try XCTUnwrap(scan["skipped"] as? [String])
        XCTAssertEqual(runs.first?["mode"] as? String, "1 thread")
        XCTAssertGreaterThanOrEqual(runs.count + skipped.count, 3, "1 thread, all threads, 2 ranks: run or skipped with a reason")
        for run in runs {
            // 20 ε1 × 4 ε3 per worker: every run lasts about as long.
            let workers = try XCTUnwrap(run["ranks"] as? Int) * (try XCTUnwrap(run["threadsPerRank"] as? Int))
            XCTAssertEqual(run["points"] as? Int, 80 * workers)
            XCTAssertGreaterThan(try XCTUnwrap(run["pointsPerSecond"] as? Double), 0)
            XCTAssertGreaterThan(try XCTUnwrap(run["efficiency"] as? Double), 0)
            let memory = try XCTUnwrap(run["peakMemoryMiBPerRank"] as? [Double])
            XCTAssertEqual(memory.count, run["ranks"] as? Int)
            XCTAssertTrue(memory.allSatisfy { $0 > 0 })
            XCTAssertGreaterThan(try XCTUnwrap(run["fileBytesPerPoint"] as? Double), 0)
            let mainThreads = try XCTUnwrap(run["mainThreadCPUSecondsPerRank"] as? [Double])
            XCTAssertEqual(mainThreads.count, run["ranks"] as? Int)
            XCTAssertTrue(mainThreads.allSatisfy { $0 > 0 })
            XCTAssertGreaterThan(try XCTUnwrap(run["rankZeroShareOfWallTime"] as? Double), 0)
            XCTAssertGreaterThan(try XCTUnwrap(run["finishSeconds"] as? Double), 0)
        }
        let rankZero = try XCTUnwrap(scan["rankZero"] as? [String: Any])
        XCTAssertEqual(rankZero["tilesWritten"] as? Int, 4)
        XCTAssertGreaterThan(try XCTUnwrap(rankZero["finishSeconds"] as? Double), 0)
        XCTAssertGreaterThan(try XCTUnwrap(rankZero["finishCompressedSeconds"] as? Double), 0)
        XCTAssertGreaterThan(try XCTUnwrap(rankZero["batchedDecodeAndWriteMilliseconds"] as? Double), 0)
        XCTAssertNotNil(rankZero["fractionOfWallTime"] as? Double)
        let bySize = try XCTUnwrap(object["rankZeroByTileSize"] as? [[String: Any]])
        XCTAssertFalse(bySize.isEmpty)
        let small = try XCTUnwrap(scan["smallGridRun"] as? [String: Any])
        XCTAssertEqual(small["points"] as? Int, 40)
    }

    /// Under mpirun every rank times the solver and rank 0 prints one object
    /// with a summary per rank; the scans are skipped with the reason.
    func testUnderMPIRunReportsEveryRank() throws {
        let output = try bench(["--quick", "--json", "--no-scan"], mpiRanks: 2)
        XCTAssertEqual(output.status, 0, output.stderr)
        let lines = output.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "only rank 0 prints")
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        let ranks = try XCTUnwrap(object["ranks"] as? [[String: Any]])
        XCTAssertEqual(ranks.compactMap { $0["rank"] as? Int }, [0, 1])
        for rank in ranks {
            let cold = try XCTUnwrap(rank["coldMedianMicroseconds"] as? [String: Double])
            XCTAssertGreaterThan(try XCTUnwrap(cold["fig2"]), 0)
            XCTAssertGreaterThan(try XCTUnwrap(rank["peakMemoryMiB"] as? Double), 0)
        }
        XCTAssertTrue((object["scanUnavailable"] as? String)?.contains("mpirun") == true)
        XCTAssertNil(object["scan"])
    }

    func testInvalidOptionsAreRejected() throws {
        for arguments in [["--threads", "0"], ["--scan-seconds", "0"], ["--repeats", "0"]] {
            let output = try bench(arguments)
            XCTAssertEqual(output.status, 2, "\(arguments): \(output.stderr)")
            XCTAssertTrue(output.stderr.contains("out of range"), output.stderr)
        }
    }
}
