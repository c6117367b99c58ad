// The complex digamma and trigamma functions, the building blocks of the
// closed-form Lorentzian Fermi integrals (LorentzianFermiIntegrals.swift).

import ComplexModule
import RealModule

/// The digamma function ψ(z) = Γ′(z)/Γ(z) and the trigamma function ψ′(z)
/// for complex arguments, to about 1e-15 relative accuracy for Re z > 0.
///
/// ## Method
/// Arguments with |z| < 10 or Re z < 1/2 are first shifted with the
/// recurrences
///
///     ψ(z)  = ψ(z + n) − Σ_{k=0}^{n−1} 1/(z + k),
///     ψ′(z) = ψ′(z + n) + Σ_{k=0}^{n−1} 1/(z + k)²,
///
/// then the asymptotic (Stirling) series in the Bernoulli numbers B_2k is
/// summed up to k = 9:
///
///     ψ(z)  ~ log z − 1/(2z) − Σ_{k≥1} B_2k / (2k z^2k),
///     ψ′(z) ~ 1/z + 1/(2z²) + Σ_{k≥1} B_2k / z^(2k+1).
///
/// At |z| ≥ 10 with Re z ≥ 1/2 the first omitted terms are below 3e-19
/// (relative to log z, resp. 1/z), so the error is rounding in the
/// recurrence, a few ulp of the larger of |ψ| and Σ|1/(z + k)|.
///
/// For the Lorentzian integrals, whose arguments are w = 1/2 + u with
/// u = (Γ − i(ε − μ))/(2πT), the remainder χ(u) = ψ(1/2 + u) − log u is the
/// better-conditioned quantity (``halfShiftedRemainder(_:)``): it decays like
/// 1/(24u²), so differences of χ keep their relative accuracy even for
/// Γ ≫ T, where ψ itself is dominated by log u.
public enum ComplexPolygamma {
    /// The digamma function ψ(z) = d log Γ(z)/dz.
    ///
    /// Accurate to about 1e-15 relative for Re z > 0 (absolute near the
    /// real zero of ψ at z ≈ 1.4616). Defined for every z except the poles
    /// z = 0, −1, −2, …; the cost grows with −Re z for Re z < 0, and the
    /// result is NaN for Re z ≤ −10⁶ or a non-finite z.
    @inlinable
    public static func digamma(_ z: Complex<Double>) -> Complex<Double> {
        digammaAndTrigamma(z).digamma
    }

    /// The trigamma function ψ′(z) = d²log Γ(z)/dz², to about 1e-15
    /// relative for Re z > 0.
    @inlinable
    public static func trigamma(_ z: Complex<Double>) -> Complex<Double> {
        digammaAndTrigamma(z).trigamma
    }

    /// ψ(z) and ψ′(z) together, sharing the recurrence (see the type's
    /// documentation for the method).
    @inlinable
    public static func digammaAndTrigamma(
        _ z: Complex<Double>
    ) -> (digamma: Complex<Double>, trigamma: Complex<Double>) {
        // The recurrence needs about −Re z steps: beyond 10⁶ give up (NaN).
        guard z.real > -1e6 && z.real.isFinite && z.imaginary.isFinite else { return (undefined, undefined) }
        var x = z.real
        let y = z.imaginary
        // ψ(z) = ψ(z + n) − Σ 1/(z+k),  ψ′(z) = ψ′(z + n) + Σ 1/(z+k)².
        var shiftSum = CompensatedComplexSum()
        var shiftSquareSum = Complex<Double>.zero
        while x < 0.5 || x * x + y * y < asymptoticRadiusSquared {
            let r = reciprocal(Complex(x, y))
            shiftSum.add(r)
            shiftSquareSum += r * r
            x += 1
        }
        let shifted = Complex(x, y)
        let inverse = reciprocal(shifted)
        let inverseSquare = inverse * inverse
        // Σ_k B_2k/(2k) z^−2k and Σ_k B_2k z^−2k by Horner in z^−2.
        let digammaSeries = evenSeries(
            inverseSquare,
            1.0 / 12, -1.0 / 120, 1.0 / 252, -1.0 / 240, 1.0 / 132,
            -691.0 / 32760, 1.0 / 12, -3617.0 / 8160, 43867.0 / 14364)
        let trigammaSeries = evenSeries(
            inverseSquare,
            1.0 / 6, -1.0 / 30, 1.0 / 42, -1.0 / 30, 5.0 / 66,
            -691.0 / 2730, 7.0 / 6, -3617.0 / 510, 43867.0 / 798)
        // log z − Σ 1/(z+k) cancels heavily near the real zero of ψ: keep
        // the sum's rounding error and subtract it last.
        let digammaShifted = logarithm(shifted) - shiftSum.sum
        let correction = inverse.multiplied(by: 0.5) + digammaSeries + shiftSum.error
        let trigammaShifted = inverse + inverseSquare.multiplied(by: 0.5) + trigammaSeries * inverse
        return (digammaShifted - correction, trigammaShifted + shiftSquareSum)
    }

    /// The remainder χ(u) = ψ(1/2 + u) − log u of the digamma function at
    /// half-shifted arguments, and its derivative χ′(u) = ψ′(1/2 + u) − 1/u,
    /// for Re u > 0 (NaN otherwise).
    ///
    /// For |u| ≥ 10 they come from the asymptotic series (B_2k(1/2) =
    /// −(1 − 2^(1−2k)) B_2k, the Bernoulli polynomials at 1/2):
    ///
    ///     χ(u)  ~  Σ_{k≥1} (1 − 2^(1−2k)) B_2k / (2k u^2k)      ≈ 1/(24u²),
    ///     χ′(u) ~ −Σ_{k≥1} (1 − 2^(1−2k)) B_2k / u^(2k+1),
    ///
    /// summed to k = 9, directly, without the cancellation that
    /// ψ(1/2 + u) − log u would suffer. Smaller arguments are shifted,
    /// v = u + n:
    ///
    ///     χ(u)  = χ(v) + log(v/u) − Σ_{k=0}^{n−1} 1/(u + 1/2 + k),
    ///     χ′(u) = χ′(v) + 1/v − 1/u + Σ_{k=0}^{n−1} 1/(u + 1/2 + k)².
    @inlinable
    public static func halfShiftedRemainder(
        _ u: Complex<Double>
    ) -> (value: Complex<Double>, derivative: Complex<Double>) {
        guard u.real > 0 && u.real.isFinite && u.imaginary.isFinite else { return (undefined, undefined) }
        var x = u.real
        let y = u.imaginary
        var shiftSum = CompensatedComplexSum()
        var shiftSquareSum = Complex<Double>.zero
        while x * x + y * y < asymptoticRadiusSquared {
            let r = reciprocal(Complex(x + 0.5, y))
            shiftSum.add(r)
            shiftSquareSum += r * r
            x += 1
        }
        let v = Complex(x, y)
        let inverse = reciprocal(v)
        let inverseSquare = inverse * inverse
        // Coefficients (1 − 2^(1−2k)) B_2k/(2k) and (1 − 2^(1−2k)) B_2k.
        let valueSeries = evenSeries(
            inverseSquare,
            1.0 / 24, -7.0 / 960, 31.0 / 8064, -127.0 / 30720, 511.0 / 67584,
            -1414477.0 / 67092480, 8191.0 / 98304, -118518239.0 / 267386880,
            5749691557.0 / 1882718208)
        let derivativeSeries = evenSeries(
            inverseSquare,
            1.0 / 12, -7.0 / 240, 31.0 / 1344, -127.0 / 3840, 2555.0 / 33792,
            -1414477.0 / 5591040, 57337.0 / 49152, -118518239.0 / 16711680,
            5749691557.0 / 104595456)
        var value = valueSeries - shiftSum.sum - shiftSum.error
        var derivative = shiftSquareSum - derivativeSeries * inverse
        if x != u.real {
            // log(v/u) = log(1 + n/u); 1/v − 1/u.
            let inverseU = reciprocal(u)
            value += Complex.log(onePlus: inverseU.multiplied(by: x - u.real))
            derivative += inverse - inverseU
        }
        return (value, derivative)
    }

    /// The difference χ(u_a) − χ(u_b) of ``halfShiftedRemainder(_:)`` without
    /// cancellation when u_a ≈ u_b, and χ′(u_b).
    ///
    /// `difference` must be Δu = u_a − u_b computed from exact differences of
    /// the inputs (not by subtracting the two rounded values). Both arguments
    /// are shifted by the same n. With z = u + k, p = z + 1/2 and
    /// τ(u) = log(1 + 1/u) − 1/(u + 1/2), χ(u) = Σ_{k<n} τ(u + k) + χ(u + n), and
    /// each term's difference is written with Δu explicit and without
    /// cancellation (q = z_a (z_b + 1), x = −Δu/q):
    ///
    ///     τ(z_a) − τ(z_b) = Δu (Δu/2 − 1/4) / (q p_a p_b) + [log(1 + x) − x],
    ///
    /// the bracket by its series for small |x|. The asymptotic part, with
    /// P(t) = Σ_k (1 − 2^(1−2k)) B_2k t^k/(2k), t = v^−2, v = u + n:
    ///
    ///     P(t_a) − P(t_b) = (t_a − t_b) · (divided difference of P),
    ///     t_a − t_b = −Δu (v_a + v_b) t_a t_b.
    ///
    /// The result keeps a small relative error even when |Δu| ≪ |u|, where
    /// the plain difference of two χ values, and even more so of two ψ
    /// values, would keep only an absolute one.
    @inlinable
    public static func halfShiftedRemainderDifference(
        _ ua: Complex<Double>, _ ub: Complex<Double>, difference du: Complex<Double>
    ) -> (value: Complex<Double>, derivativeAtB: Complex<Double>) {
        guard ua.real > 0 && ub.real > 0 && ua.real.isFinite && ub.real.isFinite
            && ua.imaginary.isFinite && ub.imaginary.isFinite && du.real.isFinite && du.imaginary.isFinite
        else { return (undefined, undefined) }
        var xa = ua.real, xb = ub.real
        let ya = ua.imaginary, yb = ub.imaginary
        var termSum = Complex<Double>.zero
        var squareSumB = Complex<Double>.zero
        let rational = du * Complex(-0.25, 0) + du * du.multiplied(by: 0.5)   // Δu (Δu/2 − 1/4)
        var shifted = false
        while xa * xa + ya * ya < asymptoticRadiusSquared || xb * xb + yb * yb < asymptoticRadiusSquared {
            let za = Complex(xa, ya)
            let pa = Complex(xa + 0.5, ya), pb = Complex(xb + 0.5, yb)
            let q = za * Complex(xb + 1, yb)
            let rb = reciprocal(pb)
            squareSumB += rb * rb
            let x = -(du * reciprocal(q))
            termSum += rational * reciprocal(q * pa * pb) + logOnePlusMinusIdentity(x)
            xa += 1; xb += 1
            shifted = true
        }
        let va = Complex(xa, ya), vb = Complex(xb, yb)
        let inverseA = reciprocal(va), inverseB = reciprocal(vb)
        let ta = inverseA * inverseA, tb = inverseB * inverseB
        // Horner for Q(t) = P(t)/t at t_a and t_b, with the divided difference
        // (Q(t_a) − Q(t_b))/(t_a − t_b) carried along.
        var qa = Complex<Double>(5749691557.0 / 1882718208), qb = qa
        var dq = Complex<Double>.zero
        @inline(__always) func step(_ c: Double) {
            dq = qa + tb * dq
            qa = qa * ta + Complex(c)
            qb = qb * tb + Complex(c)
        }
        step(-118518239.0 / 267386880); step(8191.0 / 98304); step(-1414477.0 / 67092480)
        step(511.0 / 67584); step(-127.0 / 30720); step(31.0 / 8064); step(-7.0 / 960); step(1.0 / 24)
        // P(t_a) − P(t_b) = t_a Q_a − t_b Q_b = (t_a − t_b)(Q_a + t_b dQ).
        let dt = -(du * (va + vb) * ta * tb)
        let value = dt * (qa + tb * dq) + termSum
        let derivativeSeries = evenSeries(
            tb,
            1.0 / 12, -7.0 / 240, 31.0 / 1344, -127.0 / 3840, 2555.0 / 33792,
            -1414477.0 / 5591040, 57337.0 / 49152, -118518239.0 / 16711680,
            5749691557.0 / 104595456)
        var derivative = squareSumB - derivativeSeries * inverseB
        if shifted { derivative += inverseB - reciprocal(ub) }
        return (value, derivative)
    }

    /// log(1 + x) − x, by its Taylor series −x²/2 + x³/3 − … for |x| < 1/64
    /// (truncation below 1e-17 relative), else directly.
    @usableFromInline @inline(__always)
    static func logOnePlusMinusIdentity(_ x: Complex<Double>) -> Complex<Double> {
        if x.real * x.real + x.imaginary * x.imaginary < 1.0 / 4096 {
            let x2 = x * x
            var series = x.multiplied(by: -1.0 / 8) + Complex(1.0 / 7)
            series = series * x + Complex(-1.0 / 6)
            series = series * x + Complex(1.0 / 5)
            series = series * x + Complex(-1.0 / 4)
            series = series * x + Complex(1.0 / 3)
            series = series * x + Complex(-1.0 / 2)
            return series * x2
        }
        return Complex.log(onePlus: x) - x
    }

    /// The result outside the domain: not finite, so `.real` and
    /// `.imaginary` read NaN.
    @usableFromInline
    static let undefined = Complex<Double>(.nan, .nan)

    /// |z|² above which the asymptotic series is summed directly (|z| ≥ 10).
    @usableFromInline
    static let asymptoticRadiusSquared: Double = 100

    /// Σ_{k=1}^{9} c_k t^k by Horner's rule (t = z^−2 in the series above).
    @usableFromInline @inline(__always)
    static func evenSeries(
        _ t: Complex<Double>,
        _ c1: Double, _ c2: Double, _ c3: Double, _ c4: Double, _ c5: Double,
        _ c6: Double, _ c7: Double, _ c8: Double, _ c9: Double
    ) -> Complex<Double> {
        var sum = Complex(c9) * t
        sum = (sum + Complex(c8)) * t
        sum = (sum + Complex(c7)) * t
        sum = (sum + Complex(c6)) * t
        sum = (sum + Complex(c5)) * t
        sum = (sum + Complex(c4)) * t
        sum = (sum + Complex(c3)) * t
        sum = (sum + Complex(c2)) * t
        return (sum + Complex(c1)) * t
    }

    /// 1/z without the overflow guards of general complex division: every
    /// argument here has 0.5 ≤ |z|, or comes from a finite nonzero u whose
    /// square modulus is representable (|u| < 1e150).
    @usableFromInline @inline(__always)
    static func reciprocal(_ z: Complex<Double>) -> Complex<Double> {
        let norm = z.real * z.real + z.imaginary * z.imaginary
        return Complex(z.real / norm, -z.imaginary / norm)
    }

    /// A complex sum with Neumaier's running compensation: `sum + error`
    /// is the exact sum of the addends to within about one rounding.
    @usableFromInline
    struct CompensatedComplexSum {
        @usableFromInline var sum = Complex<Double>.zero
        @usableFromInline var error = Complex<Double>.zero

        @inlinable init() {}

        @inlinable @inline(__always)
        mutating func add(_ term: Complex<Double>) {
            let re = Self.twoSum(sum.real, term.real)
            let im = Self.twoSum(sum.imaginary, term.imaginary)
            sum = Complex(re.sum, im.sum)
            error = Complex(error.real + re.error, error.imaginary + im.error)
        }

        /// a + b = sum + error exactly (Knuth's TwoSum).
        @inlinable @inline(__always)
        static func twoSum(_ a: Double, _ b: Double) -> (sum: Double, error: Double) {
            let sum = a + b
            let bVirtual = sum - a
            let aVirtual = sum - bVirtual
            return (sum, (a - aVirtual) + (b - bVirtual))
        }
    }

    /// Principal logarithm log|z| + i arg z.
    @usableFromInline @inline(__always)
    static func logarithm(_ z: Complex<Double>) -> Complex<Double> {
        Complex(
            0.5 * Double.log(z.real * z.real + z.imaginary * z.imaginary),
            Double.atan2(y: z.imaginary, x: z.real)
        )
    }
}
