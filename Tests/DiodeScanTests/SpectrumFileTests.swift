import DiodeHDF5
import DiodePhysics
@testable import DiodeScan
import DiodeTestSupport
import XCTest

/// The HDF5 file of `diodescan spectrum --output`.
final class SpectrumFileTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUpWithError() throws { directory = try TemporaryDirectory() }
    override func tearDown() { directory.remove() }

    private func spectrum(screening: Bool, count: Int = 17) throws -> PointSpectrum {
        let p = DeviceParameters(eps1: 45, eps3: 47, gamma1: 1, gamma3: 1, lambda: 0.5, screening: screening)
        let solver = try DiodeSolver(parameters: p)
        let result = solver.solvePoint(deltaT: 1)
        let references = (solver.referenceCurrents(deltaT: 1, configuration: .forward, result: result.forward),
                          solver.referenceCurrents(deltaT: 1, configuration: .backward, result: result.backward))
        return PointSpectrum(parameters: p, deltaT: 1, energies: DeviceSpectrum.uniformEnergies(from: 30, to: 60, count: count),
                             result: result, references: references)
    }

    func testDatasetsOverTheEnergyScaleWithUnitsAndRootAttributes() throws {
        let s = try spectrum(screening: true)
        let path = directory.file("spectrum.h5")
        try SpectrumFile.write(s, to: path, overwrite: false, commandLine: "diodescan spectrum test")
        let file = try HDF5File.open(path, mode: .readOnly)
        let energy = try file.openDataset("energy")
        XCTAssertTrue(try energy.isDimensionScale)
        XCTAssertEqual(try energy.read(Double.self), s.energies)
        let region = try file.openDataset("region")
        XCTAssertTrue(try region.isDimensionScale)
        for suffix in ["eq", "F", "B"] {
            for name in ["T_LR", "T_Lp", "T_Rp"] {
                let dataset = try file.openDataset("\(name)_\(suffix)")
                XCTAssertEqual(try dataset.shape, [17])
                XCTAssertTrue(try dataset.isAttached(scale: energy, toDimension: 0))
                XCTAssertEqual(try dataset.attribute("units"), .string("1"))
                guard case .string(let longName) = try dataset.attribute("long_name") else {
                    return XCTFail("long_name of \(name)_\(suffix)")
                }
                XCTAssertFalse(longName.isEmpty)
            }
            for terminal in ["L", "R", "p"] {
                let nu = try file.openDataset("nu_\(terminal)_\(suffix)")
                XCTAssertEqual(try nu.shape, [17, 3])
                XCTAssertTrue(try nu.isAttached(scale: energy, toDimension: 0))
                XCTAssertTrue(try nu.isAttached(scale: region, toDimension: 1))
                XCTAssertEqual(try nu.attribute("units"), .string("1/(k_B T)"))
            }
        }
        let values = s.forward
        XCTAssertEqual(try file.openDataset("T_Lp_F").read(Double.self), values.map(\.transmissions.leftProbe))
        XCTAssertEqual(try file.openDataset("spectral_I_p_F").read(Double.self), values.map { $0.particle[2] })
        XCTAssertEqual(try file.openDataset("spectral_J_L_B").read(Double.self), s.backward.map { $0.heat[0] })
        XCTAssertEqual(try file.openDataset("spectral_J_L_F").attribute("units"), .string("k_B T/h"))
        XCTAssertEqual(try file.openDataset("nu_R_F").read(Double.self),
                       values.flatMap { v in [0, 1, 2].map { v.injectivities?.right[$0] ?? .nan } })
        XCTAssertFalse(try file.contains("spectral_I_L_eq"))
        XCTAssertEqual(try file.attribute("file_kind"), .string(SpectrumFile.kind))
        XCTAssertEqual(try file.attribute("eps1"), .double(45))
        XCTAssertEqual(try file.attribute("lambda"), .double(0.5))
        XCTAssertEqual(try file.attribute("screening"), .int(1))
        XCTAssertEqual(try file.attribute("I_F"), .double(s.result.forward.particleCurrent))
        XCTAssertEqual(try file.attribute("T_p_B"), .double(s.result.backward.state.tP))
        let u = s.result.backward.state.u
        XCTAssertEqual(try file.attribute("U_B"), .doubles([u[0], u[1], u[2]]))
        XCTAssertEqual(try file.attribute("status_F"), .int(0))
        XCTAssertEqual(try file.attribute("I_lin_F"), .double(s.references?.forward.linearParticleCurrent ?? .nan))
        XCTAssertEqual(try file.attribute("J_eqT_B"),
                       .double(s.references?.backward.equilibriumTransmission.heatCurrent ?? .nan))
        XCTAssertEqual(try file.attribute("history"), .string("diodescan spectrum test"))
    }

    func testWithoutScreeningThereAreNoInjectivities() throws {
        let s = try spectrum(screening: false, count: 5)
        let path = directory.file("plain.h5")
        try SpectrumFile.write(s, to: path, overwrite: false, commandLine: "")
        let file = try HDF5File.open(path, mode: .readOnly)
        XCTAssertFalse(try file.contains("region"))
        XCTAssertFalse(try file.contains("nu_L_F"))
        XCTAssertTrue(try file.contains("spectral_I_L_F"))
        XCTAssertEqual(try file.attribute("screening"), .int(0))
    }

    func testFeatureNodesLandOnTheSharpFabryPerotPeak() throws {
        // Fig. 3 ★: the sharp Fabry–Pérot state below μ (width ~0.13) sits at
        // 38.133 in equilibrium, 37.535 in F, 37.709 in B (docs/physics.md §10.1).
        let p = DeviceParameters(eps1: 46.648, eps3: 48.2, gamma1: 1, gamma3: 1, screening: true)
        let result = try DiodeSolver(parameters: p).solvePoint(deltaT: 1)
        let features = PointSpectrum.featureEnergies(parameters: p, deltaT: 1, result: result, in: 35...55)
        XCTAssertEqual(features, features.sorted())
        XCTAssertEqual(Set(features).count, features.count)
        XCTAssertTrue(features.allSatisfy { (35...55).contains($0) })
        let coarse = DeviceSpectrum.uniformEnergies(from: 35, to: 55, count: 21)
        let energies = PointSpectrum.merge(coarse, features)
        XCTAssertTrue(zip(energies, energies.dropFirst()).allSatisfy { $0 < $1 })
        XCTAssertTrue(Set(coarse).isSubset(of: energies))
        let spectrum = PointSpectrum(parameters: p, deltaT: 1, energies: energies, result: result)
        for (values, peak) in [(spectrum.equilibrium, 0.97), (spectrum.forward, 0.99), (spectrum.backward, 0.94)] {
            let sharp = zip(energies, values).filter { $0.0 > 36 && $0.0 < 40 }.map { $0.1.transmissions.leftRight }
            XCTAssertGreaterThan(sharp.max() ?? 0, peak, "the peak is sampled at its maximum")
        }
        // The uniform grid alone steps over it.
        let plain = PointSpectrum(parameters: p, deltaT: 1, energies: coarse, result: result)
        XCTAssertLessThan(plain.equilibrium.map(\.transmissions.leftRight).max() ?? 1, 0.9)
        XCTAssertEqual(PointSpectrum.merge([1, 2, 3], [2, 2.5, 0]), [0, 1, 2, 2.5, 3])
    }

    func testAnExistingFileIsReplacedOnlyWithOverwrite() throws {
        let s = try spectrum(screening: false, count: 5)
        let path = directory.file("existing.h5")
        try Data("keep".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try SpectrumFile.write(s, to: path, overwrite: false, commandLine: "")) { error in
            guard case SpectrumFileError.exists = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data("keep".utf8))
        try SpectrumFile.write(s, to: path, overwrite: true, commandLine: "")
        XCTAssertEqual(try HDF5File.open(path, mode: .readOnly).openDataset("energy").shape, [5])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".creating"))
    }
}
