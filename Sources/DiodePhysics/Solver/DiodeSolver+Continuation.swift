extension DiodeSolver {
    /// What a point of a line hands on to the next one (continuation along
    /// a scan tile): per configuration the last converged states, which seed
    /// Newton (the last one, and a prediction extrapolated from the last
    /// three), and, with screening or on the general probe path, the final
    /// quadrature partitions of the solve, which seed the next point's
    /// quadratures (warm quadrature, see ``AdaptiveQuadrature``). Opaque to
    /// callers: create an empty one for
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
        /// The last solutions, newest first (at most ``predictorOrder``):
        /// where each was solved (nil for a guess set by hand) and its state.
        var history: [(origin: LinePoint?, state: InternalState)] = []
        /// The final partition of the last Newton pass (screening or the
        /// general probe path).
        var newtonPartition: QuadraturePartition?
        /// The final partition of the terminal-currents quadrature.
        var currentsPartition: QuadraturePartition?

        public init(guess: InternalState? = nil) {
            self.guess = guess
        }

        /// Newton's starting point after the prediction (nil: the cold
        /// start): the previous point's state. Setting it drops the history
        /// the predictor uses.
        public var guess: InternalState? {
            get { history.first?.state }
            set { history = newValue.map { [(nil, $0)] } ?? [] }
        }

        /// Points the predictor extrapolates from: 5 (quartic). Newton
        /// accepts a solve after one pass when its step, about the
        /// prediction's error, is ≤ stepTolerance (1e-6). Along the Fig. 3
        /// job's lines (ε1 step 0.05) the quadratic prediction of U was
        /// within 1e-6 at 19 % of the points, the cubic at 92 %, the quartic
        /// at 98 % (median errors 2e-6, 8e-8, 3e-9); at step 0.2 the quartic
        /// is still 30× closer than the quadratic (median 4e-6 vs 1.3e-4).
        /// Newton passes per solve there 2.04 / 1.71 (F / B, order 3) →
        /// 1.26 / 1.24 (order 5). The extrapolation amplifies the solutions'
        /// ~1e-11 errors by at most 16 (the weights 5, −10, 10, −5, 1), far
        /// below the step tolerance. (A linear prediction, order 2, was ~4e-3
        /// off at step 0.25 and often needed a third pass.)
        public static var predictorOrder: Int { 5 }

        /// Seeds for a configuration that has no partitions of its own (a
        /// cold start, or a guess without seeds): `newton` for its Newton
        /// passes and `currents` for its lead currents; partitions it has
        /// are kept. With screening the solver seeds a cold start's Newton
        /// passes with the point's N^eq partition: the cold start is U = 0,
        /// the same device with the same Fabry–Pérot states that partition
        /// was refined for, and its first pass then costs what a warm one
        /// does (≈ 1,260 instead of 2,600 evaluations, Fig. 3). The backward
        /// configuration's lead currents start from the forward's (the same
        /// transmissions, with the hot lead swapped). Seeds change only the
        /// starting panels: every quadrature is then refined to its own
        /// tolerance (``AdaptiveQuadrature``).
        mutating func seedQuadratures(newton: QuadraturePartition?, currents: QuadraturePartition?) {
            if newtonPartition == nil { newtonPartition = newton }
            if currentsPartition == nil { currentsPartition = currents }
        }

        /// Records a converged solution at `origin` as the next guess.
        mutating func record(_ state: InternalState, at origin: LinePoint) {
            history.insert((origin, state), at: 0)
            if history.count > Self.predictorOrder { history.removeLast() }
        }

        /// After a point: a configuration that did not converge hands on a
        /// cold start (its state and seeds are dropped).
        mutating func discardUnlessConverged(_ result: ConfigurationResult) {
            if result.status != .converged { self = ConfigurationContinuation() }
        }

        /// The predictor: when the last solutions (up to three) lie on one
        /// straight line through parameter space with the point to solve
        /// (only ε1, ε3 differ, as along a scan tile) and the point is at
        /// most two of the last steps ahead, the unknowns extrapolated along
        /// the line by the Lagrange polynomial through them, in the Newton
        /// variables (μ_p, log T_p, U); nil with fewer than two such
        /// solutions. Along a tile the quadratic prediction is O(step³) from
        /// the solution instead of O(step) for the last state, which saves a
        /// Newton pass per solve.
        func predictedGuess(parameters: DeviceParameters, deltaT: Double) -> InternalState? {
            let target = LinePoint(parameters: parameters, deltaT: deltaT)
            var origins: [LinePoint] = []
            for entry in history {
                guard let origin = entry.origin, origin.sharesLine(with: target) else { break }
                origins.append(origin)
            }
            guard origins.count >= 2,
                  let positions = target.positions(of: origins) else { return nil }
            let nodes = positions.nodes, s = positions.target
            guard s > nodes[0], s - nodes[0] <= 2 * (nodes[0] - nodes[1]) else { return nil }
            var muP = 0.0, logTP = 0.0, u = SIMD3<Double>.zero
            for i in nodes.indices {
                var weight = 1.0
                for j in nodes.indices where j != i { weight *= (s - nodes[j]) / (nodes[i] - nodes[j]) }
                let state = history[i].state
                muP += weight * state.muP
                logTP += weight * Double.log(state.tP)
                u += weight * state.u
            }
            return InternalState(muP: muP, tP: Double.exp(logTP), u: u)
        }
    }

    /// A point of a line of solves: the device and ΔT.
    struct LinePoint: Sendable, Hashable {
        var parameters: DeviceParameters
        var deltaT: Double

        var resonances: SIMD2<Double> { SIMD2(parameters.eps1, parameters.eps3) }

        /// Positions along the line through `points[0]` and `points[1]`
        /// (in (ε1, ε3), relative to `points[0]`, increasing towards self) of
        /// `points` and of self; nil if the points coincide, do not increase
        /// strictly along the line, or are not all on it.
        func positions(of points: [LinePoint]) -> (nodes: [Double], target: Double)? {
            let step = points[0].resonances - points[1].resonances
            let stepSquared = (step * step).sum()
            guard stepSquared > 0 else { return nil }
            func position(_ p: SIMD2<Double>) -> Double? {
                let offset = p - points[0].resonances
                let along = (offset * step).sum() / stepSquared
                let off = offset - along * step
                return (off * off).sum() <= 1e-20 * Swift.max(stepSquared, (offset * offset).sum()) ? along : nil
            }
            var nodes: [Double] = []
            for point in points {
                guard let s = position(point.resonances), nodes.last.map({ s < $0 }) ?? true else { return nil }
                nodes.append(s)
            }
            guard let target = position(resonances) else { return nil }
            return (nodes, target)
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
    /// screening, and on the general probe path, Newton starts from the
    /// prediction of the last points when there is one, then from the last
    /// point's solution, then cold, and the quadratures from the last
    /// point's partitions; the closed forms (λ = 1 without screening) and the
    /// coherent path (nothing to solve) use the last point's state only.
    public func solvePoint(deltaT: Double, continuation: inout Continuation) -> PointResult {
        let point: PointResult
        if parameters.screening, (try? DeviceParameters.validate(deltaT: deltaT)) != nil {
            // N^eq depends only on the device and ΔT: computed once for F and B.
            let reference = equilibriumStates(deltaT: deltaT, partition: &continuation.equilibriumPartition)
            continuation.forward.seedQuadratures(newton: continuation.equilibriumPartition, currents: nil)
            let forward = solveScreened(deltaT: deltaT, configuration: .forward,
                                        continuation: &continuation.forward, equilibriumStates: reference)
            continuation.backward.seedQuadratures(newton: continuation.equilibriumPartition,
                                                  currents: continuation.forward.currentsPartition)
            point = PointResult(
                forward: forward,
                backward: solveScreened(deltaT: deltaT, configuration: .backward,
                                        continuation: &continuation.backward, equilibriumStates: reference))
        } else {
            point = PointResult(
                forward: solveUnscreened(deltaT: deltaT, configuration: .forward, continuation: &continuation.forward),
                backward: solveUnscreened(deltaT: deltaT, configuration: .backward,
                                          continuation: &continuation.backward))
        }
        continuation.forward.discardUnlessConverged(point.forward)
        continuation.backward.discardUnlessConverged(point.backward)
        return point
    }
}
