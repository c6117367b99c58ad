import XCTest
@testable import DiodeScan

final class ProgressReporterTests: XCTestCase {
    func testPlainLinesReportPointsRateEtaAndFailures() {
        var output: [String] = []
        let progress = ProgressReporter(totalPoints: 1000, alreadyDone: 100, nonConvergedAlready: 2,
                                        isTerminal: false, plainInterval: 0) { output.append($0) }
        progress.record(points: 400, nonConverged: 3)
        progress.refresh()
        XCTAssertEqual(output.count, 1)
        let line = output[0]
        XCTAssertTrue(line.hasPrefix("500/1000 points (50.0%)"), line)
        XCTAssertTrue(line.contains("points/s"), line)
        XCTAssertTrue(line.contains("ETA"), line)
        XCTAssertTrue(line.hasSuffix("5 not converged\n"), line)
        XCTAssertFalse(line.contains("["), "no bar on a pipe")
    }

    func testTerminalRedrawsOneLineWithBar() {
        var output: [String] = []
        let progress = ProgressReporter(totalPoints: 10, isTerminal: true) { output.append($0) }
        progress.record(points: 10, nonConverged: 0)
        progress.finish()
        XCTAssertEqual(output.count, 1)
        XCTAssertTrue(output[0].hasPrefix("\r[" + String(repeating: "#", count: 30) + "] 10/10 points (100.0%)"), output[0])
        XCTAssertTrue(output[0].contains("elapsed"))
        XCTAssertTrue(output[0].hasSuffix("\n"))
    }

    func testQuietPrintsNothing() {
        var output: [String] = []
        let progress = ProgressReporter(totalPoints: 10, enabled: false, isTerminal: false, plainInterval: 0) { output.append($0) }
        progress.record(points: 5, nonConverged: 1)
        progress.refresh()
        progress.finish()
        XCTAssertTrue(output.isEmpty)
    }

    func testDurations() {
        XCTAssertEqual(ProgressReporter.formatDuration(42.4), "42s")
        XCTAssertEqual(ProgressReporter.formatDuration(187), "3m07s")
        XCTAssertEqual(ProgressReporter.formatDuration(7500), "2h05m")
        XCTAssertEqual(ProgressReporter.formatDuration(.infinity), "--")
    }
}
