import ComplexModule
import RealModule
import XCTest
@testable import DiodePhysics

/// Tests of ``ComplexPolygamma`` against closed-form values, functional
/// identities, 40-digit reference values and the defining series.
final class DigammaTests: XCTestCase {
    typealias C = Complex<Double>
    let eulerGamma = 0.57721566490153286060651209

    /// |a − b| ≤ tolerance · |b| (complex modulus), with a readable message.
    func assertClose(
        _ a: C, _ b: C, relative tolerance: Double, _ message: String = "",
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let error = (a - b).length
        XCTAssertLessThanOrEqual(
            error, tolerance * b.length,
            "\(message) got \(a), expected \(b), relative error \(error / b.length)", file: file, line: line)
    }

    func testSpecialValues() {
        let psi1 = ComplexPolygamma.digammaAndTrigamma(C(1, 0))
        XCTAssertEqual(psi1.digamma.real, -eulerGamma, accuracy: 6e-16)
        XCTAssertEqual(psi1.digamma.imaginary, 0)
        XCTAssertEqual(psi1.trigamma.real, Double.pi * Double.pi / 6, accuracy: 2e-15)

        let psiHalf = ComplexPolygamma.digammaAndTrigamma(C(0.5, 0))
        XCTAssertEqual(psiHalf.digamma.real, -eulerGamma - 2 * Double.log(2), accuracy: 2e-15)
        XCTAssertEqual(psiHalf.trigamma.real, Double.pi * Double.pi / 2, accuracy: 4e-15)

        // ψ(n + 1) = H_n − γ.
        var harmonic = 0.0
        for n in 1...30 {
            harmonic += 1 / Double(n)
            XCTAssertEqual(ComplexPolygamma.digamma(C(Double(n + 1), 0)).real, harmonic - eulerGamma,
                           accuracy: 4e-16 * harmonic)
        }
    }

    /// Im ψ(1/2 + iy) = (π/2) tanh(πy) and Im ψ(1 + iy) = −1/(2y) + (π/2) coth(πy),
    /// Im ψ′(1/2 + iy) = −π² ... checked through Re ψ′(1/2 + iy) = (π²/2) sech²(πy).
    func testImaginaryAxisFormulas() {
        for y in [-30.0, -7.3, -1.0, -0.2, 1e-6, 0.01, 0.37, 1.0, 2.5, 11.0, 45.0] {
            let half = ComplexPolygamma.digammaAndTrigamma(C(0.5, y))
            let tanhExpected = Double.pi / 2 * Double.tanh(Double.pi * y)
            XCTAssertEqual(half.digamma.imaginary, tanhExpected, accuracy: 1e-15 * abs(tanhExpected), "y = \(y)")
            // Re ψ′ decays like e^(−2π|y|) against |ψ′| ~ 1/|y|: compare on the scale of |ψ′|.
            let sech = 1 / Double.cosh(Double.pi * y)
            let sechExpected = Double.pi * Double.pi / 2 * sech * sech
            XCTAssertEqual(half.trigamma.real, sechExpected, accuracy: 1e-15 * half.trigamma.length, "y = \(y)")

            // The coth formula itself cancels for small |y|.
            if abs(y) >= 0.3 {
                let one = ComplexPolygamma.digamma(C(1, y))
                let cothExpected = -1 / (2 * y) + Double.pi / 2 / Double.tanh(Double.pi * y)
                XCTAssertEqual(one.imaginary, cothExpected, accuracy: 1e-15 * abs(cothExpected), "y = \(y)")
            }
        }
    }

    /// Re ψ(1 + iy) = −γ + y² Σ_{n≥1} 1/(n(n² + y²)), summed with a tail estimate.
    func testRealPartOnUnitLine() {
        for y in [0.1, 0.8, 2.0, 5.0] {
            var sum = 0.0
            let terms = 200_000
            for n in stride(from: terms, through: 1, by: -1) {
                let nn = Double(n)
                sum += 1 / (nn * (nn * nn + y * y))
            }
            // Tail Σ_{n>N} 1/n³ ≈ 1/(2N²) (relative corrections of order y²/N²).
            sum += 1 / (2 * Double(terms) * Double(terms))
            let expected = -eulerGamma + y * y * sum
            // The reference itself carries ~1e-15 of summation rounding.
            XCTAssertEqual(ComplexPolygamma.digamma(C(1, y)).real, expected, accuracy: 3e-15 * max(1, abs(expected)), "y = \(y)")
        }
    }

    func testRecurrenceReflectionAndConjugation() {
        let points = [C(0.6, 0.1), C(0.55, -2.4), C(1.3, 7.7), C(4.0, -0.3), C(9.6, 2.9), C(0.75, 12.0)]
        for z in points {
            let (psi, tri) = ComplexPolygamma.digammaAndTrigamma(z)
            let (psiNext, triNext) = ComplexPolygamma.digammaAndTrigamma(z + C(1, 0))
            let r = C(1, 0) / z
            assertClose(psiNext, psi + r, relative: 2e-15, "recurrence ψ at \(z)")
            assertClose(triNext, tri - r * r, relative: 2e-15, "recurrence ψ′ at \(z)")

            let conj = ComplexPolygamma.digammaAndTrigamma(z.conjugate)
            XCTAssertEqual(conj.digamma, psi.conjugate)
            XCTAssertEqual(conj.trigamma, tri.conjugate)

            // ψ(1 − z) − ψ(z) = π cot(πz), evaluated for 1 − z with Re(1 − z) < 1/2.
            let reflected = ComplexPolygamma.digamma(C(1, 0) - z)
            let piZ = z.multiplied(by: Double.pi)
            let cot = Complex.cos(piZ) / Complex.sin(piZ)
            assertClose(reflected - psi, cot.multiplied(by: Double.pi), relative: 1e-14, "reflection at \(z)")

            // Duplication: ψ(2z) = (ψ(z) + ψ(z + 1/2))/2 + log 2.
            let doubled = ComplexPolygamma.digamma(z.multiplied(by: 2))
            let halfShifted = ComplexPolygamma.digamma(z + C(0.5, 0))
            assertClose(doubled, (psi + halfShifted).multiplied(by: 0.5) + C(Double.log(2), 0), relative: 2e-15, "duplication at \(z)")
        }
    }

    /// 40-digit values from mpmath 1.3 (`mp.digamma(z)`, `mp.polygamma(1, z)`).
    func testReferenceValues() {
        let table: [(Double, Double, Double, Double, Double, Double)] = [
            (0.1, 0.2, -2.3875341022553845897, 4.2808216656910460696, -10.652539572039584524, -16.352436789583143925),
            (1, 1, 0.094650320622476977272, 1.0766740474685811741, 0.4630000966227637863, -0.79423354275931886558),
            (0.5, 10, 2.3021676932743471136, 1.5707963267948966192, 1.018128663153037904e-26, -0.10008362734040317437),
            (25, -30, 3.6566879738403827675, -0.8859478664343522303, 0.016331881055535058669, 0.019996000012121835049),
            (1000.0, 1000.0, 7.2540788692621076234, 0.78564820506411497628, 0.0004999999583333375, -0.00050025004166667083333),
            (0.6591549430918953, 2.3873241463784303, 0.86493851731209967447, 1.503191558825045811, 0.029170073498830877068, -0.42339937395224287028),
            (0.75, -0.4, -0.74733291449344039417, -0.85110391358984804971, 1.4756383323786303535, 1.3576106316052362022),
            (3.2, 0.0, 0.99883889128659964831, 0.0, 0.36632119073140077097, 0.0),
            (0.52, -0.03, -1.861314795577074379, -0.13812776507291859317, 4.5794012859655545183, 0.44791598167234957639),
            (7.5, 9.1, 2.4406000271159923199, 0.91479495830672707321, 0.053157523552531091663, -0.069017366925919090053),
            (0.55, 0.7, -0.44996002036419938943, 1.4491951403020174961, 0.36240017178563496549, -1.6282452717618981298),
            (1.0, 5.0, 1.6127848446157465854, 1.470796326794967968, 0.019999999999551702618, -0.19865567635979547953),
        ]
        for (x, y, psiRe, psiIm, triRe, triIm) in table {
            let (psi, tri) = ComplexPolygamma.digammaAndTrigamma(C(x, y))
            assertClose(psi, C(psiRe, psiIm), relative: 1e-15, "ψ(\(x) + \(y)i)")
            assertClose(tri, C(triRe, triIm), relative: 1e-15, "ψ′(\(x) + \(y)i)")
            // Component-wise where the component is not negligible.
            if abs(psiIm) > 1e-3 { XCTAssertEqual(psi.imaginary, psiIm, accuracy: 1e-15 * abs(psiIm)) }
        }
        // The real zero of ψ: absolute accuracy.
        XCTAssertEqual(ComplexPolygamma.digamma(C(1.4616321449683622, 0)).real, -9.2412655217294275168e-17, accuracy: 1e-15)
    }

    /// χ(u) = ψ(1/2 + u) − log u and χ′(u) against mpmath 1.3 (40 digits),
    /// including |u| ≫ 1 where χ ~ 1/(24u²) must keep its relative accuracy.
    func testHalfShiftedRemainder() {
        let table: [(Double, Double, Double, Double, Double, Double)] = [
            (0.3, 0.1, 0.20812802520438518491, -0.094327077468744555667, -0.7754979722836475454, 0.5691569569957400267),
            (0.05, -2.0, -0.010933374596470044143, 0.00059059294727404252147, 0.0010130609957926419342, 0.011546857088545299241),
            (4.0, 7.0, -0.00032459351070418948427, -0.00055377816746686322022, 0.00015944407394010558351, -1.3831022321518553342e-6),
            (12.0, -3.0, 0.00024011877727948402061, 0.00012789822173297588873, -0.000032632950258643501112, -0.000029431847573814118639),
            (100000.0, 1000.0, 4.1654168748979933074e-12, -8.3316669163418166254e-14, -8.3283345828088081238e-17, 2.4991668414909399626e-18),
            (2000.0, -50000.0, -1.6586879524262558706e-11, 1.3290768850501202709e-12, 7.9574763029222315702e-17, 6.6029219049525762095e-16),
            (0.5, 9.9, -0.00042263107631038779571, -0.00004287648819465794648, 0.000012979646481364247454, -0.000084875537882425234022),
        ]
        for (x, y, cRe, cIm, dRe, dIm) in table {
            let (value, derivative) = ComplexPolygamma.halfShiftedRemainder(C(x, y))
            // Below |u| = 10 the remainder is a difference of O(1) terms: absolute accuracy 1e-15 · max(1, |log u|).
            let u = C(x, y)
            let scale = u.length < 10 ? max(1, Complex.log(u).length) : C(cRe, cIm).length
            XCTAssertLessThanOrEqual((value - C(cRe, cIm)).length, 2e-15 * scale, "χ(\(u))")
            let dScale = u.length < 10 ? max(1, 1 / u.length) : C(dRe, dIm).length
            XCTAssertLessThanOrEqual((derivative - C(dRe, dIm)).length, 2e-15 * dScale, "χ′(\(u))")
        }
    }

    /// The defining series ψ(z) = −γ + Σ_{n≥0} (1/(n + 1) − 1/(n + z)) and
    /// ψ′(z) = Σ_{n≥0} 1/(n + z)², summed to N terms with the tail
    /// Σ_{n≥N} from the Euler–Maclaurin formula (error O(N^−6)).
    func testDefiningSeries() {
        let n = 2000
        for z in [C(0.66, 2.39), C(0.5, 0.0), C(0.8, -1.7), C(1.0, 0.3), C(0.51, 0.01), C(2.2, 5.0)] {
            var psi = C(-eulerGamma, 0)
            var tri = C.zero
            for k in stride(from: n - 1, through: 0, by: -1) {
                let r = C(1, 0) / (z + C(Double(k), 0))
                psi += C(1 / Double(k + 1), 0) - r
                tri += r * r
            }
            // Tails: Σ_{k≥N} (1/(k+1) − 1/(k+z)) and Σ_{k≥N} 1/(k+z)² by Euler–Maclaurin.
            let a = z + C(Double(n), 0), b = C(Double(n + 1), 0)
            let ia = C(1, 0) / a, ib = C(1, 0) / b
            let ia2 = ia * ia, ib2 = ib * ib
            var psiTail = Complex.log(a) - Complex.log(b)
            psiTail += (ib - ia).multiplied(by: 0.5)
            psiTail += (ib2 - ia2).multiplied(by: 1.0 / 12)
            psiTail -= (ib2 * ib2 - ia2 * ia2).multiplied(by: 1.0 / 120)
            var triTail = ia + ia2.multiplied(by: 0.5)
            triTail += (ia2 * ia).multiplied(by: 1.0 / 6)
            triTail -= (ia2 * ia2 * ia).multiplied(by: 1.0 / 30)
            psi += psiTail
            tri += triTail
            let (computedPsi, computedTri) = ComplexPolygamma.digammaAndTrigamma(z)
            assertClose(computedPsi, psi, relative: 1e-14, "series ψ at \(z)")
            assertClose(computedTri, tri, relative: 1e-14, "series ψ′ at \(z)")
        }
    }

    /// χ agrees with ψ(1/2 + u) − log u where the subtraction is harmless.
    func testRemainderConsistentWithDigamma() {
        for u in [C(0.16, 2.4), C(0.48, -0.1), C(1.2, 0.0), C(3.0, 8.0), C(0.07, -0.9)] {
            let (value, derivative) = ComplexPolygamma.halfShiftedRemainder(u)
            let (psi, tri) = ComplexPolygamma.digammaAndTrigamma(u + C(0.5, 0))
            XCTAssertLessThanOrEqual((value - (psi - Complex.log(u))).length, 2e-15 * max(1, psi.length))
            XCTAssertLessThanOrEqual((derivative - (tri - C(1, 0) / u)).length, 2e-15 * max(1, tri.length))
        }
    }

    /// χ(u_a) − χ(u_b) from the cancellation-free form equals the plain
    /// difference where the two are far apart, and χ′(u_b) matches; for
    /// nearby arguments it matches χ′ Δu + χ″ Δu²/2 (χ″ by central difference).
    func testRemainderDifference() {
        let pairs = [(C(0.16, 2.4), C(0.3, -1.0)), (C(0.5, 0.1), C(12.0, 3.0)), (C(40.0, 2.0), C(30.0, -25.0)),
                     (C(0.07, -0.9), C(0.2, -0.8)), (C(3.0, 8.0), C(1.0, 0.5))]
        for (ua, ub) in pairs {
            let (difference, derivative) = ComplexPolygamma.halfShiftedRemainderDifference(ua, ub, difference: ua - ub)
            let a = ComplexPolygamma.halfShiftedRemainder(ua), b = ComplexPolygamma.halfShiftedRemainder(ub)
            // The plain difference carries the absolute rounding of each χ.
            XCTAssertLessThanOrEqual((difference - (a.value - b.value)).length, 2e-15, "\(ua), \(ub)")
            XCTAssertLessThanOrEqual((derivative - b.derivative).length, 2e-15 * max(b.derivative.length, 1 / ub.length))
        }
        for (u, du) in [(C(0.16, -2.4), C(1e-7, 3e-8)), (C(0.48, 0.3), C(-2e-9, 0)), (C(2.0, 12.0), C(0, 1e-8))] {
            let (difference, _) = ComplexPolygamma.halfShiftedRemainderDifference(u + du, u, difference: du)
            let h = 1e-4
            let first = ComplexPolygamma.halfShiftedRemainder(u).derivative
            let second = (ComplexPolygamma.halfShiftedRemainder(u + C(h, 0)).derivative
                - ComplexPolygamma.halfShiftedRemainder(u - C(h, 0)).derivative).multiplied(by: 1 / (2 * h))
            let expected = first * du + second * du * du.multiplied(by: 0.5)
            XCTAssertLessThanOrEqual((difference - expected).length, 1e-13 * expected.length, "\(u), \(du)")
        }
    }
}
