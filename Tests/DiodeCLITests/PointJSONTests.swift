import DiodePhysics
import DiodeScan
import Foundation
import XCTest
@testable import diodescan

/// `point --json`'s "parameters" object comes from the parameter table; the
/// output is byte for byte what it was before (strings pinned from the
/// hand-written JSON of commit bdf47a6).
final class PointJSONTests: XCTestCase {
    func testPointJSONIsUnchanged() throws {
        let output = try DiodescanProcess.run(["point", "--eps1", "-3", "--eps3", "2.5", "--gamma1", "0.5", "--gamma3", "2",
                                               "--mu", "0", "--lambda", "0.3", "--d", "2", "--dT", "0.5", "--json", "--reference"])
        XCTAssertEqual(output.status, 0, output.stderr)
        // The text byte for byte apart from the numbers, and the numbers to
        // 1e-9 (the solver's tolerance): they move at the rounding level
        // whenever the numerics change (e.g. the pure-Swift exp, session 8).
        let pinned = "{\"parameters\": {\"eps1\": -3.0, \"eps3\": 2.5, \"gamma1\": 0.5, \"gamma3\": 2.0, \"mu\": 0.0, \"lambda\": 0.3, \"d\": 2.0, \"dT\": 0.5, \"screening\": false, \"capacitances\": {\"c12\": 0.0, \"c13\": 0.0, \"c23\": 0.0, \"c1g\": 0.0, \"c2g\": 0.0, \"c3g\": 0.0}}, \"forward\": {\"I\": 0.004515050546914484, \"J\": 0.019861735812067682, \"mu_p\": -0.034259432812244035, \"T_p\": 1.021114083261144, \"U\": [0.0, 0.0, 0.0], \"converged\": true, \"status\": \"converged\", \"multiple_solutions\": false, \"iterations\": 5, \"residual\": 6.622536003665046e-11, \"L1_I\": 0.010367727224402505, \"L1_J\": 0.04028901798580494, \"I_lin\": 0.005183863612201253, \"J_lin\": 0.02014450899290247, \"I_eqT\": 0.004515050546914484, \"J_eqT\": 0.019861735812067682}, \"backward\": {\"I\": -0.004457388890076545, \"J\": -0.01984587039608978, \"mu_p\": 0.029407872925998668, \"T_p\": 1.4781243432651507, \"U\": [0.0, 0.0, 0.0], \"converged\": true, \"status\": \"converged\", \"multiple_solutions\": false, \"iterations\": 5, \"residual\": 2.969896965833985e-10, \"L1_I\": -0.010367727224402499, \"L1_J\": -0.04028901798580494, \"I_lin\": -0.005183863612201249, \"J_lin\": -0.02014450899290247, \"I_eqT\": -0.004457388890076545, \"J_eqT\": -0.01984587039608978}, \"R_I\": 0.006426530626689409, \"R_J\": 0.00039955609247082713}\n"
        XCTAssertEqual(Self.numbersBlanked(output.stdout), Self.numbersBlanked(pinned))
        let (got, expected) = (Self.numbers(output.stdout), Self.numbers(pinned))
        XCTAssertEqual(got.count, expected.count)
        for (a, b) in zip(got, expected) { XCTAssertEqual(a, b, accuracy: 1e-9 * Swift.max(abs(b), 1e-3)) }
    }

    static let numberPattern = try! NSRegularExpression(pattern: "-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?")

    static func numbersBlanked(_ text: String) -> String {
        numberPattern.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "#")
    }

    static func numbers(_ text: String) -> [Double] {
        numberPattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range, in: text).flatMap { Double(text[$0]) }
        }
    }

    func testParametersObjectWithCapacitancesIsUnchanged() {
        let parameters = DeviceParameters(eps1: 46.5, eps3: 48.2, gamma1: 1, gamma3: 1, mu: 40, lambda: 0, d: 1, screening: true,
                                          capacitances: Capacitances(c12: 0.1, c2g: 0.5))
        XCTAssertEqual(PointReport.parametersObject(parameters, deltaT: 1),
                       "{\"eps1\": 46.5, \"eps3\": 48.2, \"gamma1\": 1.0, \"gamma3\": 1.0, \"mu\": 40.0, \"lambda\": 0.0, \"d\": 1.0, \"dT\": 1.0, \"screening\": true, \"capacitances\": {\"c12\": 0.1, \"c13\": 0.0, \"c23\": 0.0, \"c1g\": 0.0, \"c2g\": 0.5, \"c3g\": 0.0}}")
    }

    /// Every parameter of the table is in the object, once, under its key.
    func testParametersObjectHasEveryParameterOfTheTable() throws {
        let parameters = DeviceParameters(eps1: 1, eps3: 2, gamma1: 3, gamma3: 4)
        let text = PointReport.parametersObject(parameters, deltaT: 0.5)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        for parameter in ModelParameter.point {
            XCTAssertEqual(object[parameter.key] as? Double, parameters.value(of: parameter, deltaT: 0.5), parameter.key)
        }
        let capacitances = try XCTUnwrap(object["capacitances"] as? [String: Double])
        XCTAssertEqual(Set(capacitances.keys), Set(ModelParameter.capacitances.map(\.key)))
        XCTAssertEqual(object[ModelParameter.screeningKey] as? Bool, false)
    }
}
