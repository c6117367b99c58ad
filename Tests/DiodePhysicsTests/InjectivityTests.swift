import ComplexModule
import DiodePhysics
import RealModule
import XCTest

/// The injectivities ν_jα (docs/physics.md §0, Eq. 6) from the exact ∂S/∂U jets, and the
/// second-order jets of the screening Jacobian, against high-order finite
/// differences of the device matrix.
final class InjectivityTests: XCTestCase {
    static let elements: [(DevicePort, DevicePort)] = [
        (.left, .left), (.left, .right), (.left, .probe1), (.left, .probe2), (.right, .right),
        (.right, .probe1), (.right, .probe2), (.probe1, .probe1), (.probe1, .probe2), (.probe2, .probe2),
    ]

    /// 8th-order central difference of f at x with step h.
    static func centralDifference(_ h: Double, _ f: (Double) -> Complex<Double>) -> Complex<Double> {
        let c: [Double] = [4.0 / 5, -1.0 / 5, 4.0 / 105, -1.0 / 280]
        var sum = Complex<Double>.zero
        for (k, weight) in c.enumerated() {
            let step = Double(k + 1) * h
            sum = sum + Complex(weight) * (f(step) - f(-step))
        }
        return sum / Complex(h)
    }

    /// ν_jα from S and finite-difference ∂S/∂U_α, straight from the definition.
    static func injectivitiesByFiniteDifferences(_ model: ScatteringModel, energy e: Double,
                                                 potentials u: SIMD3<Double>) -> [[Double]] {
        let s = model.matrix(energy: e, potentials: u)
        let channels: [[DevicePort]] = [[.left], [.right], [.probe1, .probe2]]
        var nu = [[Double]](repeating: [0, 0, 0], count: 3)
        for alpha in 0..<3 {
            var derivative = [[Complex<Double>]](repeating: [Complex<Double>](repeating: .zero, count: 4), count: 4)
            for k in DevicePort.allCases {
                for j in DevicePort.allCases {
                    derivative[k.rawValue][j.rawValue] = centralDifference(1e-3) { h in
                        var shifted = u
                        shifted[alpha] += h
                        return model.matrix(energy: e, potentials: shifted)[k, j]
                    }
                }
            }
            for (terminal, ports) in channels.enumerated() {
                var sum = 0.0
                for j in ports {
                    for k in DevicePort.allCases {
                        let value = s[k, j], d = derivative[k.rawValue][j.rawValue]
                        sum += (value.conjugate * d).imaginary
                    }
                }
                nu[terminal][alpha] = -sum / (2 * .pi)
            }
        }
        return nu
    }

    static func randomPoint(_ rng: inout SplitMix64, lambda: Double? = nil)
        -> (model: ScatteringModel, energy: Double, potentials: SIMD3<Double>) {
        let model = ScatteringMatrixTests.randomModel(&rng, lambda: lambda)
        let u = SIMD3(Double.random(in: -1...1, using: &rng), Double.random(in: -1...1, using: &rng),
                      Double.random(in: -1...1, using: &rng))
        var e = Double.random(in: -10...70, using: &rng)
        // Keep the finite-difference stencil off the band bottom.
        if abs(e - u[1]) < 0.2 { e += 0.5 }
        return (model, e, u)
    }

    func testInjectivitiesMatchFiniteDifferencesOfS() {
        var rng = SplitMix64(seed: 3)
        for trial in 0..<60 {
            let (model, e, u) = Self.randomPoint(&rng, lambda: trial % 3 == 0 ? 0 : (trial % 3 == 1 ? 1 : nil))
            let exact = model.injectivities(energy: e, potentials: u)
            let reference = Self.injectivitiesByFiniteDifferences(model, energy: e, potentials: u)
            let scale = max(1e-3, reference.joined().map(abs).max()!)
            for alpha in 0..<3 {
                assertClose(exact.left[alpha], reference[0][alpha], relative: 0, absolute: 1e-9 * scale, "L\(alpha)")
                assertClose(exact.right[alpha], reference[1][alpha], relative: 0, absolute: 1e-9 * scale, "R\(alpha)")
                assertClose(exact.probe[alpha], reference[2][alpha], relative: 0, absolute: 1e-9 * scale, "p\(alpha)")
            }
        }
    }

    /// The second-order jet against central differences of the exact
    /// first-order jets.
    func testCurvatureJetsMatchFiniteDifferencesOfFirstDerivatives() {
        var rng = SplitMix64(seed: 5)
        for _ in 0..<30 {
            let (model, e, u) = Self.randomPoint(&rng)
            let jets = model.matrixWithCurvatures(energy: e, potentials: u)
            let first = model.matrixWithDerivatives(energy: e, potentials: u)
            for (k, j) in Self.elements {
                let jet = jets[k, j]
                let scale = max(1, jet.d11.length, jet.d13.length, jet.d33.length, jet.d12.length, jet.d23.length)
                assertClose(jet.value, first[k, j].value, absolute: 1e-14)
                for alpha in 1...3 {
                    assertClose(jet.partial(alpha), first[k, j].partial(alpha), absolute: 1e-12 * max(1, jet.partial(alpha).length))
                }
                func secondDerivative(_ beta: Int, _ alpha: Int) -> Complex<Double> {
                    Self.centralDifference(1e-3) { h in
                        var shifted = u
                        shifted[beta - 1] += h
                        return model.matrixWithDerivatives(energy: e, potentials: shifted)[k, j].partial(alpha)
                    }
                }
                assertClose(jet.d11, secondDerivative(1, 1), absolute: 1e-8 * scale)
                assertClose(jet.d12, secondDerivative(1, 2), absolute: 1e-8 * scale)
                assertClose(jet.d13, secondDerivative(1, 3), absolute: 1e-8 * scale)
                assertClose(jet.d13, secondDerivative(3, 1), absolute: 1e-8 * scale)
                assertClose(jet.d23, secondDerivative(3, 2), absolute: 1e-8 * scale)
                assertClose(jet.d33, secondDerivative(3, 3), absolute: 1e-8 * scale)
            }
        }
    }

    /// ScreeningSpectrum: ν, ∂ν/∂U₁, ∂ν/∂U₃, T and ∂T/∂U against the
    /// first-order quantities and finite differences of them.
    func testScreeningSpectrumDerivatives() {
        var rng = SplitMix64(seed: 11)
        for trial in 0..<45 {
            // λ = 0 and λ = 1 take the specialised paths.
            let (model, e, u) = Self.randomPoint(&rng, lambda: trial % 3 == 0 ? 0 : (trial % 3 == 1 ? 1 : nil))
            let spectrum = model.screeningSpectrum(energy: e, potentials: u)
            let nu = model.injectivities(energy: e, potentials: u)
            let t = model.transmissions(energy: e, potentials: u)
            XCTAssertEqual(spectrum.transmissions.leftRight, t.leftRight, accuracy: 1e-13)
            XCTAssertEqual(spectrum.transmissions.leftProbe, t.leftProbe, accuracy: 1e-13)
            XCTAssertEqual(spectrum.transmissions.rightProbe, t.rightProbe, accuracy: 1e-13)
            for (a, b) in [(spectrum.injectivities.left, nu.left), (spectrum.injectivities.right, nu.right),
                           (spectrum.injectivities.probe, nu.probe)] {
                for alpha in 0..<3 { assertClose(a[alpha], b[alpha], relative: 1e-12, absolute: 1e-14) }
            }
            for beta in [0, 2] {
                func shifted(_ h: Double) -> SIMD3<Double> { var v = u; v[beta] += h; return v }
                let derivative = beta == 0 ? spectrum.injectivitiesByU1 : spectrum.injectivitiesByU3
                let fd: [SIMD3<Double>] = (0..<3).map { terminal in
                    let values = (0..<3).map { alpha in
                        Self.centralDifference(1e-3) { h in
                            let n = model.injectivities(energy: e, potentials: shifted(h))
                            return Complex([n.left, n.right, n.probe][terminal][alpha])
                        }.real
                    }
                    return SIMD3(values[0], values[1], values[2])
                }
                let exact = [derivative.left, derivative.right, derivative.probe]
                for terminal in 0..<3 {
                    for alpha in 0..<3 {
                        assertClose(exact[terminal][alpha], fd[terminal][alpha], relative: 1e-7, absolute: 1e-9,
                                    "∂ν_\(terminal)\(alpha)/∂U\(beta + 1)")
                    }
                }
            }
            for beta in 0..<3 {
                let fd = Self.centralDifference(1e-3) { h in
                    var v = u; v[beta] += h
                    let tt = model.transmissions(energy: e, potentials: v)
                    return Complex(tt.leftRight, tt.leftProbe)
                }
                assertClose(spectrum.leftRightGradient[beta], fd.real, relative: 1e-7, absolute: 1e-10)
                assertClose(spectrum.leftProbeGradient[beta], fd.imaginary, relative: 1e-7, absolute: 1e-10)
            }
        }
    }

    /// Gauge invariance S(E, U + u(1,1,1)) = S(E − u, U) gives
    /// Σ_α ν_jα(E, U) = (1/2π) Σ_{j'∈j, k} Im(S* ∂S/∂E), and ν_jα(E, U + u·1) = ν_jα(E − u, U).
    func testGaugeIdentity() {
        var rng = SplitMix64(seed: 17)
        for _ in 0..<40 {
            let (model, e, u) = Self.randomPoint(&rng)
            let shift = Double.random(in: -2...2, using: &rng)
            guard abs(e - shift - u[1]) > 0.2 else { continue }
            let a = model.injectivities(energy: e, potentials: u + shift)
            let b = model.injectivities(energy: e - shift, potentials: u)
            for alpha in 0..<3 {
                assertClose(a.left[alpha], b.left[alpha], relative: 1e-10, absolute: 1e-13)
                assertClose(a.probe[alpha], b.probe[alpha], relative: 1e-10, absolute: 1e-13)
            }
            let nu = model.injectivities(energy: e, potentials: u)
            let s = model.matrix(energy: e, potentials: u)
            var sum = 0.0
            for k in DevicePort.allCases {
                let d = Self.centralDifference(1e-3) { h in model.matrix(energy: e + h, potentials: u)[k, .left] }
                sum += (s[k, .left].conjugate * d).imaginary
            }
            let total = nu.left[0] + nu.left[1] + nu.left[2]
            assertClose(total, sum / (2 * .pi), relative: 1e-8, absolute: 1e-10)
        }
    }

    /// λ = 1: nothing crosses region 2 coherently, so the left lead does not
    /// inject into region 3, nor the right lead into region 1; above the band
    /// bottom the injectivities are non-negative densities.
    func testFullThermalisationDecouplesTheBarriers() {
        var rng = SplitMix64(seed: 23)
        for _ in 0..<30 {
            var (model, e, u) = Self.randomPoint(&rng, lambda: 1)
            e = u[1] + abs(e - u[1]) + 0.3
            let nu = model.injectivities(energy: e, potentials: u)
            XCTAssertEqual(nu.left[2], 0, accuracy: 1e-15)
            XCTAssertEqual(nu.right[0], 0, accuracy: 1e-15)
            for alpha in 0..<3 {
                XCTAssertGreaterThanOrEqual(nu.left[alpha], -1e-14)
                XCTAssertGreaterThanOrEqual(nu.right[alpha], -1e-14)
                XCTAssertGreaterThanOrEqual(nu.probe[alpha], -1e-14)
            }
            _ = model
        }
    }
}

extension InjectivityTests {
    /// The λ = 0 and λ = 1 compositions used by `matrixWithCurvatures` agree
    /// with the general composition.
    func testSpecialisedCompositionsMatchTheGeneralOne() {
        var rng = SplitMix64(seed: 29)
        for trial in 0..<40 {
            let (model, e, u) = Self.randomPoint(&rng, lambda: trial % 2 == 0 ? 0 : 1)
            let x1 = e - model.eps1 - u[0], x3 = e - model.eps3 - u[2]
            let (t1, r1) = ScatteringModel.barrier(x: x1, gamma: model.gamma1)
            let (t3, r3) = ScatteringModel.barrier(x: x3, gamma: model.gamma3)
            let dt1 = ScatteringModel.barrierDerivative(x: x1, gamma: model.gamma1)
            let dt3 = ScatteringModel.barrierDerivative(x: x3, gamma: model.gamma3)
            let ddt1 = ScatteringModel.barrierSecondDerivative(x: x1, gamma: model.gamma1)
            let ddt3 = ScatteringModel.barrierSecondDerivative(x: x3, gamma: model.gamma3)
            let w = model.halfPhase(energy: e, u2: u[1])
            let dw = model.halfPhaseDerivative(energy: e, u2: u[1], halfPhase: w)
            let general = model.compose(t1: CurvatureJet(value: t1, d1: dt1, d11: ddt1),
                                        r1: CurvatureJet(value: r1, d1: dt1, d11: ddt1),
                                        t3: CurvatureJet(value: t3, d3: dt3, d33: ddt3),
                                        r3: CurvatureJet(value: r3, d3: dt3, d33: ddt3),
                                        w: CurvatureJet(value: w, d2: dw))
            let special = model.matrixWithCurvatures(energy: e, potentials: u)
            for (k, j) in Self.elements {
                let a = general[k, j], b = special[k, j]
                let scale = max(1, a.d1.length, a.d2.length, a.d3.length, a.d11.length, a.d12.length, a.d13.length,
                                a.d23.length, a.d33.length)
                for (x, y) in [(a.value, b.value), (a.d1, b.d1), (a.d2, b.d2), (a.d3, b.d3), (a.d11, b.d11),
                               (a.d12, b.d12), (a.d13, b.d13), (a.d23, b.d23), (a.d33, b.d33)] {
                    assertClose(x, y, absolute: 1e-13 * scale, "λ=\(model.lambda) \(k),\(j)")
                }
            }
        }
    }
}
