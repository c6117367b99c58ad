import XCTest
@testable import DiodePhysics

/// f(E) and its spread, for the breakpoint tests.
private struct OccupationIntegrand: VectorIntegrand {
    let f: FermiDistribution
    func callAsFunction(_ e: Double) -> SIMD2<Double> {
        let v = f(e)
        return SIMD2(v.occupation, v.spread)
    }
}

/// The Fermi-edge breakpoints (``EnergyBreakpoints/appendFermiEdge(_:to:)``):
/// μ and the guard points μ ± 100 T.
final class FermiEdgeBreakpointTests: XCTestCase {
    /// ∫ f over a window with the breakpoints a lead at temperature T adds,
    /// against the closed form T[ln(1 + e^{(μ−a)/T}) − ln(1 + e^{(μ−b)/T})],
    /// for edges from much sharper than the window (T = 1e-3 in a window of
    /// ±40: ΔT → −1; T = 1 in a window of ±2·10⁴: the cold lead at ΔT = 500)
    /// to as wide as it (T = 1 in ±80, ΔT = 1). Without the guard points the
    /// panels next to μ are the whole half-windows, 4·10⁴ T wide, and the
    /// step is missed with a zero error estimate.
    func testFermiStepIsIntegratedWhateverItsWidthAgainstTheWindow() {
        let mu = 40.0
        for (temperature, halfWidth) in [(1e-3, 40.0), (1.0, 20_000.0), (1.0, 80.0), (0.05, 300.0)] {
            let lead = FermiDistribution(mu: mu, temperature: temperature)
            let (a, b) = (mu - halfWidth, mu + halfWidth)
            var breakpoints = EnergyBreakpoints()
            let model = DeviceParameters(eps1: mu + 5, eps3: mu + 7, gamma1: 1, gamma3: 1, mu: mu, lambda: 1, d: 1)
                .scatteringModel
            breakpoints.reset(model: model, potentials: .zero, leads: [lead], range: a...b)
            breakpoints.update(window: a, b, moving: nil)
            XCTAssertTrue(breakpoints.points.contains(mu))
            let guarded = breakpoints.points.contains(mu - 100 * temperature)
            XCTAssertEqual(guarded, 100 * temperature < halfWidth, "T = \(temperature): guards inside the window only")
            var quadrature = AdaptiveQuadrature<SIMD2<Double>>()
            let r = quadrature.integrate(OccupationIntegrand(f: lead), breakpoints: breakpoints.points,
                                         relativeTolerance: SIMD2(repeating: 1e-12))
            XCTAssertTrue(r.converged)
            func softplus(_ x: Double) -> Double { x > 0 ? x + Double.log(1 + Double.exp(-x)) : Double.log(1 + Double.exp(x)) }
            let exact = temperature * (softplus((mu - a) / temperature) - softplus((mu - b) / temperature))
            XCTAssertEqual(r.value[0], exact, accuracy: 1e-11 * abs(exact), "∫f, T = \(temperature), ±\(halfWidth)")
            // ∫ −∂f/∂E = f(a) − f(b) ≈ 1.
            let spread = lead(a).occupation - lead(b).occupation
            XCTAssertEqual(r.value[1] / temperature, spread, accuracy: 1e-11, "∫ spread, T = \(temperature), ±\(halfWidth)")
        }
    }
}
