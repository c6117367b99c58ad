import Foundation
import XCTest

/// `diodescan point --screening`: the potentials in the JSON, the
/// capacitance flags and their validation.
final class ScreeningPointCommandTests: XCTestCase {
    func testScreeningJSONCarriesThePotentialsOfBothConfigurations() throws {
        let output = try DiodescanProcess.run(["point", "--json", "--eps1", "46.5", "--eps3", "48.2", "--gamma", "1",
                                               "--lambda", "0", "--screening", "--c2g", "0.5"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let parameters = try XCTUnwrap(object["parameters"] as? [String: Any])
        XCTAssertEqual(parameters["screening"] as? Bool, true)
        let capacitances = try XCTUnwrap(parameters["capacitances"] as? [String: Any])
        XCTAssertEqual(capacitances["c2g"] as? Double, 0.5)
        XCTAssertEqual(capacitances["c12"] as? Double, 0)
        var potentials: [[Double]] = []
        for key in ["forward", "backward"] {
            let c = try XCTUnwrap(object[key] as? [String: Any])
            XCTAssertEqual(c["converged"] as? Bool, true)
            XCTAssertGreaterThan(try XCTUnwrap(c["iterations"] as? Int), 0)
            let u = try XCTUnwrap(c["U"] as? [Double])
            XCTAssertEqual(u.count, 3)
            XCTAssertTrue(u.allSatisfy { $0 != 0 && abs($0) < 5 })
            potentials.append(u)
        }
        XCTAssertNotEqual(potentials[0], potentials[1])
        XCTAssertNotNil(object["R_I"] as? Double)
    }

    func testHumanReadableOutputShowsThePotentials() throws {
        let output = try DiodescanProcess.run(["point", "--eps1", "44", "--eps3", "36", "--gamma", "1", "--lambda", "1",
                                               "--screening"])
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertTrue(output.stdout.contains("U   = ["), output.stdout)
    }

    func testInvalidCapacitancesAreRejected() throws {
        let base = ["point", "--eps1", "45", "--eps3", "48", "--gamma", "1"]
        for (arguments, flag) in [(["--screening", "--c12", "-1"], "--c12"), (["--screening", "--c3g", "nan"], "--c3g"),
                                  (["--c1g", "1"], "--screening")] {
            let output = try DiodescanProcess.run(base + arguments)
            XCTAssertEqual(output.status, 2, "\(arguments)")
            XCTAssertEqual(output.stderr.split(separator: "\n").count, 1, output.stderr)
            XCTAssertTrue(output.stderr.contains(flag), "\(output.stderr) names \(flag)")
        }
    }
}
