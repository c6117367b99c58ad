import RealModule

/// A dense n × n matrix, n ≤ 8, stored inline (no heap): the Jacobians of the
/// self-consistency problems (at most μ_p, T_p, U₁, U₂, U₃).
@frozen
public struct SmallMatrix: Sendable, Hashable {
    /// Row-major 8 × 8 storage; only the leading n × n block is used.
    public var storage: SIMD64<Double>

    @inlinable public init() { storage = .zero }

    @inlinable
    public subscript(row: Int, column: Int) -> Double {
        get { storage[row &* 8 &+ column] }
        set { storage[row &* 8 &+ column] = newValue }
    }

    /// Solves A x = b for the leading `dimension` block by Gaussian
    /// elimination with partial pivoting, on equilibrated rows. Returns nil
    /// when the matrix is singular to working precision.
    @inlinable
    public func solve(_ rhs: SIMD8<Double>, dimension n: Int) -> SIMD8<Double>? {
        var m = self
        var b = rhs
        // Row equilibration: each equation in its own units.
        for row in 0..<n {
            var largest = 0.0
            for column in 0..<n { largest = Swift.max(largest, abs(m[row, column])) }
            guard largest > 0, largest.isFinite else { return nil }
            let scale = 1 / largest
            for column in 0..<n { m[row, column] *= scale }
            b[row] *= scale
        }
        for column in 0..<n {
            var pivot = column
            for row in (column + 1)..<Swift.max(n, column + 1) where abs(m[row, column]) > abs(m[pivot, column]) {
                pivot = row
            }
            guard abs(m[pivot, column]) > 1e-14 else { return nil }
            if pivot != column {
                for k in 0..<n { let t = m[column, k]; m[column, k] = m[pivot, k]; m[pivot, k] = t }
                let t = b[column]; b[column] = b[pivot]; b[pivot] = t
            }
            let inverse = 1 / m[column, column]
            for row in (column + 1)..<Swift.max(n, column + 1) {
                let factor = m[row, column] * inverse
                if factor == 0 { continue }
                for k in column..<n { m[row, k] -= factor * m[column, k] }
                b[row] -= factor * b[column]
            }
        }
        var x = SIMD8<Double>.zero
        for row in stride(from: n - 1, through: 0, by: -1) {
            var sum = b[row]
            for k in (row + 1)..<Swift.max(n, row + 1) { sum -= m[row, k] * x[k] }
            x[row] = sum / m[row, row]
        }
        return x
    }
}

/// What one evaluation of a self-consistency problem F(x) = 0 returns: the
/// residual, its Jacobian, and the reported quantities ("observables", e.g.
/// the lead currents) with their gradients, all from one quadrature pass.
@frozen
public struct NewtonEvaluation: Sendable {
    /// F(x) (first `dimension` entries).
    public var residual: SIMD8<Double>
    /// Positive scale of each equation (e.g. ∫|integrand|): |F_i|/scale_i is
    /// the dimensionless residual that is reported.
    public var residualScale: SIMD8<Double>
    /// ∂F_i/∂x_j.
    public var jacobian: SmallMatrix
    /// Reported quantities at x.
    public var observables: SIMD4<Double>
    /// ∂observable_i/∂x_j (rows 0..<4).
    public var observableGradient: SmallMatrix
    /// Integrand evaluations this evaluation used.
    public var integrandEvaluations: Int
    /// False if the quadrature hit its evaluation cap.
    public var quadratureConverged: Bool

    @inlinable
    public init(residual: SIMD8<Double>, residualScale: SIMD8<Double>, jacobian: SmallMatrix,
                observables: SIMD4<Double>, observableGradient: SmallMatrix,
                integrandEvaluations: Int, quadratureConverged: Bool) {
        self.residual = residual; self.residualScale = residualScale; self.jacobian = jacobian
        self.observables = observables; self.observableGradient = observableGradient
        self.integrandEvaluations = integrandEvaluations; self.quadratureConverged = quadratureConverged
    }

    /// max_i |F_i| / scale_i over the first `dimension` equations.
    @inlinable
    public func scaledResidual(dimension n: Int) -> Double {
        var worst = 0.0
        for i in 0..<n {
            let value = abs(residual[i]) / residualScale[i]
            worst = value.isNaN ? .nan : Swift.max(worst, value)
            if worst.isNaN { return .nan }
        }
        return worst
    }

    @inlinable
    func isFinite(dimension n: Int) -> Bool {
        for i in 0..<n {
            guard residual[i].isFinite, residualScale[i].isFinite else { return false }
            for j in 0..<n { guard jacobian[i, j].isFinite else { return false } }
        }
        for i in 0..<4 { guard observables[i].isFinite else { return false } }
        return true
    }
}

/// A self-consistency problem F(x) = 0 in n ≤ 8 unknowns, x in a
/// parametrisation where every point is physical (e.g. log T_p for T_p > 0).
public protocol NewtonSystem {
    /// Number of unknowns n (1…8).
    var dimension: Int { get }
    /// The largest change of each unknown allowed in one Newton step (a
    /// trust bound: steps are shortened to respect it).
    var maximumStep: SIMD8<Double> { get }
    /// F, ∂F/∂x and the observables at x. May reuse internal buffers.
    mutating func evaluate(at x: SIMD8<Double>) -> NewtonEvaluation
    /// F at x alone (Jacobian and observables unused), when that is cheaper
    /// than ``evaluate(at:)``: the passes of chord steps, which reuse an
    /// earlier iterate's Jacobian. nil (the default) when there is no cheaper
    /// residual; Newton then evaluates the Jacobian at every iterate.
    mutating func evaluateResidual(at x: SIMD8<Double>) -> NewtonEvaluation?
}

extension NewtonSystem {
    public mutating func evaluateResidual(at x: SIMD8<Double>) -> NewtonEvaluation? { nil }
}

/// Settings of the damped Newton iteration.
@frozen
public struct NewtonSettings: Sendable, Hashable, Codable {
    /// Converged when a full Newton step is at most this large in every
    /// unknown (units of the parametrisation: k_B T for μ_p and U, relative
    /// for T_p). The solution returned is x + Δx, whose error is of order
    /// (Δx)² by quadratic convergence. Default 1e-6: the O(Δx²) error of
    /// the state enters the lead currents through the gross flows, which can
    /// exceed |I| by 10³ (nearly balanced flows); 1e-5 left I 3e-9 off there
    /// (docs/physics.md §6), 1e-6 costs about 10 % more evaluations.
    public var stepTolerance: Double
    /// At most this many Jacobian evaluations (Newton iterations).
    public var maximumIterations: Int
    /// At most this many step halvings per iteration.
    public var maximumBacktracks: Int

    public init(stepTolerance: Double = 1e-6, maximumIterations: Int = 60, maximumBacktracks: Int = 30) {
        self.stepTolerance = stepTolerance
        self.maximumIterations = maximumIterations
        self.maximumBacktracks = maximumBacktracks
    }
}

/// The outcome of a Newton solve.
@frozen
public struct NewtonOutcome: Sendable {
    /// The solver's own outcome is the point's status (``SolveStatus``).
    public typealias Status = SolveStatus
    public var status: Status
    /// The solution x* = x + Δx (meaningful only when converged).
    public var solution: SIMD8<Double>
    /// Observables at x*, from their values and gradients at x: O(x) + ∇O·Δx
    /// (error O(|Δx|²) ≤ stepTolerance²).
    public var observables: SIMD4<Double>
    /// Newton iterations (Jacobian evaluations, including backtracking trials).
    public var iterations: Int
    /// The dimensionless residual max_i |F_i|/scale_i at the last evaluated
    /// point x, one Newton step before the returned x* = x + Δx. It is not
    /// x*'s residual (that is O(|Δx|²) plus the quadrature error, and was
    /// never evaluated: evaluating it would cost one more quadrature); it
    /// bounds it when Newton converges (tested).
    public var residual: Double
    /// Integrand evaluations, summed over all quadratures.
    public var integrandEvaluations: Int

    @inlinable
    public init(status: Status, solution: SIMD8<Double>, observables: SIMD4<Double>, iterations: Int,
                residual: Double, integrandEvaluations: Int) {
        self.status = status; self.solution = solution; self.observables = observables
        self.iterations = iterations; self.residual = residual; self.integrandEvaluations = integrandEvaluations
    }
}

/// Damped Newton's method. A trial step x + tΔx is accepted when the
/// residual, in the equation scales of x, decreases sufficiently (Armijo), or
/// when Deuflhard's natural monotonicity test holds (the simplified Newton
/// correction J(x)⁻¹F(x + tΔx) is smaller than (1 − t/4)|Δx|); otherwise t
/// is halved. Steps are first shortened to the system's trust bounds.
///
/// **Chord steps** (systems with a cheaper ``NewtonSystem/evaluateResidual(at:)``).
/// Near the solution Newton's last pass only confirms convergence: its step
/// is ~K|Δx_prev|². When a full, unshortened step Δx_k of at most
/// ``chordThreshold`` is taken, the next iterate is evaluated residual-only
/// and its step is the chord step δ = −J(x_k)⁻¹F(x_{k+1}) with the
/// Jacobian of x_k. With F'' the second derivative, Newton's step after
/// Δx_k is δ ≈ ½J⁻¹F''[Δx_k, Δx_k] and the chord contracts by
/// ρ ≈ |J⁻¹F''[Δx_k, ·]| ≈ 2|δ|/|Δx_k|, so x_{k+1} + δ is off by about
/// ρ|δ| = 2|δ|²/|Δx_k| instead of Newton's ~|δ|². It is accepted as the
/// solution when |δ| ≤ stepTolerance (Newton's test) and
/// 2|δ|²/|Δx_k| ≤ ``chordAccuracy`` · stepTolerance²;
/// a chord step that contracts well (ρ ≤ ``chordContraction``) is taken
/// residual-only again, one that does not is taken with a full evaluation
/// at its end (so the Jacobian is fresh again). A singular stale Jacobian
/// or a failed line search re-evaluates the Jacobian at x first.
public enum NewtonSolver {
    /// The largest full Newton step after which the next pass is
    /// residual-only (see the type's documentation). From there quadratic
    /// convergence makes the next step ~K·1e-4 or less.
    public static let chordThreshold = 1e-2
    /// A chord solution is accepted when its estimated error 2|δ|²/|Δx_prev|
    /// is at most this multiple of stepTolerance², the order of Newton's own
    /// O(stepTolerance²) error. (With screening the state is anyway limited
    /// by the charges' quadrature to ~1e-11: plain Newton from two starts
    /// differs by that much; docs/physics.md §9.4.) 10 instead of 1 saved
    /// ~2 % of a warm Fig. 3 solve and was not taken.
    public static let chordAccuracy = 1.0
    /// A stale Jacobian is kept for the next pass while the chord steps
    /// shrink at least this fast.
    public static let chordContraction = 0.01

    @inlinable
    public static func solve<System: NewtonSystem>(_ system: inout System, from start: SIMD8<Double>,
                                                   settings: NewtonSettings) -> NewtonOutcome {
        let n = system.dimension
        let bounds = system.maximumStep
        var x = start
        var evaluation = system.evaluate(at: x)
        var iterations = 1
        var evaluations = evaluation.integrandEvaluations
        // Whether evaluation.jacobian is x's own (false: an earlier iterate's,
        // after a residual-only pass), and the size of the last accepted step.
        var fresh = true
        var lastStep = Double.infinity
        // The previous full step taken with a fresh Jacobian (nil after a
        // damped or chord step): with it, K ≈ |Δx_k|/|Δx_{k−1}|² predicts the
        // next Newton step K|Δx_k|².
        var previousNewtonStep: Double? = nil
        func fail(_ status: NewtonOutcome.Status) -> NewtonOutcome {
            NewtonOutcome(status: status, solution: SIMD8(repeating: .nan), observables: SIMD4(repeating: .nan),
                          iterations: iterations, residual: evaluation.scaledResidual(dimension: n),
                          integrandEvaluations: evaluations)
        }
        guard evaluation.isFinite(dimension: n) else { return fail(.nonFinite) }

        while true {
            let solved = evaluation.jacobian.solve(-evaluation.residual, dimension: n)
            if !fresh && solved == nil {
                // The stale Jacobian is singular: evaluate x's own.
                guard iterations < settings.maximumIterations else { return fail(.notConverged) }
                evaluation = system.evaluate(at: x)
                iterations += 1
                evaluations += evaluation.integrandEvaluations
                fresh = true
                previousNewtonStep = nil
                guard evaluation.isFinite(dimension: n) else { return fail(.nonFinite) }
                continue
            }
            guard let newton = solved else { return fail(.notConverged) }
            var stepNorm = 0.0, shrink = 1.0
            for i in 0..<n {
                stepNorm = Swift.max(stepNorm, abs(newton[i]))
                if abs(newton[i]) > bounds[i] { shrink = Swift.min(shrink, bounds[i] / abs(newton[i])) }
            }
            guard stepNorm.isFinite else { return fail(.nonFinite) }
            // The chord's error estimate 2|δ|²/|Δx_prev| (see the type's documentation).
            let chordConverged = 2 * stepNorm * stepNorm
                <= chordAccuracy * settings.stepTolerance * settings.stepTolerance * lastStep
            if stepNorm <= settings.stepTolerance && evaluation.quadratureConverged && (fresh || chordConverged) {
                var solution = x, observables = evaluation.observables
                for i in 0..<n { solution[i] += newton[i] }
                for k in 0..<4 {
                    for j in 0..<n { observables[k] += evaluation.observableGradient[k, j] * newton[j] }
                }
                return NewtonOutcome(status: .converged, solution: solution, observables: observables,
                                     iterations: iterations, residual: evaluation.scaledResidual(dimension: n),
                                     integrandEvaluations: evaluations)
            }
            guard iterations < settings.maximumIterations else { return fail(.notConverged) }

            // The next pass is residual-only when this step is full and small
            // enough that the chord step after it is expected to be accepted:
            // |δ| ≈ K|Δx|² ≤ stepTolerance·min(1, √(chordAccuracy|Δx|)), with K
            // from the last two Newton steps, or |Δx| ≤ chordThreshold without
            // them (a warm start's first pass). After a chord step: when the
            // chord contracts well.
            var chord = shrink == 1 && stepNorm <= chordThreshold
            if fresh, let previous = previousNewtonStep, previous > 0 {
                let predicted = stepNorm / (previous * previous) * stepNorm * stepNorm
                chord = chord && predicted
                    <= settings.stepTolerance * Swift.min(1, (chordAccuracy * stepNorm).squareRoot())
            } else if !fresh {
                chord = chord && stepNorm <= chordContraction * lastStep
            }
            // Merit for the sufficient-decrease test: the residual in the
            // scales of the current point, held fixed during the line search.
            let scale = evaluation.residualScale
            let merit = scaledNorm(evaluation.residual, scale, n)
            let newtonNorm = norm(newton, n)
            var t = shrink
            var accepted = false
            for _ in 0...settings.maximumBacktracks {
                var trial = x
                for i in 0..<n { trial[i] += t * newton[i] }
                var residualOnly = false
                let candidate: NewtonEvaluation
                if chord && t == 1, let cheap = system.evaluateResidual(at: trial) {
                    candidate = cheap
                    residualOnly = true
                } else {
                    candidate = system.evaluate(at: trial)
                }
                iterations += 1
                evaluations += candidate.integrandEvaluations
                if candidate.isFinite(dimension: n) {
                    // Accept on either test: sufficient decrease of the scaled
                    // residual (Armijo; the Newton direction is a descent
                    // direction for it), or Deuflhard's natural monotonicity
                    // (the simplified correction J(x)⁻¹F(x + tΔx) shrinks).
                    let decreases = scaledNorm(candidate.residual, scale, n) <= (1 - 1e-4 * t) * merit
                    var monotone = false
                    if !decreases, let simplified = evaluation.jacobian.solve(-candidate.residual, dimension: n) {
                        monotone = norm(simplified, n) <= (1 - 0.25 * t) * newtonNorm
                    }
                    if decreases || monotone {
                        x = trial
                        lastStep = t * stepNorm
                        previousNewtonStep = fresh && t == 1 ? stepNorm : nil
                        if residualOnly {
                            // Keep the Jacobian (and its iterate's observables
                            // gradient); take the new residual.
                            evaluation.residual = candidate.residual
                            evaluation.residualScale = candidate.residualScale
                            evaluation.observables = candidate.observables
                            evaluation.integrandEvaluations = candidate.integrandEvaluations
                            evaluation.quadratureConverged = candidate.quadratureConverged
                            fresh = false
                        } else {
                            evaluation = candidate
                            fresh = true
                        }
                        accepted = true
                        break
                    }
                }
                guard iterations < settings.maximumIterations else { break }
                t *= 0.5
            }
            if !accepted && !fresh && iterations < settings.maximumIterations {
                // The chord direction failed: evaluate x's own Jacobian and
                // retry with a Newton step.
                evaluation = system.evaluate(at: x)
                iterations += 1
                evaluations += evaluation.integrandEvaluations
                fresh = true
                previousNewtonStep = nil
                guard evaluation.isFinite(dimension: n) else { return fail(.nonFinite) }
                continue
            }
            guard accepted else { return fail(.notConverged) }
        }
    }

    @inlinable
    static func scaledNorm(_ v: SIMD8<Double>, _ scale: SIMD8<Double>, _ n: Int) -> Double {
        var sum = 0.0
        for i in 0..<n { let r = v[i] / scale[i]; sum += r * r }
        return sum.squareRoot()
    }

    @inlinable
    static func norm(_ v: SIMD8<Double>, _ n: Int) -> Double {
        var sum = 0.0
        for i in 0..<n { sum += v[i] * v[i] }
        return sum.squareRoot()
    }
}

extension NewtonSolver {
    /// The solvers' start policy: Newton from each of `guesses` in turn
    /// (e.g. a prediction from the neighbouring points of a line, then the
    /// neighbouring point's solution) until one converges, skipping repeats
    /// and the cold start; then from `cold`. The outcome's iterations and
    /// integrand evaluations count every attempt.
    @inlinable
    public static func solve<System: NewtonSystem>(_ system: inout System, from guesses: [SIMD8<Double>],
                                                   orElse cold: SIMD8<Double>,
                                                   settings: NewtonSettings) -> NewtonOutcome {
        var iterations = 0, evaluations = 0
        for (index, guess) in guesses.enumerated()
        where guess != cold && !guesses[..<index].contains(guess) {
            let warm = solve(&system, from: guess, settings: settings)
            iterations += warm.iterations
            evaluations += warm.integrandEvaluations
            if warm.status == .converged {
                var outcome = warm
                outcome.iterations = iterations
                outcome.integrandEvaluations = evaluations
                return outcome
            }
        }
        var fresh = solve(&system, from: cold, settings: settings)
        fresh.iterations += iterations
        fresh.integrandEvaluations += evaluations
        return fresh
    }
}
