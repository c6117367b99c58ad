import Foundation
import XCTest

/// `diodescan spectrum` and `diodescan point --reference`.
final class SpectrumCommandTests: XCTestCase {
    private let fig3Star = ["--eps1", "46.648", "--eps3", "48.2", "--gamma", "1", "--screening"]

    private func json(_ arguments: [String]) throws -> [String: Any] {
        let output = try DiodescanProcess.run(arguments)
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertEqual(output.stdout.split(separator: "\n").count, 1, "exactly one line of JSON")
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
    }

    func testSpectrumJSONIsPointJSONPlusTheSpectra() throws {
        let object = try json(["spectrum", "--json", "--count", "41", "--emin", "30", "--emax", "60"] + fig3Star)
        XCTAssertEqual(Set(object.keys), ["parameters", "forward", "backward", "R_I", "R_J", "energy", "spectra"])
        let energy = try XCTUnwrap(object["energy"] as? [Double])
        XCTAssertEqual(energy.count, 41)
        XCTAssertEqual(energy.first, 30)
        XCTAssertEqual(energy.last, 60)
        XCTAssertEqual(energy[1] - energy[0], 0.75, accuracy: 1e-12)
        let spectra = try XCTUnwrap(object["spectra"] as? [String: Any])
        XCTAssertEqual(Set(spectra.keys), ["equilibrium", "forward", "backward"])
        let equilibrium = try XCTUnwrap(spectra["equilibrium"] as? [String: Any])
        XCTAssertEqual(Set(equilibrium.keys), ["T_LR", "T_Lp", "T_Rp", "nu_L", "nu_R", "nu_p"])
        for key in ["forward", "backward"] {
            let s = try XCTUnwrap(spectra[key] as? [String: Any])
            XCTAssertEqual(Set(s.keys), ["T_LR", "T_Lp", "T_Rp", "spectral_I_L", "spectral_J_L", "spectral_I_R",
                                         "spectral_J_R", "spectral_I_p", "spectral_J_p", "nu_L", "nu_R", "nu_p"])
            let t = try XCTUnwrap(s["T_LR"] as? [Double])
            XCTAssertEqual(t.count, 41)
            XCTAssertTrue(t.allSatisfy { $0 >= 0 && $0 <= 1 })
            let nu = try XCTUnwrap(s["nu_L"] as? [[Double]])
            XCTAssertEqual(nu.count, 41)
            XCTAssertTrue(nu.allSatisfy { $0.count == 3 })
            let i = try XCTUnwrap(s["spectral_I_L"] as? [Double])
            let r = try XCTUnwrap(s["spectral_I_R"] as? [Double])
            for (a, b) in zip(i, r) { XCTAssertEqual(a, -b, accuracy: 1e-15) }
        }
        // F and B respond differently (screening); equilibrium is neither.
        let tf = try XCTUnwrap((spectra["forward"] as? [String: Any])?["T_LR"] as? [Double])
        let tb = try XCTUnwrap((spectra["backward"] as? [String: Any])?["T_LR"] as? [Double])
        XCTAssertNotEqual(tf, tb)
        // The solved states are point's.
        let point = try json(["point", "--json"] + fig3Star)
        for key in ["forward", "backward"] {
            let a = try XCTUnwrap(object[key] as? [String: Any]), b = try XCTUnwrap(point[key] as? [String: Any])
            XCTAssertEqual(a["I"] as? Double, b["I"] as? Double)
            XCTAssertEqual(a["U"] as? [Double], b["U"] as? [Double])
        }
    }

    func testUnscreenedSpectrumHasNoInjectivitiesAndDefaultsToTheWindow() throws {
        let object = try json(["spectrum", "--json", "--count", "11", "--eps1", "45", "--eps3", "48.2", "--gamma", "3",
                               "--lambda", "1", "--dT", "1"])
        let energy = try XCTUnwrap(object["energy"] as? [Double])
        // The union of the windows [min(μ, μ_p) − 40 T_w, max(μ, μ_p) + 40 T_w], T_w = 2.
        XCTAssertLessThan(energy.first ?? 0, -39.9)
        XCTAssertGreaterThan(energy.last ?? 0, 119.9)
        let spectra = try XCTUnwrap(object["spectra"] as? [String: Any])
        let forward = try XCTUnwrap(spectra["forward"] as? [String: Any])
        XCTAssertNil(forward["nu_L"])
        // λ = 1: no coherent transmission.
        XCTAssertEqual(forward["T_LR"] as? [Double], Array(repeating: 0, count: 11))
    }

    func testFeaturesAddNodesToTheUniformGrid() throws {
        let object = try json(["spectrum", "--json", "--features", "--count", "21", "--emin", "35", "--emax", "55"]
                              + fig3Star)
        let energy = try XCTUnwrap(object["energy"] as? [Double])
        XCTAssertGreaterThan(energy.count, 21)
        XCTAssertTrue(zip(energy, energy.dropFirst()).allSatisfy { $0 < $1 })
        XCTAssertEqual(energy.first, 35)
        XCTAssertEqual(energy.last, 55)
        let spectra = try XCTUnwrap(object["spectra"] as? [String: Any])
        let t = try XCTUnwrap((spectra["equilibrium"] as? [String: Any])?["T_LR"] as? [Double])
        XCTAssertEqual(t.count, energy.count)
        XCTAssertGreaterThan(t.max() ?? 0, 0.97, "the sharp Fabry-Pérot peak is sampled")
    }

    func testTableOutput() throws {
        let output = try DiodescanProcess.run(["spectrum", "--count", "5", "--eps1", "45", "--eps3", "48",
                                               "--gamma", "1"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let rows = output.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }
        XCTAssertEqual(rows.count, 5)
        XCTAssertTrue(rows.allSatisfy { $0.split(separator: " ").count == 14 })
    }

    func testOutputWritesAnHDF5FileAndRefusesToOverwrite() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("spectrum-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("s.h5").path
        let arguments = ["spectrum", "--count", "21", "--output", path] + fig3Star
        let first = try DiodescanProcess.run(arguments)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(first.stdout, "", "nothing on stdout with --output alone")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A], "HDF5 signature")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".creating"))

        let again = try DiodescanProcess.run(arguments)
        XCTAssertEqual(again.status, 2)
        XCTAssertEqual(again.stderr.split(separator: "\n").count, 1, again.stderr)
        XCTAssertTrue(again.stderr.contains("--overwrite"), again.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), bytes, "the file is untouched")

        let replaced = try DiodescanProcess.run(arguments + ["--overwrite", "--json"])
        XCTAssertEqual(replaced.status, 0, replaced.stderr)
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(replaced.stdout.utf8)) as? [String: Any])
    }

    func testInvalidSpectrumInputExitsWithStatusTwoAndOneLine() throws {
        let base = ["spectrum", "--eps1", "45", "--eps3", "48"]
        let cases: [([String], String)] = [
            (["--gamma", "1", "--count", "1"], "--count"),
            (["--gamma", "1", "--count", "0"], "--count"),
            (["--gamma", "1", "--count", "100000000"], "--count"),
            (["--gamma", "1", "--emin", "nan"], "--emin"),
            (["--gamma", "1", "--emax", "inf"], "--emax"),
            (["--gamma", "1", "--emin", "-2e6"], "--emin"),
            (["--gamma", "1", "--emin", "5", "--emax", "5"], "--emin"),
            (["--gamma", "1", "--overwrite"], "--overwrite"),
            (["--gamma", "1", "--output", "/nonexistent-diodescan-directory/s.h5"], "--output"),
            (["--gamma", "0"], "--gamma"),
            (["--gamma", "1", "--lambda", "2"], "--lambda"),
            (["--gamma", "1", "--dT", "-1"], "--dT"),
        ]
        for (arguments, flag) in cases {
            let output = try DiodescanProcess.run(base + arguments)
            XCTAssertEqual(output.status, 2, "\(arguments): \(output.stderr)")
            XCTAssertEqual(output.stdout, "", "\(arguments)")
            XCTAssertEqual(output.stderr.split(separator: "\n").count, 1, "one line for \(arguments): \(output.stderr)")
            XCTAssertTrue(output.stderr.contains(flag + " "), "\(output.stderr) names \(flag)")
        }
        let count = try DiodescanProcess.run(base + ["--gamma", "1", "--count", "1"])
        XCTAssertTrue(count.stderr.contains("[2, 200000]"), count.stderr)
    }

    func testPointReferenceFields() throws {
        let plain = try json(["point", "--json"] + fig3Star)
        let forwardPlain = try XCTUnwrap(plain["forward"] as? [String: Any])
        XCTAssertNil(forwardPlain["I_lin"], "reference fields only with --reference")
        let object = try json(["point", "--json", "--reference", "--dT", "0.5"] + fig3Star)
        var l1: [Double] = []
        for key in ["forward", "backward"] {
            let c = try XCTUnwrap(object[key] as? [String: Any])
            XCTAssertEqual(Set(c.keys), ["I", "J", "mu_p", "T_p", "U", "converged", "status", "multiple_solutions",
                                         "iterations", "residual", "L1_I", "L1_J", "I_lin", "J_lin", "I_eqT", "J_eqT"])
            let slope = try XCTUnwrap(c["L1_I"] as? Double)
            XCTAssertEqual(try XCTUnwrap(c["I_lin"] as? Double), 0.5 * slope, accuracy: 1e-15)
            XCTAssertNotEqual(try XCTUnwrap(c["I_eqT"] as? Double), try XCTUnwrap(c["I"] as? Double))
            l1.append(slope)
        }
        XCTAssertEqual(l1[0], -l1[1], accuracy: 1e-12 * abs(l1[0]))
        let text = try DiodescanProcess.run(["point", "--reference", "--eps1", "45", "--eps3", "48.2", "--gamma", "3",
                                             "--lambda", "1"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("I_lin = "), text.stdout)
        XCTAssertTrue(text.stdout.contains("I_eqT = "), text.stdout)
    }
}
