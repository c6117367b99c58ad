// The λ = 1 closed forms behind DiodeSolver's interface: what the solver
// calls for λ = 1 without screening.

extension DiodeSolver {
    /// Whether the closed-form fast path applies: λ = 1 without screening,
    /// where the device decouples into two Lorentzian transmissions into the
    /// probe (``LorentzianProbeDevice``).
    public var closedFormApplies: Bool {
        parameters.lambda == 1 && !parameters.screening
    }

    /// Solves one configuration with the closed forms
    /// (``LorentzianProbeSolver``), with the conventions of
    /// ``solve(deltaT:configuration:guess:)``: `guess` seeds Newton and, if
    /// that fails, the cold start μ_p = μ, T_p = 1 + ΔT/2 is tried; on failure
    /// every number is NaN. `residual` is
    /// ``LorentzianProbeEvaluation/scaledResidual``; `integrandEvaluations`
    /// counts closed-form evaluations (each a few digamma differences plus,
    /// where it matters, the band-bottom quadrature).
    ///
    /// Where the closed forms do not apply (not ``closedFormApplies``) this
    /// is ``solve(deltaT:configuration:guess:)``'s general path (formerly a
    /// precondition, a trap for a public caller).
    public func solveClosedForm(deltaT: Double, configuration: Configuration,
                                guess: InternalState? = nil) -> ConfigurationResult {
        // solve(...) takes the closed forms only where they apply: no recursion.
        guard closedFormApplies else { return solve(deltaT: deltaT, configuration: configuration, guess: guess) }
        guard (try? DeviceParameters.validate(deltaT: deltaT)) != nil else {
            return .failed(.nonFinite, iterations: 0, residual: .nan, evaluations: 0)
        }
        let (tL, tR) = configuration.temperatures(deltaT: deltaT)
        let solver = LorentzianProbeSolver(device: LorentzianProbeDevice(
            eps1: parameters.eps1, gamma1: parameters.gamma1, eps3: parameters.eps3, gamma3: parameters.gamma3,
            mu: parameters.mu, d: parameters.d, leftTemperature: tL, rightTemperature: tR))
        var iterations = 0, evaluations = 0
        var warmSolution: LorentzianProbeSolution? = nil
        if let guess, guess.muP.isFinite, guess.tP.isFinite, guess.tP > 0 {
            let warm = solver.solve(muP: guess.muP, tP: guess.tP)
            iterations += warm.iterations; evaluations += warm.evaluations
            if warm.status == .converged { warmSolution = warm }
        }
        let result: LorentzianProbeSolution
        if let warmSolution {
            result = warmSolution
        } else {
            let cold = solver.solve(muP: parameters.mu, tP: 1 + 0.5 * deltaT)
            iterations += cold.iterations; evaluations += cold.evaluations
            result = cold
        }
        guard result.status == .converged else {
            return .failed(result.status, iterations: iterations, residual: result.residual, evaluations: evaluations)
        }
        return ConfigurationResult(
            particleCurrent: result.particleCurrent, heatCurrent: result.heatCurrent,
            state: InternalState(muP: result.muP, tP: result.tP), status: .converged,
            iterations: iterations, residual: result.residual, integrandEvaluations: evaluations)
    }
}
