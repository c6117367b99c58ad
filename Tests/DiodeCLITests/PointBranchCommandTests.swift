import Foundation
import XCTest

/// `diodescan point` for the two items of issue 13: tiny ΔT converges
/// (item 6), and a point with two self-consistent solutions reports the
/// equilibrium branch and says that there is another one (item 7).
final class PointBranchCommandTests: XCTestCase {
    static func configurations(_ output: DiodescanProcess.Output) throws -> [[String: Any]] {
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        return try ["forward", "backward"].map { try XCTUnwrap(object[$0] as? [String: Any]) }
    }

    func testTinyTemperatureDifferencesConverge() throws {
        for (lambda, deltaT) in [("1", "1e-5"), ("1", "1e-6"), ("1", "-1e-6"), ("0.5", "1e-8"), ("0.1", "1e-8")] {
            let output = try DiodescanProcess.run(["point", "--json", "--eps1", "45", "--eps3", "48.2", "--gamma", "3",
                                                   "--lambda", lambda, "--dT", deltaT])
            XCTAssertEqual(output.status, 0, "λ = \(lambda), ΔT = \(deltaT): \(output.stderr)")
            for c in try Self.configurations(output) {
                XCTAssertEqual(c["converged"] as? Bool, true, "λ = \(lambda), ΔT = \(deltaT)")
                XCTAssertEqual(c["status"] as? String, "converged")
                let current = try XCTUnwrap(c["I"] as? Double, "λ = \(lambda), ΔT = \(deltaT): I is a number")
                XCTAssertLessThan(abs(current), 1e-3 * (abs(Double(deltaT) ?? 1)).squareRoot())
            }
        }
    }

    func testTwoSolutionsAreReportedOnTheEquilibriumBranchAndFlagged() throws {
        let arguments = ["point", "--eps1", "32.5", "--eps3", "31.0", "--gamma", "1", "--lambda", "0", "--screening",
                         "--dT", "3"]
        let output = try DiodescanProcess.run(arguments + ["--json"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let forward = try Self.configurations(output)[0]
        XCTAssertEqual(forward["converged"] as? Bool, true)
        XCTAssertEqual(forward["status"] as? String, "multiple_solutions")
        XCTAssertEqual(forward["multiple_solutions"] as? Bool, true)
        XCTAssertEqual(try XCTUnwrap(forward["I"] as? Double), -0.1554031189266, accuracy: 1e-9)
        let text = try DiodescanProcess.run(arguments)
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("MULTIPLE SOLUTIONS"), text.stdout)
        XCTAssertTrue(text.stdout.contains("another self-consistent solution: U = ["), text.stdout)
    }
}
