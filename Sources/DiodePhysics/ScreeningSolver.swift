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
                                    relativeTolerance: ScreeningSystem.chargeTolerance(settings),
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
    func solveScreened(deltaT: Double, configuration: Configuration, continuation: inout ConfigurationContinuation,
                       equilibriumStates: SIMD3<Double>?) -> ConfigurationResult {
        guard let reference = equilibriumStates ?? self.equilibriumStates(deltaT: deltaT) else {
            return .failed(.notConverged, iterations: 0, residual: .nan, evaluations: 0)
        }
        let (tl, tr) = configuration.temperatures(deltaT: deltaT)
        var system = ScreeningSystem(
            model: model, capacitances: parameters.capacitances,
            left: FermiDistribution(mu: parameters.mu, temperature: tl),
            right: FermiDistribution(mu: parameters.mu, temperature: tr),
            equilibriumStates: reference, settings: settings)
        system.passPartition = continuation.newtonPartition
        let guesses = [continuation.predictedGuess(parameters: parameters, deltaT: deltaT), continuation.guess]
            .compactMap { $0 }
            .filter { Self.isUsableScreeningGuess($0, hasProbe: hasProbe) }
            .map { system.unknowns($0) }
        let result = NewtonSolver.solve(&system, from: guesses,
                                        orElse: system.unknowns(screeningColdStart(deltaT: deltaT)),
                                        settings: settings.newton)
        continuation.newtonPartition = system.passPartition
        let (iterations, evaluations) = (result.iterations, result.integrandEvaluations)
        guard result.status == .converged else {
            return .failed(result.status, iterations: iterations, residual: result.residual, evaluations: evaluations)
        }
        // The lead currents at the solution, from the transmissions alone.
        let state = system.state(result.solution)
        continuation.record(state, at: LinePoint(parameters: parameters, deltaT: deltaT))
        let currents = terminalCurrents(deltaT: deltaT, configuration: configuration, state: state,
                                        partition: &continuation.currentsPartition)
        guard currents.converged else {
            return .failed(.notConverged, iterations: iterations, residual: result.residual, evaluations: evaluations)
        }
        guard currents.particle[0].isFinite, currents.heat[0].isFinite else {
            return .failed(.nonFinite, iterations: iterations, residual: result.residual, evaluations: evaluations)
        }
        return ConfigurationResult(particleCurrent: currents.particle[0], heatCurrent: currents.heat[0],
                                   state: state, status: .converged,
                                   iterations: iterations, residual: result.residual,
                                   integrandEvaluations: evaluations)
    }

    static func isUsableScreeningGuess(_ guess: InternalState, hasProbe: Bool) -> Bool {
        guard guess.u[0].isFinite, guess.u[1].isFinite, guess.u[2].isFinite else { return false }
        return !hasProbe || (guess.muP.isFinite && guess.tP.isFinite && guess.tP > 0)
    }
}

