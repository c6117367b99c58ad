import RealModule

/// A monotone change of variable E(x) that makes square-root end-point
/// behaviour smooth for Gauss–Kronrod.
///
/// The region-2 injectivities diverge like 1/√|E − c| at a band bottom c
/// (and the amplitudes have √|E − c| kinks there), from both sides. Adaptive
/// bisection converges only algebraically on such end points. Around every
/// such "root point" c the map uses E = c ± s², dE = 2|s| ds, under which
/// g(E)·dE/dx is smooth (a/√|E − c| becomes 2a).
///
/// Construction: with sorted root points c₁ < … < c_m strictly inside
/// [lower, upper], the pieces are
/// - [lower, c₁]: E = c₁ − (x₁ − x)² (singular end on the right),
/// - [c_i, c_{i+1}], cut at its midpoint: E = c_i + (x − x_i)² on the left
///   half, E = c_{i+1} − (x_{i+1} − x)² on the right half (dE/dx is
///   continuous at the midpoint),
/// - [c_m, upper]: E = c_m + (x − x_m)²,
/// - and, with no root point inside, the identity.
/// Every piece boundary is a breakpoint of the x-integration, so no
/// Gauss–Kronrod panel straddles a piece.
///
/// Storage is reused between resets (no allocation after the first use).
public struct SquareRootGrading: Sendable {
    /// Piece boundaries in x (count = pieces + 1).
    public private(set) var parameterBreaks: [Double] = []
    /// Piece boundaries in E.
    public private(set) var energyBreaks: [Double] = []
    /// Per piece: +1 singular at its start (E = e_k + (x − x_k)²), −1 singular
    /// at its end (E = e_{k+1} − (x_{k+1} − x)²), 0 linear.
    @usableFromInline var kinds: [Int8] = []
    var roots: [Double] = []

    public init() {
        parameterBreaks.reserveCapacity(16)
        energyBreaks.reserveCapacity(16)
        kinds.reserveCapacity(16)
        roots.reserveCapacity(8)
    }

    /// Rebuilds the map for [lower, upper] with the given root points (any
    /// order; points outside the open interval and duplicates are ignored).
    /// An empty range (upper ≤ lower, or a limit NaN) gives the map of the
    /// single point `lower`: one linear piece of length 0, over which every
    /// integral is 0 (``AdaptiveQuadrature/integrateGraded(_:lower:upper:roots:rootCount:features:relativeTolerance:absoluteTolerance:valueTolerance:grading:scratch:startingFrom:)``
    /// handles reversed and non-finite limits before it gets here).
    public mutating func reset(lower: Double, upper: Double, roots candidates: SIMD4<Double>, count: Int) {
        roots.removeAll(keepingCapacity: true)
        guard upper > lower else {
            parameterBreaks.removeAll(keepingCapacity: true)
            energyBreaks.removeAll(keepingCapacity: true)
            kinds.removeAll(keepingCapacity: true)
            parameterBreaks.append(contentsOf: [0, 0])
            energyBreaks.append(contentsOf: [lower, lower])
            kinds.append(0)
            return
        }
        for i in 0..<count where candidates[i] > lower && candidates[i] < upper { roots.append(candidates[i]) }
        roots.sort()
        var unique = 0
        for c in roots where unique == 0 || c > roots[unique - 1] {
            roots[unique] = c
            unique += 1
        }
        roots.removeLast(roots.count - unique)

        parameterBreaks.removeAll(keepingCapacity: true)
        energyBreaks.removeAll(keepingCapacity: true)
        kinds.removeAll(keepingCapacity: true)
        parameterBreaks.append(0)
        energyBreaks.append(lower)
        func add(to energy: Double, kind: Int8) {
            let length = energy - energyBreaks[energyBreaks.count - 1]
            parameterBreaks.append(parameterBreaks[parameterBreaks.count - 1] + (kind == 0 ? length : length.squareRoot()))
            energyBreaks.append(energy)
            kinds.append(kind)
        }
        guard let first = roots.first else {
            add(to: upper, kind: 0)
            return
        }
        add(to: first, kind: -1)
        for i in 1..<roots.count {
            let middle = 0.5 * (roots[i - 1] + roots[i])
            add(to: middle, kind: 1)
            add(to: roots[i], kind: -1)
        }
        add(to: upper, kind: 1)
    }

    /// The range of the integration variable x.
    @inlinable public var parameterRange: (lower: Double, upper: Double) {
        (parameterBreaks[0], parameterBreaks[parameterBreaks.count - 1])
    }

    /// E(x) and dE/dx.
    ///
    /// Near a root point c the node E = c ± s² is rounded, and a 1/√|E − c|
    /// integrand evaluated there sees the rounded offset |E − c| (exact by
    /// Sterbenz's lemma) rather than s²: the product g·2s would then carry
    /// a relative error ulp(c)/s², which grows without bound towards c and
    /// stalls the adaptive refinement. Using dE/dx = 2√|E − c| with the
    /// same rounded offset makes the product exactly what it should be
    /// (2a for g = a/√|E − c|); the map is still monotone and its image of
    /// each piece the same. Where E rounds onto c itself, dE/dx = 0 (the
    /// node's weight is below the resolution of the sum).
    @inlinable @inline(__always)
    public func energy(at x: Double) -> (energy: Double, jacobian: Double) {
        var k = 0
        let last = kinds.count - 1
        while k < last && x > parameterBreaks[k + 1] { k += 1 }
        switch kinds[k] {
        case 1:
            let s = x - parameterBreaks[k]
            let e = energyBreaks[k] + s * s
            return (e, 2 * (e - energyBreaks[k]).squareRoot())
        case -1:
            let s = parameterBreaks[k + 1] - x
            let e = energyBreaks[k + 1] - s * s
            return (e, 2 * (energyBreaks[k + 1] - e).squareRoot())
        default:
            return (energyBreaks[k] + (x - parameterBreaks[k]), 1)
        }
    }

    /// x(E), the inverse map (E clamped to the range).
    @inlinable
    public func parameter(at e: Double) -> Double {
        if e <= energyBreaks[0] { return parameterBreaks[0] }
        var k = 0
        let last = kinds.count - 1
        while k < last && e > energyBreaks[k + 1] { k += 1 }
        if e >= energyBreaks[k + 1] { return parameterBreaks[k + 1] }
        switch kinds[k] {
        case 1: return parameterBreaks[k] + (e - energyBreaks[k]).squareRoot()
        case -1: return parameterBreaks[k + 1] - (energyBreaks[k + 1] - e).squareRoot()
        default: return parameterBreaks[k] + (e - energyBreaks[k])
        }
    }

    /// The breakpoints of the x-integration: the piece boundaries and the
    /// images of `energies` (features of the integrand), sorted, without
    /// duplicates, written into `result`.
    public func mapBreakpoints(_ energies: [Double], into result: inout [Double]) {
        result.removeAll(keepingCapacity: true)
        result.append(contentsOf: parameterBreaks)
        let (lower, upper) = (energyBreaks[0], energyBreaks[energyBreaks.count - 1])
        for e in energies where e > lower && e < upper { result.append(parameter(at: e)) }
        result.sort()
        var write = 1
        for read in 1..<result.count where result[read] > result[write - 1] {
            result[write] = result[read]
            write += 1
        }
        result.removeLast(result.count - write)
    }
}

/// ∫ g(E) dE as ∫ g(E(x)) E′(x) dx under a ``SquareRootGrading``.
@frozen
public struct GradedIntegrand<Base: VectorIntegrand>: VectorIntegrand {
    public var base: Base
    public var grading: SquareRootGrading

    @inlinable
    public init(_ base: Base, grading: SquareRootGrading) {
        self.base = base
        self.grading = grading
    }

    @inlinable
    public func callAsFunction(_ x: Double) -> Base.Vector {
        let (e, jacobian) = grading.energy(at: x)
        // Zero only where E rounded onto a root (see SquareRootGrading.energy(at:)).
        guard jacobian != 0 else { return .zero }
        return componentScaled(jacobian, base(e))
    }
}

extension AdaptiveQuadrature {
    /// ∫ f(E) dE from `lower` to `upper` with square-root grading around the
    /// `roots` (see ``SquareRootGrading``) and the energy breakpoints
    /// `features`. `grading` and `scratch` are reusable buffers.
    /// `startingFrom` seeds the panels with an earlier integration's
    /// ``partition`` (leaves placed relative to the breakpoint intervals in
    /// the graded variable, so they move with the roots and features).
    ///
    /// Degenerate limits never trap: lower == upper (e.g. an interval
    /// [edge − U, edge] whose length U is below the rounding unit of the
    /// edge) gives 0, converged, with no evaluation; upper < lower gives the
    /// oriented integral −∫_upper^lower; a non-finite limit gives NaN, not
    /// converged (the callers' solvers then report `nonFinite` or
    /// `notConverged`).
    @inlinable
    public mutating func integrateGraded<F: VectorIntegrand>(
        _ f: F, lower: Double, upper: Double, roots: SIMD4<Double>, rootCount: Int, features: [Double],
        relativeTolerance: Vector, absoluteTolerance: Vector = .zero, valueTolerance: Vector = .zero,
        grading: inout SquareRootGrading, scratch: inout [Double],
        startingFrom warm: QuadraturePartition? = nil
    ) -> QuadratureResult<Vector> where F.Vector == Vector {
        guard lower.isFinite && upper.isFinite else {
            let nan = Vector(repeating: .nan)
            return QuadratureResult(value: nan, error: nan, magnitude: nan, evaluations: 0, segments: 0,
                                    converged: false)
        }
        if upper < lower {
            var reversed = integrateGraded(
                f, lower: upper, upper: lower, roots: roots, rootCount: rootCount, features: features,
                relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance,
                valueTolerance: valueTolerance, grading: &grading, scratch: &scratch, startingFrom: warm)
            reversed.value = -reversed.value
            return reversed
        }
        grading.reset(lower: lower, upper: upper, roots: roots, count: rootCount)
        grading.mapBreakpoints(features, into: &scratch)
        return integrate(GradedIntegrand(f, grading: grading), breakpoints: scratch,
                         relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance,
                         valueTolerance: valueTolerance, startingFrom: warm)
    }
}
