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
public enum NewtonSolver {
    @inlinable
    public static func solve<System: NewtonSystem>(_ system: inout System, from start: SIMD8<Double>,
                                                   settings: NewtonSettings) -> NewtonOutcome {
        let n = system.dimension
        let bounds = system.maximumStep
        var x = start
        var evaluation = system.evaluate(at: x)
        var iterations = 1
        var evaluations = evaluation.integrandEvaluations
        func fail(_ status: NewtonOutcome.Status) -> NewtonOutcome {
            NewtonOutcome(status: status, solution: SIMD8(repeating: .nan), observables: SIMD4(repeating: .nan),
                          iterations: iterations, residual: evaluation.scaledResidual(dimension: n),
                          integrandEvaluations: evaluations)
        }
        guard evaluation.isFinite(dimension: n) else { return fail(.nonFinite) }

        while true {
            guard let newton = evaluation.jacobian.solve(-evaluation.residual, dimension: n) else {
                return fail(.notConverged)
            }
            var stepNorm = 0.0, shrink = 1.0
            for i in 0..<n {
                stepNorm = Swift.max(stepNorm, abs(newton[i]))
                if abs(newton[i]) > bounds[i] { shrink = Swift.min(shrink, bounds[i] / abs(newton[i])) }
            }
            guard stepNorm.isFinite else { return fail(.nonFinite) }
            if stepNorm <= settings.stepTolerance && evaluation.quadratureConverged {
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
                let candidate = system.evaluate(at: trial)
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
                        evaluation = candidate
                        accepted = true
                        break
                    }
                }
                guard iterations < settings.maximumIterations else { break }
                t *= 0.5
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
