import RealModule

/// Capacitances of the screening model (docs/physics.md §0, Eq. 5), units e²/(k_B T):
/// between regions (c12, c13, c23) and to gates (c1g, c2g, c3g). All ≥ 0;
/// the paper's limit of small conductors is all zero.
public struct Capacitances: Sendable, Hashable, Codable {
    public var c12: Double, c13: Double, c23: Double
    public var c1g: Double, c2g: Double, c3g: Double

    public init(c12: Double = 0, c13: Double = 0, c23: Double = 0,
                c1g: Double = 0, c2g: Double = 0, c3g: Double = 0) {
        self.c12 = c12; self.c13 = c13; self.c23 = c23
        self.c1g = c1g; self.c2g = c2g; self.c3g = c3g
    }
}

/// One device (docs/physics.md §0 "The device"). Energies in k_B T, absolute.
public struct DeviceParameters: Sendable, Hashable, Codable {
    /// Resonance energies of barriers 1 and 3 (they include the equilibrium potentials).
    public var eps1: Double, eps3: Double
    /// Breit–Wigner widths, > 0.
    public var gamma1: Double, gamma3: Double
    /// Chemical potential of both leads.
    public var mu: Double
    /// Probe strength λ ∈ [0, 1] (0: coherent, 1: full thermalisation).
    public var lambda: Double
    /// Length of region 2 in units of ħ/√(2 m k_B T), > 0.
    public var d: Double
    /// Self-consistent screening (docs/physics.md §0 "Screening").
    public var screening: Bool
    public var capacitances: Capacitances

    public init(eps1: Double, eps3: Double, gamma1: Double, gamma3: Double, mu: Double = 40,
                lambda: Double = 0, d: Double = 1, screening: Bool = false,
                capacitances: Capacitances = Capacitances()) {
        self.eps1 = eps1; self.eps3 = eps3; self.gamma1 = gamma1; self.gamma3 = gamma3
        self.mu = mu; self.lambda = lambda; self.d = d
        self.screening = screening; self.capacitances = capacitances
    }

    /// The scattering model these parameters describe.
    public var scatteringModel: ScatteringModel {
        ScatteringModel(eps1: eps1, gamma1: gamma1, eps3: eps3, gamma3: gamma3, d: d, lambda: lambda)
    }

    /// Throws ``DiodeParameterError`` naming the first invalid field.
    public func validate() throws(DiodeParameterError) {
        try DiodeParameterError.require(eps1.isFinite, "eps1", "a finite number", eps1)
        try DiodeParameterError.require(eps3.isFinite, "eps3", "a finite number", eps3)
        try DiodeParameterError.require(gamma1.isFinite && gamma1 > 0, "gamma1", "finite and > 0", gamma1)
        try DiodeParameterError.require(gamma3.isFinite && gamma3 > 0, "gamma3", "finite and > 0", gamma3)
        try DiodeParameterError.require(mu.isFinite, "mu", "a finite number", mu)
        try DiodeParameterError.require(lambda >= 0 && lambda <= 1, "lambda", "in [0, 1]", lambda)
        try DiodeParameterError.require(d.isFinite && d > 0, "d", "finite and > 0", d)
        let c = capacitances
        for (name, value) in [("c12", c.c12), ("c13", c.c13), ("c23", c.c23),
                              ("c1g", c.c1g), ("c2g", c.c2g), ("c3g", c.c3g)] {
            try DiodeParameterError.require(value.isFinite && value >= 0, name, "finite and ≥ 0", value)
        }
    }

    /// ΔT must be finite and > −1 (so that the hot temperature 1 + ΔT is positive).
    public static func validate(deltaT: Double) throws(DiodeParameterError) {
        try DiodeParameterError.require(deltaT.isFinite && deltaT > -1, "dT", "finite and > -1", deltaT)
    }
}

/// An invalid input, naming the field and the allowed range.
public enum DiodeParameterError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalid(field: String, requirement: String, value: Double)

    public var description: String {
        switch self {
        case let .invalid(field, requirement, value):
            return "\(field) must be \(requirement) (got \(value))"
        }
    }

    /// The offending field, if any.
    public var field: String? {
        if case let .invalid(field, _, _) = self { return field }
        return nil
    }

    static func require(_ condition: Bool, _ field: String, _ requirement: String, _ value: Double)
        throws(DiodeParameterError) {
        if !condition { throw .invalid(field: field, requirement: requirement, value: value) }
    }
}

/// Numerical settings. The defaults reach 1e-9 relative accuracy in the
/// currents (see docs/physics.md for the convergence study).
public struct SolverSettings: Sendable, Hashable, Codable {
    /// Quadrature tolerance of the currents and of the residual integrals,
    /// relative to ∫|integrand| (per component; error estimate |K₂₁ − G₁₀|).
    public var relativeTolerance: Double
    /// Quadrature tolerance of the Jacobian and gradient integrals (they only
    /// steer Newton and the final first-order correction).
    public var jacobianRelativeTolerance: Double
    /// Evaluation cap per integral; hitting it makes the solve not converged.
    public var maximumEvaluations: Int
    /// The Newton iteration.
    public var newton: NewtonSettings
    /// Use the closed forms where they apply (λ = 1 without screening:
    /// ``DiodeSolver/solveClosedForm(deltaT:configuration:guess:)``, digamma
    /// functions, converged to their rounding floor ~1e-13 whatever the
    /// tolerances above). `false` forces the general quadrature path, the
    /// oracle the closed forms are tested against (job key `closed_forms`).
    public var closedForms: Bool

    public init(relativeTolerance: Double = 1e-9, jacobianRelativeTolerance: Double = 1e-6,
                maximumEvaluations: Int = 400_000, newton: NewtonSettings = NewtonSettings(),
                closedForms: Bool = true) {
        self.relativeTolerance = relativeTolerance
        self.jacobianRelativeTolerance = jacobianRelativeTolerance
        self.maximumEvaluations = maximumEvaluations
        self.newton = newton
        self.closedForms = closedForms
    }

    public static let `default` = SolverSettings()

    public func validate() throws(DiodeParameterError) {
        try DiodeParameterError.require(relativeTolerance > 0 && relativeTolerance < 1,
                                        "relativeTolerance", "in (0, 1)", relativeTolerance)
        try DiodeParameterError.require(jacobianRelativeTolerance > 0 && jacobianRelativeTolerance < 1,
                                        "jacobianRelativeTolerance", "in (0, 1)", jacobianRelativeTolerance)
        try DiodeParameterError.require(maximumEvaluations >= 42, "maximumEvaluations", "≥ 42",
                                        Double(maximumEvaluations))
        try DiodeParameterError.require(newton.stepTolerance > 0, "newton.stepTolerance", "> 0",
                                        newton.stepTolerance)
        try DiodeParameterError.require(newton.maximumIterations >= 1, "newton.maximumIterations", "≥ 1",
                                        Double(newton.maximumIterations))
        try DiodeParameterError.require(newton.maximumBacktracks >= 0, "newton.maximumBacktracks", "≥ 0",
                                        Double(newton.maximumBacktracks))
    }
}

/// Forward: the left lead is hot (T_L = 1 + ΔT, T_R = 1); backward: the right one.
public enum Configuration: Sendable, Hashable, CaseIterable {
    case forward, backward

    /// (T_L, T_R) for temperature difference ΔT.
    public func temperatures(deltaT: Double) -> (left: Double, right: Double) {
        switch self {
        case .forward: return (1 + deltaT, 1)
        case .backward: return (1, 1 + deltaT)
        }
    }
}

/// The unknowns of one configuration; also the warm-start seed.
public struct InternalState: Sendable, Hashable {
    /// Probe chemical potential μ_p (NaN without a probe).
    public var muP: Double
    /// Probe temperature T_p (NaN without a probe).
    public var tP: Double
    /// (U₁, U₂, U₃) (zero without screening).
    public var u: SIMD3<Double>

    public init(muP: Double = .nan, tP: Double = .nan, u: SIMD3<Double> = .zero) {
        self.muP = muP; self.tP = tP; self.u = u
    }
}

/// Status codes as stored in result files.
///
/// `multipleSolutions` is never a solver outcome: it is the stored code of a
/// converged configuration that has a second self-consistent solution
/// (``ConfigurationResult/otherSolution``); its numbers are valid and belong
/// to the reported branch (docs/physics.md §9.8).
public enum SolveStatus: Int32, Sendable, Hashable {
    case converged = 0, notConverged = 1, nonFinite = 2, multipleSolutions = 3
}

/// The solution of one configuration. When `status` is not `.converged`,
/// every number is NaN.
public struct ConfigurationResult: Sendable {
    /// I = I_L, k_B T/h.
    public var particleCurrent: Double
    /// J = J_L, (k_B T)²/h.
    public var heatCurrent: Double
    public var state: InternalState
    public var status: SolveStatus
    /// Newton iterations (evaluations of residual and Jacobian); 0 when
    /// nothing is solved (λ = 0 without screening).
    public var iterations: Int
    /// Dimensionless residual max |F_i|/∫|integrand_i| at the last Newton
    /// evaluation, which is one Newton step *before* the returned state (the
    /// returned state and currents are that step's result, never evaluated
    /// again to save a quadrature). So it is an upper bound for the returned
    /// state's residual, typically by orders of magnitude (≲ 1e-5 here while
    /// the returned state's is near the quadrature floor). 0 when nothing is
    /// solved. The λ = 1 closed forms (``solveClosedForm(deltaT:configuration:guess:)``)
    /// return their last evaluated state, so there it is that state's residual.
    public var residual: Double
    /// Integrand evaluations used.
    public var integrandEvaluations: Int
    /// A second self-consistent solution found while solving (screening
    /// only, docs/physics.md §9.8), nil if none was found; the reported state
    /// is always the equilibrium branch. `status` stays `.converged`:
    /// ``storedStatus`` is where the flag shows.
    public var otherSolution: InternalState? = nil

    /// The status code to store and show: `.multipleSolutions` for a
    /// converged configuration with ``otherSolution``, else `status`.
    public var storedStatus: SolveStatus {
        status == .converged && otherSolution != nil ? .multipleSolutions : status
    }

    public init(particleCurrent: Double, heatCurrent: Double, state: InternalState, status: SolveStatus,
                iterations: Int, residual: Double, integrandEvaluations: Int = 0) {
        self.particleCurrent = particleCurrent; self.heatCurrent = heatCurrent; self.state = state
        self.status = status; self.iterations = iterations; self.residual = residual
        self.integrandEvaluations = integrandEvaluations
    }

    /// A placeholder for a configuration that was not asked for.
    static var notSolved: ConfigurationResult {
        .failed(.notConverged, iterations: 0, residual: .nan, evaluations: 0)
    }

    static func failed(_ status: SolveStatus, iterations: Int, residual: Double, evaluations: Int)
        -> ConfigurationResult {
        ConfigurationResult(particleCurrent: .nan, heatCurrent: .nan,
                            state: InternalState(muP: .nan, tP: .nan, u: SIMD3(repeating: .nan)),
                            status: status, iterations: iterations, residual: residual,
                            integrandEvaluations: evaluations)
    }
}

/// Forward and backward solutions of one point and the rectification
/// coefficients (docs/physics.md §0, Eq. 2).
public struct PointResult: Sendable {
    public var forward: ConfigurationResult
    public var backward: ConfigurationResult
    /// R_I = (I^F + I^B)/(|I^F| + |I^B|), NaN where undefined.
    public var rectificationI: Double
    /// R_J = (J^F + J^B)/(|J^F| + |J^B|), NaN where undefined.
    public var rectificationJ: Double

    public init(forward: ConfigurationResult, backward: ConfigurationResult) {
        self.forward = forward
        self.backward = backward
        self.rectificationI = Self.rectification(forward.particleCurrent, backward.particleCurrent)
        self.rectificationJ = Self.rectification(forward.heatCurrent, backward.heatCurrent)
    }

    /// (X^F + X^B)/(|X^F| + |X^B|); NaN when the denominator is exactly 0 or
    /// either value is NaN.
    public static func rectification(_ forward: Double, _ backward: Double) -> Double {
        let denominator = abs(forward) + abs(backward)
        return denominator == 0 ? .nan : (forward + backward) / denominator
    }
}

/// Solves one parameter point: the probe conditions (λ > 0) by Newton's
/// method on (μ_p, log T_p), the currents from one vector quadrature per
/// Newton step. A value type, cheap to create per point.
public struct DiodeSolver: Sendable {
    public let parameters: DeviceParameters
    public let settings: SolverSettings
    @usableFromInline let model: ScatteringModel

    /// Validates the parameters and settings; throws ``DiodeParameterError``
    /// naming the field and its allowed range.
    public init(parameters: DeviceParameters, settings: SolverSettings = .default) throws(DiodeParameterError) {
        try parameters.validate()
        try settings.validate()
        self.parameters = parameters
        self.settings = settings
        self.model = parameters.scatteringModel
    }

    /// Whether the configuration has probe unknowns.
    public var hasProbe: Bool { parameters.lambda > 0 }

    /// Newton's settings for ΔT: the step tolerance scaled by min(1, √|ΔT|).
    /// The unknowns' departures from equilibrium (μ_p − μ, log T_p, U) are
    /// of order ΔT, and the returned state's error is O(step²) (quadratic
    /// convergence), so a step tolerance τ√|ΔT| leaves a relative error of
    /// order τ² in the state at any ΔT; an absolute τ is met trivially at
    /// ΔT ≲ τ (one step from the cold start, relative error ~τ²/ΔT). For
    /// |ΔT| ≥ 1 the settings are unchanged (docs/physics.md §6).
    public func newtonSettings(deltaT: Double) -> NewtonSettings {
        var newton = settings.newton
        let scale = Swift.min(1, Swift.max(abs(deltaT), 1e-12).squareRoot())
        newton.stepTolerance *= scale
        return newton
    }

    /// The relative quadrature tolerance of integrals that are O(ΔT) by
    /// cancellation (the currents, the probe residuals): `relativeTolerance`,
    /// but not below the rounding floor of the Fermi differences f_j − f_k,
    /// whose relative accuracy is ~1e-16/|ΔT| (docs/physics.md §6). Equal to
    /// `relativeTolerance` for |ΔT| ≥ 1e-5 at the defaults.
    public static func currentTolerance(_ settings: SolverSettings, deltaT: Double) -> Double {
        Swift.max(settings.relativeTolerance, roundingFloor(deltaT: deltaT))
    }

    /// 1e-14/|ΔT|, the relative accuracy to which O(ΔT) currents can be
    /// integrated in double precision (≥ 10× the Fermi differences' rounding).
    public static func roundingFloor(deltaT: Double) -> Double {
        let spread = abs(deltaT)
        return spread > 0 ? Swift.min(1e-14 / spread, 0.1) : 0.1
    }

    /// The cold start of the probe: μ_p = μ, T_p = 1 + ΔT/2.
    public func coldStart(deltaT: Double) -> InternalState {
        hasProbe ? InternalState(muP: parameters.mu, tP: 1 + 0.5 * deltaT) : InternalState()
    }

    /// Solves one configuration. `guess` (e.g. the neighbouring point's
    /// state) seeds Newton; if Newton fails from it, it is retried from the
    /// cold start. An invalid ΔT (non-finite or ≤ −1) gives `.nonFinite`.
    /// At λ = 1 without screening it uses the closed forms
    /// (``solveClosedForm(deltaT:configuration:guess:)``) unless
    /// `settings.closedForms` is false.
    public func solve(deltaT: Double, configuration: Configuration, guess: InternalState? = nil) -> ConfigurationResult {
        guard (try? DeviceParameters.validate(deltaT: deltaT)) != nil else {
            return .failed(.nonFinite, iterations: 0, residual: .nan, evaluations: 0)
        }
        let (tl, tr) = configuration.temperatures(deltaT: deltaT)
        let left = FermiDistribution(mu: parameters.mu, temperature: tl)
        let right = FermiDistribution(mu: parameters.mu, temperature: tr)
        if parameters.screening {
            var continuation = ConfigurationContinuation(guess: guess)
            let result = solveScreened(deltaT: deltaT, configuration: configuration, continuation: &continuation,
                                       equilibriumStates: nil)
            guard guess == nil else { return result }
            // A single point: reported on the equilibrium branch, searched
            // for a second solution (docs/physics.md §9.8).
            let point = configuration == .forward ? PointResult(forward: result, backward: .notSolved)
                                                  : PointResult(forward: .notSolved, backward: result)
            let checked = checkedBranch(deltaT: deltaT, point: point, searching: true).point
            return configuration == .forward ? checked.forward : checked.backward
        }
        guard hasProbe else { return solveCoherent(left: left, right: right) }
        if settings.closedForms && closedFormApplies {
            return solveClosedForm(deltaT: deltaT, configuration: configuration, guess: guess)
        }

        var continuation = ConfigurationContinuation(guess: guess)
        return solveProbe(deltaT: deltaT, configuration: configuration, continuation: &continuation)
    }

    /// The general probe path (λ > 0 without screening, closed forms off or
    /// not applicable): Newton on ``ProbeSystem`` from the continuation's
    /// prediction (if any), its last state, then the cold start; the
    /// quadrature starts from the continuation's partition, and on return
    /// the continuation holds this solve's state and final partition.
    func solveProbe(deltaT: Double, configuration: Configuration,
                    continuation: inout ConfigurationContinuation) -> ConfigurationResult {
        let (tl, tr) = configuration.temperatures(deltaT: deltaT)
        let left = FermiDistribution(mu: parameters.mu, temperature: tl)
        let right = FermiDistribution(mu: parameters.mu, temperature: tr)
        var system = ProbeSystem(model: model, potentials: .zero, left: left, right: right, settings: settings)
        system.passPartition = continuation.newtonPartition
        let guesses = [continuation.predictedGuess(parameters: parameters, deltaT: deltaT), continuation.guess]
            .compactMap { $0 }
            .filter { $0.muP.isFinite && $0.tP.isFinite && $0.tP > 0 }
            .map { Self.unknowns($0) }
        let result = NewtonSolver.solve(&system, from: guesses, orElse: Self.unknowns(coldStart(deltaT: deltaT)),
                                        settings: newtonSettings(deltaT: deltaT))
        continuation.newtonPartition = system.passPartition
        guard result.status == .converged else {
            return .failed(result.status, iterations: result.iterations, residual: result.residual,
                           evaluations: result.integrandEvaluations)
        }
        let state = InternalState(muP: result.solution[0], tP: Double.exp(result.solution[1]))
        continuation.record(state, at: LinePoint(parameters: parameters, deltaT: deltaT))
        return ConfigurationResult(
            particleCurrent: result.observables[0], heatCurrent: result.observables[1],
            state: state, status: .converged, iterations: result.iterations, residual: result.residual,
            integrandEvaluations: result.integrandEvaluations)
    }

    /// One configuration without screening, continued along a line: the
    /// general probe path takes the continuation's prediction and
    /// partition; the closed forms and the coherent path only its state.
    func solveUnscreened(deltaT: Double, configuration: Configuration,
                         continuation: inout ConfigurationContinuation) -> ConfigurationResult {
        let result: ConfigurationResult
        if hasProbe && !(settings.closedForms && closedFormApplies),
           (try? DeviceParameters.validate(deltaT: deltaT)) != nil {
            result = solveProbe(deltaT: deltaT, configuration: configuration, continuation: &continuation)
        } else {
            result = solve(deltaT: deltaT, configuration: configuration, guess: continuation.guess)
            continuation.record(result.state, at: LinePoint(parameters: parameters, deltaT: deltaT))
        }
        return result
    }

    /// Forward and backward configurations and R_I, R_J, each from its
    /// `guess` (see ``solve(deltaT:configuration:guess:)``).
    public func solvePoint(deltaT: Double, guess: (forward: InternalState?, backward: InternalState?) = (nil, nil))
        -> PointResult {
        var continuation = Continuation(guess: guess)
        let point = solvePoint(deltaT: deltaT, continuation: &continuation)
        // A single point with screening: reported on the equilibrium branch,
        // searched for a second solution (docs/physics.md §9.8). With
        // guesses (a caller's own continuation) it is left as solved.
        guard parameters.screening, guess.forward == nil, guess.backward == nil else { return point }
        return checkedBranch(deltaT: deltaT, point: point, searching: true).point
    }

    /// All terminal currents at a given internal state (no solving): for
    /// checks of conservation laws and of the probe conditions. With
    /// screening and at λ = 0 the quadrature is square-root graded at the
    /// band bottom U₂ (as the screening solver's lead currents and the
    /// coherent path); on the probe path without screening it is the probe
    /// solver's plain one.
    public func terminalCurrents(deltaT: Double, configuration: Configuration, state: InternalState) -> TerminalCurrents {
        var partition: QuadraturePartition? = nil
        return terminalCurrents(deltaT: deltaT, configuration: configuration, state: state, partition: &partition)
    }

    /// ``terminalCurrents(deltaT:configuration:state:)`` with its quadrature
    /// started from `partition` (if any), which is replaced by the final
    /// partition when the quadrature converged, and nil otherwise.
    func terminalCurrents(deltaT: Double, configuration: Configuration, state: InternalState,
                          partition: inout QuadraturePartition?) -> TerminalCurrents {
        guard let setup = leadQuadratureSetup(deltaT: deltaT, configuration: configuration, state: state) else {
            let nan = SIMD3<Double>(repeating: .nan)
            partition = nil
            return TerminalCurrents(particle: nan, heat: nan, particleMagnitude: nan, heatMagnitude: nan,
                                    converged: false)
        }
        let (left, right, probe, window, features) = setup
        if !hasProbe {
            return twoTerminalCurrents(deltaT: deltaT, potentials: state.u, left: left, right: right,
                                       window: window, features: features, partition: &partition)
        }
        var quadrature = AdaptiveQuadrature<SIMD8<Double>>(maximumEvaluations: settings.maximumEvaluations)
        let integrand = TerminalCurrentsIntegrand(model: model, potentials: state.u,
                                                  reservoirs: Reservoirs(left: left, right: right, probe: probe))
        let tolerance = SIMD8(repeating: Self.currentTolerance(settings, deltaT: deltaT))
        let r: QuadratureResult<SIMD8<Double>>
        if parameters.screening {
            // The reported I_L, J_L (components 0, 1) to relativeTolerance
            // of themselves, down to the floor reportedCurrentFloor·∫|𝓘_L|
            // (docs/physics.md §6.1), graded at the band bottom as in
            // twoTerminalCurrents (the transmissions' √|E − U₂| kinks).
            let (floor, value) = reportedCurrentTolerances(SIMD8<Double>.self, deltaT: deltaT)
            var grading = SquareRootGrading(), scratch: [Double] = []
            r = quadrature.integrateGraded(
                integrand, lower: window.lower, upper: window.upper, roots: SIMD4(state.u[1], 0, 0, 0),
                rootCount: 1, features: features, relativeTolerance: floor, valueTolerance: value,
                grading: &grading, scratch: &scratch, startingFrom: partition)
        } else {
            // As the probe solver's own passes (so checks compare like with like).
            r = quadrature.integrate(integrand, breakpoints: features,
                                     relativeTolerance: tolerance, startingFrom: partition)
        }
        partition = r.converged ? quadrature.partition : nil
        return TerminalCurrents(particle: SIMD3(r.value[0], r.value[2], r.value[4]),
                                heat: SIMD3(r.value[1], r.value[3], r.value[5]),
                                particleMagnitude: SIMD3(r.magnitude[0], r.magnitude[2], r.magnitude[4]),
                                heatMagnitude: SIMD3(r.magnitude[1], r.magnitude[3], r.magnitude[5]),
                                converged: r.converged, evaluations: r.evaluations)
    }

    /// The distributions, window and energy breakpoints of the lead-current
    /// quadratures at a state (the probe's distribution is the left lead's
    /// without a probe, where it does not enter); nil when the probe's
    /// μ_p or T_p is not physical.
    func leadQuadratureSetup(deltaT: Double, configuration: Configuration, state: InternalState)
        -> (left: FermiDistribution, right: FermiDistribution, probe: FermiDistribution,
            window: (lower: Double, upper: Double), features: [Double])? {
        let (tl, tr) = configuration.temperatures(deltaT: deltaT)
        let left = FermiDistribution(mu: parameters.mu, temperature: tl)
        let right = FermiDistribution(mu: parameters.mu, temperature: tr)
        let probe = hasProbe ? FermiDistribution(mu: state.muP, temperature: state.tP) : nil
        if let probe, !(probe.mu.isFinite && probe.temperature.isFinite && probe.temperature > 0) { return nil }
        var breakpoints = EnergyBreakpoints()
        let reach = 2 * windowTemperatures * Swift.max(tl, tr) + 20
        breakpoints.reset(model: model, potentials: state.u, leads: [left, right],
                          range: (parameters.mu - reach)...(parameters.mu + reach))
        let window = integrationWindow(mu: parameters.mu, leftTemperature: tl, rightTemperature: tr, probe: probe)
        breakpoints.update(window: window.lower, window.upper, moving: probe)
        return (left, right, probe ?? left, window, breakpoints.points)
    }

    /// The reported currents I_L, J_L at the screening solver's solution:
    /// ``terminalCurrents(deltaT:configuration:state:partition:)``'s first
    /// components, with a probe integrated alone (``LeftLeadIntegrand``,
    /// the same tolerances and grading): I_R, J_R and the probe's currents,
    /// which the six-component pass also refined for, are not reported.
    func reportedCurrents(deltaT: Double, configuration: Configuration, state: InternalState,
                          partition: inout QuadraturePartition?) -> (particle: Double, heat: Double, converged: Bool) {
        guard hasProbe, parameters.screening else {
            let all = terminalCurrents(deltaT: deltaT, configuration: configuration, state: state, partition: &partition)
            return (all.particle[0], all.heat[0], all.converged)
        }
        guard let (left, right, probe, window, features) = leadQuadratureSetup(
            deltaT: deltaT, configuration: configuration, state: state) else {
            partition = nil
            return (.nan, .nan, false)
        }
        let r = reportedCurrentsQuadrature(
            LeftLeadIntegrand(TerminalCurrentsIntegrand(model: model, potentials: state.u,
                                                        reservoirs: Reservoirs(left: left, right: right, probe: probe))),
            deltaT: deltaT, bandBottom: state.u[1], window: window, features: features, partition: &partition)
        return (r.value[0], r.value[1], r.converged)
    }

    /// ∫ of a reported-currents integrand [𝓘_L, (E − μ)𝓘_L] over the window:
    /// I_L, J_L to relativeTolerance of themselves, down to the floor
    /// reportedCurrentFloor·∫|𝓘_L| (docs/physics.md §6.1), graded at the
    /// band bottom U₂, where the transmissions have √|E − U₂| kinks on which
    /// Gauss–Kronrod converges only algebraically and |K₂₁ − G₁₀| is no
    /// longer a safe estimate (docs/physics.md §9.3, §9.4; at Γ = 10⁴,
    /// d = 50, ΔT = 20 the plain rule was 9e-6 off in I, its estimate meeting
    /// the tolerance). Starts from `partition`, which is replaced by the
    /// final one (nil when the quadrature did not converge).
    func reportedCurrentsQuadrature<F: VectorIntegrand>(
        _ integrand: F, deltaT: Double, bandBottom u2: Double, window: (lower: Double, upper: Double),
        features: [Double], partition: inout QuadraturePartition?
    ) -> QuadratureResult<SIMD2<Double>> where F.Vector == SIMD2<Double> {
        var quadrature = AdaptiveQuadrature<SIMD2<Double>>(maximumEvaluations: settings.maximumEvaluations)
        let (floor, value) = reportedCurrentTolerances(SIMD2<Double>.self, deltaT: deltaT)
        var grading = SquareRootGrading(), scratch: [Double] = []
        let r = quadrature.integrateGraded(
            integrand, lower: window.lower, upper: window.upper, roots: SIMD4(u2, 0, 0, 0), rootCount: 1,
            features: features, relativeTolerance: floor, valueTolerance: value,
            grading: &grading, scratch: &scratch, startingFrom: partition)
        partition = r.converged ? quadrature.partition : nil
        return r
    }

    /// ``terminalCurrents(deltaT:configuration:state:partition:)`` without a
    /// probe (λ = 0): only 𝓘_L = 2T_LR(f_L − f_R) is integrated
    /// (``TwoTerminalIntegrand``, two Fermi functions instead of three);
    /// I_R = −I_L, J_R = −J_L (μ_R = μ_L) and I_p = J_p = 0 hold exactly.
    /// The six-component integrand gave the same numbers bit for bit: its
    /// right-lead components are the exact negatives of the left ones with a
    /// looser tolerance, and its probe components are zero, so they never
    /// decided a bisection.
    func twoTerminalCurrents(deltaT: Double, potentials u: SIMD3<Double>, left: FermiDistribution,
                             right: FermiDistribution, window: (lower: Double, upper: Double),
                             features: [Double], partition: inout QuadraturePartition?) -> TerminalCurrents {
        let r = reportedCurrentsQuadrature(TwoTerminalIntegrand(model: model, potentials: u, left: left, right: right),
                                           deltaT: deltaT, bandBottom: u[1], window: window, features: features,
                                           partition: &partition)
        let (current, heat) = (r.value[0], r.value[1])
        return TerminalCurrents(particle: SIMD3(current, -current, 0), heat: SIMD3(heat, -heat, 0),
                                particleMagnitude: SIMD3(r.magnitude[0], r.magnitude[0], 0),
                                heatMagnitude: SIMD3(r.magnitude[1], r.magnitude[1], 0),
                                converged: r.converged, evaluations: r.evaluations)
    }

    /// Where the reported currents are integrated on their own (with
    /// screening: ``terminalCurrents(deltaT:configuration:state:)`` at the
    /// solution; λ = 0 without screening), their quadrature error is bounded
    /// relative to the currents themselves, not to the gross flows ∫|𝓘_L|,
    /// which can exceed |I| by 10³ or more:
    ///
    ///     error(X) ≤ max(relativeTolerance · |X|, max(reportedCurrentFloor · relativeTolerance, 1e-13) · ∫|integrand of X|)
    ///
    /// for X = I_L, J_L (docs/physics.md §6). The floor keeps a current that
    /// vanishes (a sign change along a line) from asking for the impossible:
    /// below it the state's own accuracy (~1e-12 in U) dominates anyway.
    public static let reportedCurrentFloor = 1e-3

    /// Per-component (relativeTolerance, valueTolerance) for a quadrature
    /// whose components 0 and 1 are the reported I_L, J_L: those relative to
    /// their values down to the floor, every other component relative to
    /// ∫|g_c| as usual.
    /// At small |ΔT| the base tolerance is ``currentTolerance(_:deltaT:)``
    /// and the floor never goes below the Fermi differences' rounding floor.
    func reportedCurrentTolerances<Vector: SIMD>(_: Vector.Type, deltaT: Double) -> (relative: Vector, value: Vector)
        where Vector.Scalar == Double {
        let base = Self.currentTolerance(settings, deltaT: deltaT)
        var relative = Vector(repeating: base), value = Vector.zero
        for c in 0..<2 {
            // Never below 1e-13 of ∫|g| (round-off; what tight reference
            // settings, relativeTolerance 1e-13, have always asked for).
            let floor = Swift.max(Self.reportedCurrentFloor * base, 1e-13, Self.roundingFloor(deltaT: deltaT))
            relative[c] = Swift.min(floor, base)
            value[c] = base
        }
        return (relative, value)
    }

    static func unknowns(_ state: InternalState) -> SIMD8<Double> {
        SIMD8(state.muP, Double.log(state.tP), 0, 0, 0, 0, 0, 0)
    }

    func solveCoherent(left: FermiDistribution, right: FermiDistribution) -> ConfigurationResult {
        var breakpoints = EnergyBreakpoints()
        let window = integrationWindow(mu: parameters.mu, leftTemperature: left.temperature,
                                       rightTemperature: right.temperature, probe: nil)
        breakpoints.reset(model: model, potentials: .zero, leads: [left, right],
                          range: window.lower...window.upper)
        breakpoints.update(window: window.lower, window.upper, moving: nil)
        // Graded at the band bottom E = 0 (its √ kink), as the screened lead
        // currents: at ΔT = 2.5 the kink, weighted by e^{−40/3.5}, left I up
        // to 7e-10 off with the plain rule (docs/physics.md §6.1).
        var partition: QuadraturePartition? = nil
        let currents = twoTerminalCurrents(deltaT: left.temperature - right.temperature, potentials: .zero,
                                           left: left, right: right, window: window,
                                           features: breakpoints.points, partition: &partition)
        guard currents.converged else {
            return .failed(.notConverged, iterations: 0, residual: .nan, evaluations: currents.evaluations)
        }
        guard currents.particle[0].isFinite, currents.heat[0].isFinite else {
            return .failed(.nonFinite, iterations: 0, residual: .nan, evaluations: currents.evaluations)
        }
        return ConfigurationResult(particleCurrent: currents.particle[0], heatCurrent: currents.heat[0],
                                   state: InternalState(), status: .converged, iterations: 0, residual: 0,
                                   integrandEvaluations: currents.evaluations)
    }
}

