import ComplexModule
import DiodePhysics
import RealModule
import XCTest

/// The device matrix against an independent brute-force composition, and
/// its structural properties (docs/physics.md §0 "Scattering matrices").
final class ScatteringMatrixTests: XCTestCase {
    /// Brute force: the five scatterers as a network. Every scatterer maps
    /// incoming to outgoing amplitudes on its own ports; internal ports are
    /// wired in pairs; the outgoing amplitudes o solve (1 − M P) o = M e.
    static func networkMatrix(model m: ScatteringModel, energy e: Double, potentials u: SIMD3<Double>) -> [[Complex<Double>]] {
        func barrier(_ eps: Double, _ gamma: Double, _ potential: Double) -> [[Complex<Double>]] {
            let x = e - eps - potential
            let t = Complex(0, -gamma) / Complex(x, gamma)
            let r = Complex(1) + t
            return [[r, t], [t, r]]
        }
        // Half of region 2 from the definition: e^{iφ/2}, φ = d·sqrt(E − U₂) principal.
        let phi = Complex(m.d) * Complex.sqrt(Complex(e - u[1]))
        let w = Complex.exp(Complex(0, 0.5) * phi)
        let half: [[Complex<Double>]] = [[.zero, w], [w, .zero]]
        let a = Complex((1 - m.lambda).squareRoot()), b = Complex(m.lambda.squareRoot())
        let probe: [[Complex<Double>]] = [[.zero, a, b, .zero], [a, .zero, .zero, b],
                                          [b, .zero, .zero, -a], [.zero, b, -a, .zero]]
        // Global port numbering: barrier1 0,1 | halfA 2,3 | probe 4,5,6,7 | halfB 8,9 | barrier3 10,11.
        let blocks = [(0, barrier(m.eps1, m.gamma1, u[0])), (2, half), (4, probe), (8, half),
                      (10, barrier(m.eps3, m.gamma3, u[2]))]
        let n = 12
        var scattering = [[Complex<Double>]](repeating: [Complex<Double>](repeating: .zero, count: n), count: n)
        for (offset, block) in blocks {
            for i in block.indices { for j in block.indices { scattering[offset + i][offset + j] = block[i][j] } }
        }
        var partner = [Int](repeating: -1, count: n)
        for (p, q) in [(1, 2), (3, 4), (5, 8), (9, 10)] { partner[p] = q; partner[q] = p }
        let external = [0, 11, 6, 7]   // L, R, p1, p2
        var system = [[Complex<Double>]](repeating: [Complex<Double>](repeating: .zero, count: n), count: n)
        for i in 0..<n {
            system[i][i] = Complex(1)
            for j in 0..<n where partner[j] >= 0 {
                // incoming at port j = outgoing at its partner
                system[i][partner[j]] = system[i][partner[j]] - scattering[i][j]
            }
        }
        var result = [[Complex<Double>]](repeating: [Complex<Double>](repeating: .zero, count: 4), count: 4)
        for (column, port) in external.enumerated() {
            var rhs = [Complex<Double>](repeating: .zero, count: n)
            for i in 0..<n { rhs[i] = scattering[i][port] }
            let outgoing = solveLinearSystem(system, rhs)
            for (row, out) in external.enumerated() { result[row][column] = outgoing[out] }
        }
        return result
    }

    static func randomModel(_ rng: inout SplitMix64, lambda: Double? = nil) -> ScatteringModel {
        ScatteringModel(eps1: .random(in: 0...60, using: &rng), gamma1: .random(in: 0.2...4, using: &rng),
                        eps3: .random(in: 0...60, using: &rng), gamma3: .random(in: 0.2...4, using: &rng),
                        d: .random(in: 0.3...4, using: &rng), lambda: lambda ?? .random(in: 0...1, using: &rng))
    }

    func testClosedFormMatchesBruteForceComposition() {
        var rng = SplitMix64(seed: 1)
        for trial in 0..<300 {
            let model = Self.randomModel(&rng, lambda: trial % 10 == 0 ? 0 : (trial % 10 == 1 ? 1 : nil))
            let u = SIMD3(Double.random(in: -3...3, using: &rng), .random(in: -3...3, using: &rng),
                          .random(in: -3...3, using: &rng))
            // A third of the energies below the band bottom U₂.
            let e = trial % 3 == 0 ? u[1] - .random(in: 0...20, using: &rng) : u[1] + .random(in: 0...80, using: &rng)
            let oracle = Self.networkMatrix(model: model, energy: e, potentials: u)
            let s = model.matrix(energy: e, potentials: u)
            for k in DevicePort.allCases {
                for j in DevicePort.allCases {
                    assertClose(s[k, j], oracle[k.rawValue][j.rawValue], absolute: 1e-12,
                                "S[\(k),\(j)] at E=\(e), \(model)")
                }
            }
        }
    }

    func testBruteForceCompositionIsSymmetric() {
        var rng = SplitMix64(seed: 2)
        for _ in 0..<50 {
            let model = Self.randomModel(&rng)
            let e = Double.random(in: -10...80, using: &rng)
            let oracle = Self.networkMatrix(model: model, energy: e, potentials: .zero)
            for k in 0..<4 { for j in 0..<4 { assertClose(oracle[k][j], oracle[j][k], absolute: 1e-13) } }
        }
    }

    func testUnitarityAboveBandBottom() {
        var rng = SplitMix64(seed: 3)
        for _ in 0..<500 {
            let model = Self.randomModel(&rng)
            let u = SIMD3(Double.random(in: -3...3, using: &rng), .random(in: -3...3, using: &rng), 0)
            let s = model.matrix(energy: u[1] + .random(in: 1e-6...100, using: &rng), potentials: u)
            for i in DevicePort.allCases {
                for j in DevicePort.allCases {
                    var product = Complex<Double>.zero
                    for k in DevicePort.allCases { product = product + s[k, i].conjugate * s[k, j] }
                    assertClose(product, i == j ? Complex(1) : .zero, absolute: 1e-13)
                }
            }
        }
    }

    func testBelowBandBottomIsNotUnitaryButSubunitary() {
        let model = ScatteringModel(eps1: 5, gamma1: 1, eps3: 6, gamma3: 1, d: 1, lambda: 0.5)
        let s = model.matrix(energy: -2)
        var norm = 0.0
        for k in DevicePort.allCases { norm += s[k, .left].lengthSquared }
        XCTAssertLessThan(norm, 1 - 1e-3)
    }

    func testProbeDecouplesAtLambdaZero() {
        var rng = SplitMix64(seed: 4)
        for _ in 0..<100 {
            let model = Self.randomModel(&rng, lambda: 0)
            let s = model.matrix(energy: .random(in: -5...80, using: &rng))
            for lead in [DevicePort.left, .right] {
                XCTAssertEqual(s[.probe1, lead].length, 0)
                XCTAssertEqual(s[.probe2, lead].length, 0)
            }
            assertClose(s[.probe1, .probe2], Complex(-1), absolute: 1e-15)
            XCTAssertEqual(s[.probe1, .probe1].length, 0)
        }
    }

    func testLambdaOneBlocksCoherentTransport() {
        var rng = SplitMix64(seed: 5)
        for _ in 0..<100 {
            let model = Self.randomModel(&rng, lambda: 1)
            let e = Double.random(in: 0...80, using: &rng)
            let s = model.matrix(energy: e)
            XCTAssertEqual(s[.right, .left].length, 0)
            let t1 = ScatteringModel.barrier(x: e - model.eps1, gamma: model.gamma1).t
            let t3 = ScatteringModel.barrier(x: e - model.eps3, gamma: model.gamma3).t
            assertClose(s[.probe1, .left].lengthSquared + s[.probe2, .left].lengthSquared, t1.lengthSquared,
                        relative: 1e-14)
            assertClose(s[.probe1, .right].lengthSquared + s[.probe2, .right].lengthSquared, t3.lengthSquared,
                        relative: 1e-14)
        }
    }

    func testBarrierAmplitudesFollowTheDefinition() {
        for (x, gamma) in [(0.0, 1.0), (-3.0, 0.5), (7.0, 3.0), (1e-3, 1e3)] {
            let (t, r) = ScatteringModel.barrier(x: x, gamma: gamma)
            assertClose(t, Complex(0, -gamma) / Complex(x, gamma), absolute: 1e-15)
            assertClose(r, Complex(1) + t, absolute: 1e-15)
        }
    }

    func testTerminalTransmissionsMatchMatrixElements() {
        var rng = SplitMix64(seed: 6)
        for trial in 0..<300 {
            let model = Self.randomModel(&rng)
            let u = SIMD3(Double.random(in: -2...2, using: &rng), .random(in: -2...2, using: &rng),
                          .random(in: -2...2, using: &rng))
            let e = trial % 2 == 0 ? u[1] - .random(in: 0...10, using: &rng) : u[1] + .random(in: 0...80, using: &rng)
            let s = model.matrix(energy: e, potentials: u)
            let t = model.transmissions(energy: e, potentials: u)
            assertClose(t.leftRight, s[.right, .left].lengthSquared, relative: 1e-12, absolute: 1e-300)
            assertClose(t.leftProbe, s[.probe1, .left].lengthSquared + s[.probe2, .left].lengthSquared,
                        relative: 1e-12, absolute: 1e-300)
            assertClose(t.rightProbe, s[.probe1, .right].lengthSquared + s[.probe2, .right].lengthSquared,
                        relative: 1e-12, absolute: 1e-300)
        }
    }

    func testCoherentTransmissionIsTheLandauerClosedForm() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<300 {
            let model = Self.randomModel(&rng, lambda: 0)
            let e = Double.random(in: -10...80, using: &rng)
            let (t1, r1) = ScatteringModel.barrier(x: e - model.eps1, gamma: model.gamma1)
            let (t3, r3) = ScatteringModel.barrier(x: e - model.eps3, gamma: model.gamma3)
            let phase = Complex.exp(Complex(0, 1) * Complex(model.d) * Complex.sqrt(Complex(e)))
            let closed = (t1 * t3 * phase).lengthSquared / (Complex(1) - r1 * r3 * phase * phase).lengthSquared
            assertClose(model.transmissions(energy: e).leftRight, closed, relative: 1e-12, absolute: 1e-300)
        }
    }

    /// ∂S/∂U_α from the jets against a sixth-order central difference.
    func testPotentialDerivativesMatchFiniteDifferences() {
        var rng = SplitMix64(seed: 8)
        for trial in 0..<120 {
            let model = Self.randomModel(&rng)
            let u = SIMD3(Double.random(in: -2...2, using: &rng), .random(in: -2...2, using: &rng),
                          .random(in: -2...2, using: &rng))
            // Energies above and below the band bottom, some close to it (∂/∂U₂ ~ 1/√|E − U₂|).
            let offset = trial % 4 == 0 ? Double.random(in: 0.01...0.1, using: &rng) : .random(in: 0.5...60, using: &rng)
            let e = trial % 2 == 0 ? u[1] + offset : u[1] - offset
            let jets = model.matrixWithDerivatives(energy: e, potentials: u)
            let h = 1e-3 * min(1, offset)
            for alpha in 0..<3 {
                var step = SIMD3<Double>.zero
                step[alpha] = h
                func s(_ k: Double) -> DeviceMatrix<Complex<Double>> { model.matrix(energy: e, potentials: u + k * step) }
                let (p1, m1, p2, m2, p3, m3) = (s(1), s(-1), s(2), s(-2), s(3), s(-3))
                for k in DevicePort.allCases {
                    for j in DevicePort.allCases {
                        let difference = ((p1[k, j] - m1[k, j]).scaled(by: 45) - (p2[k, j] - m2[k, j]).scaled(by: 9)
                                          + (p3[k, j] - m3[k, j])).scaled(by: 1 / (60 * h))
                        let exact = jets[k, j].partial(alpha + 1)
                        XCTAssertEqual(jets[k, j].value, model.matrix(energy: e, potentials: u)[k, j])
                        assertClose(exact, difference, absolute: 1e-7 * max(1, exact.length),
                                    "∂S[\(k),\(j)]/∂U\(alpha + 1) at E − U₂ = \(e - u[1])")
                    }
                }
            }
        }
    }

    func testFabryPerotStatesArePeaksOfTheInverseDenominator() {
        let model = ScatteringModel(eps1: 45, gamma1: 1, eps3: 48, gamma3: 1, d: 3, lambda: 0)
        var states: [FabryPerotState] = []
        model.appendFabryPerotStates(in: -10, 120, potentials: .zero, to: &states)
        XCTAssertGreaterThan(states.count, 5)
        func inverseDenominator(_ e: Double) -> Double {
            let (_, r1) = ScatteringModel.barrier(x: e - model.eps1, gamma: model.gamma1)
            let (_, r3) = ScatteringModel.barrier(x: e - model.eps3, gamma: model.gamma3)
            let z = Complex.exp(Complex(0, 2 * model.d * e.squareRoot()))
            return 1 / (Complex(1) - r1 * r3 * z).lengthSquared
        }
        for state in states where state.loopGain > 0.9 {
            let peak = inverseDenominator(state.energy)
            // Half maximum about half a width away on either side (Airy line shape).
            let halfWidth = 0.5 * state.width
            XCTAssertGreaterThan(peak, inverseDenominator(state.energy + 0.2 * halfWidth))
            XCTAssertGreaterThan(peak, inverseDenominator(state.energy - 0.2 * halfWidth))
            assertClose(inverseDenominator(state.energy + halfWidth) / peak, 0.5, relative: 0.1)
            assertClose(inverseDenominator(state.energy - halfWidth) / peak, 0.5, relative: 0.1)
        }
        // The narrowest states of the example in docs/physics.md §0 are ~1e-3 wide near E ≈ 10 for d = 1, Γ = 1.
        let deep = ScatteringModel(eps1: 45, gamma1: 1, eps3: 48, gamma3: 1, d: 1, lambda: 0)
        var deepStates: [FabryPerotState] = []
        deep.appendFabryPerotStates(in: -40, 120, potentials: .zero, to: &deepStates)
        let narrow = deepStates.min { $0.width < $1.width }!
        XCTAssertLessThan(narrow.width, 1e-2)
        XCTAssertGreaterThan(narrow.width, 1e-4)
    }
}
