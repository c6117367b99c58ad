import RealModule

extension DiodeSolver {
    /// N_α^eq = ∫_W ν_α(E, 0) f_eq(E) dE for the charge window of ΔT (the
    /// same in both configurations), or nil if its quadrature failed.
    public func equilibriumStates(deltaT: Double) -> SIMD3<Double>? {
        let hot = 1 + Swift.max(deltaT, 0)
        var charges = ExcessCharges(model: model, mu: parameters.mu, leftTemperature: hot, rightTemperature: 1,
                                    relativeTolerance: ScreeningSystem.chargeTolerance(settings),
                                    maximumEvaluations: settings.maximumEvaluations)
        let states = charges.equilibriumStates()
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
    /// the lead currents at the solution.
    func solveScreened(deltaT: Double, configuration: Configuration, guess: InternalState?,
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
        let cold = screeningColdStart(deltaT: deltaT)
        var iterations = 0, evaluations = 0
        var outcome: NewtonOutcome? = nil
        if let guess, Self.isUsableScreeningGuess(guess, hasProbe: hasProbe), guess != cold {
            let warm = NewtonSolver.solve(&system, from: system.unknowns(guess), settings: settings.newton)
            iterations += warm.iterations; evaluations += warm.integrandEvaluations
            if warm.status == .converged { outcome = warm }
        }
        if outcome == nil {
            let fresh = NewtonSolver.solve(&system, from: system.unknowns(cold), settings: settings.newton)
            iterations += fresh.iterations; evaluations += fresh.integrandEvaluations
            outcome = fresh
        }
        let result = outcome!
        switch result.status {
        case .converged:
            // The lead currents at the solution, from the transmissions alone.
            let state = system.state(result.solution)
            let currents = terminalCurrents(deltaT: deltaT, configuration: configuration, state: state)
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
        case .notConverged:
            return .failed(.notConverged, iterations: iterations, residual: result.residual,
                           evaluations: evaluations)
        case .nonFinite:
            return .failed(.nonFinite, iterations: iterations, residual: result.residual,
                           evaluations: evaluations)
        }
    }

    static func isUsableScreeningGuess(_ guess: InternalState, hasProbe: Bool) -> Bool {
        guard guess.u[0].isFinite, guess.u[1].isFinite, guess.u[2].isFinite else { return false }
        return !hasProbe || (guess.muP.isFinite && guess.tP.isFinite && guess.tP > 0)
    }
}
