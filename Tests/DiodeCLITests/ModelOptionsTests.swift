import ArgumentParser
import DiodeScan
import XCTest
@testable import diodescan

/// The model flags of `point` and `spectrum` (`ModelOptions`) against the
/// parameter table: one flag per parameter, the table's defaults, help and
/// ranges, and the same refusals as job files.
final class ModelOptionsTests: XCTestCase {
    static let required = ["--eps1", "45", "--eps3", "48", "--gamma", "1"]

    func testEveryParameterHasItsFlagAndTheTablesDefault() throws {
        let options = try ModelOptions.parse(Self.required)
        for parameter in ModelParameter.all {
            switch parameter.key {
            case "eps1": XCTAssertEqual(options.value(of: parameter), 45)
            case "eps3": XCTAssertEqual(options.value(of: parameter), 48)
            case "gamma": XCTAssertEqual(options.value(of: parameter), 1)
            default: XCTAssertEqual(options.value(of: parameter), parameter.defaultValue, parameter.key)
            }
            let given = try ModelOptions.parse(Self.required + ["--\(parameter.key)", "0.25"])
            XCTAssertEqual(given.value(of: parameter), 0.25, "--\(parameter.key) sets \(parameter.key)")
        }
        XCTAssertEqual(ModelParameter.mu.defaultValue, 40)
    }

    func testHelpStatesEachParametersDescriptionAndAllowedValues() {
        let help = ModelOptions.helpMessage(columns: 10_000)
        for parameter in ModelParameter.all {
            let line = help.split(separator: "\n").first { $0.hasPrefix("  --\(parameter.key) <") }
            XCTAssertNotNil(line, "--\(parameter.key) in \(help)")
            XCTAssertTrue(line?.contains("allowed: \(parameter.allowed)") ?? false, "\(line ?? "")")
            XCTAssertTrue(line?.lowercased().contains(parameter.summary.lowercased()) ?? false, "\(line ?? "")")
        }
        XCTAssertTrue(help.contains("--mu <mu>") && help.contains("(default: 40.0)"), help)
    }

    /// Each value the table refuses gets the table's one-line refusal, naming the flag.
    func testOutOfRangeValuesGetTheTablesRefusal() throws {
        for parameter in ModelParameter.all {
            for value in [-2.0, -1, 0, 2, .infinity, .nan] where !parameter.accepts(value) {
                var arguments = Self.required + ["--screening", "--\(parameter.key)", "\(value)"]
                if parameter.key == "gamma1" || parameter.key == "gamma3" {
                    arguments = ["--eps1", "45", "--eps3", "48", "--gamma1", "1", "--gamma3", "1", "--screening",
                                 "--\(parameter.key)", "\(value)"]
                }
                let options = try ModelOptions.parse(arguments)
                XCTAssertThrowsError(try options.validated(), "--\(parameter.key) \(value)") { error in
                    XCTAssertEqual((error as? PointInputError)?.message,
                                   parameter.refusal(of: "\(value)", as: "--\(parameter.key)"))
                }
            }
        }
    }

    func testCapacitancesNeedScreeningLikeJobFiles() throws {
        for parameter in ModelParameter.capacitances {
            let options = try ModelOptions.parse(Self.required + ["--\(parameter.key)", "0.5"])
            XCTAssertThrowsError(try options.validated()) { error in
                XCTAssertEqual((error as? PointInputError)?.message,
                               "--\(parameter.key) 0.5 needs --screening (capacitances only enter the screening model)")
            }
            let screened = try ModelOptions.parse(Self.required + ["--screening", "--\(parameter.key)", "0.5"])
            XCTAssertEqual(try screened.validated().0[parameter], 0.5)
        }
        let zeros = try ModelOptions.parse(Self.required + ["--c12", "0"])
        XCTAssertNoThrow(try zeros.validated())
    }

    func testSpectrumTakesPointsModelFlags() throws {
        let point = try PointCommand.parse(Self.required + ["--mu", "39", "--json"])
        let spectrum = try SpectrumCommand.parse(Self.required + ["--mu", "39", "--json"])
        XCTAssertEqual(point.model.mu, 39)
        XCTAssertEqual(spectrum.model.mu, 39)
        XCTAssertTrue(point.json && spectrum.json)
    }
}
