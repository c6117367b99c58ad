import RealModule

extension DiodeSolver {
    /// N_α^eq = ∫_W ν_α(E, 0) f_eq(E) dE for the charge window of ΔT (the
    /// same in both configurations), or nil if its quadrature failed.
    public func equilibriumStates(deltaT: Double) -> SIMD3<Double>? {
        var partition: QuadraturePartition? = nil
        return equilibriumStates(deltaT: deltaT, partition: &partition)
    }

    /// ``equilibriumStates(deltaT:)`` with its quadrature started from
    /// `partition` (if any), which is replaced by the final partition (nil
    /// when the quadrature failed).
    func equilibriumStates(deltaT: Double, partition: inout QuadraturePartition?) -> SIMD3<Double>? {
        let hot = 1 + Swift.max(deltaT, 0)
        var charges = ExcessCharges(model: model, mu: parameters.mu, leftTemperature: hot, rightTemperature: 1,
                                    relativeTolerance: ScreeningSystem.chargeTolerance(settings, deltaT: deltaT),
                                    maximumEvaluations: settings.maximumEvaluations)
        let states = charges.equilibriumStates(startingFrom: partition)
        partition = states.partition
        return states.converged ? states.value : nil
    }

    /// The cold start with screening: the probe's cold start and U = 0.
    func screeningColdStart(deltaT: Double) -> InternalState {
        var state = coldStart(deltaT: deltaT)
        state.u = .zero
        return state
    }

    /// One configuration with screening: Newton on ``ScreeningSystem`` from
    /// the guess (if usable), then from the cold start if that fails; then
    /// the lead currents at the solution. The quadratures start from the
    /// continuation's partitions; on return the continuation holds this
    /// solve's state and final partitions (for the next point of a line).
    /// Which solution this is, where there are several, is checked
    /// afterwards (``checkedBranch(deltaT:point:searching:)``, docs/physics.md §9.8).
    func solveScreened(deltaT: Double, configuration: Configuration, continuation: inout ConfigurationContinuation,
                       equilibriumStates: SIMD3<Double>?) -> ConfigurationResult {
        guard let reference = equilibriumStates ?? self.equilibriumStates(deltaT: deltaT) else {
            return .failed(.notConverged, iterations: 0, residual: .nan, evaluations: 0)
        }
        var system = screeningSystem(deltaT: deltaT, configuration: configuration, equilibriumStates: reference)
        system.passPartition = continuation.newtonPartition
        let guesses = [continuation.predictedGuess(parameters: parameters, deltaT: deltaT), continuation.guess]
            .compactMap { $0 }
            .filter { Self.isUsableScreeningGuess($0, hasProbe: hasProbe) }
            .map { system.unknowns($0) }
        let result = NewtonSolver.solve(&system, from: guesses,
                                        orElse: system.unknowns(screeningColdStart(deltaT: deltaT)),
                                        settings: newtonSettings(deltaT: deltaT))
        continuation.newtonPartition = system.passPartition
        let (iterations, evaluations) = (result.iterations, result.integrandEvaluations)
        guard result.status == .converged else {
            return .failed(result.status, iterations: iterations, residual: result.residual, evaluations: evaluations)
        }
        // The lead currents at the solution, from the transmissions alone.
        let state = system.state(result.solution)
        continuation.record(state, at: LinePoint(parameters: parameters, deltaT: deltaT))
        let currents = reportedCurrents(deltaT: deltaT, configuration: configuration, state: state,
                                        partition: &continuation.currentsPartition)
        guard currents.converged else {
            return .failed(.notConverged, iterations: iterations, residual: result.residual, evaluations: evaluations)
        }
        guard currents.particle.isFinite, currents.heat.isFinite else {
            return .failed(.nonFinite, iterations: iterations, residual: result.residual, evaluations: evaluations)
        }
        return ConfigurationResult(particleCurrent: currents.particle, heatCurrent: currents.heat,
                                   state: state, status: .converged,
                                   iterations: iterations, residual: result.residual,
                                   integrandEvaluations: evaluations)
    }

    func screeningSystem(deltaT: Double, configuration: Configuration, equilibriumStates reference: SIMD3<Double>,
                         settings: SolverSettings? = nil) -> ScreeningSystem {
        let (tl, tr) = configuration.temperatures(deltaT: deltaT)
        return ScreeningSystem(
            model: model, capacitances: parameters.capacitances,
            left: FermiDistribution(mu: parameters.mu, temperature: tl),
            right: FermiDistribution(mu: parameters.mu, temperature: tr),
            equilibriumStates: reference, settings: settings ?? self.settings)
    }

    /// A search for a solution other than `known`: Newton from each start
    /// (skipping those within ``branchMatch`` of `known`), then deflated
    /// Newton (``DeflatedSystem``, at most 15 iterations) from each; the
    /// first converged solution farther than ``sameSolution`` from `known`.
    func otherSolution(of known: SIMD8<Double>, system: inout ScreeningSystem, starts: [SIMD8<Double>],
                       settings newton: NewtonSettings) -> (solution: SIMD8<Double>?, iterations: Int, evaluations: Int) {
        let n = system.dimension
        var iterations = 0, evaluations = 0
        var limited = newton
        limited.maximumIterations = Swift.min(newton.maximumIterations, 15)
        limited.maximumBacktracks = Swift.min(newton.maximumBacktracks, 10)
        for start in starts where Self.distance(start, known, dimension: n) > Self.branchMatch {
            let outcome = NewtonSolver.solve(&system, from: start, settings: limited)
            iterations += outcome.iterations
            evaluations += outcome.integrandEvaluations
            if outcome.status == .converged, Self.distance(outcome.solution, known, dimension: n) > Self.sameSolution {
                return (outcome.solution, iterations, evaluations)
            }
        }
        var deflated = DeflatedSystem(base: system, root: known)
        // Only from starts away from the known root (near it, e.g. at small
        // ΔT where every state is close to equilibrium, deflation has
        // nothing to push against: m ~ 1/‖x − x*‖² explodes).
        for start in starts.prefix(2) where Self.distance(start, known, dimension: n) > Self.branchMatch {
            let outcome = NewtonSolver.solve(&deflated, from: start, settings: limited)
            iterations += outcome.iterations
            evaluations += outcome.integrandEvaluations
            if outcome.status == .converged, Self.distance(outcome.solution, known, dimension: n) > Self.sameSolution {
                // Polished on the undeflated system (the deflated residual
                // scales differ), and only kept if it stays another solution.
                let polished = NewtonSolver.solve(&system, from: outcome.solution, settings: newton)
                iterations += polished.iterations
                evaluations += polished.integrandEvaluations
                if polished.status == .converged,
                   Self.distance(polished.solution, known, dimension: n) > Self.sameSolution {
                    return (polished.solution, iterations, evaluations)
                }
            }
        }
        return (nil, iterations, evaluations)
    }

    /// The check that a point reports the equilibrium branch
    /// (docs/physics.md §9.8): for each converged configuration with
    /// screening, the branch guess
    /// (``equilibriumBranchGuess(deltaT:configuration:equilibriumStates:)``);
    /// where the solution (continued from a neighbour, or from the cold
    /// start) is not on it, the configuration is solved again from the
    /// guess, and if that gives another solution it replaces the first one,
    /// which is kept as ``ConfigurationResult/otherSolution``. A configuration
    /// that did not converge is retried from the guess. With
    /// `searching` (a single point, where no neighbour's solution is there
    /// to compare with), a configuration that is on the branch is also
    /// searched for a second solution: Newton from the cold start and from
    /// the last continuation step, then deflated Newton from both. A point
    /// without screening, or whose check failed, is returned unchanged.
    /// Also returns, per configuration, whether it was replaced (then a
    /// line's continuation must restart from the new state).
    public func checkedBranch(deltaT: Double, point: PointResult, searching: Bool = false)
        -> (point: PointResult, replaced: (forward: Bool, backward: Bool)) {
        guard parameters.screening, (try? DeviceParameters.validate(deltaT: deltaT)) != nil,
              let reference = equilibriumStates(deltaT: deltaT) else {
            return (point, (false, false))
        }
        func check(_ result: ConfigurationResult, _ configuration: Configuration) -> (ConfigurationResult, Bool) {
            guard result.status == .converged else {
                // Not converged from the neighbour or the cold start: the
                // branch guess is one more start (a placeholder for a
                // configuration not asked for has no iterations).
                guard result.iterations > 0 else { return (result, false) }
                let branch = equilibriumBranchGuess(deltaT: deltaT, configuration: configuration,
                                                    equilibriumStates: reference)
                var retried = result
                if let state = branch.state {
                    var continuation = ConfigurationContinuation(guess: state)
                    retried = solveScreened(deltaT: deltaT, configuration: configuration,
                                            continuation: &continuation, equilibriumStates: reference)
                }
                retried.iterations += result.iterations + branch.iterations
                retried.integrandEvaluations += result.integrandEvaluations + branch.evaluations
                return (retried, retried.status == .converged)
            }
            var system = screeningSystem(deltaT: deltaT, configuration: configuration, equilibriumStates: reference)
            let solved = system.unknowns(result.state)
            let branch = equilibriumBranchGuess(deltaT: deltaT, configuration: configuration,
                                                equilibriumStates: reference)
            var checked = result
            checked.iterations += branch.iterations
            checked.integrandEvaluations += branch.evaluations
            guard let guess = branch.state.map({ system.unknowns($0) }) else { return (checked, false) }
            if Self.distance(guess, solved, dimension: system.dimension) > Self.branchMatch {
                var continuation = ConfigurationContinuation(guess: branch.state)
                let again = solveScreened(deltaT: deltaT, configuration: configuration, continuation: &continuation,
                                          equilibriumStates: reference)
                checked.iterations += again.iterations
                checked.integrandEvaluations += again.integrandEvaluations
                if again.status == .converged,
                   Self.distance(system.unknowns(again.state), solved, dimension: system.dimension) > Self.sameSolution {
                    var replaced = again
                    replaced.otherSolution = result.state
                    replaced.iterations = checked.iterations
                    replaced.integrandEvaluations = checked.integrandEvaluations
                    return (replaced, true)
                }
                return (checked, false)
            }
            if searching {
                let cold = system.unknowns(screeningColdStart(deltaT: deltaT))
                let search = otherSolution(of: solved, system: &system, starts: [cold] + branch.stages.suffix(1),
                                           settings: newtonSettings(deltaT: deltaT))
                checked.otherSolution = search.solution.map { system.state($0) }
                checked.iterations += search.iterations
                checked.integrandEvaluations += search.evaluations
            }
            return (checked, false)
        }
        let (forward, replacedForward) = check(point.forward, .forward)
        let (backward, replacedBackward) = check(point.backward, .backward)
        return (PointResult(forward: forward, backward: backward), (replacedForward, replacedBackward))
    }

    /// A Newton solution within this distance (max norm over μ_p, log T_p,
    /// U) of the branch guess is taken to be on the equilibrium branch: the
    /// guess is accurate to ~1e-5 (its loose tolerances), distinct solutions
    /// are O(0.1–1) apart.
    static var branchMatch: Double { 1e-2 }
    /// Two converged solutions closer than this are the same one.
    static var sameSolution: Double { 1e-5 }

    static func distance(_ a: SIMD8<Double>, _ b: SIMD8<Double>, dimension: Int) -> Double {
        var largest = 0.0
        for i in 0..<dimension { largest = Swift.max(largest, abs(a[i] - b[i])) }
        return largest.isNaN ? .infinity : largest
    }

    /// Loose settings for the branch search: it only has to tell branches
    /// apart, the reported solution is then solved at full settings.
    static func branchSettings(_ settings: SolverSettings) -> SolverSettings {
        var loose = settings
        loose.relativeTolerance = Swift.max(settings.relativeTolerance, 1e-6)
        loose.jacobianRelativeTolerance = Swift.max(settings.jacobianRelativeTolerance, 1e-4)
        loose.newton.stepTolerance = Swift.max(settings.newton.stepTolerance, 1e-4)
        return loose
    }

    /// The equilibrium branch at ΔT, to loose accuracy: continued from
    /// equilibrium (ΔT = 0: μ_p = μ, T_p = 1, U = 0) by raising ΔT in equal
    /// steps of at most 1/2, each solved by Newton from the linear
    /// extrapolation of the previous two (the first from the cold start); a
    /// step that fails is halved (at most 4 times in a row). All steps use
    /// the charge window and N^eq of the target ΔT (they only guide Newton).
    /// Nil when the continuation fails (e.g. the branch ends at a fold).
    func equilibriumBranchGuess(deltaT: Double, configuration: Configuration,
                                equilibriumStates reference: SIMD3<Double>) -> BranchGuess {
        var guess = BranchGuess()
        guard deltaT != 0, deltaT.isFinite else { return guess }
        let loose = Self.branchSettings(settings)
        let (finalLeft, finalRight) = configuration.temperatures(deltaT: deltaT)
        let stages = Swift.max(2, Int((abs(deltaT) / 0.5).rounded(.up)))
        var step = deltaT / Double(stages)
        var reached = 0.0
        var previous: (at: Double, x: SIMD8<Double>)? = nil
        var last: (at: Double, x: SIMD8<Double>)? = nil
        var failures = 0
        var partition: QuadraturePartition? = nil
        while reached != deltaT {
            let target = abs(deltaT - reached) <= abs(step) * (1 + 1e-12) ? deltaT : reached + step
            let (tl, tr) = configuration.temperatures(deltaT: target)
            var system = ScreeningSystem(
                model: model, capacitances: parameters.capacitances,
                left: FermiDistribution(mu: parameters.mu, temperature: tl),
                right: FermiDistribution(mu: parameters.mu, temperature: tr),
                equilibriumStates: reference, settings: loose)
            system.passPartition = partition
            system.charges = ExcessCharges(model: model, mu: parameters.mu, leftTemperature: finalLeft,
                                           rightTemperature: finalRight,
                                           relativeTolerance: ScreeningSystem.chargeTolerance(loose, deltaT: target),
                                           maximumEvaluations: loose.maximumEvaluations)
            var start = system.unknowns(screeningColdStart(deltaT: target))
            if let last {
                start = last.x
                if let previous {
                    let w = (target - last.at) / (last.at - previous.at)
                    start = last.x + w * (last.x - previous.x)
                }
            }
            var newton = loose.newton
            newton.stepTolerance *= Swift.min(1, abs(target).squareRoot())
            let outcome = NewtonSolver.solve(&system, from: start, settings: newton)
            guess.iterations += outcome.iterations
            guess.evaluations += outcome.integrandEvaluations
            partition = system.passPartition
            if outcome.status == .converged {
                if target != deltaT { guess.stages.append(outcome.solution) }
                previous = last
                last = (target, outcome.solution)
                reached = target
                failures = 0
            } else {
                failures += 1
                guard failures <= 4 else { return guess }
                step *= 0.5
            }
        }
        guard let x = last?.x else { return guess }
        let o = hasProbe ? 2 : 0
        guess.state = InternalState(muP: hasProbe ? x[0] : .nan, tP: hasProbe ? Double.exp(x[1]) : .nan,
                                    u: SIMD3(x[o], x[o + 1], x[o + 2]))
        return guess
    }

    /// What ``equilibriumBranchGuess(deltaT:configuration:equilibriumStates:)`` found.
    struct BranchGuess {
        /// The branch at ΔT to loose accuracy; nil when the continuation failed.
        var state: InternalState? = nil
        /// The converged intermediate steps' unknowns (in the full system's
        /// parametrisation), lowest ΔT first.
        var stages: [SIMD8<Double>] = []
        var iterations = 0
        var evaluations = 0
    }

    static func isUsableScreeningGuess(_ guess: InternalState, hasProbe: Bool) -> Bool {
        guard guess.u[0].isFinite, guess.u[1].isFinite, guess.u[2].isFinite else { return false }
        return !hasProbe || (guess.muP.isFinite && guess.tP.isFinite && guess.tP > 0)
    }
}


/// Deflated Newton (Farrell, Birkisson & Funke 2015): G(x) = m(x) F(x) with
/// m(x) = 1/‖x − x*‖² + 1 has the roots of F except x*, so Newton on G from a
/// start that would return to x* is pushed to another root, if any.
/// ∂G/∂x = m ∂F/∂x + F (∂m/∂x)ᵀ, ∂m/∂x = −2(x − x*)/‖x − x*‖⁴ (Euclidean
/// norm over the unknowns, all in k_B T or log units). Unknowns below 1e-9
/// in magnitude are evaluated as 0: deflated steps backtrack deeply from
/// the cold start (U = 0), and a potential below the rounding of the charge
/// window's edge (~1e-14) would make an edge integral an empty range, which
/// the graded quadrature does not accept; for a search, whose result is
/// polished without deflation, the difference is immaterial.
struct DeflatedSystem<Base: NewtonSystem>: NewtonSystem {
    var base: Base
    let root: SIMD8<Double>
    var dimension: Int { base.dimension }
    var maximumStep: SIMD8<Double> { base.maximumStep }

    mutating func evaluate(at trial: SIMD8<Double>) -> NewtonEvaluation {
        var x = trial
        for i in 0..<dimension where abs(x[i]) < 1e-9 { x[i] = 0 }
        var e = base.evaluate(at: x)
        let n = dimension
        var offset = SIMD8<Double>.zero, squared = 0.0
        for i in 0..<n { offset[i] = x[i] - root[i]; squared += offset[i] * offset[i] }
        guard squared > 0 else {
            e.residual = SIMD8(repeating: .nan)
            return e
        }
        let m = 1 / squared + 1
        let dm = -2 / (squared * squared)
        var jacobian = SmallMatrix()
        for i in 0..<n {
            for j in 0..<n { jacobian[i, j] = m * e.jacobian[i, j] + e.residual[i] * dm * offset[j] }
        }
        for i in 0..<n { e.residual[i] *= m }
        e.jacobian = jacobian
        return e
    }
}
