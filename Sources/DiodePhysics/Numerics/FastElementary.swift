import RealModule

/// sin/cos of one argument and exp, in pure Swift, inlined into the hot
/// integrands of the screening solver.
///
/// Why: glibc's `sin`, `cos` and `exp` are accurate, but in the closed-form
/// spectra (``ScatteringModel/fullPhase(energy:u2:)``,
/// ``ScatteringModel/halfPhase(energy:u2:)``, the Fermi functions) they are
/// opaque calls, and cos and sin of the same phase each repeat the same
/// argument reduction. A `perf` profile of a Fig. 3 scan had 25 % of all
/// samples in them (`__cos_fma` 9.6 %, `__sin_fma` 5.1 %, exp 8.5 %).
/// Here one reduction serves both sin and cos, and everything inlines (no
/// call, no PLT, no ifunc dispatch). The algorithms are fdlibm's (Sun
/// Microsystems, 1993, as maintained in FreeBSD's msun: `e_rem_pio2.c`,
/// `k_sin.c`, `k_cos.c`, `e_exp.c`), whose coefficients and error analysis
/// are well established; only the control flow is changed (no branches on
/// the size of the reduced argument, the quadrant chosen by bit operations),
/// and e^r is a Taylor polynomial instead of fdlibm's rational form.
///
/// Only plain multiplications and additions are used (no `fma`: the package
/// is built for baseline x86-64, where `fma` would be a library call), and
/// no `rounded()` (without SSE4.1 that too is a call): integers nearest to a
/// product are taken with the 1.5·2⁵² shifter.
///
/// Accuracy (measured against glibc and against an x87 80-bit reference;
/// `FastElementaryTests` keeps the comparison with glibc): see
/// ``sinCos(_:)`` and ``exp(_:)``.
public enum FastElementary {
    /// |x| up to which ``sinCos(_:)`` reduces itself. With |k| ≤ 2¹⁶ every
    /// product k·(π/2)_i of the three-part split is exact (33-bit parts).
    /// (The guards in the functions repeat it as a literal, so that nothing
    /// is loaded from a global.)
    public static let sinCosReductionLimit = 1.0e5

    /// The exponent range of the fast ``exp(_:)``: for |x| ≤ 708 the result
    /// is a normal number and 2^k with |k| ≤ 1021 can be added to the
    /// exponent field directly.
    /// (Repeated as a literal in the guard.)
    public static let expFastLimit = 708.0

    /// sin x and cos x from one argument reduction.
    ///
    /// **Reduction.** k = nearest integer to x·2/π (the 1.5·2⁵² shifter, ties
    /// to even; k may be off by one where x·2/π is within an ulp of a
    /// half-integer, which only makes |r| exceed π/4 by ~1e-11), and
    /// r = x − k·π/2 with π/2 = P₁ + P₂ + P₃ + P₃ₜ (fdlibm's `pio2_1`,
    /// `pio2_2`, `pio2_3`, `pio2_3t`; P₁, P₂, P₃ have ≤ 33 significant bits,
    /// so k·P_i is exact for |k| < 2²⁰). x − k·P₁ is exact (Sterbenz); the
    /// two following subtractions keep their rounding errors (TwoSum), so r
    /// is obtained as an unevaluated sum r₀ + r₁ good to ~150 bits relative
    /// to x, far below an ulp of r even at the doubles closest to multiples
    /// of π/2 (where r has lost up to ~60 bits to cancellation). fdlibm does
    /// the 2nd and 3rd steps only when it detects cancellation; here they
    /// are always done (a few flops, no branch).
    ///
    /// **Kernels** on |r| ≲ π/4 (fdlibm `__kernel_sin`, `__kernel_cos`, the
    /// FreeBSD 2008 forms): with z = r₀²,
    ///
    ///     sin r ≈ r₀ + r₀z(S₁ + z(S₂ + … + z⁵S₆)) + r₁(1 − z/2)
    ///     cos r ≈ (1 − z/2) + z²(C₁ + z C₂ + … + z⁵C₆) − r₀r₁
    ///
    /// (the minimax polynomials have relative error < 2⁻⁵⁸ for sin and
    /// < 2⁻⁵⁸·⁹ for cos on [−π/4, π/4]; 1 − z/2 is summed with its rounding
    /// error recovered). fdlibm's bound is < 1 ulp for both.
    ///
    /// **Quadrant** n = k mod 4: (sin, cos) = (s, c), (c, −s), (−s, −c),
    /// (−c, s); the swap is a select, the signs an XOR of the sign bit.
    ///
    /// **Range.** For |x| > ``sinCosReductionLimit``, ±∞ and NaN the result
    /// is `Double.sin(x)`, `Double.cos(x)` (libm). sinCos(±0) = (±0, 1).
    ///
    /// Measured (5 Dec 2026, 5 million points in [−1e3, 1e3], [−1e5, 1e5],
    /// next to multiples of π/2 and tiny): at most 1 ulp from glibc's sin
    /// and cos, < 0.78 ulp from an x87 80-bit reference (glibc: < 0.56).
    @inlinable @inline(__always)
    public static func sinCos(_ x: Double) -> (sin: Double, cos: Double) {
        guard abs(x) <= 1.0e5 else { return sinCosOutsideReduction(x) }
        let shifter = 0x1.8p52
        let invPio2 = 0x1.45f306dc9c883p-1   // 2/π
        let p1 = 0x1.921fb544p0               // π/2, first 33 bits
        let p2 = 0x1.0b4611a6p-34             // next 33 bits
        let p3 = 0x1.3198a2ep-69              // next 33 bits
        let p3t = 0x1.b839a252049c1p-104      // π/2 − p1 − p2 − p3

        // k and n = k mod 4 (low bits of the shifted significand).
        let shifted = x * invPio2 + shifter
        let k = shifted - shifter
        let n = Int(truncatingIfNeeded: shifted.bitPattern) & 3

        // r = x − k·π/2 as r0 + r1. (k + 0 turns k = −0 into +0, so that
        // x = −0 gives r0 = −0.)
        let kk = k + 0
        let a1 = x - kk * p1                  // exact
        let b2 = kk * p2                      // exact
        let a2 = a1 - b2
        let e2 = twoSumError(a1, -b2, a2)     // a1 − b2 = a2 + e2
        let b3 = kk * p3                      // exact
        let a3 = a2 - b3
        let e3 = twoSumError(a2, -b3, a3)     // a2 − b3 = a3 + e3
        let tail = kk * p3t - (e2 + e3)       // r = a3 − tail
        let r0 = a3 - tail
        let r1 = (a3 - r0) - tail

        let s = kernelSin(r0, r1)
        let c = kernelCos(r0, r1)

        // Quadrant: swap for odd n; sin negative for n = 2, 3, cos for n = 1, 2.
        let odd = n & 1 != 0
        let sinBase = odd ? c : s
        let cosBase = odd ? s : c
        let sinSign = UInt64(truncatingIfNeeded: n & 2) &<< 62
        let cosSign = UInt64(truncatingIfNeeded: (n &+ 1) & 2) &<< 62
        return (Double(bitPattern: sinBase.bitPattern ^ sinSign),
                Double(bitPattern: cosBase.bitPattern ^ cosSign))
    }

    /// e^x.
    ///
    /// **Reduction** (as fdlibm `e_exp.c`): k = nearest integer to x/ln 2
    /// (the shifter), r = hi − lo with hi = x − k·L₁ (exact: L₁ = ln 2's
    /// first 33 bits, |k| ≤ 1021, and hi is within a factor 2 of x − k ln 2)
    /// and lo = k·L₂ (L₂ = ln 2 − L₁ rounded), |r| ≤ ln2/2 (+ rounding).
    ///
    /// **e^r − 1** = r + r²·q(r), q the Taylor polynomial of degree 11
    /// (coefficients 1/n!, n = 2…13), evaluated by Estrin's scheme (shorter
    /// dependency chains than Horner). Truncation: |r|¹⁴/14! ≤ 0.347¹⁴/14!
    /// ≈ 4e-18 (2⁻⁵⁸), below a twentieth of an ulp of e^r. The sum is
    /// formed as 1 + (hi + (r²q − lo)), so lo's bits are not lost in r.
    /// (fdlibm's rational form 1 + r + r·c/(2 − c) was tried: as accurate,
    /// 15 % slower because of its division.)
    ///
    /// **Scaling** by 2^k: k is added to the exponent field of e^r ∈
    /// [0.70, 1.42] (exact; the result is normal for |x| ≤ 708).
    ///
    /// **Range.** For x < −746 (including −∞) the result is 0 (e^x is below
    /// half the smallest subnormal from −745.14 on, so 0 is the correctly
    /// rounded value); for −746 ≤ x < −708 (subnormal results), x > 708 and
    /// NaN it is `Double.exp(x)` (libm). exp(±0) = 1 exactly.
    ///
    /// Measured (5 Dec 2026, 4.7 million points in [−745, 709]): at most
    /// 1 ulp from glibc's exp, < 0.92 ulp from an x87 80-bit reference
    /// (glibc: < 0.51).
    @inlinable @inline(__always)
    public static func exp(_ x: Double) -> Double {
        guard abs(x) <= 708 else { return expOutsideFastRange(x) }
        let shifter = 0x1.8p52
        let invLn2 = 0x1.71547652b82fep0
        let ln2Hi = 0x1.62e42feep-1           // first 33 bits of ln 2
        let ln2Lo = 0x1.a39ef35793c76p-33     // ln 2 − ln2Hi

        let shifted = x * invLn2 + shifter
        let k = shifted - shifter
        let hi = x - k * ln2Hi
        let lo = k * ln2Lo
        let r = hi - lo

        let c2 = 1.0 / 2, c3 = 1.0 / 6, c4 = 1.0 / 24, c5 = 1.0 / 120
        let c6 = 1.0 / 720, c7 = 1.0 / 5040, c8 = 1.0 / 40320, c9 = 1.0 / 362_880
        let c10 = 1.0 / 3_628_800, c11 = 1.0 / 39_916_800
        let c12 = 1.0 / 479_001_600, c13 = 1.0 / 6_227_020_800
        let r2 = r * r, r4 = r2 * r2, r8 = r4 * r4
        let q = ((c2 + c3 * r) + r2 * (c4 + c5 * r))
            + r4 * ((c6 + c7 * r) + r2 * (c8 + c9 * r))
            + r8 * ((c10 + c11 * r) + r2 * (c12 + c13 * r))
        let y = 1 + (hi + (r2 * q - lo))
        // k (|k| ≤ 1021) from the low bits of the shifted significand, added
        // to the exponent field of y.
        let kBits = Int64(Int32(truncatingIfNeeded: shifted.bitPattern)) &<< 52
        return Double(bitPattern: y.bitPattern &+ UInt64(bitPattern: kBits))
    }

    // MARK: Pieces

    /// The rounding error of s = fl(a + b): a + b = s + error exactly
    /// (Knuth's TwoSum, no condition on the magnitudes).
    @inlinable @inline(__always)
    static func twoSumError(_ a: Double, _ b: Double, _ s: Double) -> Double {
        let bVirtual = s - a
        let aVirtual = s - bVirtual
        return (a - aVirtual) + (b - bVirtual)
    }

    /// sin(x + y) for |x| ≲ π/4, |y| ≤ ulp(x)/2 (fdlibm `__kernel_sin`).
    @inlinable @inline(__always)
    static func kernelSin(_ x: Double, _ y: Double) -> Double {
        let s1 = -0x1.5555555555549p-3
        let s2 = 0x1.111111110f8a6p-7
        let s3 = -0x1.a01a019c161d5p-13
        let s4 = 0x1.71de357b1fe7dp-19
        let s5 = -0x1.ae5e68a2b9cebp-26
        let s6 = 0x1.5d93a5acfd57cp-33
        let z = x * x
        let w = z * z
        let r = s2 + z * (s3 + z * s4) + z * w * (s5 + z * s6)
        let v = z * x
        return x - ((z * (0.5 * y - v * r) - y) - v * s1)
    }

    /// cos(x + y) for |x| ≲ π/4, |y| ≤ ulp(x)/2 (fdlibm `__kernel_cos`,
    /// FreeBSD form: 1 − x²/2 summed with its rounding error).
    @inlinable @inline(__always)
    static func kernelCos(_ x: Double, _ y: Double) -> Double {
        let c1 = 0x1.555555555554cp-5
        let c2 = -0x1.6c16c16c15177p-10
        let c3 = 0x1.a01a019cb1590p-16
        let c4 = -0x1.27e4f809c52adp-22
        let c5 = 0x1.1ee9ebdb4b1c4p-29
        let c6 = -0x1.8fae9be8838d4p-37
        let z = x * x
        var w = z * z
        let r = z * (c1 + z * (c2 + z * c3)) + w * w * (c4 + z * (c5 + z * c6))
        let hz = 0.5 * z
        w = 1 - hz
        return w + (((1 - w) - hz) + (z * r - x * y))
    }

    /// libm for |x| > ``sinCosReductionLimit``, ±∞ and NaN (kept out of line).
    @usableFromInline @inline(never)
    static func sinCosOutsideReduction(_ x: Double) -> (sin: Double, cos: Double) {
        (Double.sin(x), Double.cos(x))
    }

    /// exp outside |x| ≤ ``expFastLimit`` (kept out of line): 0 below −746
    /// (and for −∞), libm otherwise (subnormal results, overflow, NaN).
    @usableFromInline @inline(never)
    static func expOutsideFastRange(_ x: Double) -> Double {
        if x < -746 { return 0 }
        return Double.exp(x)
    }
}
