import ComplexModule
import RealModule
import XCTest
@testable import DiodePhysics

/// A brute-force integrator for the tests, independent of the code under
/// test: composite 20-point Gauss–Legendre (nodes by Newton's method on P₂₀)
/// on uniform panels, and on panels graded geometrically towards an end point
/// where the integrand has a square-root branch point.
struct BruteForceQuadrature {
    let nodes: [Double], weights: [Double]

    init(order n: Int = 20) {
        var nodes: [Double] = [], weights: [Double] = []
        for i in 1...n {
            var x = Double.cos(Double.pi * (Double(i) - 0.25) / (Double(n) + 0.5))
            var derivative = 0.0
            for _ in 0..<100 {
                var p0 = 1.0, p1 = x
                for k in 2...n {
                    let p2 = (Double(2 * k - 1) * x * p1 - Double(k - 1) * p0) / Double(k)
                    p0 = p1; p1 = p2
                }
                derivative = Double(n) * (x * p1 - p0) / (x * x - 1)
                let dx = p1 / derivative
                x -= dx
                if abs(dx) < 1e-16 { break }
            }
            nodes.append(x)
            weights.append(2 / ((1 - x * x) * derivative * derivative))
        }
        self.nodes = nodes
        self.weights = weights
    }

    func panel(_ f: (Double) -> Double, _ a: Double, _ b: Double) -> Double {
        let c = 0.5 * (a + b), h = 0.5 * (b - a)
        var sum = 0.0
        for (x, w) in zip(nodes, weights) { sum += w * f(c + h * x) }
        return sum * h
    }

    /// ∫_a^b f on panels no wider than `width`.
    func integrate(_ f: (Double) -> Double, from a: Double, to b: Double, width: Double) -> Double {
        guard b > a else { return 0 }
        let count = Int((b - a) / width) + 1
        let h = (b - a) / Double(count)
        var sum = 0.0
        for i in 0..<count { sum += panel(f, a + Double(i) * h, a + Double(i + 1) * h) }
        return sum
    }

    /// ∫_a^0 f (a < 0) for f with a √(−E) branch point at 0: panels
    /// [−2^−k, −2^−k−1] graded down to 1e-14, uniform beyond 1.
    func integrateToBranchPoint(_ f: (Double) -> Double, from a: Double, width: Double) -> Double {
        var sum = integrate(f, from: a, to: -1, width: width)
        var upper = -1.0
        while upper < -1e-14 {
            sum += panel(f, upper, 0.5 * upper)
            upper *= 0.5
        }
        return sum
    }
}

func fermi(_ e: Double, _ mu: Double, _ t: Double) -> Double { 1 / (1 + Double.exp((e - mu) / t)) }

/// f_a − f_b without cancellation where both are close to 1.
func fermiDifference(_ e: Double, _ muA: Double, _ tA: Double, _ muB: Double, _ tB: Double) -> Double {
    let holesA = 1 / (1 + Double.exp((muA - e) / tA)), holesB = 1 / (1 + Double.exp((muB - e) / tB))
    return e < min(muA, muB) ? holesB - holesA : fermi(e, muA, tA) - fermi(e, muB, tB)
}

final class LorentzianFermiIntegralTests: XCTestCase {
    let quadrature = BruteForceQuadrature()

    struct Case { var eps, gamma, muA, tA, muB, tB: Double }
    let cases: [Case] = [
        Case(eps: 43, gamma: 3, muA: 40, tA: 2, muB: 40.3, tB: 1.4),      // Fig. 2 scale
        Case(eps: 25, gamma: 3, muA: 40, tA: 1, muB: 39.8, tB: 1.6),
        Case(eps: 55, gamma: 3, muA: 40, tA: 3, muB: 40, tB: 2),
        Case(eps: 0.3, gamma: 0.05, muA: 0, tA: 1, muB: 0.2, tB: 0.7),    // narrow
        Case(eps: -2, gamma: 20, muA: 1, tA: 0.5, muB: -1, tB: 2.5),      // wide
        Case(eps: 10, gamma: 1, muA: 0, tA: 1, muB: 0, tB: 1.001),        // close terminals
        Case(eps: 1, gamma: 0.7, muA: 0.5, tA: 0.2, muB: 0.4, tB: 0.1),   // cold
    ]

    /// ∫ over a window where f_a − f_b has decayed below e^−60.
    func bruteForce(_ c: Case, _ weight: (Double) -> Double) -> Double {
        let tMax = max(c.tA, c.tB)
        let lower = min(c.muA, c.muB) - 60 * tMax, upper = max(c.muA, c.muB) + 60 * tMax
        let width = 0.25 * min(c.tA, c.tB, c.gamma)
        let r = LorentzianResonance(energy: c.eps, width: c.gamma)
        return quadrature.integrate({ e in
            weight(e) * r.transmission(at: e) * fermiDifference(e, c.muA, c.tA, c.muB, c.tB)
        }, from: lower, to: upper, width: width)
    }

    func testClosedFormsAgainstQuadrature() {
        for c in cases {
            let closed = LorentzianFermiIntegrals(
                resonance: LorentzianResonance(energy: c.eps, width: c.gamma),
                muA: c.muA, temperatureA: c.tA, muB: c.muB, temperatureB: c.tB)
            let a = bruteForce(c) { _ in 1 }
            let m = bruteForce(c) { e in e - c.eps }
            let b = bruteForce(c) { e in e - c.muB }
            let scaleA = bruteForce(c) { _ in 1 }.magnitude + 1e-300
            XCTAssertEqual(closed.zeroth, a, accuracy: 1e-13 * max(abs(a), 1e-3 * c.gamma * abs(c.tA - c.tB)), "A \(c)")
            XCTAssertEqual(closed.centred, m, accuracy: 1e-12 * max(abs(m), scaleA * max(c.tA, c.tB)), "M \(c)")
            XCTAssertEqual(closed.firstMoment(about: c.muB), b, accuracy: 1e-12 * max(abs(b), scaleA * max(c.tA, c.tB)), "B \(c)")
        }
    }

    /// ∂/∂μ_b and ∂/∂T_b against quadratures of the differentiated integrands,
    /// ∂f_b/∂μ_b = f_b(1 − f_b)/T_b, ∂f_b/∂T_b = (E − μ_b) f_b(1 − f_b)/T_b².
    func testGradientsAgainstQuadrature() {
        for c in cases {
            let closed = LorentzianFermiIntegrals(
                resonance: LorentzianResonance(energy: c.eps, width: c.gamma),
                muA: c.muA, temperatureA: c.tA, muB: c.muB, temperatureB: c.tB)
            let r = LorentzianResonance(energy: c.eps, width: c.gamma)
            func derivative(_ weight: @escaping (Double) -> Double, temperature: Bool) -> Double {
                quadrature.integrate({ e in
                    let f = fermi(e, c.muB, c.tB)
                    let spread = f * (1 - f) / c.tB * (temperature ? (e - c.muB) / c.tB : 1)
                    return -weight(e) * r.transmission(at: e) * spread
                }, from: c.muB - 60 * c.tB, to: c.muB + 60 * c.tB, width: 0.25 * min(c.tB, c.gamma))
            }
            let dAmu = derivative({ _ in 1 }, temperature: false)
            let dAt = derivative({ _ in 1 }, temperature: true)
            let dMmu = derivative({ e in e - c.eps }, temperature: false)
            let dMt = derivative({ e in e - c.eps }, temperature: true)
            let scale = max(abs(dAmu), abs(dAt)) + 1e-300
            XCTAssertEqual(closed.zerothGradient.x, dAmu, accuracy: 1e-12 * scale, "∂A/∂μ_b \(c)")
            XCTAssertEqual(closed.zerothGradient.y, dAt, accuracy: 1e-12 * scale, "∂A/∂T_b \(c)")
            let mScale = max(abs(dMmu), abs(dMt), scale * c.tB)
            XCTAssertEqual(closed.centredGradient.x, dMmu, accuracy: 1e-12 * mScale, "∂M/∂μ_b \(c)")
            XCTAssertEqual(closed.centredGradient.y, dMt, accuracy: 1e-12 * mScale, "∂M/∂T_b \(c)")
            // With the reference fixed at μ_r: (ε − μ_r)∇A + ∇M.
            let dBmu = derivative({ e in e - 37 }, temperature: false)
            XCTAssertEqual(closed.firstMomentGradient(about: 37).x, dBmu, accuracy: 1e-12 * max(mScale, abs(dBmu)))
        }
    }

    /// Γ ≫ T: 𝒯 = 1 − (E − ε)²/Γ² + O(Γ^−4), and with the Sommerfeld moments
    /// ∫ (f_a − f_b) = μ_a − μ_b, ∫ (E − ε)²(f_a − f_b) = [x³/3 + π²T²x/3]_b^a
    /// (x = μ − ε). The closed forms must keep their relative accuracy here.
    func testWideResonanceLimit() {
        for gamma in [1e3, 1e5, 1e7] {
            let eps = 3.0, muA = 40.5, tA = 2.0, muB = 40.0, tB = 1.0
            let closed = LorentzianFermiIntegrals(
                resonance: LorentzianResonance(energy: eps, width: gamma),
                muA: muA, temperatureA: tA, muB: muB, temperatureB: tB)
            func cubic(_ mu: Double, _ t: Double) -> Double {
                let x = mu - eps
                return x * x * x / 3 + Double.pi * Double.pi * t * t * x / 3
            }
            let expected = (muA - muB) - (cubic(muA, tA) - cubic(muB, tB)) / (gamma * gamma)
            // The next term is O((x/Γ)⁴) relative.
            let truncation = 10 * Double.pow(50 / gamma, 4)
            XCTAssertEqual(closed.zeroth, expected, accuracy: (1e-14 + truncation) * abs(expected), "Γ = \(gamma)")
        }
    }

    /// Nearly coincident terminals, where f_a − f_b cancels: the closed forms
    /// keep their relative accuracy (the brute-force quadrature does not, so
    /// the references are 50-digit mpmath 1.3 evaluations of
    /// Γ Im Ω, Γ² Re Ω with Ω = ψ(1/2 + u_a) − ψ(1/2 + u_b) + log(T_a/T_b), at
    /// the exact Double inputs).
    func testNearlyCoincidentTerminals() {
        let table: [(Case, Double, Double)] = [
            (Case(eps: 10, gamma: 1, muA: 0, tA: 1, muB: 0, tB: 1 + 1e-7),
             -1.0231835980097976355e-9, 3.6903812811078916811e-9),
            (Case(eps: 40, gamma: 3, muA: 40, tA: 1.5, muB: 40 + 1e-6, tB: 1.5),
             -7.0692215857247048998e-7, -2.1078561477843410867e-13),
        ]
        for (c, a, m) in table {
            let closed = LorentzianFermiIntegrals(
                resonance: LorentzianResonance(energy: c.eps, width: c.gamma),
                muA: c.muA, temperatureA: c.tA, muB: c.muB, temperatureB: c.tB)
            XCTAssertEqual(closed.zeroth, a, accuracy: 1e-13 * abs(a), "A \(c)")
            XCTAssertEqual(closed.centred, m, accuracy: 1e-12 * abs(m), "M \(c)")
        }
    }

    /// Antisymmetry in (a, b) and linearity in the pair: A(a, b) + A(b, c) = A(a, c).
    func testAntisymmetryAndAdditivity() {
        let r = LorentzianResonance(energy: 42, width: 3)
        let ab = LorentzianFermiIntegrals(resonance: r, muA: 40, temperatureA: 2, muB: 40.7, temperatureB: 1.3)
        let ba = LorentzianFermiIntegrals(resonance: r, muA: 40.7, temperatureA: 1.3, muB: 40, temperatureB: 2)
        let bc = LorentzianFermiIntegrals(resonance: r, muA: 40.7, temperatureA: 1.3, muB: 39.5, temperatureB: 1)
        let ac = LorentzianFermiIntegrals(resonance: r, muA: 40, temperatureA: 2, muB: 39.5, temperatureB: 1)
        XCTAssertEqual(ab.zeroth, -ba.zeroth, accuracy: 1e-15 * abs(ab.zeroth))
        XCTAssertEqual(ab.centred, -ba.centred, accuracy: 1e-14 * abs(ab.centred))
        XCTAssertEqual(ab.zeroth + bc.zeroth, ac.zeroth, accuracy: 1e-14 * abs(ac.zeroth))
        XCTAssertEqual(ab.centred + bc.centred, ac.centred, accuracy: 1e-14 * abs(ac.centred))
        let same = LorentzianFermiIntegrals(resonance: r, muA: 40, temperatureA: 2, muB: 40, temperatureB: 2)
        XCTAssertEqual(same.zeroth, 0)
        XCTAssertEqual(same.centred, 0)
    }
}
