import ArgumentParser
import Foundation
import XCTest
import DiodeTestSupport
@testable import diodescan

/// Fuzzing of `diodescan point` (issue 13): random and extreme command
/// lines, deterministic (seeded). Hundreds go through the command-line
/// parser and the validation in this process (a trap would end it); a few
/// dozen run the real program, which must exit 0, 1 or 2 within a time
/// limit, with one line on stderr when it rejects its input.
final class PointFuzzTests: XCTestCase {
    static let options = ["--eps1", "--eps3", "--gamma", "--gamma1", "--gamma3", "--mu", "--lambda", "--d", "--dT",
                          "--c12", "--c13", "--c23", "--c1g", "--c2g", "--c3g"]
    static let flags = ["--screening", "--json", "--help", "--bogus", "-x", "--", "point"]
    static let extremes = ["0", "-0", "1e308", "-1e308", "1e-320", "5e-324", "nan", "-nan", "inf", "-inf", "1e999",
                           "abc", "", " ", "1,5", "0x1p3", "--eps1", "9223372036854775807", "1e-300", "-1", "-0.999999",
                           "-1.000001", "1.0000001", "\u{0}", "💥", String(repeating: "9", count: 400)]

    /// A plausible value for `option`, or (now and then) an extreme one.
    static func value(for option: String, using random: inout SeededGenerator) -> String {
        if Int.random(in: 0..<6, using: &random) == 0 { return extremes.randomElement(using: &random)! }
        switch option {
        case "--eps1", "--eps3": return String(Double.random(in: 20...60, using: &random))
        case "--gamma", "--gamma1", "--gamma3": return String(Double.random(in: 0.2...4, using: &random))
        case "--mu": return String(Double.random(in: 30...50, using: &random))
        case "--lambda": return String(Double.random(in: -0.2...1.2, using: &random))
        case "--d": return String(Double.random(in: 0.1...3, using: &random))
        case "--dT": return String(Double.random(in: -1.2...2, using: &random))
        default: return String(Double.random(in: -0.1...0.5, using: &random))
        }
    }

    /// `point` and a random selection of options, values and flags.
    static func arguments(using random: inout SeededGenerator) -> [String] {
        var arguments = ["point"]
        if Int.random(in: 0..<3, using: &random) > 0 {
            arguments += ["--eps1", value(for: "--eps1", using: &random), "--eps3", value(for: "--eps3", using: &random)]
        }
        if Int.random(in: 0..<3, using: &random) > 0 { arguments += ["--gamma", value(for: "--gamma", using: &random)] }
        for _ in 0..<Int.random(in: 0...4, using: &random) {
            switch Int.random(in: 0..<10, using: &random) {
            case 0 where Int.random(in: 0..<3, using: &random) == 0:
                arguments.append(flags.randomElement(using: &random)!)
            case 1 where Int.random(in: 0..<3, using: &random) == 0:
                arguments.append(options.randomElement(using: &random)!)  // maybe without a value
            default:
                let option = options.randomElement(using: &random)!
                arguments += [option, value(for: option, using: &random)]
            }
        }
        return arguments
    }

    func testRandomCommandLinesAreParsedAndValidatedWithoutTrapping() {
        var random = SeededGenerator(state: 2026)
        var valid = 0, rejected = 0
        for _ in 0..<600 {
            let arguments = Self.arguments(using: &random)
            do {
                let command = try Diodescan.parseAsRoot(Array(arguments.dropFirst(0)))
                guard let point = command as? PointCommand else {
                    XCTAssertTrue(arguments.contains("--help"), "\(arguments) parsed as \(type(of: command))")
                    continue
                }
                do {
                    _ = try point.model.validated()
                    valid += 1
                } catch {
                    rejected += 1
                    XCTAssertFalse(error.message.contains("\n"), "\(arguments): \(error.message)")
                    XCTAssertTrue(error.message.contains("--"), "\(arguments): names no flag: \(error.message)")
                }
            } catch {
                rejected += 1
                if Diodescan.exitCode(for: error) == .success { continue }  // --help
                let line = Diodescan.usageErrorLine(for: error)
                XCTAssertNotNil(line, "\(arguments): \(error) is not a command-line error")
                XCTAssertFalse(line?.contains("\n") ?? false, "\(arguments): \(line ?? "")")
                XCTAssertLessThan(line?.count ?? 0, 400, "\(arguments)")
            }
        }
        XCTAssertGreaterThan(valid, 20)
        XCTAssertGreaterThan(rejected, 100)
    }

    func testRandomCommandLinesExitWith0Or1Or2AndOneLineWhenRejected() throws {
        var random = SeededGenerator(state: 7)
        for _ in 0..<40 {
            let arguments = Self.arguments(using: &random).filter { $0 != "--help" }
            let process = Process()
            process.executableURL = DiodescanProcess.executable
            process.arguments = arguments
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let deadline = Date(timeIntervalSinceNow: 60)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            if process.isRunning {
                XCTFail("diodescan \(arguments) did not finish within 60 s")
                kill(process.processIdentifier, SIGKILL)
            }
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            _ = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .exit, "\(arguments) crashed: \(stderr)")
            XCTAssertTrue([0, 1, 2].contains(process.terminationStatus), "\(arguments): status \(process.terminationStatus): \(stderr)")
            if process.terminationStatus == 2 {
                XCTAssertEqual(stderr.split(separator: "\n").count, 1, "\(arguments): \(stderr)")
            }
        }
    }
}
