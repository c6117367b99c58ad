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
/// call, no PLT, no ifunc dispatch). The sin/cos algorithms are fdlibm's
/// (Sun Microsystems, 1993, as maintained in FreeBSD's msun: `e_rem_pio2.c`,
/// `k_sin.c`, `k_cos.c`), whose coefficients and error analysis are well
/// established; only the control flow is changed (the three-part reduction
/// out of line for the rare arguments that need it, the quadrant chosen by
/// bit operations).
/// exp is Tang's table-driven method instead (fdlibm's is slower than glibc's
/// without FMA, see ``exp(_:)``).
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

    /// The range of the fast ``exp(_:)``: for |x| ≤ 708 the result is a
    /// normal number and 2^m (|m| ≤ 1022) can be added to the exponent
    /// field directly.
    /// (Repeated as a literal in the guard.)
    public static let expFastLimit = 708.0

    /// sin x and cos x from one argument reduction.
    ///
    /// **Reduction.** k = nearest integer to x·2/π (the 1.5·2⁵² shifter, ties
    /// to even; k may be off by one where x·2/π is within an ulp of a
    /// half-integer, which only makes |r| exceed π/4 by ~1e-11), and
    /// r = x − k·π/2 as an unevaluated sum r₀ + r₁ (fdlibm's
    /// `__ieee754_rem_pio2`, medium range): with π/2 ≈ P₁ + P₁ₜ (`pio2_1`,
    /// 33 significant bits, so k·P₁ is exact for |k| < 2²⁰ and x − k·P₁ is
    /// exact by Sterbenz; `pio2_1t` = π/2 − P₁ rounded), r₀ = (x − k·P₁) −
    /// k·P₁ₜ and r₁ its rounding error (Fast2Sum). That is good to 85 bits
    /// relative to x. Where r₀ has lost more than 20 bits to cancellation
    /// (|r₀| < 2⁻²⁰|x|: x within ~1e-6·|x| of a multiple of π/2, which the
    /// phases here hardly ever are) the out-of-line ``reduceThreeParts(_:_:)``
    /// redoes it with π/2 = P₁ + P₂ + P₃ + P₃ₜ (`pio2_2`, `pio2_3`,
    /// `pio2_3t`; ~150 bits), far below an ulp of r even at the doubles
    /// closest to multiples of π/2 (up to ~60 bits cancelled). (A first
    /// version always did the three-part reduction: 21 instead of 6 flops,
    /// a measurable part of the cost.)
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
    /// and cos, < 0.8 ulp (0.78–0.79 in two samplings) from an x87 80-bit
    /// reference (glibc: < 0.56).
    @inlinable @inline(__always)
    public static func sinCos(_ x: Double) -> (sin: Double, cos: Double) {
        guard abs(x) <= 1.0e5 else { return sinCosOutsideReduction(x) }
        let shifter = 0x1.8p52
        let invPio2 = 0x1.45f306dc9c883p-1   // 2/π
        let p1 = 0x1.921fb544p0               // π/2, first 33 bits
        let p1t = 0x1.0b4611a626331p-34       // π/2 − p1 (rounded)

        // k and n = k mod 4 (low bits of the shifted significand).
        let shifted = x * invPio2 + shifter
        let k = shifted - shifter
        let n = Int(truncatingIfNeeded: shifted.bitPattern) & 3

        // r = x − k·π/2 as r0 + r1 with the two-part split π/2 ≈ P₁ + P₁ₜ
        // (85 bits); where that loses more than 20 bits to cancellation
        // (x within ~1e-6·|x| of a multiple of π/2, rare), the three-part
        // reduction out of line. (k + 0 turns k = −0 into +0, so that x = −0
        // gives r0 = −0.)
        let kk = k + 0
        let a1 = x - kk * p1                  // exact
        let w = kk * p1t
        var r0 = a1 - w
        var r1 = (a1 - r0) - w                // the rounding error of a1 − w (|a1| ≥ |w|)
        if abs(r0) < abs(x) * 0x1p-20 { (r0, r1) = reduceThreeParts(x, kk) }

        let s = kernelSin(r0, r1)
        let c = kernelCos(r0, r1)

        // Quadrant: swap for odd n; sin negative for n = 2, 3, cos for n = 1, 2.
        // With masks rather than `odd ? c : s`, which the compiler turned
        // into a branch (mispredicted half the time on varying phases).
        let swap = 0 &- UInt64(truncatingIfNeeded: n & 1)   // all ones if n is odd
        let sBits = s.bitPattern, cBits = c.bitPattern
        let sinBits = (sBits & ~swap) | (cBits & swap)
        let cosBits = (cBits & ~swap) | (sBits & swap)
        let sinSign = UInt64(truncatingIfNeeded: n & 2) &<< 62
        let cosSign = UInt64(truncatingIfNeeded: (n &+ 1) & 2) &<< 62
        return (Double(bitPattern: sinBits ^ sinSign), Double(bitPattern: cosBits ^ cosSign))
    }

    /// e^x.
    ///
    /// **Reduction** (the table-driven scheme of Tang (1989), as in glibc's
    /// current exp): with N = 128, k = nearest integer to x·N/ln 2 (the
    /// shifter) and r = (x − k·L₁) − k·L₂, where L₁ + L₂ = ln2/N, L₁ with 35
    /// significant bits (k·L₁ exact for |k| < 2¹⁷, and x − k·L₁ exact by
    /// Sterbenz); |r| ≤ ln2/(2N) ≈ 0.00271 (+ rounding).
    ///
    /// **Table:** 2^{j/N}, j = k mod N, as a double T_j plus its relative
    /// tail τ_j = (2^{j/N} − T_j)/T_j (``expTable``, from a 200-bit
    /// computation). Then with m = ⌊k/N⌋,
    ///
    ///     e^x = 2^m · T_j · (1 + τ_j) · e^r ≈ s + s·(τ_j + r + r²/2 + r³/6 + r⁴/24 + r⁵/120),
    ///
    /// s = 2^m·T_j formed exactly by adding m to T_j's exponent field (the
    /// result is normal for |x| ≤ 708). Truncation of the Taylor series:
    /// r⁶/720 ≤ 5.4e-19 (0.005 ulp); the rounding of s·(…) and of the final
    /// sum leave the error a little above ½ ulp.
    ///
    /// (Tried first, 5 Dec 2026: fdlibm's rational form 1 + r + r·c/(2 − c)
    /// on |r| ≤ ln2/2 and a degree-13 Taylor polynomial there. Both are
    /// within 1 ulp but slower than glibc's exp without FMA: 6.8 and 5.8 ns
    /// against 5.0 ns per call; this form: 3.1–3.3 ns.)
    ///
    /// **Range.** For x < −746 (including −∞) the result is 0 (e^x is below
    /// half the smallest subnormal from −745.14 on, so 0 is the correctly
    /// rounded value); for −746 ≤ x < −708 (subnormal results), x > 708 and
    /// NaN it is `Double.exp(x)` (libm). exp(±0) = 1 exactly.
    ///
    /// Measured (5 Dec 2026, 4.7 million points in [−745, 709] and tiny
    /// negative x): at most 1 ulp from glibc's exp, < 0.76 ulp from an x87
    /// 80-bit reference (glibc: < 0.51).
    @inlinable @inline(__always)
    public static func exp(_ x: Double) -> Double {
        guard abs(x) <= 708 else { return expOutsideFastRange(x) }
        let shifter = 0x1.8p52
        let invLn2N = 0x1.71547652b82fep+7    // N/ln 2
        let ln2NHi = 0x1.62e42fefa0000p-8     // ln2/N, first 35 bits
        let ln2NLo = 0x1.cf79abc9e3b3ap-47    // ln2/N − ln2NHi

        let shifted = x * invLn2N + shifter
        let k = shifted - shifter
        let r = (x - k * ln2NHi) - k * ln2NLo
        // k (|k| ≤ 130,741) from the low bits of the shifted significand.
        let ki = Int(Int32(truncatingIfNeeded: shifted.bitPattern))
        let j = ki & 127
        let (tBits, tailBits) = expTable.withUnsafeBufferPointer { ($0[2 &* j], $0[2 &* j &+ 1]) }
        let scale = Double(bitPattern: tBits &+ UInt64(bitPattern: Int64(ki >> 7) &<< 52))
        let r2 = r * r
        let p = Double(bitPattern: tailBits) + r + r2 * (0.5 + r * (1.0 / 6))
            + r2 * r2 * (1.0 / 24 + r * (1.0 / 120))
        return scale + scale * p
    }

    /// 2^{j/128} for j = 0…127 as bit patterns: T_j (the nearest double) and
    /// τ_j = (2^{j/128} − T_j)/T_j rounded, interleaved. Generated with
    /// mpmath at 200 bits (`T = float(2**(j/128))`, `tau = float((2**(j/128) − T)/T)`).
    @usableFromInline
    static let expTable: [UInt64] = [
        0x3ff0000000000000, 0x0000000000000000,
        0x3ff0163da9fb3335, 0x3c9b3b4f1a88bf6e,
        0x3ff02c9a3e778061, 0xbc7160139cd8dc5d,
        0x3ff04315e86e7f85, 0xbc905e7a108766d1,
        0x3ff059b0d3158574, 0x3c8cd2523567f613,
        0x3ff0706b29ddf6de, 0xbc8bce8023f98efa,
        0x3ff0874518759bc8, 0x3c60f74e61e6c861,
        0x3ff09e3ecac6f383, 0x3c90a3e45b33d399,
        0x3ff0b5586cf9890f, 0x3c979aa65d837b6d,
        0x3ff0cc922b7247f7, 0x3c8eb51a92fdeffc,
        0x3ff0e3ec32d3d1a2, 0x3c3ebe3d702f9cd1,
        0x3ff0fb66affed31b, 0xbc6a033489906e0b,
        0x3ff11301d0125b51, 0xbc9556522a2fbd0e,
        0x3ff12abdc06c31cc, 0xbc5080ef8c4eea55,
        0x3ff1429aaea92de0, 0xbc91c923b9d5f416,
        0x3ff15a98c8a58e51, 0x3c80d3e3e95c55af,
        0x3ff172b83c7d517b, 0xbc801b15eaa59348,
        0x3ff18af9388c8dea, 0xbc8f1ff055de323d,
        0x3ff1a35beb6fcb75, 0x3c8b898c3f1353bf,
        0x3ff1bbe084045cd4, 0xbc96d99c7611eb26,
        0x3ff1d4873168b9aa, 0x3c9aecf73e3a2f60,
        0x3ff1ed5022fcd91d, 0xbc8fe782cb86389d,
        0x3ff2063b88628cd6, 0x3c8a6f4144a6c38d,
        0x3ff21f49917ddc96, 0x3c807a05b0e4047d,
        0x3ff2387a6e756238, 0x3c968efde3a8a894,
        0x3ff251ce4fb2a63f, 0x3c875e18f274487d,
        0x3ff26b4565e27cdd, 0x3c80472b981fe7f2,
        0x3ff284dfe1f56381, 0xbc96b87b3f71085e,
        0x3ff29e9df51fdee1, 0x3c82f7e16d09ab31,
        0x3ff2b87fd0dad990, 0xbc3d219b1a6fbffa,
        0x3ff2d285a6e4030b, 0x3c8b3782720c0ab4,
        0x3ff2ecafa93e2f56, 0x3c6e149289cecb8f,
        0x3ff306fe0a31b715, 0x3c834d754db0abb6,
        0x3ff32170fc4cd831, 0x3c864201e2ac744c,
        0x3ff33c08b26416ff, 0x3c8fdd395dd3f84a,
        0x3ff356c55f929ff1, 0xbc86a3803b8e5b04,
        0x3ff371a7373aa9cb, 0xbc924aedcc4b5068,
        0x3ff38cae6d05d866, 0xbc9907f81b512d8e,
        0x3ff3a7db34e59ff7, 0xbc71d1e83e9436d2,
        0x3ff3c32dc313a8e5, 0xbc991919b3ce1b15,
        0x3ff3dea64c123422, 0x3c859f48a72a4c6d,
        0x3ff3fa4504ac801c, 0xbc9312607a28698a,
        0x3ff4160a21f72e2a, 0xbc58a78f4817895b,
        0x3ff431f5d950a897, 0xbc7c2c9b67499a1b,
        0x3ff44e086061892d, 0x3c4363ed60c2ac11,
        0x3ff46a41ed1d0057, 0x3c9666093b0664ef,
        0x3ff486a2b5c13cd0, 0x3c6ecce1daa10379,
        0x3ff4a32af0d7d3de, 0x3c93ff8e3f0f1230,
        0x3ff4bfdad5362a27, 0x3c7690cebb7aafb0,
        0x3ff4dcb299fddd0d, 0x3c931dbdeb54e077,
        0x3ff4f9b2769d2ca7, 0xbc8f94340071a38e,
        0x3ff516daa2cf6642, 0xbc87deccdc93a349,
        0x3ff5342b569d4f82, 0xbc78dec6bd0f385f,
        0x3ff551a4ca5d920f, 0xbc861246ec7b5cf6,
        0x3ff56f4736b527da, 0x3c93350518fdd78e,
        0x3ff58d12d497c7fd, 0x3c7b98b72f8a9b05,
        0x3ff5ab07dd485429, 0x3c9063e1e21c5409,
        0x3ff5c9268a5946b7, 0x3c34c7855019c6ea,
        0x3ff5e76f15ad2148, 0x3c9432e62b64c035,
        0x3ff605e1b976dc09, 0xbc8ce44a6199769f,
        0x3ff6247eb03a5585, 0xbc8c33c53bef4da8,
        0x3ff6434634ccc320, 0xbc845378892be9ae,
        0x3ff6623882552225, 0xbc93cedd78565858,
        0x3ff68155d44ca973, 0x3c5710aa807e1964,
        0x3ff6a09e667f3bcd, 0xbc93b3efbf5e2228,
        0x3ff6c012750bdabf, 0xbc6a12ad8734b982,
        0x3ff6dfb23c651a2f, 0xbc6367efb86da9ee,
        0x3ff6ff7df9519484, 0xbc80dc3d54e08851,
        0x3ff71f75e8ec5f74, 0xbc781f647e5a3ecf,
        0x3ff73f9a48a58174, 0xbc86ee4ac08b7db0,
        0x3ff75feb564267c9, 0xbc8619321e55e68a,
        0x3ff780694fde5d3f, 0x3c909ccb5e09d4d3,
        0x3ff7a11473eb0187, 0xbc7b32dcb94da51d,
        0x3ff7c1ed0130c132, 0x3c94ecfd5467c06b,
        0x3ff7e2f336cf4e62, 0x3c65ebe1abd66c55,
        0x3ff80427543e1a12, 0xbc88a1c52fb3cf42,
        0x3ff82589994cce13, 0xbc9369b6f13b3734,
        0x3ff8471a4623c7ad, 0xbc805e843a19ff1e,
        0x3ff868d99b4492ed, 0xbc94d450d872576e,
        0x3ff88ac7d98a6699, 0x3c90ad675b0e8a00,
        0x3ff8ace5422aa0db, 0x3c8db72fc1f0eab4,
        0x3ff8cf3216b5448c, 0xbc65b6609cc5e7ff,
        0x3ff8f1ae99157736, 0x3c7bf68359f35f44,
        0x3ff9145b0b91ffc6, 0xbc93091fa71e3d83,
        0x3ff93737b0cdc5e5, 0xbc5da9b88b6c1e29,
        0x3ff95a44cbc8520f, 0xbc6c23f97c90b959,
        0x3ff97d829fde4e50, 0xbc92434322f4f9aa,
        0x3ff9a0f170ca07ba, 0xbc85ca6cd7668e4b,
        0x3ff9c49182a3f090, 0x3c71affc2b91ce27,
        0x3ff9e86319e32323, 0x3c6dd235e10a73bb,
        0x3ffa0c667b5de565, 0xbc87c50422622263,
        0x3ffa309bec4a2d33, 0x3c8b1c86e3e231d5,
        0x3ffa5503b23e255d, 0xbc91bbd1d3bcbb15,
        0x3ffa799e1330b358, 0x3c90cc319cee31d2,
        0x3ffa9e6b5579fdbf, 0x3c8469846e735ab3,
        0x3ffac36bbfd3f37a, 0xbc82dfcd978e9db4,
        0x3ffae89f995ad3ad, 0x3c8c1a7792cb3387,
        0x3ffb0e07298db666, 0xbc907b8f4ad1d9fa,
        0x3ffb33a2b84f15fb, 0xbc55c3d956dcaeba,
        0x3ffb59728de5593a, 0xbc90a40e3da6f640,
        0x3ffb7f76f2fb5e47, 0xbc68d6f438ad9334,
        0x3ffba5b030a1064a, 0xbc91eee26b588a35,
        0x3ffbcc1e904bc1d2, 0x3c74ffd70a5fddcd,
        0x3ffbf2c25bd71e09, 0xbc91bdfbfa9298ac,
        0x3ffc199bdd85529c, 0x3c736eae30af0cb3,
        0x3ffc40ab5fffd07a, 0x3c8ee3325c9ffd94,
        0x3ffc67f12e57d14b, 0x3c84e08fd10959ac,
        0x3ffc8f6d9406e7b5, 0x3c63cdaf384e1a67,
        0x3ffcb720dcef9069, 0x3c676b2c6c921968,
        0x3ffcdf0b555dc3fa, 0xbc808a1883ccb5d2,
        0x3ffd072d4a07897c, 0xbc8fad5d3ffffa6f,
        0x3ffd2f87080d89f2, 0xbc900dae3875a949,
        0x3ffd5818dcfba487, 0x3c74a385a63d07a7,
        0x3ffd80e316c98398, 0xbc82919e2040220f,
        0x3ffda9e603db3285, 0x3c8e5a50d5c192ac,
        0x3ffdd321f301b460, 0x3c843a59ac016b4b,
        0x3ffdfc97337b9b5f, 0xbc82d52107b43e1f,
        0x3ffe264614f5a129, 0xbc892ab93b470dc9,
        0x3ffe502ee78b3ff6, 0x3c74b604603a88d3,
        0x3ffe7a51fbc74c83, 0x3c83c5ec519d7271,
        0x3ffea4afa2a490da, 0xbc8ff7128fd391f0,
        0x3ffecf482d8e67f1, 0xbc8dae98e223747d,
        0x3ffefa1bee615a27, 0x3c8ec3bc41aa2008,
        0x3fff252b376bba97, 0x3c842b94c3a9eb32,
        0x3fff50765b6e4540, 0x3c8a64a931d185ee,
        0x3fff7bfdad9cbe14, 0xbc8e37bae43be3ed,
        0x3fffa7c1819e90d8, 0x3c77893b4d91cd9d,
        0x3fffd3c22b8f71f1, 0x3c5305c14160cc89,
    ]

    // MARK: Pieces

    /// x − k·π/2 as r0 + r1 with the three-part split (fdlibm's `pio2_1`,
    /// `pio2_2`, `pio2_3`, `pio2_3t`, good to ~150 bits; |k| < 2²⁰): for x
    /// close to a multiple of π/2, where the two-part reduction cancels.
    @usableFromInline @inline(never)
    static func reduceThreeParts(_ x: Double, _ k: Double) -> (Double, Double) {
        let p1 = 0x1.921fb544p0               // π/2, first 33 bits
        let p2 = 0x1.0b4611a6p-34             // next 33 bits
        let p3 = 0x1.3198a2ep-69              // next 33 bits
        let p3t = 0x1.b839a252049c1p-104      // π/2 − p1 − p2 − p3
        let a1 = x - k * p1                   // exact
        let b2 = k * p2                       // exact
        let a2 = a1 - b2
        let e2 = twoSumError(a1, -b2, a2)     // a1 − b2 = a2 + e2
        let b3 = k * p3                       // exact
        let a3 = a2 - b3
        let e3 = twoSumError(a2, -b3, a3)     // a2 − b3 = a3 + e3
        let tail = k * p3t - (e2 + e3)        // r = a3 − tail
        let r0 = a3 - tail
        return (r0, (a3 - r0) - tail)
    }

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
