import RealModule

/// A vector-valued function of one real variable: every integral one solver
/// step needs, evaluated in one pass over the energy axis.
///
/// Conformers are used through generics (never as existentials), so the
/// quadrature loop is specialised for each integrand and the call is static.
public protocol VectorIntegrand {
    associatedtype Vector: SIMD & Sendable where Vector.Scalar == Double
    /// The integrand at `x`. Must not allocate.
    func callAsFunction(_ x: Double) -> Vector
}

/// |v| component by component.
@inlinable @inline(__always)
func magnitudes<Vector: SIMD>(_ v: Vector) -> Vector where Vector.Scalar == Double {
    // An element loop (compiled to a sign-bit mask) rather than
    // `replacing(with:where:)`, whose generic mask code is scalarised.
    var result = v
    for i in result.indices { result[i] = Swift.abs(result[i]) }
    return result
}

/// v + w component by component; SIMD32 in two SIMD16 halves (see
/// ``GaussKronrod21/segmentInHalves(_:lower:upper:)``: the generic operators
/// are element loops that stay vector code only up to 16 components).
@inlinable @inline(__always)
func componentSum<Vector: SIMD>(_ v: Vector, _ w: Vector) -> Vector where Vector.Scalar == Double {
    if Vector.self == SIMD32<Double>.self {
        let a = unsafeBitCast(v, to: SIMD32<Double>.self), b = unsafeBitCast(w, to: SIMD32<Double>.self)
        return unsafeBitCast(SIMD32(lowHalf: a.lowHalf + b.lowHalf, highHalf: a.highHalf + b.highHalf),
                             to: Vector.self)
    }
    return v + w
}

/// s · v component by component (SIMD32 in halves, as ``componentSum(_:_:)``).
@inlinable @inline(__always)
func componentScaled<Vector: SIMD>(_ s: Double, _ v: Vector) -> Vector where Vector.Scalar == Double {
    if Vector.self == SIMD32<Double>.self {
        let a = unsafeBitCast(v, to: SIMD32<Double>.self)
        return unsafeBitCast(SIMD32(lowHalf: s * a.lowHalf, highHalf: s * a.highHalf), to: Vector.self)
    }
    return s * v
}

/// max_c v_c w_c (SIMD32 in halves, as ``componentSum(_:_:)``).
@inlinable @inline(__always)
func largestProduct<Vector: SIMD>(_ v: Vector, _ w: Vector) -> Double where Vector.Scalar == Double {
    if Vector.self == SIMD32<Double>.self {
        let a = unsafeBitCast(v, to: SIMD32<Double>.self), b = unsafeBitCast(w, to: SIMD32<Double>.self)
        return Swift.max((a.lowHalf * b.lowHalf).max(), (a.highHalf * b.highHalf).max())
    }
    return (v * w).max()
}

/// One panel of the adaptive quadrature: the Kronrod estimate of ∫ g over
/// [lower, upper], its error estimate |K₂₁ − G₁₀| and ∫ |g| (per component).
///
/// A panel next to an integrable 1/√ end-point singularity is integrated in
/// the variable s of x = anchor + stretch·s² (dx = 2|stretch| s ds, which
/// cancels the singularity); then `lower`, `upper` are values of s. Plain
/// panels have `stretch == 0` and `lower`, `upper` in x.
@frozen
public struct QuadratureSegment<Vector: SIMD>: Sendable where Vector: Sendable, Vector.Scalar == Double {
    public var lower: Double
    public var upper: Double
    public var value: Vector
    public var error: Vector
    public var magnitude: Vector
    public var anchor: Double
    public var stretch: Double

    @inlinable
    public init(lower: Double, upper: Double, value: Vector, error: Vector, magnitude: Vector,
                anchor: Double = 0, stretch: Double = 0) {
        self.lower = lower; self.upper = upper
        self.value = value; self.error = error; self.magnitude = magnitude
        self.anchor = anchor; self.stretch = stretch
    }
}

/// g(anchor + stretch·s²)·2|stretch|·s: the integrand in the variable s that
/// removes a 1/√|x − anchor| singularity at the anchor.
@frozen
public struct SquareRootSubstitution<Base: VectorIntegrand>: VectorIntegrand {
    public var base: Base
    public var anchor: Double
    public var stretch: Double

    @inlinable
    public init(base: Base, anchor: Double, stretch: Double) {
        self.base = base; self.anchor = anchor; self.stretch = stretch
    }

    /// The weight uses the offset x − anchor of the *rounded* x, i.e.
    /// 2|stretch|·s_eff with s_eff = √((x − anchor)/stretch), so that a
    /// 1/√|x − anchor| factor computed by the integrand cancels exactly even
    /// where x − anchor is close to the rounding unit of the anchor. At the
    /// anchor itself (x − anchor == 0 after rounding) the node contributes 0.
    @inlinable @inline(__always)
    public func callAsFunction(_ s: Double) -> Base.Vector {
        let x = anchor + stretch * s * s
        let offset = x - anchor
        if offset == 0 { return .zero }
        return base(x) * (2 * (abs(stretch) * abs(offset)).squareRoot())
    }
}

/// The outcome of an adaptive integration.
@frozen
public struct QuadratureResult<Vector: SIMD>: Sendable where Vector: Sendable, Vector.Scalar == Double {
    /// ∫ g, per component.
    public var value: Vector
    /// The summed error estimates Σ |K₂₁ − G₁₀| (a conservative bound for
    /// smooth integrands: the K₂₁ value is far more accurate than G₁₀).
    public var error: Vector
    /// ∫ |g|, per component: the scale against which the relative tolerance
    /// is measured (so integrals that cancel, like a probe current at its
    /// solution, still have a meaningful tolerance).
    public var magnitude: Vector
    /// Integrand evaluations used.
    public var evaluations: Int
    /// Panels at the end.
    public var segments: Int
    /// True when every component met `error ≤ max(rtol·magnitude, atol)`.
    public var converged: Bool

    @inlinable
    public init(value: Vector, error: Vector, magnitude: Vector, evaluations: Int, segments: Int, converged: Bool) {
        self.value = value; self.error = error; self.magnitude = magnitude
        self.evaluations = evaluations; self.segments = segments; self.converged = converged
    }
}

/// The 21-point Gauss–Kronrod rule (QUADPACK's qk21): Kronrod nodes ±x_k,
/// k = 0…9, and 0; the 10-point Gauss rule uses the odd-indexed nodes.
/// Exact for polynomials of degree 31 (Kronrod) and 19 (Gauss).
public enum GaussKronrod21 {
    /// Kronrod abscissae on [−1, 1] (positive half, descending; 0 last).
    public static let nodes: [Double] = [
        0.995657163025808080735527280689003, 0.973906528517171720077964012084452,
        0.930157491355708226001207180059508, 0.865063366688984510732096688423493,
        0.780817726586416897063717578345042, 0.679409568299024406234327365114874,
        0.562757134668604683339000099272694, 0.433395394129247190799265943165784,
        0.294392862701460198131126603103866, 0.148874338981631210884826001129720,
        0,
    ]
    /// Kronrod weights for `nodes`.
    public static let kronrodWeights: [Double] = [
        0.011694638867371874278064396062192, 0.032558162307964727478818972459390,
        0.054755896574351996031381300244580, 0.075039674810919952767043140916190,
        0.093125454583697605535065465083366, 0.109387158802297641899210590325805,
        0.123491976262065851077208280000150, 0.134709217311473325928054001771707,
        0.142775938577060080797094273138717, 0.147739104901338491374841515972068,
        0.149445554002916905664936468389821,
    ]
    /// Gauss weights for nodes[1], nodes[3], …, nodes[9].
    public static let gaussWeights: [Double] = [
        0.066671344308688137593568809893332, 0.149451349150580593145776339657697,
        0.219086362515982043995534934228163, 0.269266719309996355091226921569469,
        0.295524224714752870173892994651338,
    ]

    /// Applies the rule on [lower, upper]: 21 evaluations, all at interior
    /// points (the end points are never evaluated, so integrable end-point
    /// singularities are harmless).
    @inlinable
    public static func segment<F: VectorIntegrand>(_ f: F, lower: Double, upper: Double) -> QuadratureSegment<F.Vector> {
        if F.Vector.self == SIMD32<Double>.self { return segmentInHalves(f, lower: lower, upper: upper) }
        // The tables as SIMD constants (registers, no array accessors or
        // bounds checks); Gauss weights zero at the Kronrod-only nodes so the
        // loop is branch-free. A rolled loop keeps the vector accumulators in
        // registers instead of spilling an unrolled body.
        let (nodes, kronrodWeights, gaussWeights) = (packedNodes, packedKronrodWeights, packedGaussWeights)
        let centreWeight = packedCentreWeight
        let centre = 0.5 * (lower + upper)
        let half = 0.5 * (upper - lower)
        let fc = f(centre)
        var kronrod = centreWeight * fc
        var magnitude = centreWeight * magnitudes(fc)
        var gauss = F.Vector.zero
        for k in 0..<10 {
            let offset = half * nodes[k]
            let lowValue = f(centre - offset), highValue = f(centre + offset)
            let sum = lowValue + highValue
            kronrod += kronrodWeights[k] * sum
            gauss += gaussWeights[k] * sum
            magnitude += kronrodWeights[k] * (magnitudes(lowValue) + magnitudes(highValue))
        }
        return QuadratureSegment(lower: lower, upper: upper, value: half * kronrod,
                                 error: magnitudes(half * (kronrod - gauss)), magnitude: abs(half) * magnitude)
    }

    // The 21-point tables packed as SIMD16 constants (the ten symmetric
    // nodes, Gauss weights zero at the Kronrod-only nodes so the panel loop
    // is branch-free). Computed properties, not stored ones: inlined, they
    // fold into register constants with no lazy-global check in the hot loop.
    @inlinable @inline(__always) static var packedNodes: SIMD16<Double> {
        SIMD16<Double>(
            0.995657163025808080735527280689003, 0.973906528517171720077964012084452,
            0.930157491355708226001207180059508, 0.865063366688984510732096688423493,
            0.780817726586416897063717578345042, 0.679409568299024406234327365114874,
            0.562757134668604683339000099272694, 0.433395394129247190799265943165784,
            0.294392862701460198131126603103866, 0.148874338981631210884826001129720,
            0, 0, 0, 0, 0, 0)
    }
    @inlinable @inline(__always) static var packedKronrodWeights: SIMD16<Double> {
        SIMD16<Double>(
            0.011694638867371874278064396062192, 0.032558162307964727478818972459390,
            0.054755896574351996031381300244580, 0.075039674810919952767043140916190,
            0.093125454583697605535065465083366, 0.109387158802297641899210590325805,
            0.123491976262065851077208280000150, 0.134709217311473325928054001771707,
            0.142775938577060080797094273138717, 0.147739104901338491374841515972068,
            0, 0, 0, 0, 0, 0)
    }
    @inlinable @inline(__always) static var packedGaussWeights: SIMD16<Double> {
        SIMD16<Double>(
            0, 0.066671344308688137593568809893332,
            0, 0.149451349150580593145776339657697,
            0, 0.219086362515982043995534934228163,
            0, 0.269266719309996355091226921569469,
            0, 0.295524224714752870173892994651338,
            0, 0, 0, 0, 0, 0)
    }
    /// Kronrod weight of the centre node.
    @inlinable @inline(__always) static var packedCentreWeight: Double { 0.149445554002916905664936468389821 }

    /// ``segment(_:lower:upper:)`` for 32-component integrands, accumulated
    /// in two SIMD16 halves (the same operations in the same order, so the
    /// same bits). The generic SIMD operators are element loops; at 16
    /// components they are unrolled into vector code, at 32 they are not, and
    /// every element write then spills and reloads the whole 256-byte
    /// vector, which cost more than the screening integrand itself (λ > 0).
    @inlinable
    static func segmentInHalves<F: VectorIntegrand>(_ f: F, lower: Double, upper: Double) -> QuadratureSegment<F.Vector> {
        @inline(__always) func halves(_ x: Double) -> (SIMD16<Double>, SIMD16<Double>) {
            let v = unsafeBitCast(f(x), to: SIMD32<Double>.self)
            return (v.lowHalf, v.highHalf)
        }
        let (nodes, kronrodWeights, gaussWeights) = (packedNodes, packedKronrodWeights, packedGaussWeights)
        let centreWeight = packedCentreWeight
        let centre = 0.5 * (lower + upper)
        let half = 0.5 * (upper - lower)
        let (cLow, cHigh) = halves(centre)
        var kronrodLow = centreWeight * cLow, kronrodHigh = centreWeight * cHigh
        var magnitudeLow = centreWeight * magnitudes(cLow), magnitudeHigh = centreWeight * magnitudes(cHigh)
        var gaussLow = SIMD16<Double>.zero, gaussHigh = SIMD16<Double>.zero
        for k in 0..<10 {
            let offset = half * nodes[k]
            let (lowValueLow, lowValueHigh) = halves(centre - offset)
            let (highValueLow, highValueHigh) = halves(centre + offset)
            let sumLow = lowValueLow + highValueLow, sumHigh = lowValueHigh + highValueHigh
            kronrodLow += kronrodWeights[k] * sumLow
            kronrodHigh += kronrodWeights[k] * sumHigh
            gaussLow += gaussWeights[k] * sumLow
            gaussHigh += gaussWeights[k] * sumHigh
            magnitudeLow += kronrodWeights[k] * (magnitudes(lowValueLow) + magnitudes(highValueLow))
            magnitudeHigh += kronrodWeights[k] * (magnitudes(lowValueHigh) + magnitudes(highValueHigh))
        }
        let value = SIMD32(lowHalf: half * kronrodLow, highHalf: half * kronrodHigh)
        let error = SIMD32(lowHalf: magnitudes(half * (kronrodLow - gaussLow)),
                           highHalf: magnitudes(half * (kronrodHigh - gaussHigh)))
        let magnitude = SIMD32(lowHalf: abs(half) * magnitudeLow, highHalf: abs(half) * magnitudeHigh)
        return QuadratureSegment(lower: lower, upper: upper, value: unsafeBitCast(value, to: F.Vector.self),
                                 error: unsafeBitCast(error, to: F.Vector.self),
                                 magnitude: unsafeBitCast(magnitude, to: F.Vector.self))
    }
}

/// Where one final panel of an adaptive integration lies, relative to the
/// initial panel it was bisected from: the initial panel's index and the
/// fractions of its parameter range (x for plain panels, s ∈ [0, 1] for
/// substituted ones) at the leaf's two ends. Fractions are dyadic (exact).
@frozen
public struct QuadratureLeaf: Sendable, Hashable {
    public var panel: Int
    public var lower: Double
    public var upper: Double

    @inlinable
    public init(panel: Int, lower: Double, upper: Double) {
        self.panel = panel; self.lower = lower; self.upper = upper
    }
}

/// An initial panel of an adaptive integration: one breakpoint interval,
/// or half of one whose ends are both singular. Plain panels have
/// `stretch == 0` and limits in x; substituted ones (x = anchor + stretch·s²)
/// have limits 0 and 1 in s.
@usableFromInline
struct InitialPanel: Sendable, Hashable {
    @usableFromInline var lower: Double
    @usableFromInline var upper: Double
    @usableFromInline var anchor: Double
    @usableFromInline var stretch: Double

    @inlinable
    init(lower: Double, upper: Double, anchor: Double = 0, stretch: Double = 0) {
        self.lower = lower; self.upper = upper; self.anchor = anchor; self.stretch = stretch
    }

    /// The point at `fraction` of the panel's parameter range; the ends
    /// exactly (so neighbouring leaves share their common end bit for bit).
    @inlinable @inline(__always)
    func position(_ fraction: Double) -> Double {
        if fraction == 0 { return lower }
        if fraction == 1 { return upper }
        return lower + fraction * (upper - lower)
    }
}

/// The final panels of an adaptive integration, stored relative to its
/// initial panels (one per breakpoint interval, two where both ends are
/// singular), to seed the integration of a similar integrand whose
/// breakpoints have moved (``AdaptiveQuadrature``, warm start): each leaf
/// keeps its fractions of its interval, so it moves and stretches with the
/// interval's ends (the integrand's features). When a feature appeared,
/// vanished or left the range (another number of initial panels), the old
/// and new breakpoints are aligned (``BreakpointAlignment``, plain panels
/// only): intervals that continue an old one inherit its leaves, the others
/// start as one panel; with substituted panels the integration starts from
/// the breakpoints alone. (Keeping the old cut points where they were and
/// cutting the new intervals at them was tried: misplaced cuts plus the
/// refinement the moved features need made the partitions grow, ~2.5× the
/// evaluations of a fresh start along a Fig. 3 line.)
public struct QuadraturePartition: Sendable, Hashable {
    @usableFromInline let initialPanels: [InitialPanel]
    /// The leaves, ordered by initial panel, then by position.
    public let leaves: [QuadratureLeaf]

    /// The number of initial panels the partition refines.
    public var initialPanelCount: Int { initialPanels.count }

    @usableFromInline
    init(initialPanels: [InitialPanel], leaves: [QuadratureLeaf]) {
        self.initialPanels = initialPanels
        self.leaves = leaves
    }
}

/// Which breakpoints of an earlier integration correspond to which of a new
/// one, when a feature appeared or vanished in between: a monotone
/// alignment of the two sorted lists minimising Σ|old − new| over matched
/// pairs plus a penalty per unmatched point (half the new list's mean
/// spacing, so points match only when they moved less than about that).
/// An interval whose two ends match consecutive old breakpoints is the
/// continuation of that old interval and inherits its leaves; the few
/// intervals next to an unmatched point start from scratch.
@usableFromInline
struct BreakpointAlignment: Sendable {
    /// Per new breakpoint, the index of its old breakpoint, or −1.
    @usableFromInline var oldIndex: [Int] = []
    var old: [Double] = [], new: [Double] = []
    var cost: [Double] = []

    @usableFromInline init() {}

    /// Aligns the breakpoints of contiguous plain panels.
    @usableFromInline
    mutating func align(old oldPanels: [InitialPanel], new newPanels: [InitialPanel]) {
        func breakpoints(_ panels: [InitialPanel], into list: inout [Double]) {
            list.removeAll(keepingCapacity: true)
            for panel in panels { list.append(panel.lower) }
            if let last = panels.last { list.append(last.upper) }
        }
        breakpoints(oldPanels, into: &old)
        breakpoints(newPanels, into: &new)
        let (n, m) = (old.count, new.count)
        oldIndex.removeAll(keepingCapacity: true)
        oldIndex.append(contentsOf: repeatElement(-1, count: m))
        guard n >= 2, m >= 2 else { return }
        let gap = 0.5 * (new[m - 1] - new[0]) / Double(m - 1)
        // cost[i·(m+1) + j]: the best alignment of old[..<i] with new[..<j].
        let width = m + 1
        cost.removeAll(keepingCapacity: true)
        cost.append(contentsOf: repeatElement(0, count: (n + 1) * width))
        for i in 0...n {
            for j in 0...m {
                if i == 0 || j == 0 { cost[i * width + j] = Double(i + j) * gap; continue }
                let match = cost[(i - 1) * width + j - 1] + abs(old[i - 1] - new[j - 1])
                let skipOld = cost[(i - 1) * width + j] + gap, skipNew = cost[i * width + j - 1] + gap
                cost[i * width + j] = Swift.min(match, skipOld, skipNew)
            }
        }
        var (i, j) = (n, m)
        while i > 0 && j > 0 {
            let here = cost[i * width + j]
            if here == cost[(i - 1) * width + j - 1] + abs(old[i - 1] - new[j - 1]) {
                oldIndex[j - 1] = i - 1
                i -= 1; j -= 1
            } else if here == cost[(i - 1) * width + j] + gap {
                i -= 1
            } else {
                j -= 1
            }
        }
    }
}

/// Globally adaptive Gauss–Kronrod (21-point) integration of a vector-valued
/// integrand with breakpoints, in the style of QUADPACK's qagp and QuadGK.jl.
///
/// - The integration range is cut at every breakpoint (every sharp feature of
///   the integrand must be one, so that no panel can step over it).
/// - Each pass bisects every panel whose error share (in its worst
///   component, relative to the allowance) is within a factor 4 of the
///   worst panel's, until for every component c
///   Σ error_c ≤ max(rtol_c · ∫|g_c|, atol_c), or the evaluation cap is hit,
///   or a value is non-finite (then `converged` is false).
/// - Declared 1/√ end-point singularities are integrated by substitution
///   (``SquareRootSubstitution``).
/// - Warm start: an integration can start from the final partition of an
///   earlier one (``partition``) instead of the breakpoint intervals alone,
///   mapped onto the new breakpoints; the acceptance test and the bisection
///   that follow are the same, so the result meets the same tolerance, with
///   fewer evaluations when the integrand is similar (the bisection tree's
///   interior panels are not evaluated again).
/// - The panel buffer is kept between calls (`mutating`): after the first
///   call no integration allocates. The integrand is called through generics.
/// - Deterministic: the same integrand values (and the same starting
///   partition) give the same panels and the same sums, in the same order;
///   an integrand that is exactly negated gives an exactly negated result.
public struct AdaptiveQuadrature<Vector: SIMD>: Sendable where Vector: Sendable, Vector.Scalar == Double {
    /// At most this many integrand evaluations per integral.
    public var maximumEvaluations: Int
    @usableFromInline var panels: [QuadratureSegment<Vector>]
    /// Per panel (same index): where it lies in its initial panel.
    @usableFromInline var leaves: [QuadratureLeaf]
    /// The initial panels of the last integration.
    @usableFromInline var initialPanels: [InitialPanel]
    /// 1/allowance per component at the end of the last integration (0
    /// when it did not converge): each panel's error share is
    /// max_c error_c/allowance_c.
    @usableFromInline var inverseAllowance: Vector
    /// Scratch of ``seed(from:)``'s breakpoint alignment.
    @usableFromInline var alignment = BreakpointAlignment()

    public init(maximumEvaluations: Int = 200_000, initialCapacity: Int = 256) {
        self.maximumEvaluations = maximumEvaluations
        self.panels = []
        self.leaves = []
        self.initialPanels = []
        self.inverseAllowance = .zero
        panels.reserveCapacity(initialCapacity)
        leaves.reserveCapacity(initialCapacity)
        initialPanels.reserveCapacity(64)
    }

    /// The panels of the last integration (for diagnostics and tests).
    public var lastPanels: [QuadratureSegment<Vector>] { panels }

    /// Adjacent leaves whose error shares (max_c error_c/allowance_c) sum
    /// to at most this are merged when a partition is handed on
    /// (``partition``), so that a partition carried along many integrations
    /// loses refinement that is no longer needed instead of growing. A
    /// merged panel that then misses the tolerance is split again by the
    /// adaptive loop, so this only trades evaluations. Along a Fig. 3 line
    /// (40 points, ε1 step 0.25) the Newton passes cost per solve: 5,600
    /// evaluations without merging, 5,100 at 1e-8, 4,400 at 1e-6 … 1e-4
    /// (4,300 at 1e-5), 4,800 at 1e-3, 5,400 at 1e-2.
    public static var coarseningShare: Double { 1e-5 }

    /// The final partition of the last integration, to seed a later one
    /// (``integrate(_:breakpoints:singularities:relativeTolerance:absoluteTolerance:startingFrom:)``),
    /// with pairs of adjacent leaves of negligible error merged
    /// (``coarseningShare``; only after a converged integration).
    public var partition: QuadraturePartition {
        var order = Array(leaves.indices)
        order.sort { (leaves[$0].panel, leaves[$0].lower) < (leaves[$1].panel, leaves[$1].lower) }
        var result: [QuadratureLeaf] = []
        result.reserveCapacity(order.count)
        let coarsen = inverseAllowance != .zero
        var k = 0
        while k < order.count {
            let leaf = leaves[order[k]]
            if coarsen && k + 1 < order.count {
                let next = leaves[order[k + 1]]
                let share = largestProduct(panels[order[k]].error, inverseAllowance)
                    + largestProduct(panels[order[k + 1]].error, inverseAllowance)
                if next.panel == leaf.panel && next.lower == leaf.upper && share <= Self.coarseningShare {
                    result.append(QuadratureLeaf(panel: leaf.panel, lower: leaf.lower, upper: next.upper))
                    k += 2
                    continue
                }
            }
            result.append(leaf)
            k += 1
        }
        return QuadraturePartition(initialPanels: initialPanels, leaves: result)
    }

    /// ∫ f over [breakpoints.first, breakpoints.last], cut at every breakpoint.
    ///
    /// - Parameters:
    ///   - breakpoints: sorted ascending; the first and last are the limits.
    ///     Repeated points are skipped.
    ///   - singularities: breakpoints (the same Double values) where f has an
    ///     integrable singularity like 1/√|x − x₀|; the panels on either side
    ///     are integrated in s, x = x₀ ± L s², which makes them smooth.
    ///   - relativeTolerance: per component, relative to ∫|g_c|.
    ///   - absoluteTolerance: per component (default 0).
    ///   - valueTolerance: per component, relative to |∫g_c| (default 0:
    ///     off). A component meets its tolerance when
    ///     Σ error_c ≤ max(rtol_c·∫|g_c|, atol_c, vtol_c·|∫g_c|): for a
    ///     reported current, vtol_c = 1e-9 with a smaller rtol_c as the floor
    ///     makes the tolerance relative to the current itself, also where
    ///     ∫|g_c| ≫ |∫g_c| (docs/physics.md §6). With vtol = 0 nothing changes.
    ///   - startingFrom: a ``partition`` of an earlier integration: the
    ///     integration starts from its leaves mapped onto the new initial
    ///     panels (see ``QuadraturePartition``), or from the initial panels
    ///     when it cannot be mapped or would exceed the evaluation cap, or
    ///     when nil. Either way the panels are then bisected until the same
    ///     tolerance is met.
    @inlinable
    public mutating func integrate<F: VectorIntegrand>(
        _ f: F, breakpoints: [Double], singularities: [Double] = [],
        relativeTolerance: Vector, absoluteTolerance: Vector = .zero, valueTolerance: Vector = .zero,
        startingFrom warm: QuadraturePartition? = nil
    ) -> QuadratureResult<Vector> where F.Vector == Vector {
        panels.removeAll(keepingCapacity: true)
        leaves.removeAll(keepingCapacity: true)
        initialPanels.removeAll(keepingCapacity: true)
        inverseAllowance = .zero
        if breakpoints.count >= 2 {
            var lower = breakpoints[0]
            for index in 1..<breakpoints.count {
                let upper = breakpoints[index]
                guard upper > lower else { continue }
                let singularBelow = singularities.contains(lower), singularAbove = singularities.contains(upper)
                if singularBelow && singularAbove {
                    let middle = 0.5 * (lower + upper)
                    initialPanels.append(InitialPanel(lower: 0, upper: 1, anchor: lower, stretch: middle - lower))
                    initialPanels.append(InitialPanel(lower: 0, upper: 1, anchor: upper, stretch: middle - upper))
                } else if singularBelow {
                    initialPanels.append(InitialPanel(lower: 0, upper: 1, anchor: lower, stretch: upper - lower))
                } else if singularAbove {
                    initialPanels.append(InitialPanel(lower: 0, upper: 1, anchor: upper, stretch: lower - upper))
                } else {
                    initialPanels.append(InitialPanel(lower: lower, upper: upper))
                }
                lower = upper
            }
        }
        // More breakpoint intervals than the cap can evaluate once (e.g. the
        // Fabry–Pérot states of a window of 10⁵ k_B T at d = 10³): report
        // not converged at once instead of evaluating them all.
        guard initialPanels.count <= maximumEvaluations / 21 else {
            let nan = Vector(repeating: .nan)
            return QuadratureResult(value: nan, error: nan, magnitude: nan, evaluations: 0,
                                    segments: 0, converged: false)
        }
        if let warm { seed(from: warm) }
        if leaves.isEmpty || 21 * leaves.count > maximumEvaluations {
            leaves.removeAll(keepingCapacity: true)
            for index in initialPanels.indices { leaves.append(QuadratureLeaf(panel: index, lower: 0, upper: 1)) }
        }
        var evaluations = 0
        var write = 0
        for read in leaves.indices {
            let leaf = leaves[read]
            let initial = initialPanels[leaf.panel]
            let lower = initial.position(leaf.lower), upper = initial.position(leaf.upper)
            // A leaf squeezed to nothing by a shrunken interval contributes nothing.
            guard upper > lower else { continue }
            panels.append(Self.panel(f, lower: lower, upper: upper, anchor: initial.anchor, stretch: initial.stretch))
            leaves[write] = leaf
            write += 1
            evaluations += 21
        }
        leaves.removeLast(leaves.count - write)
        while true {
            var value = Vector.zero, error = Vector.zero, magnitude = Vector.zero
            for panel in panels {
                value = componentSum(value, panel.value)
                error = componentSum(error, panel.error)
                magnitude = componentSum(magnitude, panel.magnitude)
            }
            // A non-finite integrand value cannot be refined away: report it.
            for c in value.indices where !value[c].isFinite || !error[c].isFinite {
                return QuadratureResult(value: value, error: error, magnitude: magnitude,
                                        evaluations: evaluations, segments: panels.count, converged: false)
            }
            // Allowed error per component, and its inverse (element loops:
            // the generic SIMD mask operations are scalarised and slow).
            var allowed = relativeTolerance * magnitude
            var converged = true
            var inverseAllowed = allowed
            for c in allowed.indices {
                allowed[c] = Swift.max(allowed[c], absoluteTolerance[c], valueTolerance[c] * Swift.abs(value[c]))
                if !(error[c] <= allowed[c]) { converged = false }
                inverseAllowed[c] = 1 / Swift.max(allowed[c], .leastNormalMagnitude)
            }
            if converged || evaluations + 42 > maximumEvaluations {
                if converged { inverseAllowance = inverseAllowed }
                return QuadratureResult(value: value, error: error, magnitude: magnitude,
                                        evaluations: evaluations, segments: panels.count,
                                        converged: converged)
            }
            // Each panel's share of the allowance, in its worst component.
            var worst = 0.0
            for panel in panels {
                worst = Swift.max(worst, largestProduct(panel.error, inverseAllowed))
            }
            // Bisect every panel within a factor 4 of the worst: the same
            // panels a one-at-a-time worst-first loop would split next, with
            // fewer passes over the list.
            let threshold = 0.25 * worst
            var bisected = 0
            let count = panels.count
            for index in 0..<count where evaluations + 42 <= maximumEvaluations {
                let panel = panels[index]
                guard largestProduct(panel.error, inverseAllowed) >= threshold else { continue }
                let middle = 0.5 * (panel.lower + panel.upper)
                guard middle > panel.lower && middle < panel.upper else { continue }
                panels[index] = Self.panel(f, lower: panel.lower, upper: middle,
                                           anchor: panel.anchor, stretch: panel.stretch)
                panels.append(Self.panel(f, lower: middle, upper: panel.upper,
                                         anchor: panel.anchor, stretch: panel.stretch))
                let leaf = leaves[index]
                let fraction = 0.5 * (leaf.lower + leaf.upper)
                leaves[index].upper = fraction
                leaves.append(QuadratureLeaf(panel: leaf.panel, lower: fraction, upper: leaf.upper))
                evaluations += 42
                bisected += 1
            }
            if bisected == 0 {
                // Nothing can be refined (panels at the resolution of Double):
                // report what we have, honestly not converged.
                return QuadratureResult(value: value, error: error, magnitude: magnitude,
                                        evaluations: evaluations, segments: panels.count,
                                        converged: false)
            }
        }
    }

    /// Sets `leaves` to a warm start's leaves mapped onto the current initial
    /// panels (see ``QuadraturePartition``); leaves it empty when nothing
    /// can be mapped.
    @inlinable
    mutating func seed(from warm: QuadraturePartition) {
        if warm.initialPanels.count == initialPanels.count {
            leaves.append(contentsOf: warm.leaves)
        } else {
            guard warm.initialPanels.allSatisfy({ $0.stretch == 0 }),
                  initialPanels.allSatisfy({ $0.stretch == 0 }) else { return }
            alignment.align(old: warm.initialPanels, new: initialPanels)
            var next = 0   // the first of warm.leaves not yet passed
            for index in initialPanels.indices {
                let lower = alignment.oldIndex[index], upper = alignment.oldIndex[index + 1]
                guard lower >= 0, upper == lower + 1 else {
                    leaves.append(QuadratureLeaf(panel: index, lower: 0, upper: 1))
                    continue
                }
                while next < warm.leaves.count && warm.leaves[next].panel < lower { next += 1 }
                while next < warm.leaves.count && warm.leaves[next].panel == lower {
                    var leaf = warm.leaves[next]
                    leaf.panel = index
                    leaves.append(leaf)
                    next += 1
                }
            }
        }
        closeGaps()
    }

    /// Makes the seeded leaves of every initial panel cover it from 0 to 1:
    /// each leaf starts where the previous one of its panel ends, the first
    /// at 0, the last ends at 1; a panel without leaves gets one. The
    /// integration drops a leaf that an interval shrunk to nothing in x
    /// (two breakpoints within rounding of each other); the partition it
    /// hands on then lacks that fraction of the panel, and when the
    /// interval widens again at the next point the gap would never be
    /// integrated, nor counted in the error estimate (issue 16, session 10:
    /// N^eq 3e-4 off along a Fig. 3 line at relativeTolerance 1e-12, where
    /// ε3 + Γ and ε1 − Γ met). Closing a gap from a dropped leaf changes no
    /// panel in x at the integration that dropped it (its width was nothing).
    @inlinable
    mutating func closeGaps() {
        // The seeded leaves come grouped by panel, in order (``partition``,
        // ``seed(from:)``); anything else starts from the panels alone.
        let count = leaves.count
        var previous = -1
        for k in 0..<count {
            let panel = leaves[k].panel
            guard panel >= 0, panel >= previous, panel < initialPanels.count else {
                leaves.removeAll(keepingCapacity: true)
                return
            }
            if panel == previous {
                leaves[k].lower = leaves[k - 1].upper
            } else {
                for missing in (previous + 1)..<panel { leaves.append(QuadratureLeaf(panel: missing, lower: 0, upper: 1)) }
                leaves[k].lower = 0
            }
            if k == count - 1 || leaves[k + 1].panel != panel { leaves[k].upper = 1 }
            previous = panel
        }
        if count > 0 {
            for missing in (previous + 1)..<initialPanels.count {
                leaves.append(QuadratureLeaf(panel: missing, lower: 0, upper: 1))
            }
        }
    }

    /// A plain panel (stretch 0, limits in x) or a substituted one (limits in s).
    @inlinable @inline(__always)
    static func panel<F: VectorIntegrand>(_ f: F, lower: Double, upper: Double, anchor: Double, stretch: Double)
        -> QuadratureSegment<Vector> where F.Vector == Vector {
        if stretch == 0 { return GaussKronrod21.segment(f, lower: lower, upper: upper) }
        var panel = GaussKronrod21.segment(SquareRootSubstitution(base: f, anchor: anchor, stretch: stretch),
                                           lower: lower, upper: upper)
        panel.anchor = anchor
        panel.stretch = stretch
        return panel
    }
}

/// The 7-point Gauss–Legendre rule on a panel (degree 13, 7 evaluations,
/// all interior): the fixed rule of ``AdaptiveQuadrature/integrateOnPanels(_:)``.
public enum GaussLegendre7 {
    /// ∫ f over [lower, upper] by the rule (no error estimate).
    @inlinable @inline(__always)
    public static func integral<F: VectorIntegrand>(_ f: F, lower: Double, upper: Double) -> F.Vector {
        let centre = 0.5 * (lower + upper), half = 0.5 * (upper - lower)
        // Abscissae (positive half) and weights on [−1, 1], as literals: no
        // array access in the loop that evaluates the screening spectrum.
        @inline(__always) func pair(_ x: Double, _ w: Double) -> F.Vector {
            componentScaled(w, componentSum(f(centre - half * x), f(centre + half * x)))
        }
        var sum = componentScaled(0.417959183673469387755102040816327, f(centre))
        sum = componentSum(sum, pair(0.949107912342758524526189684047851, 0.129484966168869693270611432679082))
        sum = componentSum(sum, pair(0.741531185599394439863864773280788, 0.279705391489276667901467771423780))
        sum = componentSum(sum, pair(0.405845151377397166906606412076961, 0.381830050505118944950369775488975))
        return componentScaled(half, sum)
    }
}

extension AdaptiveQuadrature {
    /// ∫ f by ``GaussLegendre7`` on every panel of the last integration
    /// (a substituted panel in its variable s, as the adaptive rule did), and
    /// the number of evaluations (7 per panel).
    ///
    /// For a second integrand that needs far less accuracy than the one that
    /// shaped the panels and has its features in the same places: the
    /// screening Jacobian next to the charges it differentiates
    /// (``ScreeningSystem``). The panels met the first integrand's
    /// tolerance with the 21-point rule, whose own error is far below the
    /// 10-point Gauss rule's |K₂₁ − G₁₀|; the 7-point rule on them gives
    /// the screening Jacobian to ~3e-5 of its largest element (the 10-point
    /// rule: ~6e-8, at ~1.5× the cost; `SplitJacobianTests`).
    /// No error estimate: use it only where an error costs convergence speed,
    /// never accuracy (a Newton Jacobian off by ρ = |J⁻¹δJ| leaves ~ρ|Δx|
    /// after a step of |Δx| instead of ~K|Δx|²; here ρ ~ 1e-5). Meaningful only after an integration that converged.
    @inlinable
    public func integrateOnPanels<F: VectorIntegrand>(_ f: F) -> (value: F.Vector, evaluations: Int) {
        var value = F.Vector.zero
        for panel in panels {
            let part = panel.stretch == 0
                ? GaussLegendre7.integral(f, lower: panel.lower, upper: panel.upper)
                : GaussLegendre7.integral(SquareRootSubstitution(base: f, anchor: panel.anchor, stretch: panel.stretch),
                                          lower: panel.lower, upper: panel.upper)
            value = componentSum(value, part)
        }
        return (value, 7 * panels.count)
    }
}
