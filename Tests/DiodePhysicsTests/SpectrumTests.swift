import ComplexModule
import DiodePhysics
import XCTest

/// [𝓘_L, (E − μ)𝓘_L, 𝓘_R, (E − μ)𝓘_R, 𝓘_p, (E − μ_p)𝓘_p] from ``DeviceSpectrum``.
private struct SpectrumIntegrand: VectorIntegrand {
    let spectrum: DeviceSpectrum
    func callAsFunction(_ e: Double) -> SIMD8<Double> {
        let v = spectrum(e)
        return SIMD8(v.particle[0], v.heat[0], v.particle[1], v.heat[1], v.particle[2], v.heat[2], 0, 0)
    }
}

/// `DeviceSpectrum`: the spectra of `diodescan spectrum` (paper Fig. 3(e)).
final class SpectrumTests: XCTestCase {
    /// The Fig. 3 ★ point (Γ = 1, d = 1, μ = 40) at several λ.
    private func parameters(lambda: Double, screening: Bool) -> DeviceParameters {
        DeviceParameters(eps1: 46.648, eps3: 48.2, gamma1: 1, gamma3: 1, lambda: lambda, screening: screening)
    }

    /// Integrates the spectral currents over the window of docs/physics.md §0 with a
    /// 1e-13 adaptive quadrature (breakpoints at every feature, the band
    /// bottom U₂ substituted as a square-root point).
    private func integrate(_ spectrum: DeviceSpectrum, parameters: DeviceParameters, deltaT: Double)
        -> QuadratureResult<SIMD8<Double>> {
        var breakpoints = EnergyBreakpoints()
        let w = spectrum.window
        breakpoints.reset(model: parameters.scatteringModel, potentials: spectrum.potentials,
                          leads: [spectrum.reservoirs.left, spectrum.reservoirs.right], range: w.lower...w.upper)
        breakpoints.update(window: w.lower, w.upper, moving: parameters.lambda > 0 ? spectrum.reservoirs.probe : nil)
        var quadrature = AdaptiveQuadrature<SIMD8<Double>>(maximumEvaluations: 4_000_000)
        let singular = breakpoints.points.contains(spectrum.potentials[1]) ? [spectrum.potentials[1]] : []
        return quadrature.integrate(SpectrumIntegrand(spectrum: spectrum), breakpoints: breakpoints.points,
                                    singularities: singular, relativeTolerance: SIMD8(repeating: 1e-13))
    }

    func testSpectraIntegrateToTheReportedCurrents() throws {
        for screening in [false, true] {
            for lambda in [0.0, 0.5, 1.0] {
                let p = parameters(lambda: lambda, screening: screening)
                let solver = try DiodeSolver(parameters: p)
                for configuration in Configuration.allCases {
                    let label = "λ = \(lambda), screening \(screening), \(configuration)"
                    let result = solver.solve(deltaT: 1, configuration: configuration)
                    XCTAssertEqual(result.status, .converged, label)
                    let spectrum = DeviceSpectrum(parameters: p, deltaT: 1, configuration: configuration,
                                                  state: result.state)
                    let r = integrate(spectrum, parameters: p, deltaT: 1)
                    XCTAssertTrue(r.converged, label)
                    assertClose(r.value[0], result.particleCurrent, relative: 1e-8, label + " I")
                    assertClose(r.value[1], result.heatCurrent, relative: 1e-8, label + " J")
                    // All six terminal currents against the solver's at the same state.
                    let currents = solver.terminalCurrents(deltaT: 1, configuration: configuration, state: result.state)
                    for j in 0..<3 {
                        assertClose(r.value[2 * j], currents.particle[j], relative: 0,
                                    absolute: 1e-9 * currents.particleMagnitude.max(), label + " I_\(j)")
                        assertClose(r.value[2 * j + 1], currents.heat[j], relative: 0,
                                    absolute: 1e-9 * currents.heatMagnitude.max(), label + " J_\(j)")
                    }
                    // Pointwise conservation: Σ_j 𝓘_j = 0 and Σ_j (heat_j + μ_j 𝓘_j) = 0.
                    for e in stride(from: spectrum.window.lower, through: spectrum.window.upper, by: 0.37) {
                        let v = spectrum(e)
                        let scale = max(abs(v.particle[0]), abs(v.particle[1]), abs(v.particle[2])) + 1e-300
                        XCTAssertLessThanOrEqual(abs(v.particle.sum()), 1e-14 * scale, "\(label) E = \(e)")
                        let mus = SIMD3(p.mu, p.mu, lambda > 0 ? result.state.muP : p.mu)
                        let energy = v.heat + mus * v.particle
                        XCTAssertLessThanOrEqual(abs(energy.sum()), 1e-13 * (abs(e) + max(abs(mus[0]), abs(mus[2]))) * scale, "\(label) E = \(e)")
                    }
                }
            }
        }
    }

    func testEquilibriumSpectrumIsTemperatureIndependentAndCarriesNoCurrent() throws {
        for lambda in [0.0, 0.5, 1.0] {
            let p = parameters(lambda: lambda, screening: true)
            let equilibrium = DeviceSpectrum.equilibrium(parameters: p)
            XCTAssertEqual(equilibrium.potentials, .zero)
            XCTAssertEqual(equilibrium.window.lower, p.mu - 40)
            XCTAssertEqual(equilibrium.window.upper, p.mu + 40)
            // Any temperatures and probe state, U = 0: the same transmissions.
            let hot = DeviceSpectrum(parameters: p, deltaT: 2.5, configuration: .backward,
                                     state: InternalState(muP: 41.3, tP: 2.1, u: .zero))
            for e in stride(from: -5.0, through: 90, by: 0.173) {
                let a = equilibrium(e, injectivities: true), b = hot(e, injectivities: true)
                XCTAssertEqual(a.transmissions, b.transmissions, "λ = \(lambda), E = \(e)")
                XCTAssertEqual(a.injectivities, b.injectivities, "λ = \(lambda), E = \(e)")
                XCTAssertEqual(a.particle, .zero)
                XCTAssertEqual(a.heat, .zero)
                XCTAssertEqual(a.injectivities, p.scatteringModel.injectivities(energy: e))
            }
        }
    }

    func testEquilibriumTransmissionIsInversionSymmetric() throws {
        // Mirroring the device (ε1 ↔ ε3, Γ1 ↔ Γ3) leaves T_LR and swaps T_Lp ↔ T_Rp.
        for lambda in [0.0, 0.3, 1.0] {
            let p = DeviceParameters(eps1: 44, eps3: 47.5, gamma1: 0.7, gamma3: 1.6, lambda: lambda, d: 2)
            var mirrored = p
            (mirrored.eps1, mirrored.eps3, mirrored.gamma1, mirrored.gamma3) = (p.eps3, p.eps1, p.gamma3, p.gamma1)
            let a = DeviceSpectrum.equilibrium(parameters: p), b = DeviceSpectrum.equilibrium(parameters: mirrored)
            for e in stride(from: -3.0, through: 80, by: 0.211) {
                let ta = a(e).transmissions, tb = b(e).transmissions
                assertClose(ta.leftRight, tb.leftRight, relative: 1e-13, absolute: 1e-300)
                assertClose(ta.leftProbe, tb.rightProbe, relative: 1e-13, absolute: 1e-300)
                assertClose(ta.rightProbe, tb.leftProbe, relative: 1e-13, absolute: 1e-300)
            }
        }
    }

    func testCoherentEquilibriumTransmissionIsTheLandauerFormula() throws {
        let p = DeviceParameters(eps1: 46.648, eps3: 48.2, gamma1: 1, gamma3: 1.3, lambda: 0, d: 1.5)
        let spectrum = DeviceSpectrum.equilibrium(parameters: p)
        for e in stride(from: -4.0, through: 90, by: 0.0913) {
            // T(E) = |t1 t3 e^{iφ}|² / |1 − r1 r3 e^{2iφ}|², φ = d √E (principal root).
            func barrier(_ eps: Double, _ gamma: Double) -> (Complex<Double>, Complex<Double>) {
                let t = Complex(0, -gamma) / Complex(e - eps, gamma)
                return (t, 1 + t)
            }
            let (t1, r1) = barrier(p.eps1, p.gamma1), (t3, r3) = barrier(p.eps3, p.gamma3)
            let phi = e >= 0 ? Complex(p.d * e.squareRoot(), 0) : Complex(0, p.d * (-e).squareRoot())
            let z = Complex.exp(Complex(0, 1) * phi)
            let landauer = (t1 * t3 * z).lengthSquared / (1 - r1 * r3 * z * z).lengthSquared
            let v = spectrum(e)
            assertClose(v.transmissions.leftRight, landauer, relative: 1e-12, absolute: 1e-300, "E = \(e)")
            XCTAssertEqual(v.transmissions.leftProbe, 0)
            XCTAssertEqual(v.transmissions.rightProbe, 0)
        }
    }

    func testFailedStateGivesNaNAndUniformGrid() {
        let p = parameters(lambda: 0.5, screening: true)
        let failed = DeviceSpectrum(parameters: p, deltaT: 1, configuration: .forward,
                                    state: InternalState(muP: .nan, tP: .nan, u: SIMD3(repeating: .nan)))
        XCTAssertTrue(failed(45).transmissions.leftRight.isNaN)
        XCTAssertTrue(failed(45).particle[0].isNaN)
        let grid = DeviceSpectrum.uniformEnergies(from: -1, to: 2, count: 4)
        XCTAssertEqual(grid, [-1, 0, 1, 2])
        XCTAssertEqual(DeviceSpectrum.uniformEnergies(from: 3, to: 5, count: 1), [3])
        XCTAssertEqual(DeviceSpectrum.uniformEnergies(from: 3, to: 5, count: 0), [])
        XCTAssertEqual(DeviceSpectrum.uniformEnergies(from: 0.1, to: 0.7, count: 7).last, 0.7)
    }
}
