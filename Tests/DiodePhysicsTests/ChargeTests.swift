import DiodePhysics
import RealModule
import XCTest

/// The excess charges n_α(U) (docs/physics.md §0, Eq. 7 in its two-integral form).
final class ChargeTests: XCTestCase {
    /// Fig. 3 of the paper: λ = 0, Γ = 1, μ = 40, d = 1, near the bipolar point.
    static let figure3 = ScatteringModel(eps1: 46.5, gamma1: 1, eps3: 48.2, gamma3: 1, d: 1, lambda: 0)

    static func reservoirs(mu: Double = 40, left: Double, right: Double, probe: FermiDistribution? = nil) -> ChargeReservoirs {
        ChargeReservoirs(left: FermiDistribution(mu: mu, temperature: left),
                         right: FermiDistribution(mu: mu, temperature: right), probe: probe)
    }

    /// With every f_j = f_eq and U = u(1,1,1) the first integral vanishes
    /// identically (pointwise), by S(E, u(1,1,1)) = S(E − u, 0).
    func testRigidShiftIdentity() {
        for (lambda, shift) in [(0.0, 0.37), (0.5, -0.8), (1.0, 1.3)] {
            let model = ScatteringModel(eps1: 43, gamma1: 1, eps3: 47, gamma3: 2, d: 1.3, lambda: lambda)
            let feq = FermiDistribution(mu: 40, temperature: 1)
            let reservoirs = ChargeReservoirs(left: feq, right: feq, probe: feq)
            let u = SIMD3(repeating: shift)
            let integrand = TwoIntegralChargeIntegrand(model: model, potentials: u, reservoirs: reservoirs)
            for e in stride(from: -30.0, through: 100, by: 0.731) where abs(e - shift) > 1e-3 {
                let scale = model.injectivities(energy: e - shift).total.max()
                let v = integrand(e)
                for alpha in 0..<3 { XCTAssertEqual(v[alpha], 0, accuracy: 1e-13 * max(1, abs(scale))) }
            }
            var charges = ExcessCharges(model: model, mu: 40, leftTemperature: 1, rightTemperature: 1)
            // The first integrand is rounding noise: give it an absolute floor.
            charges.absoluteTolerance = 1e-14
            let form = charges.twoIntegralForm(potentials: u, reservoirs: reservoirs)
            XCTAssertTrue(form.converged)
            for alpha in 0..<3 { XCTAssertEqual(form.first[alpha], 0, accuracy: 1e-13, "λ=\(lambda) α=\(alpha + 1)") }
            // The second integral alone then carries the charge of a rigid shift.
            let fast = charges.charges(potentials: u, reservoirs: reservoirs)
            for alpha in 0..<3 { XCTAssertEqual(fast.value[alpha], form.second[alpha], accuracy: 1e-11) }
        }
    }

    /// In equilibrium (all f_j = f_eq, U = 0) there is no excess charge.
    func testNoExcessChargeInEquilibrium() {
        for lambda in [0.0, 0.3, 1.0] {
            let model = ScatteringModel(eps1: 42, gamma1: 1, eps3: 45, gamma3: 1, d: 1, lambda: lambda)
            var charges = ExcessCharges(model: model, mu: 40, leftTemperature: 1, rightTemperature: 1)
            let n = charges.charges(potentials: .zero, reservoirs: Self.reservoirs(left: 1, right: 1,
                                    probe: FermiDistribution(mu: 40, temperature: 1)))
            XCTAssertTrue(n.converged)
            for alpha in 0..<3 { XCTAssertEqual(n.value[alpha], 0, accuracy: 1e-12) }
        }
    }

    /// The solver's rearranged form equals the two-integral form of docs/physics.md §0.
    func testSolverFormEqualsTwoIntegralForm() {
        let cases: [(ScatteringModel, SIMD3<Double>, ChargeReservoirs)] = [
            (Self.figure3, SIMD3(0.12, 0.05, -0.09), Self.reservoirs(left: 2, right: 1)),
            (Self.figure3, SIMD3(-0.3, 0.2, 0.4), Self.reservoirs(left: 1, right: 2)),
            (ScatteringModel(eps1: 36, gamma1: 1, eps3: 45, gamma3: 2, d: 2, lambda: 0.4), SIMD3(0.3, -0.2, 0.5),
             Self.reservoirs(left: 2, right: 1, probe: FermiDistribution(mu: 40.3, temperature: 1.4))),
            (ScatteringModel(eps1: 44, gamma1: 1, eps3: 36, gamma3: 1, d: 1, lambda: 1), SIMD3(0.2, 0.7, -0.4),
             Self.reservoirs(left: 1, right: 2, probe: FermiDistribution(mu: 39.8, temperature: 1.5))),
        ]
        for (model, u, reservoirs) in cases {
            var charges = ExcessCharges(model: model, mu: 40, leftTemperature: reservoirs.left.temperature,
                                        rightTemperature: reservoirs.right.temperature)
            let fast = charges.charges(potentials: u, reservoirs: reservoirs)
            let reference = charges.twoIntegralForm(potentials: u, reservoirs: reservoirs)
            XCTAssertTrue(fast.converged)
            XCTAssertTrue(reference.converged)
            for alpha in 0..<3 {
                XCTAssertEqual(fast.value[alpha], reference.first[alpha] + reference.second[alpha], accuracy: 2e-11,
                               "λ=\(model.lambda) α=\(alpha + 1)")
            }
        }
    }

    /// The sharp Fabry–Pérot states of region 2 deep in the Fermi sea (here
    /// near E ≈ 9.9, ~4e-3 wide) are resolved: the adaptive charge integral
    /// agrees with a brute-force composite rule on a very fine uniform grid
    /// (no breakpoints, so nothing is known about where the states are).
    func testFabryPerotStatesAreResolvedAgainstBruteForce() {
        let model = Self.figure3
        let u = SIMD3(0.11, 0.043, -0.07)
        let reservoirs = Self.reservoirs(left: 2, right: 1)
        var states: [FabryPerotState] = []
        model.appendFabryPerotStates(in: -40, 120, potentials: u, to: &states)
        let sharpest = states.min { $0.width < $1.width }!
        XCTAssertLessThan(sharpest.width, 1e-2)
        XCTAssertEqual(sharpest.energy, 9.8, accuracy: 0.2)

        var charges = ExcessCharges(model: model, mu: 40, leftTemperature: 2, rightTemperature: 1)
        let adaptive = charges.occupiedStates(potentials: u, reservoirs: reservoirs)
        XCTAssertTrue(adaptive.converged)

        // Brute force around the sharpest state: uniform 21-point
        // Gauss–Kronrod panels on [9.2, 10.3] (no breakpoints, so nothing is
        // known about where the state is); the adaptive integral elsewhere.
        let (low, high) = (9.2, 10.3)
        XCTAssertTrue(sharpest.energy > low + 20 * sharpest.width && sharpest.energy < high - 20 * sharpest.width)
        let integrand = OccupiedStatesIntegrand(model: model, potentials: u, reservoirs: reservoirs)
        func bruteForce(panels: Int) -> SIMD4<Double> {
            var sum = SIMD4<Double>.zero
            let width = (high - low) / Double(panels)
            for k in 0..<panels {
                let a = low + Double(k) * width
                sum += GaussKronrod21.segment(integrand, lower: a, upper: a + width).value
            }
            return sum
        }
        var features = EnergyBreakpoints()
        features.reset(model: model, potentials: u, leads: [reservoirs.left, reservoirs.right],
                       range: charges.window.lower...charges.window.upper)
        var outside = SIMD4<Double>.zero
        var quadrature = AdaptiveQuadrature<SIMD4<Double>>()
        for (a, b) in [(charges.window.lower, low), (high, charges.window.upper)] {
            features.update(window: a, b, moving: nil)
            var grading = SquareRootGrading()
            var scratch: [Double] = []
            let r = quadrature.integrateGraded(integrand, lower: a, upper: b, roots: SIMD4(u[1], 0, 0, 0),
                                               rootCount: 1, features: features.points,
                                               relativeTolerance: SIMD4(repeating: 1e-12),
                                               absoluteTolerance: SIMD4(repeating: 1e-16),
                                               grading: &grading, scratch: &scratch)
            XCTAssertTrue(r.converged, "\(r.error) \(r.magnitude) \(r.evaluations) \(grading.parameterBreaks) \(scratch)")
            outside += r.value
        }
        let coarse = bruteForce(panels: 2_000)
        let fine = bruteForce(panels: 4_000)
        for alpha in 0..<3 {
            // The brute force is converged to far below the comparison tolerance.
            XCTAssertEqual(coarse[alpha], fine[alpha], accuracy: 1e-13)
            XCTAssertEqual(adaptive.value[alpha], outside[alpha] + fine[alpha], accuracy: 2e-12, "α=\(alpha + 1)")
        }
    }

    /// N^eq continued along a line (each point's quadrature seeded with the
    /// previous point's partition, as a scan tile does) equals a fresh
    /// integration at every point, through ε1 = 47.4 where the breakpoints
    /// ε3 + Γ and ε1 − Γ meet and their interval shrinks to nothing for one
    /// step (relativeTolerance 1e-12, ε3 = 45.4). Before the partitions'
    /// gaps were closed (``AdaptiveQuadrature``), the leaves squeezed out
    /// there left a hole and N^eq came out 1e-4 off from ε1 = 47.6 on, with
    /// the quadrature reporting convergence.
    func testEquilibriumStatesContinuedThroughCoincidingBreakpoints() {
        let tolerance = ScreeningSystem.chargeTolerance(SolverSettings(relativeTolerance: 1e-12), deltaT: 1)
        var partition: QuadraturePartition? = nil
        // ε1 as the Fig. 3 preview's grid has it: at i = 87, ε1 − Γ is one ulp
        // above ε3 + Γ = 46.4.
        for i in 84...90 {
            let eps1 = 30 + 0.2 * Double(i)
            let model = ScatteringModel(eps1: eps1, gamma1: 1, eps3: 45.4, gamma3: 1, d: 1, lambda: 0)
            var continued = ExcessCharges(model: model, mu: 40, leftTemperature: 2, rightTemperature: 1,
                                          relativeTolerance: tolerance)
            let seeded = continued.equilibriumStates(startingFrom: partition)
            var fresh = ExcessCharges(model: model, mu: 40, leftTemperature: 2, rightTemperature: 1,
                                      relativeTolerance: tolerance)
            let reference = fresh.equilibriumStates()
            XCTAssertTrue(seeded.converged && reference.converged)
            for alpha in 0..<3 {
                XCTAssertEqual(seeded.value[alpha], reference.value[alpha], accuracy: 1e-11, "ε1 = \(eps1), α = \(alpha + 1)")
            }
            partition = seeded.partition
        }
    }
}
