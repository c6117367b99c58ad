import RealModule

/// The energy-resolved quantities of one configuration at one energy
/// (docs/physics.md §0, Eq. 1; paper Fig. 3(e)).
@frozen
public struct SpectralValues: Sendable, Hashable {
    /// T_RL, T_pL, T_pR at the state's potentials U.
    public var transmissions: TerminalTransmissions
    /// Spectral particle currents 𝓘_j(E) = 2 Σ_k T_kj(E)[f_j(E) − f_k(E)]
    /// out of j = L, R, p (units 1/h: k_B T/h per k_B T). Σ_j 𝓘_j = 0.
    public var particle: SIMD3<Double>
    /// Spectral heat currents (E − μ_j) 𝓘_j(E), j = L, R, p (μ_p for the
    /// probe; units k_B T/h).
    public var heat: SIMD3<Double>
    /// ν_jα(E, U) (docs/physics.md §0, Eq. 6), when requested; nil otherwise.
    public var injectivities: Injectivities?

    @inlinable
    public init(transmissions: TerminalTransmissions, particle: SIMD3<Double>, heat: SIMD3<Double>,
                injectivities: Injectivities?) {
        self.transmissions = transmissions
        self.particle = particle
        self.heat = heat
        self.injectivities = injectivities
    }
}

/// The spectrum of one configuration at a given internal state (μ_p, T_p, U):
/// the transmissions, spectral currents and injectivities as functions of
/// energy. Nothing is solved here: pass the state of a solved
/// ``ConfigurationResult`` (or ``equilibrium(parameters:)`` for U = 0 and all
/// distributions f_eq). Integrated over ``window`` the spectral currents give
/// the terminal currents of ``DiodeSolver/terminalCurrents(deltaT:configuration:state:)``.
///
/// Built from the solver's own pieces: ``ScatteringModel/transmissions(energy:potentials:)``,
/// ``Reservoirs/spectralCurrents(_:energy:)`` and
/// ``ScatteringModel/injectivities(energy:potentials:)``.
public struct DeviceSpectrum: Sendable {
    public let model: ScatteringModel
    /// (U₁, U₂, U₃) of the state.
    public let potentials: SIMD3<Double>
    /// f_L, f_R and f_p (without a probe f_p = f_L, whose transmissions vanish).
    public let reservoirs: Reservoirs
    /// The integration window of the currents (docs/physics.md §0), [min(μ, μ_p) − 40 T_w,
    /// max(μ, μ_p) + 40 T_w], T_w = max(T_L, T_R, T_p).
    public let window: (lower: Double, upper: Double)

    /// The spectrum of `configuration` at temperature difference `deltaT`
    /// and internal state `state` (μ_p, T_p used only when λ > 0; U as
    /// given, zero without screening). A state with a non-finite or
    /// non-positive T_p (a failed solve) gives NaN everywhere.
    public init(parameters: DeviceParameters, deltaT: Double, configuration: Configuration, state: InternalState) {
        let (tl, tr) = configuration.temperatures(deltaT: deltaT)
        let left = FermiDistribution(mu: parameters.mu, temperature: tl)
        let right = FermiDistribution(mu: parameters.mu, temperature: tr)
        var probe: FermiDistribution? = nil
        var potentials = state.u
        if parameters.lambda > 0 {
            if state.muP.isFinite, state.tP.isFinite, state.tP > 0 {
                probe = FermiDistribution(mu: state.muP, temperature: state.tP)
            } else {
                probe = FermiDistribution(mu: .nan, temperature: .nan)
                potentials = SIMD3(repeating: .nan)
            }
        }
        self.model = parameters.scatteringModel
        self.potentials = potentials
        self.reservoirs = Reservoirs(left: left, right: right, probe: probe ?? left)
        self.window = integrationWindow(mu: parameters.mu, leftTemperature: tl, rightTemperature: tr, probe: probe)
    }

    /// The equilibrium spectrum: U = 0 and every terminal at f_eq = Fermi(μ, 1)
    /// (so the spectral currents vanish identically); window [μ − 40, μ + 40].
    public static func equilibrium(parameters: DeviceParameters) -> DeviceSpectrum {
        let state = InternalState(muP: parameters.mu, tP: 1, u: .zero)
        return DeviceSpectrum(parameters: parameters, deltaT: 0, configuration: .forward, state: state)
    }

    /// Transmissions, spectral currents and (if `injectivities`) ν_jα at energy `e`.
    @inlinable
    public func callAsFunction(_ e: Double, injectivities: Bool = false) -> SpectralValues {
        let t = model.transmissions(energy: e, potentials: potentials)
        let particle = reservoirs.spectralCurrents(t, energy: e)
        let mus = SIMD3(reservoirs.left.mu, reservoirs.right.mu, reservoirs.probe.mu)
        var heat = (SIMD3(repeating: e) - mus) * particle
        // Without a probe 𝓘_p vanishes identically; keep its heat exactly 0.
        if particle[2] == 0 { heat[2] = 0 }
        return SpectralValues(transmissions: t, particle: particle, heat: heat,
                              injectivities: injectivities ? model.injectivities(energy: e, potentials: potentials) : nil)
    }

    /// `count` equally spaced energies from `lower` to `upper` (both included;
    /// one energy, `lower`, when count is 1).
    public static func uniformEnergies(from lower: Double, to upper: Double, count: Int) -> [Double] {
        guard count > 1 else { return count == 1 ? [lower] : [] }
        let step = (upper - lower) / Double(count - 1)
        return (0..<count).map { $0 == count - 1 ? upper : lower + Double($0) * step }
    }
}
