import RealModule

/// The linear response of one configuration to ΔT (paper: I^i = Σ_n L^(n),i ΔT^n;
/// Fig. 2(a) plots I_lin = L^(1) ΔT): the exact first-order coefficients
/// dX/dΔT at ΔT = 0, from the linearised equations (docs/physics.md §10).
public struct LinearResponse: Sendable, Hashable {
    /// L_I^(1) = dI/dΔT at ΔT = 0 (units k_B/h: k_B T/h per unit of T).
    public var particle: Double
    /// L_J^(1) = dJ/dΔT at ΔT = 0 (units k_B² T/h).
    public var heat: Double
    /// dμ_p/dΔT and dT_p/dΔT at ΔT = 0 (NaN without a probe).
    public var probeMu: Double
    public var probeTemperature: Double
    /// Whether the quadrature met its tolerance and the probe's linear
    /// system was regular; otherwise every number is NaN.
    public var converged: Bool
    public var integrandEvaluations: Int

    public init(particle: Double, heat: Double, probeMu: Double, probeTemperature: Double, converged: Bool,
                integrandEvaluations: Int) {
        self.particle = particle; self.heat = heat
        self.probeMu = probeMu; self.probeTemperature = probeTemperature
        self.converged = converged; self.integrandEvaluations = integrandEvaluations
    }

    static func failed(evaluations: Int) -> LinearResponse {
        LinearResponse(particle: .nan, heat: .nan, probeMu: .nan, probeTemperature: .nan, converged: false,
                       integrandEvaluations: evaluations)
    }
}

/// The equilibrium transport moments K_n^{kj} = 2 ∫ T_kj(E, 0) (E − μ)^n f_eq(1 − f_eq) dE
/// (T = 1; f_eq(1 − f_eq) = −∂f_eq/∂E) for the pairs (k, j) = (R, L), (p, L), (p, R)
/// and n = 0, 1, 2: components 3n + pair index, the rest zero.
@frozen
public struct EquilibriumMomentIntegrand: VectorIntegrand {
    public var model: ScatteringModel
    public var equilibrium: FermiDistribution

    @inlinable
    public init(model: ScatteringModel, equilibrium: FermiDistribution) {
        self.model = model; self.equilibrium = equilibrium
    }

    @inlinable
    public func callAsFunction(_ e: Double) -> SIMD16<Double> {
        let t = model.transmissions(energy: e, potentials: .zero)
        let weight = 2 * equilibrium(e).spread / equilibrium.temperature
        let x = e - equilibrium.mu
        let k0 = weight * SIMD3(t.leftRight, t.leftProbe, t.rightProbe)
        let k1 = x * k0, k2 = x * k1
        return SIMD16(k0[0], k0[1], k0[2], k1[0], k1[1], k1[2], k2[0], k2[1], k2[2], 0, 0, 0, 0, 0, 0, 0)
    }
}

/// The reference currents of one configuration at one ΔT (docs/physics.md §10).
public struct ReferenceCurrents: Sendable {
    /// The linear-response coefficients L^(1) of this configuration.
    public var linearResponse: LinearResponse
    /// I_lin = L_I^(1) ΔT and J_lin = L_J^(1) ΔT.
    public var linearParticleCurrent: Double
    public var linearHeatCurrent: Double
    /// The currents with the equilibrium transmission: U = 0 (no screening
    /// response), the probe still self-consistent when λ > 0. Without
    /// screening this is the configuration's own solution.
    public var equilibriumTransmission: ConfigurationResult

    public init(linearResponse: LinearResponse, deltaT: Double, equilibriumTransmission: ConfigurationResult) {
        self.linearResponse = linearResponse
        self.linearParticleCurrent = linearResponse.particle * deltaT
        self.linearHeatCurrent = linearResponse.heat * deltaT
        self.equilibriumTransmission = equilibriumTransmission
    }
}

extension DiodeSolver {
    /// The exact linear response of `configuration` at ΔT = 0.
    ///
    /// At first order in ΔT every f_j − f_k is (−∂f_eq/∂E)[(δμ_j − δμ_k) + (E − μ)(δT_j − δT_k)],
    /// so I_j = Σ_k [K_0^{jk}(δμ_j − δμ_k) + K_1^{jk}(δT_j − δT_k)] and
    /// J_j = Σ_k [K_1^{jk}(δμ_j − δμ_k) + K_2^{jk}(δT_j − δT_k)] with the moments of
    /// ``EquilibriumMomentIntegrand`` at U = 0: the potentials U respond at first
    /// order, but they enter only through T_kj, which multiplies a Fermi
    /// difference that vanishes at equilibrium, so screening drops out. The
    /// probe's (δμ_p, δT_p) solve I_p = J_p = 0, a 2 × 2 linear system. One
    /// quadrature; its tolerance is `settings.relativeTolerance`/100 (floor
    /// 1e-13) relative to ∫|integrand| per moment.
    public func linearResponse(configuration: Configuration) -> LinearResponse {
        let mu = parameters.mu
        let equilibrium = FermiDistribution(mu: mu, temperature: 1)
        let window = integrationWindow(mu: mu, leftTemperature: 1, rightTemperature: 1, probe: nil)
        var breakpoints = EnergyBreakpoints()
        breakpoints.reset(model: model, potentials: .zero, leads: [equilibrium], range: window.lower...window.upper)
        breakpoints.update(window: window.lower, window.upper, moving: nil)
        var quadrature = AdaptiveQuadrature<SIMD16<Double>>(maximumEvaluations: settings.maximumEvaluations)
        let tolerance = Swift.max(settings.relativeTolerance / 100, 1e-13)
        let r = quadrature.integrate(EquilibriumMomentIntegrand(model: model, equilibrium: equilibrium),
                                     breakpoints: breakpoints.points,
                                     relativeTolerance: SIMD16(repeating: tolerance))
        let v = r.value
        guard r.converged, (0..<9).allSatisfy({ v[$0].isFinite }) else { return .failed(evaluations: r.evaluations) }
        // K_n^{pair}: pair 0 = (L, R), 1 = (L, p), 2 = (R, p).
        func k(_ n: Int, _ pair: Int) -> Double { v[3 * n + pair] }
        let (dTL, dTR) = configuration == .forward ? (1.0, 0.0) : (0.0, 1.0)
        var dMuP = 0.0, dTP = 0.0
        if hasProbe {
            // I_p = (K0b + K0c) m + (K1b + K1c) τ − K1b δT_L − K1c δT_R = 0
            // J_p = (K1b + K1c) m + (K2b + K2c) τ − K2b δT_L − K2c δT_R = 0
            let a11 = k(0, 1) + k(0, 2), a12 = k(1, 1) + k(1, 2), a22 = k(2, 1) + k(2, 2)
            let b1 = k(1, 1) * dTL + k(1, 2) * dTR, b2 = k(2, 1) * dTL + k(2, 2) * dTR
            let determinant = a11 * a22 - a12 * a12
            guard determinant.isFinite, determinant > 0 else { return .failed(evaluations: r.evaluations) }
            dMuP = (a22 * b1 - a12 * b2) / determinant
            dTP = (a11 * b2 - a12 * b1) / determinant
        }
        // Lead L against R (δμ = 0 in both) and against the probe.
        let particle = k(1, 0) * (dTL - dTR) - k(0, 1) * dMuP + k(1, 1) * (dTL - dTP)
        let heat = k(2, 0) * (dTL - dTR) - k(1, 1) * dMuP + k(2, 1) * (dTL - dTP)
        return LinearResponse(particle: particle, heat: heat, probeMu: hasProbe ? dMuP : .nan,
                              probeTemperature: hasProbe ? dTP : .nan, converged: true,
                              integrandEvaluations: r.evaluations)
    }

    /// The solver of the same device with the equilibrium transmission: the
    /// same parameters with screening off (U = 0), so the scattering matrix
    /// does not respond to the temperatures; the probe (λ > 0) is still
    /// solved self-consistently. Capacitances only enter screening.
    /// (nil only if the parameters were invalid, which `init` excludes.)
    public var equilibriumTransmissionSolver: DiodeSolver? {
        var parameters = self.parameters
        parameters.screening = false
        parameters.capacitances = Capacitances()
        return try? DiodeSolver(parameters: parameters, settings: settings)
    }

    /// I_lin, J_lin and the equilibrium-transmission currents of one
    /// configuration. Without screening the latter is `result` itself when
    /// given (the same solve), otherwise solved afresh.
    public func referenceCurrents(deltaT: Double, configuration: Configuration,
                                  result: ConfigurationResult? = nil) -> ReferenceCurrents {
        let linear = linearResponse(configuration: configuration)
        let equilibrium: ConfigurationResult
        if !parameters.screening, let result {
            equilibrium = result
        } else {
            let guess: InternalState? = result.flatMap { r in
                r.status == .converged && hasProbe ? InternalState(muP: r.state.muP, tP: r.state.tP) : nil
            }
            if let solver = equilibriumTransmissionSolver {
                equilibrium = solver.solve(deltaT: deltaT, configuration: configuration, guess: guess)
            } else {
                equilibrium = .failed(.nonFinite, iterations: 0, residual: .nan, evaluations: 0)
            }
        }
        return ReferenceCurrents(linearResponse: linear, deltaT: deltaT, equilibriumTransmission: equilibrium)
    }
}
