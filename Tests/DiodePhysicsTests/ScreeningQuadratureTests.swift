import DiodePhysics
import RealModule
import XCTest

/// The square-root grading of the charge integrals against closed forms.
final class ScreeningQuadratureTests: XCTestCase {
    /// 1/√|E − c| summed over root points, with a smooth factor.
    struct InverseSquareRoots: VectorIntegrand {
        var roots: [Double]
        func callAsFunction(_ e: Double) -> SIMD2<Double> {
            var sum = 0.0
            for c in roots { sum += 1 / abs(e - c).squareRoot() }
            return SIMD2(sum, abs(e - roots[0]).squareRoot() * Double.cos(e))
        }
    }

    func testSingularEndPointsConvergeToClosedForms() {
        let cases: [(roots: [Double], lower: Double, upper: Double)] = [
            ([0.3], -1, 2), ([-0.4, 0.25, 1.1], -2, 3), ([0.0, 1e-9], -1, 1), ([5], -1, 2)]
        for (roots, lower, upper) in cases {
            var quadrature = AdaptiveQuadrature<SIMD2<Double>>(maximumEvaluations: 20_000)
            var grading = SquareRootGrading()
            var scratch: [Double] = []
            var candidates = SIMD4<Double>.zero
            for (i, c) in roots.enumerated() { candidates[i] = c }
            let r = quadrature.integrateGraded(InverseSquareRoots(roots: roots), lower: lower, upper: upper,
                                               roots: candidates, rootCount: roots.count, features: [0.7],
                                               relativeTolerance: SIMD2(repeating: 1e-13),
                                               grading: &grading, scratch: &scratch)
            XCTAssertTrue(r.converged, "\(roots)")
            var exact = 0.0
            for c in roots {
                func antiderivative(_ e: Double) -> Double { e >= c ? 2 * (e - c).squareRoot() : -2 * (c - e).squareRoot() }
                exact += antiderivative(upper) - antiderivative(lower)
            }
            XCTAssertEqual(r.value[0], exact, accuracy: 1e-12 * exact, "\(roots)")
            // A few panels suffice: the graded integrand is smooth.
            XCTAssertLessThan(r.evaluations, 4_000, "\(roots)")
        }
    }

    func testMapIsMonotoneAndInvertible() {
        var grading = SquareRootGrading()
        grading.reset(lower: -40, upper: 120, roots: SIMD4(0.2, -0.1, 0.2, 0.5), count: 4)
        XCTAssertEqual(grading.energyBreaks.first, -40)
        XCTAssertEqual(grading.energyBreaks.last, 120)
        var previous = -Double.infinity
        for e in stride(from: -40.0, through: 120, by: 0.0137) {
            let x = grading.parameter(at: e)
            XCTAssertGreaterThanOrEqual(x, previous)
            previous = x
            XCTAssertEqual(grading.energy(at: x).energy, e, accuracy: 1e-11 * max(1, abs(e)))
        }
    }
}
