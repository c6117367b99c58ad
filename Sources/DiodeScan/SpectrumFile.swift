import DiodeHDF5
import DiodePhysics
import Foundation

/// The spectra of one parameter point (`diodescan spectrum`): the forward
/// and backward solutions, their spectra on an energy grid and the
/// equilibrium spectrum (U = 0, all f = f_eq).
public struct PointSpectrum: Sendable {
    public var parameters: DeviceParameters
    public var deltaT: Double
    public var energies: [Double]
    public var result: PointResult
    /// Spectra at the solved states (NaN where a configuration did not converge).
    public var forward: [SpectralValues]
    public var backward: [SpectralValues]
    /// Transmissions (and injectivities with screening) at U = 0; its
    /// spectral currents vanish.
    public var equilibrium: [SpectralValues]
    /// Reference currents (I_lin, J_lin, equilibrium transmission), if computed.
    public var references: (forward: ReferenceCurrents, backward: ReferenceCurrents)?

    /// Evaluates the spectra of a solved point. Injectivities are included
    /// when the model screens.
    public init(parameters: DeviceParameters, deltaT: Double, energies: [Double], result: PointResult,
                references: (forward: ReferenceCurrents, backward: ReferenceCurrents)? = nil) {
        self.parameters = parameters
        self.deltaT = deltaT
        self.energies = energies
        self.result = result
        self.references = references
        let nu = parameters.screening
        func spectrum(_ configuration: Configuration, _ r: ConfigurationResult) -> [SpectralValues] {
            let s = DeviceSpectrum(parameters: parameters, deltaT: deltaT, configuration: configuration, state: r.state)
            return energies.map { s($0, injectivities: nu) }
        }
        self.forward = spectrum(.forward, result.forward)
        self.backward = spectrum(.backward, result.backward)
        let eq = DeviceSpectrum.equilibrium(parameters: parameters)
        self.equilibrium = energies.map { eq($0, injectivities: nu) }
    }

    /// The energies of the sharp features of the three spectra (equilibrium,
    /// F and B at their states) inside `range`: the solver's quadrature
    /// breakpoints (band bottom U₂, Breit–Wigner peaks ε_α + U_α and ± Γ_α,
    /// Fermi edges μ_j (and μ_j ± 100 T_j inside the range), Fabry–Pérot states with their ±1 and
    /// ±8 widths; docs/physics.md §4) and the half-maximum points of every
    /// Fabry–Pérot state. Merged into a uniform grid (`spectrum --features`)
    /// they put nodes on peaks that the grid would step over. Sorted, unique.
    public static func featureEnergies(parameters: DeviceParameters, deltaT: Double, result: PointResult,
                                       in range: ClosedRange<Double>) -> [Double] {
        let model = parameters.scatteringModel
        var spectra = [DeviceSpectrum.equilibrium(parameters: parameters)]
        for (configuration, r) in [(Configuration.forward, result.forward), (.backward, result.backward)] {
            spectra.append(DeviceSpectrum(parameters: parameters, deltaT: deltaT, configuration: configuration,
                                          state: r.state))
        }
        var energies: [Double] = []
        for spectrum in spectra {
            let u = spectrum.potentials, reservoirs = spectrum.reservoirs
            guard u[0].isFinite, u[1].isFinite, u[2].isFinite,
                  reservoirs.probe.mu.isFinite, reservoirs.probe.temperature.isFinite else { continue }
            var breakpoints = EnergyBreakpoints()
            var leads = [reservoirs.left, reservoirs.right]
            if parameters.lambda > 0 { leads.append(reservoirs.probe) }
            breakpoints.reset(model: model, potentials: u, leads: leads, range: range)
            energies += breakpoints.fixed
            for state in breakpoints.fabryPerotStates where state.width.isFinite {
                energies += [state.energy - 0.5 * state.width, state.energy + 0.5 * state.width]
            }
        }
        return Array(Set(energies.filter { $0.isFinite && range.contains($0) })).sorted()
    }

    /// `uniform` merged with `features`, sorted, without repeats.
    public static func merge(_ uniform: [Double], _ features: [Double]) -> [Double] {
        var all = (uniform + features).sorted()
        var write = 0
        for value in all where write == 0 || value > all[write - 1] {
            all[write] = value
            write += 1
        }
        all.removeLast(all.count - write)
        return all
    }

    /// The union of the current windows (docs/physics.md §0) of both configurations at
    /// their solved states (the equilibrium window [μ − 40, μ + 40] where
    /// neither converged): the default energy range of `diodescan spectrum`.
    public static func defaultRange(parameters: DeviceParameters, deltaT: Double, result: PointResult)
        -> (lower: Double, upper: Double) {
        var lower = Double.infinity, upper = -Double.infinity
        for (configuration, r) in [(Configuration.forward, result.forward), (.backward, result.backward)] {
            let window = DeviceSpectrum(parameters: parameters, deltaT: deltaT, configuration: configuration,
                                        state: r.state).window
            if window.lower.isFinite && window.upper.isFinite {
                lower = Swift.min(lower, window.lower); upper = Swift.max(upper, window.upper)
            }
        }
        if !(lower.isFinite && upper.isFinite) {
            lower = parameters.mu - windowTemperatures; upper = parameters.mu + windowTemperatures
        }
        return (lower, upper)
    }
}

/// Writes a ``PointSpectrum`` as one self-describing HDF5 file
/// (docs/ARCHITECTURE.md, "The spectrum file"): 1-D datasets over the
/// `energy` dimension scale, injectivities over (`energy`, `region`), every
/// dataset with `units` and `long_name`; parameters and solved states as
/// root attributes.
public enum SpectrumFile {
    /// Root attribute `file_kind`.
    public static let kind = "diodescan spectrum"

    /// Writes `spectrum` to `path` through `<path>.creating` and a rename, so
    /// no partial file is ever left at `path`. Refuses an existing `path`
    /// unless `overwrite`.
    public static func write(_ spectrum: PointSpectrum, to path: String, overwrite: Bool,
                             commandLine: String) throws {
        if !overwrite && FileManager.default.fileExists(atPath: path) {
            throw SpectrumFileError.exists(path)
        }
        let temporary = path + ".creating"
        try? FileManager.default.removeItem(atPath: temporary)
        do {
            let file = try HDF5File.create(temporary, mode: .exclusive)
            try fill(file, spectrum, commandLine: commandLine)
            try file.close()
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        if !overwrite && FileManager.default.fileExists(atPath: path) {
            try? FileManager.default.removeItem(atPath: temporary)
            throw SpectrumFileError.exists(path)
        }
        guard rename(temporary, path) == 0 else {
            let reason = posixMessage()
            try? FileManager.default.removeItem(atPath: temporary)
            throw SpectrumFileError.rename(path, reason)
        }
    }

    static func fill(_ file: HDF5File, _ s: PointSpectrum, commandLine: String) throws {
        let p = s.parameters
        try file.setAttribute("file_kind", .string(kind))
        try file.setAttribute("title", .string("diodescan spectrum at one parameter point"))
        try file.setAttribute("source", .string("diodescan \(BuildInfo.version) (\(BuildInfo.sourceRevision))"))
        try file.setAttribute("software_version", .string(BuildInfo.version))
        try file.setAttribute("source_revision", .string(BuildInfo.sourceRevision))
        try file.setAttribute("history", .string(commandLine))
        try file.setAttribute("units_note", .string(
            "k_B = h = e = 1; energies in k_B T, temperatures in T; spectral particle currents in 1/h, "
                + "spectral heat currents in k_B T/h; injectivities in 1/(k_B T) per spin"))
        // The parameters from the table, in `point --json`'s order.
        let doubles = (ModelParameter.point + ModelParameter.capacitances).map { ($0.key, p.value(of: $0, deltaT: s.deltaT) ?? .nan) }
            + [("R_I", s.result.rectificationI), ("R_J", s.result.rectificationJ)]
        for (name, value) in doubles { try file.setAttribute(name, .double(value)) }
        try file.setAttribute(ModelParameter.screeningKey, .int(p.screening ? 1 : 0))
        try file.setAttribute("status_codes", .string("0 converged, 1 not converged, 2 non-finite, 3 converged with a second self-consistent solution found (the equilibrium branch is reported)"))
        for (suffix, r) in [("F", s.result.forward), ("B", s.result.backward)] {
            try file.setAttribute("I_\(suffix)", .double(r.particleCurrent))
            try file.setAttribute("J_\(suffix)", .double(r.heatCurrent))
            try file.setAttribute("mu_p_\(suffix)", .double(r.state.muP))
            try file.setAttribute("T_p_\(suffix)", .double(r.state.tP))
            try file.setAttribute("U_\(suffix)", .doubles([r.state.u[0], r.state.u[1], r.state.u[2]]))
            try file.setAttribute("status_\(suffix)", .int(Int64(r.storedStatus.rawValue)))
            try file.setAttribute("iterations_\(suffix)", .int(Int64(r.iterations)))
        }
        if let references = s.references {
            for (suffix, r) in [("F", references.forward), ("B", references.backward)] {
                try file.setAttribute("L1_I_\(suffix)", .double(r.linearResponse.particle))
                try file.setAttribute("L1_J_\(suffix)", .double(r.linearResponse.heat))
                try file.setAttribute("I_lin_\(suffix)", .double(r.linearParticleCurrent))
                try file.setAttribute("J_lin_\(suffix)", .double(r.linearHeatCurrent))
                try file.setAttribute("I_eqT_\(suffix)", .double(r.equilibriumTransmission.particleCurrent))
                try file.setAttribute("J_eqT_\(suffix)", .double(r.equilibriumTransmission.heatCurrent))
            }
        }

        let count = s.energies.count
        let energy = try file.createDataset("energy", of: Double.self, shape: [count])
        try energy.write(s.energies)
        try energy.setAttribute("units", .string("k_B T"))
        try energy.setAttribute("long_name", .string("energy E (absolute; the band bottom of region 2 at equilibrium is 0)"))
        try energy.makeDimensionScale(dimensionName: "energy")
        var region: HDF5Dataset? = nil
        if p.screening {
            let scale = try file.createDataset("region", of: Int32.self, shape: [3])
            try scale.write([Int32(1), 2, 3])
            try scale.setAttribute("units", .string("1"))
            try scale.setAttribute("long_name", .string(
                "region alpha (1: barrier 1, 2: ballistic segment with probe, 3: barrier 3)"))
            try scale.makeDimensionScale(dimensionName: "region")
            region = scale
        }

        func series(_ name: String, _ values: [Double], units: String, longName: String) throws {
            let dataset = try file.createDataset(name, of: Double.self, shape: [count])
            try dataset.write(values)
            try dataset.setAttribute("units", .string(units))
            try dataset.setAttribute("long_name", .string(longName))
            try dataset.attach(scale: energy, toDimension: 0)
        }
        func perRegion(_ name: String, _ values: [SIMD3<Double>], longName: String) throws {
            guard let region else { return }
            let dataset = try file.createDataset(name, of: Double.self, shape: [count, 3])
            try dataset.write(values.flatMap { [$0[0], $0[1], $0[2]] })
            try dataset.setAttribute("units", .string("1/(k_B T)"))
            try dataset.setAttribute("long_name", .string(longName))
            try dataset.attach(scale: energy, toDimension: 0)
            try dataset.attach(scale: region, toDimension: 1)
        }
        let configurations: [(String, String, [SpectralValues])] = [
            ("eq", "at equilibrium (U = 0)", s.equilibrium),
            ("F", "forward (T_L = 1 + dT)", s.forward),
            ("B", "backward (T_R = 1 + dT)", s.backward),
        ]
        for (suffix, label, values) in configurations {
            try series("T_LR_\(suffix)", values.map(\.transmissions.leftRight), units: "1",
                       longName: "transmission T_RL = T_LR between the leads, \(label)")
            try series("T_Lp_\(suffix)", values.map(\.transmissions.leftProbe), units: "1",
                       longName: "transmission T_pL = T_Lp between lead L and the probe, \(label)")
            try series("T_Rp_\(suffix)", values.map(\.transmissions.rightProbe), units: "1",
                       longName: "transmission T_pR = T_Rp between lead R and the probe, \(label)")
            if suffix != "eq" {
                for (index, terminal) in ["L", "R", "p"].enumerated() {
                    try series("spectral_I_\(terminal)_\(suffix)", values.map { $0.particle[index] }, units: "1/h",
                               longName: "spectral particle current out of \(terminal), \(label)")
                    try series("spectral_J_\(terminal)_\(suffix)", values.map { $0.heat[index] }, units: "k_B T/h",
                               longName: "spectral heat current (E - mu_\(terminal)) x spectral particle current "
                                   + "out of \(terminal), \(label)")
                }
            }
            let nan = SIMD3<Double>(repeating: .nan)
            try perRegion("nu_L_\(suffix)", values.map { $0.injectivities?.left ?? nan },
                          longName: "injectivity nu_L,alpha of lead L into region alpha, \(label)")
            try perRegion("nu_R_\(suffix)", values.map { $0.injectivities?.right ?? nan },
                          longName: "injectivity nu_R,alpha of lead R into region alpha, \(label)")
            try perRegion("nu_p_\(suffix)", values.map { $0.injectivities?.probe ?? nan },
                          longName: "injectivity nu_p,alpha of the probe into region alpha, \(label)")
        }
    }
}

/// Why a spectrum file was not written (besides HDF5 errors).
public enum SpectrumFileError: Error, CustomStringConvertible {
    case exists(String)
    case rename(String, String)

    public var description: String {
        switch self {
        case .exists(let path): return "output file \(path) exists (use --overwrite to replace it)"
        case .rename(let path, let reason): return "cannot move the new file into place at \(path): \(reason)"
        }
    }
}
