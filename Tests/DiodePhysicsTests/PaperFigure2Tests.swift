import DiodePhysics
import XCTest

/// The statements of the paper about its Fig. 2 (thermalisation: λ = 1, no
/// screening, Γ1 = Γ3 = 3, μ = 40, ΔT = 1). Numbers are in docs/physics.md.
final class PaperFigure2Tests: XCTestCase {
    static let mu = 40.0

    static func point(_ e1: Double, _ e3: Double) -> PointResult {
        let solver = try! DiodeSolver(parameters: DeviceParameters(eps1: mu + e1, eps3: mu + e3, gamma1: 3, gamma3: 3,
                                                                   mu: mu, lambda: 1))
        let p = solver.solvePoint(deltaT: 1)
        XCTAssertEqual(p.forward.status, .converged)
        XCTAssertEqual(p.backward.status, .converged)
        return p
    }

    /// |R_J| reaches about 0.15: a coarse scan of the map locates the
    /// extremum, a compass search refines it.
    func testHeatRectificationReachesAboutFifteenPercent() {
        var best = (value: 0.0, e1: 0.0, e3: 0.0)
        for e1 in stride(from: -12.0, through: 12, by: 3) {
            for e3 in stride(from: -12.0, through: 12, by: 3) {
                let r = abs(Self.point(e1, e3).rectificationJ)
                if r > best.value { best = (r, e1, e3) }
            }
        }
        var step = 1.5
        while step >= 0.1 {
            var improved = false
            for (d1, d3) in [(step, 0.0), (-step, 0), (0, step), (0, -step)] {
                let r = abs(Self.point(best.e1 + d1, best.e3 + d3).rectificationJ)
                if r > best.value { best = (r, best.e1 + d1, best.e3 + d3); improved = true }
            }
            if !improved { step *= 0.5 }
        }
        XCTAssertEqual(best.value, 0.15, accuracy: 0.01, "max |R_J| at ε1 − μ = \(best.e1), ε3 − μ = \(best.e3)")
    }

    /// I^F = I^B on the line ε1 + ε3 = 2μ (up to e^{−μ/T_max} corrections).
    func testParticleCurrentIsTheSameForwardAndBackwardOnTheAntidiagonal() {
        for e1 in [-6.0, -2.5, 1.0, 4.8, 9.0] {
            let p = Self.point(e1, -e1)
            XCTAssertEqual(p.forward.particleCurrent, p.backward.particleCurrent,
                           accuracy: 1e-8 * abs(p.forward.particleCurrent), "ε1 − μ = \(e1)")
        }
    }

    /// Along ε3 − μ = 4.8, I^F and I^B each vanish once; between the two
    /// zeros they have the same sign (R_I = ±1): a bipolar thermoelectric diode.
    func testBipolarParticleDiodeAlongTheCut() {
        let e3 = 4.8
        func root(_ current: (PointResult) -> Double, in range: (Double, Double)) -> Double {
            var (a, b) = range
            var fa = current(Self.point(a, e3))
            XCTAssertLessThan(fa * current(Self.point(b, e3)), 0, "a sign change in \(range)")
            for _ in 0..<25 {
                let m = 0.5 * (a + b)
                let fm = current(Self.point(m, e3))
                if fm * fa > 0 { a = m; fa = fm } else { b = m }
            }
            return 0.5 * (a + b)
        }
        // Brackets from a coarse look along the cut (docs/physics.md).
        let zeroForward = root({ $0.forward.particleCurrent }, in: (-8, -4.5))
        let zeroBackward = root({ $0.backward.particleCurrent }, in: (-4.5, -1))
        XCTAssertLessThan(zeroForward, zeroBackward)
        for fraction in [0.1, 0.3, 0.5, 0.7, 0.9] {
            let p = Self.point(zeroForward + fraction * (zeroBackward - zeroForward), e3)
            XCTAssertGreaterThan(p.forward.particleCurrent * p.backward.particleCurrent, 0)
            XCTAssertEqual(abs(p.rectificationI), 1, accuracy: 1e-12)
        }
        // Outside the interval the currents have opposite signs.
        for e1 in [zeroForward - 1, zeroBackward + 1] {
            let p = Self.point(e1, e3)
            XCTAssertLessThan(p.forward.particleCurrent * p.backward.particleCurrent, 0)
        }
    }
}
