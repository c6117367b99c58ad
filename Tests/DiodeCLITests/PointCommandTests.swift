import Foundation
import XCTest

/// `diodescan point`: the JSON interface other programs rely on, and the
/// handling of invalid input.
final class PointCommandTests: XCTestCase {
    func json(_ arguments: [String]) throws -> [String: Any] {
        let output = try DiodescanProcess.run(["point", "--json"] + arguments)
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertEqual(output.stdout.split(separator: "\n").count, 1, "exactly one line of JSON")
        let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]
        return try XCTUnwrap(object)
    }

    func testJSONShapeWithProbe() throws {
        let object = try json(["--eps1", "45", "--eps3", "44.8", "--gamma", "3", "--mu", "40", "--lambda", "1",
                               "--d", "1", "--dT", "1"])
        XCTAssertEqual(Set(object.keys), ["parameters", "forward", "backward", "R_I", "R_J"])
        let parameters = try XCTUnwrap(object["parameters"] as? [String: Any])
        XCTAssertEqual(parameters["eps1"] as? Double, 45)
        XCTAssertEqual(parameters["gamma3"] as? Double, 3)
        XCTAssertEqual(parameters["lambda"] as? Double, 1)
        XCTAssertEqual(parameters["dT"] as? Double, 1)
        for key in ["forward", "backward"] {
            let c = try XCTUnwrap(object[key] as? [String: Any])
            XCTAssertEqual(Set(c.keys), ["I", "J", "mu_p", "T_p", "U", "converged", "status", "multiple_solutions",
                                         "iterations", "residual"])
            XCTAssertEqual(c["status"] as? String, "converged")
            XCTAssertEqual(c["multiple_solutions"] as? Bool, false)
            XCTAssertNotNil(c["I"] as? Double)
            XCTAssertNotNil(c["J"] as? Double)
            XCTAssertNotNil(c["mu_p"] as? Double)
            XCTAssertGreaterThan(try XCTUnwrap(c["T_p"] as? Double), 1)
            XCTAssertEqual(c["U"] as? [Double], [0, 0, 0])
            XCTAssertEqual(c["converged"] as? Bool, true)
            XCTAssertGreaterThan(try XCTUnwrap(c["iterations"] as? Int), 0)
            XCTAssertNotNil(c["residual"] as? Double)
        }
        let forward = try XCTUnwrap(object["forward"] as? [String: Any])
        let backward = try XCTUnwrap(object["backward"] as? [String: Any])
        XCTAssertGreaterThan(try XCTUnwrap(forward["J"] as? Double), 0)
        XCTAssertLessThan(try XCTUnwrap(backward["J"] as? Double), 0)
        XCTAssertNotNil(object["R_I"] as? Double)
        XCTAssertNotNil(object["R_J"] as? Double)
    }

    func testJSONWithoutProbeHasNullProbeState() throws {
        let object = try json(["--eps1", "45", "--eps3", "48.2", "--gamma", "1"])
        for key in ["forward", "backward"] {
            let c = try XCTUnwrap(object[key] as? [String: Any])
            XCTAssertTrue(c["mu_p"] is NSNull)
            XCTAssertTrue(c["T_p"] is NSNull)
            XCTAssertEqual(c["iterations"] as? Int, 0)
        }
        XCTAssertEqual(object["R_I"] as? Double, 0)
        let parameters = try XCTUnwrap(object["parameters"] as? [String: Any])
        XCTAssertEqual(parameters["mu"] as? Double, 40, "default μ")
        XCTAssertEqual(parameters["lambda"] as? Double, 0, "default λ")
    }

    func testUndefinedRectificationIsNull() throws {
        let object = try json(["--eps1", "45", "--eps3", "48.2", "--gamma", "1", "--dT", "0"])
        XCTAssertTrue(object["R_I"] is NSNull)
        XCTAssertTrue(object["R_J"] is NSNull)
    }

    func testSeparateWidthsAndNegativeValues() throws {
        let object = try json(["--eps1", "-3", "--eps3", "2.5", "--gamma1", "0.5", "--gamma3", "2", "--mu", "0",
                               "--lambda", "0.5", "--dT", "-0.5"])
        let parameters = try XCTUnwrap(object["parameters"] as? [String: Any])
        XCTAssertEqual(parameters["eps1"] as? Double, -3)
        XCTAssertEqual(parameters["gamma1"] as? Double, 0.5)
        XCTAssertEqual(parameters["gamma3"] as? Double, 2)
        XCTAssertEqual(parameters["dT"] as? Double, -0.5)
        let forward = try XCTUnwrap(object["forward"] as? [String: Any])
        XCTAssertLessThan(try XCTUnwrap(forward["J"] as? Double), 0, "ΔT < 0: the left lead is the cold one")
    }

    func testHumanReadableOutput() throws {
        let output = try DiodescanProcess.run(["point", "--eps1", "45", "--eps3", "44.8", "--gamma", "3", "--lambda", "1"])
        XCTAssertEqual(output.status, 0)
        XCTAssertTrue(output.stdout.contains("R_J = "))
        XCTAssertTrue(output.stdout.contains("mu_p = "))
    }

    func testInvalidInputGivesOneLineNamingTheFlagAndExitStatus2() throws {
        let base = ["point", "--eps1", "45", "--eps3", "48"]
        let cases: [([String], String)] = [
            (["--gamma", "0"], "--gamma"),
            (["--gamma", "-1"], "--gamma"),
            (["--gamma1", "1", "--gamma3", "-2"], "--gamma3"),
            (["--gamma1", "0", "--gamma3", "1"], "--gamma1"),
            (["--gamma", "1", "--lambda", "1.5"], "--lambda"),
            (["--gamma", "1", "--lambda", "-0.1"], "--lambda"),
            (["--gamma", "1", "--dT", "-1"], "--dT"),
            (["--gamma", "1", "--dT", "-3"], "--dT"),
            (["--gamma", "1", "--dT", "nan"], "--dT"),
            (["--gamma", "1", "--mu", "inf"], "--mu"),
            (["--gamma", "nan"], "--gamma"),
            (["--gamma", "1", "--d", "0"], "--d"),
            (["--gamma", "1", "--eps1", "nan"], "--eps1"),
            ([], "--gamma"),
        ]
        for (arguments, flag) in cases {
            let output = try DiodescanProcess.run(base + arguments)
            XCTAssertEqual(output.status, 2, "\(arguments)")
            XCTAssertEqual(output.stdout, "", "\(arguments)")
            let lines = output.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "one line for \(arguments): \(output.stderr)")
            XCTAssertTrue(output.stderr.contains(flag + " "), "\(output.stderr) names \(flag)")
        }
        // The range is stated.
        let lambda = try DiodescanProcess.run(base + ["--gamma", "1", "--lambda", "2"])
        XCTAssertTrue(lambda.stderr.contains("0 ≤ lambda ≤ 1"), lambda.stderr)
        let deltaT = try DiodescanProcess.run(base + ["--gamma", "1", "--dT", "-2"])
        XCTAssertTrue(deltaT.stderr.contains("> -1"), deltaT.stderr)
    }
}
