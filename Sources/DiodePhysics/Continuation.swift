extension DiodeSolver {
    /// What a point of a line hands on to the next one (continuation along
    /// a scan tile): per configuration the converged state, which seeds
    /// Newton, and with screening the final quadrature partitions of the
    /// solve, which seed the next point's quadratures (warm quadrature, see
    /// ``AdaptiveQuadrature``). Opaque to callers: create an empty one for
    /// the first point of a line (a cold start) and pass the same value on
    /// through ``DiodeSolver/solvePoint(deltaT:continuation:)``.
    ///
    /// The seeds change how the solution is reached (iterations, panels),
    /// never the tolerance it is computed to: a continued point agrees with
    /// a cold one within the accuracy of the defaults, and a line's values
    /// depend only on the line (its points, in order), never on who
    /// computes it.
    public struct Continuation: Sendable {
        public var forward: ConfigurationContinuation
        public var backward: ConfigurationContinuation
        /// The final partition of the N^eq quadrature (screening).
        var equilibriumPartition: QuadraturePartition?

        /// A cold start.
        public init() {
            forward = ConfigurationContinuation()
            backward = ConfigurationContinuation()
        }

        /// Newton guesses only (no quadrature seeds), e.g. from a stored state.
        public init(guess: (forward: InternalState?, backward: InternalState?)) {
            forward = ConfigurationContinuation(guess: guess.forward)
            backward = ConfigurationContinuation(guess: guess.backward)
        }
    }

    /// The continuation of one configuration (``Continuation``).
    public struct ConfigurationContinuation: Sendable {
        /// Newton's starting point (nil: the cold start): the previous
        /// point's state.
        public var guess: InternalState?
        /// Where `guess` was solved, and the solution of the point before
        /// it, for the secant predictor (``predictedGuess(parameters:deltaT:)``).
        var guessOrigin: LinePoint?
        var previous: (origin: LinePoint, state: InternalState)?
        /// The final partition of the last screening Newton pass.
        var newtonPartition: QuadraturePartition?
        /// The final partition of the terminal-currents quadrature.
        var currentsPartition: QuadraturePartition?

        public init(guess: InternalState? = nil) {
            self.guess = guess
        }

        /// Records a converged solution at `origin` as the next guess.
        mutating func record(_ state: InternalState, at origin: LinePoint) {
            if let guess, let guessOrigin { previous = (guessOrigin, guess) } else { previous = nil }
            guess = state
            guessOrigin = origin
        }

        /// After a point: a configuration that did not converge hands on a
        /// cold start (its state and seeds are dropped).
        mutating func discardUnlessConverged(_ result: ConfigurationResult) {
            if result.status != .converged { self = ConfigurationContinuation() }
        }

        /// The secant predictor: when the last two solutions lie on the same
        /// straight line through parameter space as the point to solve (only
        /// ε1, ε3 differ, as along a scan tile) and it is at most two steps
        /// ahead, the unknowns extrapolated linearly along the line (in the
        /// Newton variables: μ_p, log T_p, U), x = x₁ + t(x₁ − x₂); otherwise
        /// nil. Along a tile this is O(step²) from the solution instead of
        /// O(step), which saves about one Newton pass per solve.
        func predictedGuess(parameters: DeviceParameters, deltaT: Double) -> InternalState? {
            guard let guess, let guessOrigin, let previous else { return nil }
            let point = LinePoint(parameters: parameters, deltaT: deltaT)
            guard let t = point.stepsAhead(of: guessOrigin, from: previous.origin) else { return nil }
            let older = previous.state
            return InternalState(muP: guess.muP + t * (guess.muP - older.muP),
                                 tP: guess.tP * Double.exp(t * Double.log(guess.tP / older.tP)),
                                 u: guess.u + t * (guess.u - older.u))
        }
    }

    /// A point of a line of solves: the device and ΔT.
    struct LinePoint: Sendable, Hashable {
        var parameters: DeviceParameters
        var deltaT: Double

        /// t such that self = last + t·(last − before) in (ε1, ε3), with
        /// everything else equal in all three points and 0 < t ≤ 2; nil if
        /// the three points are not on one such line.
        func stepsAhead(of last: LinePoint, from before: LinePoint) -> Double? {
            guard sharesLine(with: last), last.sharesLine(with: before) else { return nil }
            let ahead = SIMD2(parameters.eps1 - last.parameters.eps1, parameters.eps3 - last.parameters.eps3)
            let step = SIMD2(last.parameters.eps1 - before.parameters.eps1,
                             last.parameters.eps3 - before.parameters.eps3)
            let stepSquared = (step * step).sum()
            guard stepSquared > 0 else { return nil }
            let t = (ahead * step).sum() / stepSquared
            let offLine = ahead - t * step
            guard t > 0, t <= 2, (offLine * offLine).sum() <= 1e-20 * stepSquared else { return nil }
            return t
        }

        /// Everything but ε1 and ε3 equal.
        func sharesLine(with other: LinePoint) -> Bool {
            var a = parameters, b = other.parameters
            a.eps1 = 0; a.eps3 = 0; b.eps1 = 0; b.eps3 = 0
            return a == b && deltaT == other.deltaT
        }
    }

    /// Forward and backward configurations and R_I, R_J, continued from the
    /// previous points of a line; `continuation` is updated for the next one
    /// (a configuration that did not converge hands on a cold start). With
    /// screening Newton starts from the secant prediction of the last two
    /// points when there is one, then from the last point's solution, then
    /// cold; without, from the last point's solution, then cold.
    public func solvePoint(deltaT: Double, continuation: inout Continuation) -> PointResult {
        let point: PointResult
        if parameters.screening, (try? DeviceParameters.validate(deltaT: deltaT)) != nil {
            // N^eq depends only on the device and ΔT: computed once for F and B.
            let reference = equilibriumStates(deltaT: deltaT, partition: &continuation.equilibriumPartition)
            point = PointResult(
                forward: solveScreened(deltaT: deltaT, configuration: .forward,
                                       continuation: &continuation.forward, equilibriumStates: reference),
                backward: solveScreened(deltaT: deltaT, configuration: .backward,
                                        continuation: &continuation.backward, equilibriumStates: reference))
        } else {
            point = PointResult(
                forward: solve(deltaT: deltaT, configuration: .forward, guess: continuation.forward.guess),
                backward: solve(deltaT: deltaT, configuration: .backward, guess: continuation.backward.guess))
            let origin = LinePoint(parameters: parameters, deltaT: deltaT)
            continuation.forward.record(point.forward.state, at: origin)
            continuation.backward.record(point.backward.state, at: origin)
        }
        continuation.forward.discardUnlessConverged(point.forward)
        continuation.backward.discardUnlessConverged(point.backward)
        return point
    }
}
