import Foundation
import RealModule
import XCTest
@testable import DiodePhysics

/// Tests of ``FastElementary`` against libm (`Double.sin`, `Double.cos`,
/// `Double.exp` from RealModule, i.e. glibc) on dense and pseudo-random
/// samples over the ranges the solver uses, plus special values and exact
/// identities. On x86-64 Linux also against the x87 80-bit functions
/// (`sinl`, `cosl`, `expl`) as a reference more accurate than either.
///
/// Bounds (from the measurement of 5 Dec 2026 on ~5 million points per
/// function, see docs/performance.md): max 1.0 ulp from glibc for sin, cos
/// and exp; 0.76–0.79 ulp from the 80-bit reference (glibc itself: < 0.57),
/// asserted < 0.85.
final class FastElementaryTests: XCTestCase {
    /// Error of `value` in units of the last place of `reference` (the ulp
    /// of the smallest subnormal for a zero reference); NaN against NaN is 0.
    func ulps(_ value: Double, _ reference: Double) -> Double {
        if value == reference || (value.isNaN && reference.isNaN) { return 0 }
        if value.isNaN || reference.isNaN || !reference.isFinite { return .infinity }
        let unit = reference == 0 ? Double.leastNonzeroMagnitude : reference.ulp
        return abs(value - reference) / unit
    }

    /// The arguments of sinCos: a dense grid and random points on
    /// [−1e3, 1e3], random points up to the reduction limit, the doubles
    /// next to multiples of π/2 (where the reduction cancels, up to 1e5),
    /// and small arguments down to 2⁻⁶⁰.
    var sinCosArguments: [Double] {
        var generator = SplitMix64(seed: 20_261_205)
        var xs: [Double] = []
        let dense = 400_000
        for i in 0...dense { xs.append(-1000 + 2000 * Double(i) / Double(dense)) }
        for _ in 0..<400_000 { xs.append(Double.random(in: -1000...1000, using: &generator)) }
        for _ in 0..<100_000 { xs.append(Double.random(in: -1e5...1e5, using: &generator)) }
        for k in stride(from: 1, through: 63_000, by: 7) {
            let x = Double(k) * (Double.pi / 2)
            xs += [x, x.nextUp, x.nextDown, -x]
        }
        for _ in 0..<50_000 {
            let magnitude = Double.exp2(Double.random(in: -60...0, using: &generator))
            xs.append(Bool.random(using: &generator) ? magnitude : -magnitude)
        }
        return xs
    }

    /// The arguments of exp: a dense grid and random points on [−745, 0]
    /// (the Fermi function's e^{−|y|}), random points on [0, 709], and small
    /// negative arguments down to −2⁻⁶⁰.
    var expArguments: [Double] {
        var generator = SplitMix64(seed: 745)
        var xs: [Double] = []
        let dense = 400_000
        for i in 0...dense { xs.append(-745 * Double(i) / Double(dense)) }
        for _ in 0..<400_000 { xs.append(Double.random(in: -745...0, using: &generator)) }
        for _ in 0..<100_000 { xs.append(Double.random(in: 0...709, using: &generator)) }
        for _ in 0..<50_000 { xs.append(-Double.exp2(Double.random(in: -60...0, using: &generator))) }
        return xs
    }

    func testSinCosAgainstLibm() {
        var worstSin = (error: 0.0, x: 0.0), worstCos = (error: 0.0, x: 0.0)
        for x in sinCosArguments {
            let (s, c) = FastElementary.sinCos(x)
            let es = ulps(s, Double.sin(x)), ec = ulps(c, Double.cos(x))
            if es > worstSin.error { worstSin = (es, x) }
            if ec > worstCos.error { worstCos = (ec, x) }
        }
        XCTAssertLessThanOrEqual(worstSin.error, 1.0, "sin at \(worstSin.x)")
        XCTAssertLessThanOrEqual(worstCos.error, 1.0, "cos at \(worstCos.x)")
    }

    func testExpAgainstLibm() {
        var worst = (error: 0.0, x: 0.0)
        for x in expArguments {
            let error = ulps(FastElementary.exp(x), Double.exp(x))
            if error > worst.error { worst = (error, x) }
        }
        XCTAssertLessThanOrEqual(worst.error, 1.0, "exp at \(worst.x)")
    }

    #if arch(x86_64) && os(Linux)
    /// Against the 80-bit x87 functions (11 more bits than a double): the
    /// true error, which glibc's results cannot show (they are off by up to
    /// ~0.56 ulp themselves).
    func testAgainstExtendedPrecision() {
        func ulps80(_ value: Double, _ reference: Float80) -> Double {
            let rounded = Double(reference)
            let unit = rounded == 0 ? Double.leastNonzeroMagnitude : rounded.ulp
            return Double(abs(Float80(value) - reference) / Float80(unit))
        }
        var sinError = 0.0, cosError = 0.0, expError = 0.0
        for x in sinCosArguments.prefix(600_000) {
            let (s, c) = FastElementary.sinCos(x)
            sinError = max(sinError, ulps80(s, sinl(Float80(x))))
            cosError = max(cosError, ulps80(c, cosl(Float80(x))))
        }
        for x in expArguments.prefix(600_000) where abs(x) <= FastElementary.expFastLimit {
            expError = max(expError, ulps80(FastElementary.exp(x), expl(Float80(x))))
        }
        XCTAssertLessThan(sinError, 0.85)
        XCTAssertLessThan(cosError, 0.85)
        XCTAssertLessThan(expError, 0.85)
    }
    #endif

    func testSinCosSpecialValues() {
        let zero = FastElementary.sinCos(0)
        XCTAssertEqual(zero.sin, 0)
        XCTAssertEqual(zero.sin.sign, .plus)
        XCTAssertEqual(zero.cos, 1)
        let negativeZero = FastElementary.sinCos(-0.0)
        XCTAssertEqual(negativeZero.sin, 0)
        XCTAssertEqual(negativeZero.sin.sign, .minus)
        XCTAssertEqual(negativeZero.cos, 1)
        // sin x = x, cos x = 1 for tiny and subnormal x.
        for x in [1e-300, -1e-300, 0x1p-30, Double.leastNonzeroMagnitude, -Double.leastNormalMagnitude] {
            XCTAssertEqual(FastElementary.sinCos(x).sin, x)
            XCTAssertEqual(FastElementary.sinCos(x).cos, 1)
        }
        for x in [Double.nan, .infinity, -.infinity] {
            let value = FastElementary.sinCos(x)
            XCTAssertTrue(value.sin.isNaN && value.cos.isNaN, "\(x)")
        }
        // Beyond the reduction limit: libm's values exactly.
        for x in [1e5.nextUp, -2e5, 1e6, 1e300, Double.greatestFiniteMagnitude] {
            let value = FastElementary.sinCos(x)
            XCTAssertEqual(value.sin, Double.sin(x), "\(x)")
            XCTAssertEqual(value.cos, Double.cos(x), "\(x)")
        }
        // Quadrant boundaries: each of the four (sin, cos) sign patterns.
        for (k, expected) in [(1, (1.0, 0.0)), (2, (0.0, -1.0)), (3, (-1.0, 0.0)), (4, (0.0, 1.0))] {
            let value = FastElementary.sinCos(Double(k) * Double.pi / 2)
            XCTAssertEqual(value.sin, expected.0, accuracy: 1e-15, "k = \(k)")
            XCTAssertEqual(value.cos, expected.1, accuracy: 1e-15, "k = \(k)")
        }
    }

    /// sin is odd and cos even exactly (the reduction and the kernels are
    /// symmetric under x → −x), and sin² + cos² = 1 to rounding.
    func testSinCosIdentities() {
        for x in sinCosArguments.prefix(200_000) + sinCosArguments.suffix(100_000) {
            let plus = FastElementary.sinCos(x), minus = FastElementary.sinCos(-x)
            XCTAssertEqual(minus.sin, -plus.sin, "x = \(x)")
            XCTAssertEqual(minus.cos, plus.cos, "x = \(x)")
            XCTAssertEqual(plus.sin * plus.sin + plus.cos * plus.cos, 1, accuracy: 6e-16, "x = \(x)")
            if minus.sin != -plus.sin { return }
        }
    }

    func testExpSpecialValues() {
        XCTAssertEqual(FastElementary.exp(0), 1)
        XCTAssertEqual(FastElementary.exp(-0.0), 1)
        XCTAssertEqual(FastElementary.exp(-1e-300), 1)
        XCTAssertEqual(FastElementary.exp(-.infinity), 0)
        XCTAssertEqual(FastElementary.exp(-.infinity).sign, .plus)
        XCTAssertTrue(FastElementary.exp(.nan).isNaN)
        XCTAssertTrue(FastElementary.exp(-Double.nan).isNaN)
        XCTAssertEqual(FastElementary.exp(.infinity), .infinity)
        XCTAssertEqual(FastElementary.exp(710), .infinity)
        // Underflow: 0 from −746 on, libm's subnormals in (−746, −708).
        for x in [-746.0, -1000, -1e300, -Double.greatestFiniteMagnitude] {
            XCTAssertEqual(FastElementary.exp(x), 0, "\(x)")
        }
        for x in [-745.2, -745.1, -745.0, -740.0, -720.0, -708.5, -708.0, -707.9] {
            XCTAssertEqual(FastElementary.exp(x), Double.exp(x), "\(x)")
        }
        XCTAssertEqual(FastElementary.exp(-745.1), Double.leastNonzeroMagnitude)
        // e^{−k ln 2} = 2^{−k}: k·ln 2 rounded is off by at most half an ulp
        // of it, which moves e^x by ≤ k·ln2·2⁻⁵³ relative (≤ 1 ulp for k ≤ 2).
        XCTAssertEqual(FastElementary.exp(-Double.log(2)), 0.5, accuracy: 0.5.ulp)
        XCTAssertEqual(FastElementary.exp(1), Double.exp(1))
        XCTAssertEqual(FastElementary.exp(-1), Double.exp(-1))
    }

    /// The Fermi function through the fast exp: f + (1 − f) = 1 and the
    /// limits at ±∞ and NaN.
    func testFermiFunctionUsesItConsistently() {
        let fermi = FermiDistribution(mu: 0.3, temperature: 0.01)
        for e in stride(from: -20.0, through: 20.0, by: 0.0137) {
            let value = fermi(e)
            XCTAssertEqual(value.occupation + value.vacancy, 1, accuracy: 2e-16)
            let y = (e - 0.3) / 0.01
            if abs(y) < 700 {
                XCTAssertEqual(value.occupation, 1 / (1 + Double.exp(y)), accuracy: 1e-15 * value.occupation)
            }
        }
        XCTAssertEqual(fermi(.infinity).occupation, 0)
        XCTAssertEqual(fermi(-.infinity).occupation, 1)
        XCTAssertTrue(fermi(.nan).occupation.isNaN)
    }
}
